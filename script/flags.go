package script

import "github.com/mountkit/mountkit/vfs"

// The flag tables of the script language. The MS_* and MNT_* values are
// Linux's (LINUX.md §0); they are private here until the mount package
// exports its own.

const (
	msRDONLY      = 0x1
	msNOSUID      = 0x2
	msNODEV       = 0x4
	msNOEXEC      = 0x8
	msSYNCHRONOUS = 0x10
	msREMOUNT     = 0x20
	msMANDLOCK    = 0x40
	msDIRSYNC     = 0x80
	msNOSYMFOLLOW = 0x100
	msNOATIME     = 0x400
	msNODIRATIME  = 0x800
	msBIND        = 0x1000
	msMOVE        = 0x2000
	msREC         = 0x4000
	msSILENT      = 0x8000
	msUNBINDABLE  = 1 << 17
	msPRIVATE     = 1 << 18
	msSLAVE       = 1 << 19
	msSHARED      = 1 << 20
	msRELATIME    = 1 << 21
	msSTRICTATIME = 1 << 24
	msLAZYTIME    = 1 << 25
)

var msFlags = map[string]uint64{
	"MS_RDONLY":      msRDONLY,
	"MS_NOSUID":      msNOSUID,
	"MS_NODEV":       msNODEV,
	"MS_NOEXEC":      msNOEXEC,
	"MS_SYNCHRONOUS": msSYNCHRONOUS,
	"MS_REMOUNT":     msREMOUNT,
	"MS_MANDLOCK":    msMANDLOCK,
	"MS_DIRSYNC":     msDIRSYNC,
	"MS_NOSYMFOLLOW": msNOSYMFOLLOW,
	"MS_NOATIME":     msNOATIME,
	"MS_NODIRATIME":  msNODIRATIME,
	"MS_BIND":        msBIND,
	"MS_MOVE":        msMOVE,
	"MS_REC":         msREC,
	"MS_SILENT":      msSILENT,
	"MS_UNBINDABLE":  msUNBINDABLE,
	"MS_PRIVATE":     msPRIVATE,
	"MS_SLAVE":       msSLAVE,
	"MS_SHARED":      msSHARED,
	"MS_RELATIME":    msRELATIME,
	"MS_STRICTATIME": msSTRICTATIME,
	"MS_LAZYTIME":    msLAZYTIME,
}

var umountFlags = map[string]uint64{
	"MNT_FORCE":       1,
	"MNT_DETACH":      2,
	"MNT_EXPIRE":      4,
	"UMOUNT_NOFOLLOW": 8,
}

var openFlags = map[string]uint64{
	"O_RDONLY":    vfs.O_RDONLY,
	"O_WRONLY":    vfs.O_WRONLY,
	"O_RDWR":      vfs.O_RDWR,
	"O_CREAT":     vfs.O_CREAT,
	"O_EXCL":      vfs.O_EXCL,
	"O_TRUNC":     vfs.O_TRUNC,
	"O_APPEND":    vfs.O_APPEND,
	"O_DIRECTORY": vfs.O_DIRECTORY,
	"O_NOFOLLOW":  vfs.O_NOFOLLOW,
	"O_PATH":      vfs.O_PATH,
}

// capNames lists the capabilities of linux/capability.h by number.
var capNames = [...]string{
	vfs.CAP_CHOWN:           "CAP_CHOWN",
	vfs.CAP_DAC_OVERRIDE:    "CAP_DAC_OVERRIDE",
	vfs.CAP_DAC_READ_SEARCH: "CAP_DAC_READ_SEARCH",
	vfs.CAP_FOWNER:          "CAP_FOWNER",
	vfs.CAP_FSETID:          "CAP_FSETID",
	5:                       "CAP_KILL",
	vfs.CAP_SETGID:          "CAP_SETGID",
	vfs.CAP_SETUID:          "CAP_SETUID",
	8:                       "CAP_SETPCAP",
	vfs.CAP_LINUX_IMMUTABLE: "CAP_LINUX_IMMUTABLE",
	10:                      "CAP_NET_BIND_SERVICE",
	11:                      "CAP_NET_BROADCAST",
	12:                      "CAP_NET_ADMIN",
	13:                      "CAP_NET_RAW",
	14:                      "CAP_IPC_LOCK",
	15:                      "CAP_IPC_OWNER",
	16:                      "CAP_SYS_MODULE",
	17:                      "CAP_SYS_RAWIO",
	vfs.CAP_SYS_CHROOT:      "CAP_SYS_CHROOT",
	19:                      "CAP_SYS_PTRACE",
	20:                      "CAP_SYS_PACCT",
	vfs.CAP_SYS_ADMIN:       "CAP_SYS_ADMIN",
	22:                      "CAP_SYS_BOOT",
	23:                      "CAP_SYS_NICE",
	24:                      "CAP_SYS_RESOURCE",
	25:                      "CAP_SYS_TIME",
	26:                      "CAP_SYS_TTY_CONFIG",
	vfs.CAP_MKNOD:           "CAP_MKNOD",
	28:                      "CAP_LEASE",
	29:                      "CAP_AUDIT_WRITE",
	30:                      "CAP_AUDIT_CONTROL",
	31:                      "CAP_SETFCAP",
	32:                      "CAP_MAC_OVERRIDE",
	33:                      "CAP_MAC_ADMIN",
	34:                      "CAP_SYSLOG",
	35:                      "CAP_WAKE_ALARM",
	36:                      "CAP_BLOCK_SUSPEND",
	37:                      "CAP_AUDIT_READ",
	38:                      "CAP_PERFMON",
	39:                      "CAP_BPF",
	40:                      "CAP_CHECKPOINT_RESTORE",
}

// capFlags maps each capability name to its bit in a vfs.CapSet.
var capFlags = func() map[string]uint64 {
	m := make(map[string]uint64, len(capNames))
	for i, name := range capNames {
		m[name] = 1 << uint(i)
	}
	return m
}()

// File types of mknod, as in st_mode.
const (
	sIFCHR = uint32(vfs.ModeCharDevice)
	sIFBLK = uint32(vfs.ModeBlockDevice)
	sIFIFO = uint32(vfs.ModeFIFO)
)

// mkdev encodes a device number as Linux's makedev does (the st_rdev and
// mknod encoding of glibc and the kernel's new_encode_dev).
func mkdev(major, minor uint32) uint64 {
	ma, mi := uint64(major), uint64(minor)
	return (ma&0xfffff000)<<32 | (ma&0xfff)<<8 | (mi&0xffffff00)<<12 | mi&0xff
}
