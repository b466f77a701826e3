package mount

import (
	"strings"
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// FsContext is what one process brings to a path operation: its root and
// working directory, umask, credentials and mount namespace (Linux's
// fs_struct together with the task's creds and nsproxy). Every path
// operation is a method of FsContext.
//
// An FsContext holds references on the mounts of its root and working
// directory until Close; a mount so held cannot be unmounted without
// MNT_DETACH. FsContext is safe for concurrent use.
type FsContext struct {
	k *Kernel

	mu    sync.Mutex // guards the fields below
	ns    *Namespace
	root  Location
	cwd   Location
	umask uint32
	cred  *vfs.Cred

	closed bool
}

// Kernel returns the kernel c's namespace belongs to.
func (c *FsContext) Kernel() *Kernel { return c.k }

// Namespace returns c's mount namespace.
func (c *FsContext) Namespace() *Namespace {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ns
}

// Root returns c's root directory.
func (c *FsContext) Root() Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.root
}

// Cwd returns c's working directory.
func (c *FsContext) Cwd() Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cwd
}

// Umask sets the umask to mask&0777 and returns the previous one.
func (c *FsContext) Umask(mask uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	c.umask = mask & 0o777
	return old
}

// Cred returns a copy of c's credentials.
func (c *FsContext) Cred() vfs.Cred {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := *c.cred
	cr.Groups = append([]uint32(nil), cr.Groups...)
	return cr
}

// SetCred replaces c's credentials.
func (c *FsContext) SetCred(cred vfs.Cred) {
	cr := cred
	cr.Groups = append([]uint32(nil), cred.Groups...)
	c.mu.Lock()
	c.cred = &cr
	c.mu.Unlock()
}

// Fork returns a new FsContext with c's namespace, root, working
// directory, umask and credentials (a child process, or clone without
// CLONE_FS).
func (c *FsContext) Fork() *FsContext {
	c.k.mu.Lock()
	c.mu.Lock()
	n := &FsContext{k: c.k, ns: c.ns, umask: c.umask, cred: c.cred}
	n.root = c.root.hold()
	n.cwd = c.cwd.hold()
	n.ns.users++
	c.mu.Unlock()
	c.k.mu.Unlock()
	c.k.register(n)
	return n
}

// Close releases c's root and working directory. c must not be used
// afterwards.
func (c *FsContext) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return vfs.EBADF
	}
	c.closed = true
	root, cwd, ns := c.root, c.cwd, c.ns
	c.root, c.cwd = Location{}, Location{}
	c.mu.Unlock()
	c.k.unregister(c)
	root.release()
	cwd.release()
	c.k.mu.Lock()
	c.k.putNamespace(ns)
	c.k.mu.Unlock()
	return nil
}

// setRoot makes l c's root and returns the old root, which the caller
// releases once it no longer holds Kernel.mu (a release may free a
// detached mount, which takes the mount lock).
func (c *FsContext) setRoot(l Location) (old Location) {
	l.hold()
	c.mu.Lock()
	old, c.root = c.root, l
	c.mu.Unlock()
	return old
}

// setCwd makes l c's working directory and returns the old one, as setRoot.
func (c *FsContext) setCwd(l Location) (old Location) {
	l.hold()
	c.mu.Lock()
	old, c.cwd = c.cwd, l
	c.mu.Unlock()
	return old
}

// walker returns a walker over c's current root and cwd. The caller
// holds k.mu for reading while it walks.
func (c *FsContext) walker() walker {
	c.mu.Lock()
	defer c.mu.Unlock()
	return walker{k: c.k, cred: c.cred, root: c.root, cur: c.cwd}
}

// Resolve resolves path, following a final symbolic link when follow is
// set, and returns where it leads.
func (c *FsContext) Resolve(path string, follow bool) (Location, error) {
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	return c.resolveWith(path, follow)
}

// Chdir is chdir(2).
func (c *FsContext) Chdir(path string) error {
	c.k.mu.RLock()
	l, err := c.resolveWith(path, true)
	if err == nil {
		err = c.checkDirSearch(l)
	}
	var old Location
	if err == nil {
		old = c.setCwd(l)
	}
	c.k.mu.RUnlock()
	if old.Mount != nil {
		old.release()
	}
	return err
}

// checkDirSearch demands a directory with search permission, as chdir and
// chroot do.
func (c *FsContext) checkDirSearch(l Location) error {
	if !l.Dentry.IsDir() {
		return vfs.ENOTDIR
	}
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	return vfs.Permission(&a, c.creds(), vfs.MayExec)
}

func (c *FsContext) creds() *vfs.Cred {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cred
}

// Chroot is chroot(2): lookup errors first, then EPERM without
// CAP_SYS_CHROOT. The working directory is left where it is.
func (c *FsContext) Chroot(path string) error {
	c.k.mu.RLock()
	l, err := c.resolveWith(path, true)
	if err == nil {
		err = c.checkDirSearch(l)
	}
	if err == nil && !c.creds().Caps.Has(vfs.CAP_SYS_CHROOT) {
		err = vfs.EPERM
	}
	var old Location
	if err == nil {
		old = c.setRoot(l)
	}
	c.k.mu.RUnlock()
	if old.Mount != nil {
		old.release()
	}
	return err
}

// Getcwd is getcwd(2): the working directory's path from the root, ENOENT
// when the directory was removed or lies outside the root.
func (c *FsContext) Getcwd() (string, error) {
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	c.mu.Lock()
	root, cwd := c.root, c.cwd
	c.mu.Unlock()
	if cwd.Dentry.Dead() {
		return "", vfs.ENOENT
	}
	p, ok := pathFrom(cwd, root)
	if !ok {
		return "", vfs.ENOENT
	}
	if len(p) >= vfs.PathMax {
		return "", vfs.ENAMETOOLONG
	}
	return p, nil
}

// pathFrom renders l's path as seen from root, as Linux's prepend_path
// does; ok is false when l is not reachable from root. k.mu is held.
func pathFrom(l, root Location) (string, bool) {
	var parts []string
	m, d := l.Mount, l.Dentry
	for m != root.Mount || d != root.Dentry {
		if d == m.root {
			if m.parent == nil {
				return "", false
			}
			d, m = m.mountpoint, m.parent
			continue
		}
		if d.IsRoot() {
			return "", false
		}
		parts = append(parts, d.Name())
		d = d.Parent()
	}
	if len(parts) == 0 {
		return "/", true
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String(), true
}

// Fchdir is fchdir(2): f must be a directory (O_PATH is fine) that c may
// search.
func (c *FsContext) Fchdir(f *File) error {
	l := f.Location()
	if err := c.checkDirSearch(l); err != nil {
		return err
	}
	c.setCwd(l).release()
	return nil
}

// resolveWith resolves path with a fresh walker. k.mu is held.
func (c *FsContext) resolveWith(path string, follow bool) (Location, error) {
	w := c.walker()
	return w.resolve(path, follow)
}
