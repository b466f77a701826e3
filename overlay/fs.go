package overlay

import (
	"crypto/rand"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/mountkit/mountkit/vfs"
)

// Magic is overlayfs's statfs f_type (OVERLAYFS_SUPER_MAGIC).
const Magic = 0x794c7630

// maxStackDepth is Linux's FILESYSTEM_MAX_STACK_DEPTH: an overlay may be a
// layer of another overlay, which may not be a layer again.
const maxStackDepth = 2

// FS is one overlay filesystem: its layers and its merged tree.
//
// Locking: copyMu serialises copy-ups, whiteout changes and renames (it
// guards every node's parent and name and the shared whiteout); it is
// taken after the overlay's own dentry locks and before any lock of a
// layer filesystem. Each node's mu guards its children map only.
type FS struct {
	cfg    config
	upper  *vfs.Dentry   // upper root; nil for a read-only overlay
	lowers []*vfs.Dentry // lower roots, topmost first, data-only layers left out
	work   *vfs.Dentry   // workdir/work, where copy-ups are staged
	sameFS bool          // every layer on one superblock
	depth  int           // stacking depth (1 over plain filesystems)
	prefix string        // "trusted.overlay." or "user.overlay."
	root   *node

	releases []func() // drop the holds on the layers' superblocks

	// With xino on and layers on several filesystems, inode numbers
	// carry the layer filesystem's number (fsid) in their top xinoBits.
	xinoBits uint
	fsid     map[*vfs.Superblock]int

	copyMu   sync.Mutex
	whiteout *vfs.Dentry // the shared whiteout in work, or nil
	noShare  bool        // the upper cannot link whiteouts
}

// tempID numbers temporary names ("#1", "#2", ...) as Linux's global
// ovl_tempname counter does.
var tempID atomic.Uint64

func tempName() string { return fmt.Sprintf("#%x", tempID.Add(1)) }

