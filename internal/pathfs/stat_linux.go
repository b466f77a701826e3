package pathfs

import (
	"io/fs"
	"syscall"

	"github.com/mountkit/mountkit/vfs"
)

// fromSys takes what a Linux stat(2) result in fi.Sys knows better than
// a FileInfo: owner, links, device number, blocks and the three times.
// It reports whether fi carried one.
func fromSys(a *vfs.Attr, fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	a.UID, a.GID = st.Uid, st.Gid
	a.Nlink = uint32(st.Nlink)
	a.Rdev = uint64(st.Rdev)
	a.Blocks = st.Blocks
	a.Atime = vfs.Timespec{Sec: int64(st.Atim.Sec), Nsec: int64(st.Atim.Nsec)}
	a.Mtime = vfs.Timespec{Sec: int64(st.Mtim.Sec), Nsec: int64(st.Mtim.Nsec)}
	a.Ctime = vfs.Timespec{Sec: int64(st.Ctim.Sec), Nsec: int64(st.Ctim.Nsec)}
	return true
}

// hasOwners reports whether fi comes from a tree that keeps owners.
func hasOwners(fi fs.FileInfo) bool {
	_, ok := fi.Sys().(*syscall.Stat_t)
	return ok
}
