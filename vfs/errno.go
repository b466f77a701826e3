package vfs

import (
	"errors"
	"io/fs"
	"strconv"
)

// Errno is a Linux error number. Its values are Linux's (x86-64 and the
// generic table agree for every number defined here), so an Errno can be
// returned as -errno from a system-call layer unchanged.
//
// Errno implements error; Error returns the C library's message and Name the
// symbolic name ("ENOENT"). errors.Is matches an Errno against the io/fs
// sentinels the way syscall.Errno does.
type Errno uintptr

// Linux error numbers.
const (
	EPERM        Errno = 1
	ENOENT       Errno = 2
	ESRCH        Errno = 3
	EINTR        Errno = 4
	EIO          Errno = 5
	ENXIO        Errno = 6
	E2BIG        Errno = 7
	ENOEXEC      Errno = 8
	EBADF        Errno = 9
	ECHILD       Errno = 10
	EAGAIN       Errno = 11
	ENOMEM       Errno = 12
	EACCES       Errno = 13
	EFAULT       Errno = 14
	ENOTBLK      Errno = 15
	EBUSY        Errno = 16
	EEXIST       Errno = 17
	EXDEV        Errno = 18
	ENODEV       Errno = 19
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	ENFILE       Errno = 23
	EMFILE       Errno = 24
	ENOTTY       Errno = 25
	ETXTBSY      Errno = 26
	EFBIG        Errno = 27
	ENOSPC       Errno = 28
	ESPIPE       Errno = 29
	EROFS        Errno = 30
	EMLINK       Errno = 31
	EPIPE        Errno = 32
	EDOM         Errno = 33
	ERANGE       Errno = 34
	EDEADLK      Errno = 35
	ENAMETOOLONG Errno = 36
	ENOLCK       Errno = 37
	ENOSYS       Errno = 38
	ENOTEMPTY    Errno = 39
	ELOOP        Errno = 40
	ENOMSG       Errno = 42
	ENODATA      Errno = 61
	EBADMSG      Errno = 74
	EOVERFLOW    Errno = 75
	EBADFD       Errno = 77
	EUCLEAN      Errno = 117
	EOPNOTSUPP   Errno = 95
	ENOTSUP      Errno = EOPNOTSUPP
	EDQUOT       Errno = 122
	ESTALE       Errno = 116
	ECANCELED    Errno = 125
)

type errnoInfo struct{ name, msg string }

