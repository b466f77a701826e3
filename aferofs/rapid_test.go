package aferofs_test

import (
	"os"
	"testing"

	"github.com/spf13/afero"
	"pgregory.net/rapid"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferofs"
	"github.com/mountkit/mountkit/internal/aferotest"
)

// TestRandomAgainstKernel runs random afero calls on the library and on
// afero.OsFs over a directory of the real kernel; every result and errno
// must agree.
func TestRandomAgainstKernel(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to compare with the kernel as the same user")
	}
	dir := osDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		root, err := os.MkdirTemp(dir, "r")
		if err != nil {
			rt.Fatal(err)
		}
		defer os.RemoveAll(root)
		c, err := mountkit.Boot()
		if err != nil {
			rt.Fatal(err)
		}
		defer c.Close()
		aferotest.Compare(rt, []aferotest.Side{
			{Name: "kernel", Fs: afero.NewOsFs(), Root: root},
			{Name: "library", Fs: aferofs.New(c)},
		}, true)
	})
}
