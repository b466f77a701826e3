//go:build !amd64

package linuxabi

import (
	"encoding/binary"

	"github.com/mountkit/mountkit/mount"
)

// StatSize is the size of the generic struct stat (riscv64, arm64,
// loong64).
const StatSize = 128

// encodeStat lays st out as the generic struct stat (include/uapi/
// asm-generic/stat.h): dev, ino, mode, nlink (32-bit), uid, gid, rdev, pad,
// size, blksize (32-bit), pad, blocks, then the three times as seconds and
// nanoseconds.
func encodeStat(st *mount.Stat) []byte {
	b := make([]byte, StatSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], st.Dev)
	le.PutUint64(b[8:], st.Ino)
	le.PutUint32(b[16:], uint32(st.Mode))
	le.PutUint32(b[20:], st.Nlink)
	le.PutUint32(b[24:], st.UID)
	le.PutUint32(b[28:], st.GID)
	le.PutUint64(b[32:], st.Rdev)
	le.PutUint64(b[48:], uint64(st.Size))
	le.PutUint32(b[56:], uint32(st.Blksize))
	le.PutUint64(b[64:], uint64(st.Blocks))
	putTimes(b[72:], st)
	return b
}