// Mount is the vfs.NewFilesystemFunc of the "overlay" filesystem type:
// it parses req.Data as Linux does (see the package documentation),
// resolves the layers with req.LookupMount and prepares the work
// directory.
func Mount(req *vfs.MountRequest) (vfs.Filesystem, error) {
	lookup := req.LookupMount
	if lookup == nil {
		if req.Lookup == nil {
			return nil, vfs.EINVAL
		}
		lookup = func(p string) (vfs.MountedDentry, error) {
			d, err := req.Lookup(p)
			return vfs.MountedDentry{Dentry: d}, err
		}
	}
	resolved := map[string]vfs.MountedDentry{}
	resolve := func(key, path string) error {
		md, err := lookup(path)
		if err != nil {
			return err
		}
		if !md.Dentry.IsDir() {
			return vfs.EINVAL // "%s is not a directory"
		}
		if key == "upperdir" || key == "workdir" {
			if md.ReadOnly || md.Dentry.Superblock().ReadOnly() {
				return vfs.EINVAL // "filesystem on %s is read-only"
			}
			if key == "upperdir" {
				if _, ok := md.Dentry.Superblock().Filesystem().(*FS); ok {
					return vfs.EINVAL // "not supported as upperdir"
				}
			}
		}
		resolved[key+"\x00"+path] = md
		return nil
	}
	cfg, err := parseConfig(req.Data, resolve)
	if err != nil {
		return nil, err
	}
	if err := cfg.unsupported(); err != nil {
		return nil, err
	}
	fsys := &FS{cfg: cfg, prefix: "trusted.overlay.", depth: 1}
	if cfg.userxattr {
		fsys.prefix = "user.overlay."
	}
	var upper, workBase vfs.MountedDentry
	if cfg.upper != "" {
		upper = resolved["upperdir\x00"+cfg.upper]
		workBase = resolved["workdir\x00"+cfg.work]
		if upper.Mount != workBase.Mount || upper.Dentry.Superblock() != workBase.Dentry.Superblock() {
			return nil, vfs.EINVAL // "workdir and upperdir must reside under the same mount"
		}
		if upper.Dentry.IsAncestor(workBase.Dentry) || workBase.Dentry.IsAncestor(upper.Dentry) {
			return nil, vfs.EINVAL // "workdir and upperdir must be separate subtrees"
		}
		fsys.upper = upper.Dentry
	}
	var all []*vfs.Dentry // every lower root, data layers included
	var layerMDs []vfs.MountedDentry
	if fsys.upper != nil {
		layerMDs = append(layerMDs, upper)
	}
	for _, l := range cfg.lowers {
		key := "lowerdir"
		if cfg.plus {
			key = "lowerdir+"
			if l.data {
				key = "datadir+"
			}
		}
		md := resolved[key+"\x00"+l.path]
		layerMDs = append(layerMDs, md)
		d := md.Dentry
		all = append(all, d)
		if !l.data {
			fsys.lowers = append(fsys.lowers, d)
		}
	}
	for _, d := range append([]*vfs.Dentry{fsys.upper}, all...) {
		if d == nil {
			continue
		}
		if o, ok := d.Superblock().Filesystem().(*FS); ok && o.depth+1 > fsys.depth {
			fsys.depth = o.depth + 1
		}
	}
	if fsys.depth > maxStackDepth {
		return nil, vfs.EINVAL // "maximum fs stacking depth exceeded"
	}
	if fsys.upper != nil {
		if err := fsys.setupWork(workBase.Dentry, req.Cred); err != nil {
			return nil, err
		}
	} else if len(all) < 2 {
		return nil, vfs.EINVAL // "at least 2 lowerdir are needed while upperdir nonexistent"
	}
	if err := fsys.checkOverlap(workBase.Dentry, all); err != nil {
		return nil, err
	}
	fsys.sameFS = true
	for _, d := range append([]*vfs.Dentry{fsys.upper}, all...) {
		if d != nil && d.Superblock() != all[0].Superblock() {
			fsys.sameFS = false
		}
	}
	if !fsys.sameFS && cfg.xino != xinoOff {
		fsys.fsid = map[*vfs.Superblock]int{}
		if fsys.upper != nil {
			fsys.fsid[fsys.upper.Superblock()] = 0
		}
		next := 1
		for _, d := range all {
			if _, ok := fsys.fsid[d.Superblock()]; !ok {
				fsys.fsid[d.Superblock()] = next
				next++
			}
		}
		// ilog2(numfs - 1) + 2 bits, as ovl_get_fsid counts them.
		fsys.xinoBits = uint(bits.Len(uint(next-1))-1) + 2
	}
	if fsys.upper == nil {
		req.Flags |= vfs.SB_RDONLY
	} else if err := fsys.initUUID(); err != nil {
		return nil, err
	}
	if fsys.root, err = fsys.newRoot(); err != nil {
		return nil, err
	}
	// Nothing fails from here: the holds are dropped by Release only.
	seen := map[*vfs.Superblock]bool{}
	for _, md := range layerMDs {
		if sb := md.Dentry.Superblock(); md.Hold != nil && !seen[sb] {
			seen[sb] = true
			fsys.releases = append(fsys.releases, md.Hold())
		}
	}
	return fsys, nil
}

// Release drops the overlay's holds on its layers' superblocks, when its
// last mount goes.
func (fsys *FS) Release() error {
	for _, r := range fsys.releases {
		r()
	}
	fsys.releases = nil
	return nil
}

// setupWork makes workdir/work afresh (mode 0, as Linux does), after
// removing what an earlier mount left there; an earlier volatile mount
// leaves "incompat/volatile", which refuses the mount (EINVAL).
func (fsys *FS) setupWork(base *vfs.Dentry, cred *vfs.Cred) error {
	var uid, gid uint32
	if cred != nil {
		uid, gid = cred.UID, cred.GID
	}
	if old, err := base.Lookup("work"); err == nil {
		if old.IsDir() {
			if inc, err := old.Lookup("incompat"); err == nil && inc.IsDir() {
				if _, err := inc.Lookup("volatile"); err == nil {
					return vfs.EINVAL // "overlay with incompat feature 'volatile' cannot be mounted"
				}
			}
		}
		if err := removeTree(base, "work"); err != nil {
			return err
		}
	} else if err != vfs.ENOENT {
		return err
	}
	w, err := base.Mkdir("work", vfs.CreateOpts{Mode: vfs.ModeDir, UID: uid, GID: gid})
	if err != nil {
		return err
	}
	fsys.work = w
	if fsys.cfg.fsync == fsyncVolatile {
		inc, err := w.Mkdir("incompat", vfs.CreateOpts{Mode: vfs.ModeDir, UID: uid, GID: gid})
		if err != nil {
			return err
		}
		if _, err := inc.Mkdir("volatile", vfs.CreateOpts{Mode: vfs.ModeDir, UID: uid, GID: gid}); err != nil {
			return err
		}
	}
	return nil
}

