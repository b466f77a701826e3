package memfs

import (
	"slices"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// Limits of extended attributes, as Linux's XATTR_NAME_MAX and
// XATTR_SIZE_MAX.
const (
	xattrNameMax = 255
	xattrSizeMax = 65536
)

type xattr struct {
	name  string
	value []byte
}

// xattrSet holds an inode's extended attributes sorted by name.
type xattrSet struct {
	list []xattr
}

func (s *xattrSet) find(name string) (int, bool) {
	return slices.BinarySearchFunc(s.list, name, func(x xattr, name string) int {
		return strings.Compare(x.name, name)
	})
}

// xattrSpace is what an attribute costs in the inode budget, as Linux's
// simple_xattr_space.
func xattrSpace(name string, size int) uint64 {
	return 40 + uint64(size) + uint64(len(name))
}

// checkXattrName applies the checks Linux makes before an attribute
// reaches tmpfs, in its order: ERANGE for an empty name or one longer
// than 255 bytes; for user.* on anything but a regular file or a
// directory, EPERM when writing and ENODATA when reading; EOPNOTSUPP for
// a namespace tmpfs has no handler for (only security., trusted. and
// user. are kept; system.* ACLs are not supported); EINVAL for a bare
// prefix. mu is held.
func (n *node) checkXattrName(name string, write bool) error {
	if name == "" || len(name) > xattrNameMax {
		return vfs.ERANGE
	}
	if strings.HasPrefix(name, "user.") && !n.mode.Load().IsRegular() && !n.mode.Load().IsDir() {
		if write {
			return vfs.EPERM
		}
		return vfs.ENODATA
	}
	for _, prefix := range [...]string{"security.", "trusted.", "user."} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if rest == "" {
				return vfs.EINVAL
			}
			return nil
		}
	}
	return vfs.EOPNOTSUPP
}

// Getxattr returns the value of name, or ENODATA. Permission checks (such
// as trusted.* needing CAP_SYS_ADMIN) are the caller's.
func (n *node) Getxattr(name string) ([]byte, error) {
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	if err := n.checkXattrName(name, false); err != nil {
		return nil, err
	}
	if xs := n.xattrs(); xs != nil {
		if i, ok := xs.find(name); ok {
			return slices.Clone(xs.list[i].value), nil
		}
	}
	return nil, vfs.ENODATA
}

// Setxattr sets name to value: EINVAL for unknown flags, E2BIG for a
// value over 64 KiB, EEXIST with XATTR_CREATE when name exists, ENODATA
// with XATTR_REPLACE when it does not, ENOSPC when the inode budget
// (nr_inodes) has no room for it. It updates ctime.
func (n *node) Setxattr(name string, value []byte, flags int) error {
	if flags&^(vfs.XATTR_CREATE|vfs.XATTR_REPLACE) != 0 {
		return vfs.EINVAL
	}
	n.fs.lock()
	defer n.fs.unlock()
	if name == "" || len(name) > xattrNameMax {
		return vfs.ERANGE
	}
	if len(value) > xattrSizeMax {
		return vfs.E2BIG
	}
	if err := n.checkXattrName(name, true); err != nil {
		return err
	}
	space := xattrSpace(name, len(value))
	if err := n.chargeIspace(space); err != nil {
		return err
	}
	x := n.extra()
	if x.xattrs == nil {
		x.xattrs = &xattrSet{}
	}
	s := x.xattrs
	i, ok := s.find(name)
	switch {
	case ok && flags&vfs.XATTR_CREATE != 0:
		n.refundIspace(space)
		return vfs.EEXIST
	case !ok && flags&vfs.XATTR_REPLACE != 0:
		n.refundIspace(space)
		return vfs.ENODATA
	case ok:
		n.refundIspace(xattrSpace(name, len(s.list[i].value)))
		s.list[i].value = slices.Clone(value)
	default:
		s.list = slices.Insert(s.list, i, xattr{name: name, value: slices.Clone(value)})
	}
	n.storeTime(iCtime, vfs.Now())
	return nil
}

// Listxattr returns the attribute names in byte order. (Linux lists them
// in the order of its hash table, which is not specified.)
func (n *node) Listxattr() ([]string, error) {
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	xs := n.xattrs()
	if xs == nil {
		return nil, nil
	}
	names := make([]string, len(xs.list))
	for i, x := range xs.list {
		names[i] = x.name
	}
	return names, nil
}

// Removexattr removes name, or fails with ENODATA. It updates ctime.
func (n *node) Removexattr(name string) error {
	n.fs.lock()
	defer n.fs.unlock()
	if err := n.checkXattrName(name, true); err != nil {
		return err
	}
	s := n.xattrs()
	if s == nil {
		return vfs.ENODATA
	}
	i, ok := s.find(name)
	if !ok {
		return vfs.ENODATA
	}
	n.refundIspace(xattrSpace(name, len(s.list[i].value)))
	s.list = slices.Delete(s.list, i, i+1)
	if len(s.list) == 0 {
		n.x.xattrs = nil
	}
	n.storeTime(iCtime, vfs.Now())
	return nil
}
