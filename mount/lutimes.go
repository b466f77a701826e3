package mount

import "github.com/mountkit/mountkit/vfs"

// Lutimes is Utimes without following a final symlink (utimensat(2) with
// AT_SYMLINK_NOFOLLOW), so that it sets a link's own times.
func (c *FsContext) Lutimes(path string, atime, mtime vfs.Timespec) error {
	l, err := c.Resolve(path, false)
	if err != nil {
		return err
	}
	if _, _, err := c.ownerChange(l); err != nil {
		return err
	}
	return setattr(l, &vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: atime, Mtime: mtime})
}
