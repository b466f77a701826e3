package aferofs_test

import (
	"os"
	"testing"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferofs"
)

// BenchmarkAfero measures afero calls on the library against afero's
// MemMapFs and OsFs (the kernel, in a temporary directory) in the same
// run: read the ratios, not the absolute figures.
func BenchmarkAfero(b *testing.B) {
	c, err := mountkit.Boot()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	impls := []struct {
		name string
		fs   afero.Fs
	}{
		{"mountkit", aferofs.New(c)},
		{"MemMapFs", afero.NewMemMapFs()},
		{"OsFs", afero.NewBasePathFs(afero.NewOsFs(), b.TempDir())},
	}
	for _, impl := range impls {
		if err := impl.fs.MkdirAll("/usr/share/doc/pkg", 0o755); err != nil {
			b.Fatal(err)
		}
		if err := afero.WriteFile(impl.fs, "/usr/share/doc/pkg/README", []byte("readme"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, impl := range impls {
		b.Run("Stat/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := impl.fs.Stat("/usr/share/doc/pkg/README"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, impl := range impls {
		b.Run("StatMissing/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := impl.fs.Stat("/usr/share/doc/pkg/missing"); !os.IsNotExist(err) {
					b.Fatal(err)
				}
			}
		})
	}
	data := make([]byte, 4096)
	for _, impl := range impls {
		b.Run("WriteRead4k/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				if err := afero.WriteFile(impl.fs, "/usr/f", data, 0o644); err != nil {
					b.Fatal(err)
				}
				if _, err := afero.ReadFile(impl.fs, "/usr/f"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
