package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// allErrnos lists every Errno constant the package defines, by name.
var allErrnos = map[string]Errno{
	"EPERM": EPERM, "ENOENT": ENOENT, "ESRCH": ESRCH, "EINTR": EINTR,
	"EIO": EIO, "ENXIO": ENXIO, "E2BIG": E2BIG, "ENOEXEC": ENOEXEC,
	"EBADF": EBADF, "ECHILD": ECHILD, "EAGAIN": EAGAIN, "ENOMEM": ENOMEM,
	"EACCES": EACCES, "EFAULT": EFAULT, "ENOTBLK": ENOTBLK, "EBUSY": EBUSY,
	"EEXIST": EEXIST, "EXDEV": EXDEV, "ENODEV": ENODEV, "ENOTDIR": ENOTDIR,
	"EISDIR": EISDIR, "EINVAL": EINVAL, "ENFILE": ENFILE, "EMFILE": EMFILE,
	"ENOTTY": ENOTTY, "ETXTBSY": ETXTBSY, "EFBIG": EFBIG, "ENOSPC": ENOSPC,
	"ESPIPE": ESPIPE, "EROFS": EROFS, "EMLINK": EMLINK, "EPIPE": EPIPE,
	"EDOM": EDOM, "ERANGE": ERANGE, "EDEADLK": EDEADLK,
	"ENAMETOOLONG": ENAMETOOLONG, "ENOLCK": ENOLCK, "ENOSYS": ENOSYS,
	"ENOTEMPTY": ENOTEMPTY, "ELOOP": ELOOP, "ENOMSG": ENOMSG,
	"ENODATA": ENODATA, "EBADMSG": EBADMSG, "EOVERFLOW": EOVERFLOW, "EBADFD": EBADFD,
	"EUCLEAN": EUCLEAN, "EOPNOTSUPP": EOPNOTSUPP, "EDQUOT": EDQUOT,
	"ESTALE": ESTALE, "ECANCELED": ECANCELED,
}

func TestErrnoTableComplete(t *testing.T) {
	// Every constant has a table entry under its own name, and the table
	// holds nothing else (ENOTSUP is an alias of EOPNOTSUPP).
	require.Len(t, errnoTable, len(allErrnos))
	for name, e := range allErrnos {
		info, ok := errnoTable[e]
		require.True(t, ok, name)
		require.Equal(t, name, info.name)
		require.NotEmpty(t, info.msg, name)
	}
	require.Equal(t, EOPNOTSUPP, ENOTSUP)
	require.Equal(t, "EOPNOTSUPP", ENOTSUP.Name())
}

func TestErrnoNameAndError(t *testing.T) {
	cases := []struct {
		e          Errno
		name, text string
	}{
		{EPERM, "EPERM", "operation not permitted"},
		{ENOENT, "ENOENT", "no such file or directory"},
		{EEXIST, "EEXIST", "file exists"},
		{ENOTDIR, "ENOTDIR", "not a directory"},
		{EISDIR, "EISDIR", "is a directory"},
		{EINVAL, "EINVAL", "invalid argument"},
		{EXDEV, "EXDEV", "invalid cross-device link"},
		{ENOTEMPTY, "ENOTEMPTY", "directory not empty"},
		{EBUSY, "EBUSY", "device or resource busy"},
		{ELOOP, "ELOOP", "too many levels of symbolic links"},
		{ENAMETOOLONG, "ENAMETOOLONG", "file name too long"},
		{ENOTSUP, "EOPNOTSUPP", "operation not supported"},
		{0, "errno 0", "errno 0"},
		{41, "errno 41", "errno 41"}, // unused in Linux
		{200, "errno 200", "errno 200"},
		{^Errno(0), fmt.Sprintf("errno %d", uint64(^Errno(0))), fmt.Sprintf("errno %d", uint64(^Errno(0)))},
	}
	for _, c := range cases {
		require.Equal(t, c.name, c.e.Name())
		require.Equal(t, c.text, c.e.Error())
		var err error = c.e
		require.Equal(t, c.text, err.Error())
	}
}