var errnoTable = map[Errno]errnoInfo{
	EPERM:        {"EPERM", "operation not permitted"},
	ENOENT:       {"ENOENT", "no such file or directory"},
	ESRCH:        {"ESRCH", "no such process"},
	EINTR:        {"EINTR", "interrupted system call"},
	EIO:          {"EIO", "input/output error"},
	ENXIO:        {"ENXIO", "no such device or address"},
	E2BIG:        {"E2BIG", "argument list too long"},
	ENOEXEC:      {"ENOEXEC", "exec format error"},
	EBADF:        {"EBADF", "bad file descriptor"},
	ECHILD:       {"ECHILD", "no child processes"},
	EAGAIN:       {"EAGAIN", "resource temporarily unavailable"},
	ENOMEM:       {"ENOMEM", "cannot allocate memory"},
	EACCES:       {"EACCES", "permission denied"},
	EFAULT:       {"EFAULT", "bad address"},
	ENOTBLK:      {"ENOTBLK", "block device required"},
	EBUSY:        {"EBUSY", "device or resource busy"},
	EEXIST:       {"EEXIST", "file exists"},
	EXDEV:        {"EXDEV", "invalid cross-device link"},
	ENODEV:       {"ENODEV", "no such device"},
	ENOTDIR:      {"ENOTDIR", "not a directory"},
	EISDIR:       {"EISDIR", "is a directory"},
	EINVAL:       {"EINVAL", "invalid argument"},
	ENFILE:       {"ENFILE", "too many open files in system"},
	EMFILE:       {"EMFILE", "too many open files"},
	ENOTTY:       {"ENOTTY", "inappropriate ioctl for device"},
	ETXTBSY:      {"ETXTBSY", "text file busy"},
	EFBIG:        {"EFBIG", "file too large"},
	ENOSPC:       {"ENOSPC", "no space left on device"},
	ESPIPE:       {"ESPIPE", "illegal seek"},
	EROFS:        {"EROFS", "read-only file system"},
	EMLINK:       {"EMLINK", "too many links"},
	EPIPE:        {"EPIPE", "broken pipe"},
	EDOM:         {"EDOM", "numerical argument out of domain"},
	ERANGE:       {"ERANGE", "numerical result out of range"},
	EDEADLK:      {"EDEADLK", "resource deadlock avoided"},
	ENAMETOOLONG: {"ENAMETOOLONG", "file name too long"},
	ENOLCK:       {"ENOLCK", "no locks available"},
	ENOSYS:       {"ENOSYS", "function not implemented"},
	ENOTEMPTY:    {"ENOTEMPTY", "directory not empty"},
	ELOOP:        {"ELOOP", "too many levels of symbolic links"},
	ENOMSG:       {"ENOMSG", "no message of desired type"},
	ENODATA:      {"ENODATA", "no data available"},
	EBADMSG:      {"EBADMSG", "bad message"},
	EOVERFLOW:    {"EOVERFLOW", "value too large for defined data type"},
	EBADFD:       {"EBADFD", "file descriptor in bad state"},
	EUCLEAN:      {"EUCLEAN", "structure needs cleaning"},
	EOPNOTSUPP:   {"EOPNOTSUPP", "operation not supported"},
	EDQUOT:       {"EDQUOT", "disk quota exceeded"},
	ESTALE:       {"ESTALE", "stale file handle"},
	ECANCELED:    {"ECANCELED", "operation canceled"},
}

var errnoByName = func() map[string]Errno {
	m := make(map[string]Errno, len(errnoTable))
	for e, info := range errnoTable {
		m[info.name] = e
	}
	return m
}()

// Error returns the message the C library prints for e.
func (e Errno) Error() string {
	if info, ok := errnoTable[e]; ok {
		return info.msg
	}
	return "errno " + strconv.FormatUint(uint64(e), 10)
}

// Name returns the symbolic name of e, such as "ENOENT". An unknown number
// is rendered as "errno N".
func (e Errno) Name() string {
	if info, ok := errnoTable[e]; ok {
		return info.name
	}
	return "errno " + strconv.FormatUint(uint64(e), 10)
}

// ErrnoByName returns the Errno whose Name is name.
func ErrnoByName(name string) (Errno, bool) {
	e, ok := errnoByName[name]
	return e, ok
}

// Is reports whether e matches target, as syscall.Errno does: EACCES and
// EPERM are fs.ErrPermission, EEXIST and ENOTEMPTY are fs.ErrExist, ENOENT
// is fs.ErrNotExist, EINVAL is fs.ErrInvalid and EOPNOTSUPP and ENOSYS are
// errors.ErrUnsupported.
func (e Errno) Is(target error) bool {
	switch target {
	case fs.ErrPermission:
		return e == EACCES || e == EPERM
	case fs.ErrExist:
		return e == EEXIST || e == ENOTEMPTY
	case fs.ErrNotExist:
		return e == ENOENT
	case fs.ErrInvalid:
		return e == EINVAL
	case errors.ErrUnsupported:
		return e == EOPNOTSUPP || e == ENOSYS
	}
	return false
}

// ToErrno returns the Errno carried by err: err itself, or the first Errno
// found by errors.As. Any other non-nil error becomes EIO.
func ToErrno(err error) Errno {
	if err == nil {
		return 0
	}
	var e Errno
	if errors.As(err, &e) {
		return e
	}
	return EIO
}
