package ext4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// superPatch returns the base image with a superblock field set (the
// checksum refixed).
func superPatch(t *testing.T, field int, v []byte) []byte {
	loadBase(t)
	return patchImage(uint32(1024+field), v, 0, fixSuper)
}

func le32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func openImg(img []byte, data string) error {
	_, err := Open(bytes.NewReader(img), int64(len(img)), data)
	return err
}

// TestOpenRefuses: what a read-only Linux mount refuses, with its errno
// (measured on 6.18: a bad superblock checksum is EBADMSG, an unknown
// incompat feature EINVAL).
func TestOpenRefuses(t *testing.T) {
	loadBase(t)
	incompat := u32(base.img, 1024+0x60)
	compat := u32(base.img, 1024+0x5C)
	for _, c := range []struct {
		name string
		img  []byte
		data string
		want vfs.Errno
	}{
		{"zeros", make([]byte, 1<<16), "", vfs.EINVAL},
		{"short", base.img[:1500], "", vfs.EINVAL},
		{"bad checksum", patchImage(1024+0x3FC, []byte{1, 2, 3, 4}, 0, 0), "", vfs.EBADMSG},
		{"unknown incompat", superPatch(t, 0x60, le32b(incompat|0x100000)), "", vfs.EINVAL},
		{"encrypt", superPatch(t, 0x60, le32b(incompat|incompatEncrypt)), "", vfs.EINVAL},
		{"bigalloc", superPatch(t, 0x64, le32b(u32(base.img, 1024+0x64)|roCompatBigalloc)), "", vfs.EINVAL},
		{"block count past the device", superPatch(t, 0x4, le32b(1000)), "", vfs.EINVAL},
		{"block size", superPatch(t, 0x18, le32b(9)), "", vfs.EINVAL},
		{"inodes per group", superPatch(t, 0x28, le32b(0)), "", vfs.EINVAL},
		{"bad option", base.img, "data=journal", vfs.EINVAL},
		{"group descriptor outside", patchImage(2*1024+8, le32b(5000), 0, 0), "", vfs.EUCLEAN},
	} {
		err := openImg(c.img, c.data)
		require.Equal(t, c.want, err, c.name)
	}
	// needs_recovery means replay only with a journal (Linux mounts a
	// journal-less image with the flag); a device that cannot be
	// written is EROFS ("write access unavailable"); norecovery mounts.
	img := superPatch(t, 0x60, le32b(incompat|incompatRecover))
	require.NoError(t, openImg(img, ""))
	img = patchImage(1024+0x5C, le32b(compat|compatHasJournal), 0, 0)
	copy(img[1024+0x60:], le32b(incompat|incompatRecover))
	binary.LittleEndian.PutUint32(img[1024+0x3FC:], crc32c(^uint32(0), img[1024:1024+0x3FC]))
	require.Equal(t, vfs.EROFS, openImg(img, ""))
	require.NoError(t, openImg(img, "norecovery"))
	// mmp is ignored by a read-only mount.
	require.NoError(t, openImg(superPatch(t, 0x60, le32b(incompat|incompatMMP)), ""))
}

// TestReadOnly: every change is EROFS, and opening for writing too.
func TestReadOnly(t *testing.T) {
	loadBase(t)
	root := base.fs.Root()
	_, err := root.Create("x", vfs.CreateOpts{Mode: vfs.ModeRegular | 0o644})
	require.Equal(t, vfs.EROFS, err)
	require.Equal(t, vfs.EROFS, root.Unlink("small"))
	require.Equal(t, vfs.EROFS, root.Setxattr("user.a", nil, 0))
	small, err := root.Lookup("small")
	require.NoError(t, err)
	_, err = small.Open(vfs.O_RDWR)
	require.Equal(t, vfs.EROFS, err)
	v, err := small.Getxattr("user.a")
	require.NoError(t, err)
	require.Equal(t, "hello", string(v))
	_, err = small.Getxattr("user.none")
	require.Equal(t, vfs.ENODATA, err)
	_, err = small.Getxattr("system.data")
	require.Equal(t, vfs.EOPNOTSUPP, err)
	st, err := base.fs.Statfs()
	require.NoError(t, err)
	require.Equal(t, int64(0xEF53), st.Type)
}

// TestConcurrentReads walks one filesystem from several goroutines (for
// the race detector: the block cache and the inode table are shared).
func TestConcurrentReads(t *testing.T) {
	loadBase(t)
	fs, err := Open(bytes.NewReader(base.img), int64(len(base.img)), "")
	require.NoError(t, err)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			d, err := fs.Root().Lookup("d")
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 150 {
				if _, err := d.Lookup(fmt.Sprintf("name-number-%d", i)); err != nil {
					t.Error(err)
					return
				}
			}
			isl, _ := fs.Root().Lookup("islands")
			h, _ := isl.Open(vfs.O_RDONLY)
			buf := make([]byte, 60<<10)
			if n, err := h.ReadAt(buf, 0); err != nil || n != 7*8192-8192+1024 {
				t.Errorf("islands: %d %v", n, err)
			}
		}()
	}
	for range 4 {
		<-done
	}
}
