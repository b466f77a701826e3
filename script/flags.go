package script

import (
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// The flag tables of the script language, with the values of the mount
// and vfs packages (Linux's).

var msFlags = map[string]uint64{
	"MS_RDONLY":      mount.MS_RDONLY,
	"MS_NOSUID":      mount.MS_NOSUID,
	"MS_NODEV":       mount.MS_NODEV,
	"MS_NOEXEC":      mount.MS_NOEXEC,
	"MS_SYNCHRONOUS": mount.MS_SYNCHRONOUS,
	"MS_REMOUNT":     mount.MS_REMOUNT,
	"MS_MANDLOCK":    mount.MS_MANDLOCK,
	"MS_DIRSYNC":     mount.MS_DIRSYNC,
	"MS_NOSYMFOLLOW": mount.MS_NOSYMFOLLOW,
	"MS_NOATIME":     mount.MS_NOATIME,
	"MS_NODIRATIME":  mount.MS_NODIRATIME,
	"MS_BIND":        mount.MS_BIND,
	"MS_MOVE":        mount.MS_MOVE,
	"MS_REC":         mount.MS_REC,
	"MS_SILENT":      mount.MS_SILENT,
	"MS_UNBINDABLE":  mount.MS_UNBINDABLE,
	"MS_PRIVATE":     mount.MS_PRIVATE,
	"MS_SLAVE":       mount.MS_SLAVE,
	"MS_SHARED":      mount.MS_SHARED,
	"MS_RELATIME":    mount.MS_RELATIME,
	"MS_STRICTATIME": mount.MS_STRICTATIME,
	"MS_LAZYTIME":    mount.MS_LAZYTIME,
}

var umountFlags = map[string]uint64{
	"MNT_FORCE":       mount.MNT_FORCE,
	"MNT_DETACH":      mount.MNT_DETACH,
	"MNT_EXPIRE":      mount.MNT_EXPIRE,
	"UMOUNT_NOFOLLOW": mount.UMOUNT_NOFOLLOW,
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
