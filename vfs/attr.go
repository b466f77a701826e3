package vfs

import (
	"io/fs"
	"time"
)

// Mode is a Linux st_mode: the file type in the S_IFMT bits and the
// permission bits below them. It is not an io/fs.FileMode; see FileMode.
type Mode uint32

// File types and permission bits, with Linux's values.
const (
	ModeType        Mode = 0o170000 // S_IFMT
	ModeSocket      Mode = 0o140000
	ModeSymlink     Mode = 0o120000
	ModeRegular     Mode = 0o100000
	ModeBlockDevice Mode = 0o060000
	ModeDir         Mode = 0o040000
	ModeCharDevice  Mode = 0o020000
	ModeFIFO        Mode = 0o010000
	ModeSetuid      Mode = 0o4000
	ModeSetgid      Mode = 0o2000
	ModeSticky      Mode = 0o1000
	ModePerm        Mode = 0o777
)

// Type returns the S_IFMT bits of m.
func (m Mode) Type() Mode { return m & ModeType }

// Perm returns the permission bits of m, including setuid, setgid and sticky.
func (m Mode) Perm() Mode { return m &^ ModeType }

// IsDir reports whether m describes a directory.
func (m Mode) IsDir() bool { return m&ModeType == ModeDir }

// IsRegular reports whether m describes a regular file.
func (m Mode) IsRegular() bool { return m&ModeType == ModeRegular }

// IsSymlink reports whether m describes a symbolic link.
func (m Mode) IsSymlink() bool { return m&ModeType == ModeSymlink }

// FileMode converts m to an io/fs.FileMode.
func (m Mode) FileMode() fs.FileMode {
	fm := fs.FileMode(m & ModePerm)
	switch m.Type() {
	case ModeDir:
		fm |= fs.ModeDir
	case ModeSymlink:
		fm |= fs.ModeSymlink
	case ModeFIFO:
		fm |= fs.ModeNamedPipe
	case ModeSocket:
		fm |= fs.ModeSocket
	case ModeCharDevice:
		fm |= fs.ModeDevice | fs.ModeCharDevice
	case ModeBlockDevice:
		fm |= fs.ModeDevice
	}
	if m&ModeSetuid != 0 {
		fm |= fs.ModeSetuid
	}
	if m&ModeSetgid != 0 {
		fm |= fs.ModeSetgid
	}
	if m&ModeSticky != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}

// Timespec is a Linux struct timespec.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// TimespecOf converts t to a Timespec.
func TimespecOf(t time.Time) Timespec {
	return Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// Time converts ts to a time.Time.
func (ts Timespec) Time() time.Time { return time.Unix(ts.Sec, ts.Nsec) }

// Now is the clock backends stamp times with. Tests may replace it.
var Now = func() Timespec { return TimespecOf(time.Now()) }

// Mkdev returns the Linux dev_t encoding of major and minor, as glibc's
// makedev does.
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 |
		uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}

// Major returns the major number of the dev_t dev.
func Major(dev uint64) uint32 {
	return uint32((dev>>8)&0xfff) | uint32((dev>>32)&^0xfff)
}

// Minor returns the minor number of the dev_t dev.
func Minor(dev uint64) uint32 {
	return uint32(dev&0xff) | uint32((dev>>12)&^0xff)
}

// Attr is what stat(2) reports about an inode, less st_dev, which belongs
// to the superblock.
type Attr struct {
	Ino     uint64
	Mode    Mode
	Nlink   uint32
	UID     uint32
	GID     uint32
	Rdev    uint64 // device number of a character or block device
	Size    int64
	Blocks  int64 // 512-byte units
	Blksize int32
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
}

// SetAttrMask says which fields of a SetAttr apply.
type SetAttrMask uint32

// Fields of SetAttr.
const (
	SetMode SetAttrMask = 1 << iota
	SetUID
	SetGID
	SetSize
	SetAtime
	SetMtime
	SetCtime
)

// SetAttr is a change of attributes (Linux's struct iattr). Permission and
// ownership checks are the caller's; a backend applies what it is given,
// updates ctime and, for SetSize, mtime, as Linux's notify_change does.
type SetAttr struct {
	Mask  SetAttrMask
	Mode  Mode // permission bits only; the type never changes
	UID   uint32
	GID   uint32
	Size  int64
	Atime Timespec
	Mtime Timespec
	Ctime Timespec
}

// CreateOpts describes a new inode. The caller has already applied the
// umask and the setgid-directory rules, so a backend stores these values
// as they are (a filesystem with its own ownership rules, such as cgroupfs,
// may ignore them).
type CreateOpts struct {
	Mode Mode   // type and permission bits
	UID  uint32 // owner
	GID  uint32 // group
	Rdev uint64 // device number, for character and block devices
}

// DirEntry is one entry of a directory as getdents64(2) returns it.
type DirEntry struct {
	Name string
	Ino  uint64
	Type Mode   // S_IFMT bits only; 0 when unknown (DT_UNKNOWN)
	Next uint64 // the cookie at which reading resumes after this entry
}

// Statfs is what statfs(2) reports.
type Statfs struct {
	Type    int64 // filesystem magic number, e.g. 0x01021994 for tmpfs
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Namelen int64
	Frsize  int64
	Flags   int64
}

// Open flags, with Linux's (x86-64 and generic) values.
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0o100
	O_EXCL      = 0o200
	O_NOCTTY    = 0o400
	O_TRUNC     = 0o1000
	O_APPEND    = 0o2000
	O_NONBLOCK  = 0o4000
	O_DSYNC     = 0o10000
	O_DIRECT    = 0o40000
	O_LARGEFILE = 0o100000
	O_DIRECTORY = 0o200000
	O_NOFOLLOW  = 0o400000
	O_NOATIME   = 0o1000000
	O_CLOEXEC   = 0o2000000
	O_SYNC      = 0o4010000
	O_PATH      = 0o10000000
	O_TMPFILE   = 0o20200000
)

// Rename flags of renameat2(2).
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
	RENAME_WHITEOUT  = 1 << 2
)

// Setxattr flags.
const (
	XATTR_CREATE  = 1
	XATTR_REPLACE = 2
)

// Limits Linux enforces on names and paths.
const (
	NameMax    = 255  // NAME_MAX: longest path component
	PathMax    = 4096 // PATH_MAX: longest path including its NUL
	SymlinkMax = 40   // MAXSYMLINKS: symlinks followed in one lookup
)
