//go:build !linux

package pathfs

import (
	"io/fs"

	"github.com/mountkit/mountkit/vfs"
)

// fromSys keeps what the FileInfo gave: off Linux the stat results in
// FileInfo.Sys differ from system to system, so every file is root's.
func fromSys(a *vfs.Attr, fi fs.FileInfo) bool { return false }

func hasOwners(fi fs.FileInfo) bool { return false }
