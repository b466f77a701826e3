//go:build linux

package script

import "testing"

// newLinuxSystem returns a fresh Linux reference world; its error says
// why there is none (not root, no namespaces).
func newLinuxSystem(t *testing.T) (System, error) {
	t.Helper()
	sys, err := NewLinux()
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { sys.Close() })
	return sys, nil
}