// checkOverlap refuses layers that overlap as Linux's traps do: a lower
// layer that is another layer's root, or lies below one, is ELOOP.
// (An upper or work directory below a lower layer is allowed.)
func (fsys *FS) checkOverlap(workBase *vfs.Dentry, lowers []*vfs.Dentry) error {
	var traps []*vfs.Dentry
	if fsys.upper != nil {
		traps = append(traps, fsys.upper, workBase, fsys.work)
	}
	for _, l := range lowers {
		for _, t := range traps {
			if l == t {
				return vfs.ELOOP // "conflicting lowerdir path"
			}
		}
		traps = append(traps, l)
	}
	for _, l := range lowers {
		for e := l; !e.IsRoot(); {
			e = e.Parent()
			for _, t := range traps {
				if e == t {
					return vfs.ELOOP // "overlapping lowerdir path"
				}
			}
		}
	}
	return nil
}

// initUUID records the overlay's persistent uuid on the upper root as
// Linux's ovl_init_uuid_xattr does with uuid=auto: the first mount of a
// new upper layer takes uuid=on, one whose root is already impure
// without a uuid takes uuid=null.
func (fsys *FS) initUUID() error {
	if fsys.cfg.uuid == uuidOff || fsys.cfg.uuid == uuidNull {
		return nil
	}
	ui := fsys.upper.Inode()
	if v, err := ui.Getxattr(fsys.prefix + "uuid"); err == nil && len(v) == 16 {
		return nil
	}
	if fsys.cfg.uuid == uuidAuto {
		if _, err := ui.Getxattr(fsys.prefix + "impure"); err == nil {
			fsys.cfg.uuid = uuidNull
			return nil
		}
		fsys.cfg.uuid = uuidOn
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return ui.Setxattr(fsys.prefix+"uuid", id, 0)
}

// removeTree removes the entry name of dir and everything below it.
func removeTree(dir *vfs.Dentry, name string) error {
	d, err := dir.Lookup(name)
	if err != nil {
		return err
	}
	if !d.IsDir() {
		return dir.Unlink(name, nil)
	}
	names, err := readNames(d)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := removeTree(d, n); err != nil {
			return err
		}
	}
	return dir.Rmdir(name, nil)
}

// readNames lists the names in directory d.
func readNames(d *vfs.Dentry) ([]string, error) {
	f, err := d.Inode().Open(vfs.O_RDONLY | vfs.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	err = f.ReadDir(2, func(e vfs.DirEntry) bool {
		names = append(names, e.Name)
		return true
	})
	return names, err
}

// Root returns the merged root directory.
func (fsys *FS) Root() vfs.Inode { return fsys.root }

// Type returns "overlay".
func (fsys *FS) Type() string { return "overlay" }

// Statfs reports the upper layer's usage (the topmost lower's without
// one) under overlay's magic number.
func (fsys *FS) Statfs() (vfs.Statfs, error) {
	d := fsys.upper
	if d == nil {
		d = fsys.lowers[0]
	}
	st, err := d.Superblock().Filesystem().Statfs()
	if err != nil {
		return st, err
	}
	st.Type = Magic
	return st, nil
}

// Options returns the super options as Linux's ovl_show_options prints
// them: "lowerdir=/l,upperdir=/u,workdir=/w" and the options that differ
// from their defaults.
func (fsys *FS) Options() string { return fsys.cfg.String(fsys.sameFS) }

// ReconfigureFlags is a remount: as in Linux, the data is ignored, and a
// read-only overlay (no upper layer) cannot become read-write (EROFS).
func (fsys *FS) ReconfigureFlags(data string, sbFlags uint32) error {
	if sbFlags&vfs.SB_RDONLY == 0 && fsys.upper == nil {
		return vfs.EROFS
	}
	return nil
}

// UpperRoot returns the upper layer's root directory, or nil for a
// read-only overlay.
func (fsys *FS) UpperRoot() *vfs.Dentry { return fsys.upper }

// LowerRoots returns the lower layers' roots, topmost first.
func (fsys *FS) LowerRoots() []*vfs.Dentry { return append([]*vfs.Dentry(nil), fsys.lowers...) }
