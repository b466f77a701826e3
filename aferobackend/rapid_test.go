package aferobackend_test

import (
	"os"
	"testing"

	"github.com/spf13/afero"
	"pgregory.net/rapid"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferobackend"
	"github.com/mountkit/mountkit/aferofs"
	"github.com/mountkit/mountkit/internal/aferotest"
)

// TestRandomAgainstKernel runs random afero calls on afero.OsFs over a
// directory of the real kernel and, through the library's namespace, on
// mounts of afero.MemMapFs and of OsFs over another directory; every
// result and errno must agree.
func TestRandomAgainstKernel(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to compare with the kernel as the same user")
	}
	dir := osDir(t)
	for _, tc := range []struct {
		name     string
		symlinks bool
		afs      func(dir string) afero.Fs
	}{
		{"MemMapFs", false, func(string) afero.Fs { return afero.NewMemMapFs() }},
		{"OsFs", true, func(dir string) afero.Fs { return aferotest.Prefix(afero.NewOsFs(), dir) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				ref, err := os.MkdirTemp(dir, "ref")
				if err != nil {
					rt.Fatal(err)
				}
				defer os.RemoveAll(ref)
				back, err := os.MkdirTemp(dir, "back")
				if err != nil {
					rt.Fatal(err)
				}
				defer os.RemoveAll(back)
				k := mountkit.NewKernel()
				k.RegisterFilesystem("afero", aferobackend.Type("afero", tc.afs(back)), false)
				c, err := k.Boot()
				if err != nil {
					rt.Fatal(err)
				}
				defer c.Close()
				if err := c.Mkdir("/mnt", 0o755); err != nil {
					rt.Fatal(err)
				}
				if err := c.Mount("src", "/mnt", "afero", 0, ""); err != nil {
					rt.Fatal(err)
				}
				aferotest.Compare(rt, []aferotest.Side{
					{Name: "kernel", Fs: afero.NewOsFs(), Root: ref},
					{Name: "library over " + tc.name, Fs: aferofs.New(c), Root: "/mnt"},
				}, tc.symlinks)
			})
		})
	}
}