func TestErrnoByNameRoundTrip(t *testing.T) {
	for e, info := range errnoTable {
		got, ok := ErrnoByName(info.name)
		require.True(t, ok, info.name)
		require.Equal(t, e, got)
		require.Equal(t, info.name, got.Name())
		got, ok = ErrnoByName(e.Name())
		require.True(t, ok)
		require.Equal(t, e, got)
	}
	for _, bad := range []string{"", "enoent", "ENOTSUP", "errno 2", "E", "ENOENT "} {
		_, ok := ErrnoByName(bad)
		require.False(t, ok, bad)
	}
}

func TestErrnoIs(t *testing.T) {
	targets := []struct {
		target error
		match  []Errno
	}{
		{fs.ErrNotExist, []Errno{ENOENT}},
		{fs.ErrExist, []Errno{EEXIST, ENOTEMPTY}},
		{fs.ErrPermission, []Errno{EPERM, EACCES}},
		{fs.ErrInvalid, []Errno{EINVAL}},
		{errors.ErrUnsupported, []Errno{EOPNOTSUPP, ENOSYS}},
		{fs.ErrClosed, nil},
		{os.ErrDeadlineExceeded, nil},
		{errors.New("no such file or directory"), nil},
	}
	for _, tc := range targets {
		want := map[Errno]bool{}
		for _, e := range tc.match {
			want[e] = true
		}
		for _, e := range allErrnos {
			require.Equal(t, want[e], errors.Is(e, tc.target), "%s vs %v", e.Name(), tc.target)
			// Through wrapping as well.
			w := fmt.Errorf("op /x: %w", e)
			require.Equal(t, want[e], errors.Is(w, tc.target), "wrapped %s vs %v", e.Name(), tc.target)
			pe := &fs.PathError{Op: "open", Path: "/x", Err: e}
			require.Equal(t, want[e], errors.Is(pe, tc.target), "PathError %s vs %v", e.Name(), tc.target)
		}
		// Unknown numbers match nothing.
		require.False(t, errors.Is(Errno(0), tc.target))
		require.False(t, errors.Is(Errno(999), tc.target))
	}
	// An Errno is itself, and only itself, under errors.Is.
	require.True(t, errors.Is(fmt.Errorf("x: %w", ENOENT), ENOENT))
	require.False(t, errors.Is(ENOENT, EEXIST))
	require.False(t, errors.Is(ENOTEMPTY, EEXIST))
}

func TestToErrno(t *testing.T) {
	require.Equal(t, Errno(0), ToErrno(nil))
	require.Equal(t, ENOENT, ToErrno(ENOENT))
	require.Equal(t, Errno(999), ToErrno(Errno(999)))
	require.Equal(t, EXDEV, ToErrno(fmt.Errorf("rename: %w", EXDEV)))
	require.Equal(t, EXDEV, ToErrno(fmt.Errorf("a: %w", fmt.Errorf("b: %w", EXDEV))))
	require.Equal(t, EACCES, ToErrno(&fs.PathError{Op: "open", Path: "/", Err: EACCES}))
	// The first Errno in the chain wins, including through errors.Join.
	require.Equal(t, EBUSY, ToErrno(errors.Join(errors.New("plain"), EBUSY, EROFS)))
	require.Equal(t, EROFS, ToErrno(fmt.Errorf("%w and %w", EROFS, EBUSY)))
	// Errors without an Errno become EIO, even io/fs sentinels.
	require.Equal(t, EIO, ToErrno(errors.New("boom")))
	require.Equal(t, EIO, ToErrno(fs.ErrNotExist))
	require.Equal(t, EIO, ToErrno(fmt.Errorf("x: %w", fs.ErrPermission)))
}
