package linuxabi

import (
	"encoding/binary"

	"github.com/mountkit/mountkit/mount"
)

// StatSize is the size of x86-64's struct stat.
const StatSize = 144

// encodeStat lays st out as x86-64's struct stat (arch/x86/include/uapi/
// asm/stat.h): dev, ino, nlink (64-bit), mode, uid, gid, pad, rdev, size,
// blksize, blocks, then the three times as seconds and nanoseconds.
func encodeStat(st *mount.Stat) []byte {
	b := make([]byte, StatSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], st.Dev)
	le.PutUint64(b[8:], st.Ino)
	le.PutUint64(b[16:], uint64(st.Nlink))
	le.PutUint32(b[24:], uint32(st.Mode))
	le.PutUint32(b[28:], st.UID)
	le.PutUint32(b[32:], st.GID)
	le.PutUint64(b[40:], st.Rdev)
	le.PutUint64(b[48:], uint64(st.Size))
	le.PutUint64(b[56:], uint64(st.Blksize))
	le.PutUint64(b[64:], uint64(st.Blocks))
	putTimes(b[72:], st)
	return b
}
