package fuseexport_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferobackend"
	"github.com/mountkit/mountkit/fsbackend"
	"github.com/mountkit/mountkit/fuseexport"
	"github.com/mountkit/mountkit/mount"
)

// TestAdapters serves a namespace holding a read-only fs.FS mount and a
// writable afero.MemMapFs mount through FUSE: programs read the one, write
// the other, and the writes land in the MemMapFs.
func TestAdapters(t *testing.T) {
	if !inPrivateNamespace(t, "TestAdapters") {
		return
	}
	assets := fstest.MapFS{"index.html": {Data: []byte("<p>hi</p>\n"), Mode: 0o644}}
	mem := afero.NewMemMapFs()
	k := mountkit.NewKernel()
	k.RegisterFilesystem("assets", fsbackend.Type("assets", assets), false)
	k.RegisterFilesystem("memmap", aferobackend.Type("memmap", mem), false)
	c, err := k.Boot()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Mkdir("/www", 0o755))
	require.NoError(t, c.Mkdir("/mem", 0o755))
	require.NoError(t, c.Mount("assets", "/www", "assets", mount.MS_RDONLY, ""))
	require.NoError(t, c.Mount("mem", "/mem", "memmap", 0, ""))

	dir := t.TempDir()
	srv, err := fuseexport.Mount(dir, c, &fuse.MountOptions{DirectMount: true, DirectMountStrict: true})
	require.NoError(t, err)
	defer func() { assert.NoError(t, srv.Unmount()) }()

	out, err := exec.Command("sh", "-c", `cd `+dir+` && cp www/index.html mem/ && mkdir -p mem/a/b && echo x > mem/a/b/c && mv mem/a mem/z && find mem | sort && cat mem/index.html`).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "mem\nmem/index.html\nmem/z\nmem/z/b\nmem/z/b/c\n<p>hi</p>\n", string(out))
	b, err := afero.ReadFile(mem, "/z/b/c")
	require.NoError(t, err)
	assert.Equal(t, "x\n", string(b))

	err = os.WriteFile(filepath.Join(dir, "www", "new"), nil, 0o644)
	assert.ErrorIs(t, err, syscall.EROFS)
	err = os.Link(filepath.Join(dir, "mem", "index.html"), filepath.Join(dir, "mem", "hard"))
	assert.ErrorIs(t, err, syscall.EPERM, "aferobackend has no hard links")
}
