//go:build !linux

package script

import (
	"errors"
	"testing"
)

func newLinuxSystem(t *testing.T) (System, error) {
	return nil, errors.New("the Linux reference runner needs Linux")
}
