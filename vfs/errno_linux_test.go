//go:build linux

package vfs

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// linuxErrnos pairs every Errno constant with syscall's number of the same
// name.
var linuxErrnos = map[string][2]Errno{
	"EPERM":        {EPERM, Errno(syscall.EPERM)},
	"ENOENT":       {ENOENT, Errno(syscall.ENOENT)},
	"ESRCH":        {ESRCH, Errno(syscall.ESRCH)},
	"EINTR":        {EINTR, Errno(syscall.EINTR)},
	"EIO":          {EIO, Errno(syscall.EIO)},
	"ENXIO":        {ENXIO, Errno(syscall.ENXIO)},
	"E2BIG":        {E2BIG, Errno(syscall.E2BIG)},
	"ENOEXEC":      {ENOEXEC, Errno(syscall.ENOEXEC)},
	"EBADF":        {EBADF, Errno(syscall.EBADF)},
	"ECHILD":       {ECHILD, Errno(syscall.ECHILD)},
	"EAGAIN":       {EAGAIN, Errno(syscall.EAGAIN)},
	"ENOMEM":       {ENOMEM, Errno(syscall.ENOMEM)},
	"EACCES":       {EACCES, Errno(syscall.EACCES)},
	"EFAULT":       {EFAULT, Errno(syscall.EFAULT)},
	"ENOTBLK":      {ENOTBLK, Errno(syscall.ENOTBLK)},
	"EBUSY":        {EBUSY, Errno(syscall.EBUSY)},
	"EEXIST":       {EEXIST, Errno(syscall.EEXIST)},
	"EXDEV":        {EXDEV, Errno(syscall.EXDEV)},
	"ENODEV":       {ENODEV, Errno(syscall.ENODEV)},
	"ENOTDIR":      {ENOTDIR, Errno(syscall.ENOTDIR)},
	"EISDIR":       {EISDIR, Errno(syscall.EISDIR)},
	"EINVAL":       {EINVAL, Errno(syscall.EINVAL)},
	"ENFILE":       {ENFILE, Errno(syscall.ENFILE)},
	"EMFILE":       {EMFILE, Errno(syscall.EMFILE)},
	"ENOTTY":       {ENOTTY, Errno(syscall.ENOTTY)},
	"ETXTBSY":      {ETXTBSY, Errno(syscall.ETXTBSY)},
	"EFBIG":        {EFBIG, Errno(syscall.EFBIG)},
	"ENOSPC":       {ENOSPC, Errno(syscall.ENOSPC)},
	"ESPIPE":       {ESPIPE, Errno(syscall.ESPIPE)},
	"EROFS":        {EROFS, Errno(syscall.EROFS)},
	"EMLINK":       {EMLINK, Errno(syscall.EMLINK)},
	"EPIPE":        {EPIPE, Errno(syscall.EPIPE)},
	"EDOM":         {EDOM, Errno(syscall.EDOM)},
	"ERANGE":       {ERANGE, Errno(syscall.ERANGE)},
	"EDEADLK":      {EDEADLK, Errno(syscall.EDEADLK)},
	"ENAMETOOLONG": {ENAMETOOLONG, Errno(syscall.ENAMETOOLONG)},
	"ENOLCK":       {ENOLCK, Errno(syscall.ENOLCK)},
	"ENOSYS":       {ENOSYS, Errno(syscall.ENOSYS)},
	"ENOTEMPTY":    {ENOTEMPTY, Errno(syscall.ENOTEMPTY)},
	"ELOOP":        {ELOOP, Errno(syscall.ELOOP)},
	"ENOMSG":       {ENOMSG, Errno(syscall.ENOMSG)},
	"ENODATA":      {ENODATA, Errno(syscall.ENODATA)},
	"EOVERFLOW":    {EOVERFLOW, Errno(syscall.EOVERFLOW)},
	"EBADMSG":      {EBADMSG, Errno(syscall.EBADMSG)},
	"EBADFD":       {EBADFD, Errno(syscall.EBADFD)},
	"EUCLEAN":      {EUCLEAN, Errno(syscall.EUCLEAN)},
	"EOPNOTSUPP":   {EOPNOTSUPP, Errno(syscall.EOPNOTSUPP)},
	"ENOTSUP":      {ENOTSUP, Errno(syscall.ENOTSUP)},
	"EDQUOT":       {EDQUOT, Errno(syscall.EDQUOT)},
	"ESTALE":       {ESTALE, Errno(syscall.ESTALE)},
	"ECANCELED":    {ECANCELED, Errno(syscall.ECANCELED)},
}

func TestErrnoMatchesSyscall(t *testing.T) {
	// Every constant is covered (ENOTSUP is the one alias).
	require.Len(t, linuxErrnos, len(allErrnos)+1)
	for name, p := range linuxErrnos {
		require.Equal(t, p[1], p[0], name)
		if name != "ENOTSUP" {
			require.Equal(t, allErrnos[name], p[0], name)
		}
	}
}

func TestErrnoMessagesMatchSyscall(t *testing.T) {
	for name, e := range allErrnos {
		require.Equal(t, syscall.Errno(e).Error(), e.Error(), name)
	}
}

func TestErrnoIsMatchesSyscall(t *testing.T) {
	// Same answers as syscall.Errno for the sentinels syscall knows
	// (syscall.Errno does not match fs.ErrInvalid; vfs adds EINVAL).
	for _, target := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, errors.ErrUnsupported, fs.ErrClosed} {
		for name, e := range allErrnos {
			require.Equal(t, errors.Is(syscall.Errno(e), target), errors.Is(e, target), "%s vs %v", name, target)
		}
	}
}

func TestMkdevMatchesStat(t *testing.T) {
	// /dev/null is character device 1:3 on every Linux system.
	var st syscall.Stat_t
	if err := syscall.Stat("/dev/null", &st); err != nil {
		t.Skip("no /dev/null:", err)
	}
	if Mode(st.Mode).Type() != ModeCharDevice {
		t.Skip("/dev/null is not a character device here")
	}
	require.Equal(t, uint64(st.Rdev), Mkdev(1, 3))
	require.Equal(t, uint32(1), Major(uint64(st.Rdev)))
	require.Equal(t, uint32(3), Minor(uint64(st.Rdev)))
}
