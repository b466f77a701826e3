package cgroupfs

import (
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mountkit/mountkit/vfs"
)

// A subsystem id, in Linux's order (include/linux/cgroup_subsys.h on
// x86-64 with the usual configuration): interface files list controllers
// in this order.
type ssid int

const (
	ssCpuset ssid = iota
	ssCPU
	ssCpuacct
	ssIO
	ssMemory
	ssDevices
	ssFreezer
	ssNetCls
	ssPerfEvent
	ssNetPrio
	ssHugetlb
	ssPids
	ssRdma
	ssMisc
	ssDmem
	nrSS
)

var ssNames = [nrSS]string{
	"cpuset", "cpu", "cpuacct", "io", "memory", "devices", "freezer",
	"net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "dmem",
}

// mask is a set of subsystems.
type mask uint16

func bit(s ssid) mask { return 1 << s }

func (m mask) has(s ssid) bool { return m&bit(s) != 0 }

const (
	// threadedMask holds the threaded controllers (cgrp_dfl_threaded_ss_mask).
	threadedMask = 1<<ssCpuset | 1<<ssCPU | 1<<ssPerfEvent | 1<<ssPids
	// inhibitMask holds the v1-only controllers, which v2 does not know
	// by name (cgrp_dfl_inhibit_ss_mask).
	inhibitMask = 1<<ssCpuacct | 1<<ssDevices | 1<<ssFreezer | 1<<ssNetCls | 1<<ssNetPrio
	// implicitMask holds the controllers enabled everywhere without being
	// listed (cgrp_dfl_implicit_ss_mask).
	implicitMask = 1 << ssPerfEvent
	// compiledMask holds the controllers of the modelled kernel, which is
	// this project's reference machine: rdma, misc and dmem are not built
	// in, so their names are unknown (EINVAL).
	compiledMask = (1<<nrSS - 1) &^ (1<<ssRdma | 1<<ssMisc | 1<<ssDmem)
	// modelled holds the controllers cgroupfs implements.
	modelled = 1<<ssCpuset | 1<<ssCPU | 1<<ssIO | 1<<ssMemory | 1<<ssPids
)

// String lists the names of m in subsystem order, space separated.
func (m mask) String() string {
	var b strings.Builder
	for s := ssid(0); s < nrSS; s++ {
		if m.has(s) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(ssNames[s])
		}
	}
	return b.String()
}

// DefaultControllers are the controllers a Hierarchy binds when its
// Config names none.
var DefaultControllers = []string{"cpuset", "cpu", "io", "memory", "pids"}

// Device is a block device number, for the io controller.
type Device struct{ Major, Minor uint32 }

// Config describes a hierarchy.
type Config struct {
	// Controllers are the controllers bound to the hierarchy: any of
	// "cpuset", "cpu", "io", "memory" and "pids". nil means
	// DefaultControllers; an empty non-nil slice binds none, as on a
	// machine whose controllers are all bound to cgroup v1 hierarchies.
	Controllers []string
	// CPUs and MemNodes are the online CPUs and memory nodes (cpuset);
	// 0 means runtime.NumCPU() CPUs and one node.
	CPUs, MemNodes int
	// Devices are the block devices io.max and io.weight accept.
	Devices []Device
	// NoPSI leaves out the pressure files (cgroup.pressure, cpu.pressure,
	// io.pressure, memory.pressure), as a kernel booted with psi=0.
	NoPSI bool
	// Kill, when set, is called (without any lock held) for every process
	// a write of "1" to cgroup.kill signals; the host kills it and calls
	// Exit. When nil, cgroupfs ends those processes itself.
	Kill func(pid int)
	// Current, when set, returns the pid of the calling process, which
	// "0" written to cgroup.procs or cgroup.threads stands for. When nil,
	// such a write fails with ESRCH. It is called with the hierarchy
	// locked and must not call back into it.
	Current func() int
	// Now is the clock of cgroup.stat.local and of the files' times; nil
	// means time.Now. It is called with the hierarchy locked.
	Now func() time.Time
}

// Hierarchy is a cgroup v2 hierarchy: a tree of cgroups, the processes
// and threads in them, and the controllers' state. Every mount of it (see
// Mount) shows the same tree, as every mount of cgroup2 on Linux shows the
// one default hierarchy.
//
// A Hierarchy is safe for concurrent use. One mutex guards all of it
// (every Cgroup, task and open file); it is taken after the vfs layer's
// dentry locks and never calls back into the vfs. Config.Kill runs
// without it.
type Hierarchy struct {
	mu      sync.Mutex
	cfg     Config
	bound   mask // controllers bound (root->subsys_mask)
	cpus    cpuList
	mems    cpuList
	devices map[Device]bool
	flags   rootFlags
	root    *Cgroup
	tasks   map[int]*task // by tid
	nextIno uint64
	fs      *FS
	now     func() time.Time
}

// New returns a hierarchy with only its root cgroup, or EINVAL when cfg
// names a controller cgroupfs does not have.
func New(cfg Config) (*Hierarchy, error) {
	names := cfg.Controllers
	if names == nil {
		names = DefaultControllers
	}
	var bound mask
	for _, n := range names {
		s, ok := lookupSS(n)
		if !ok || !mask(modelled).has(s) {
			return nil, vfs.EINVAL
		}
		bound |= bit(s)
	}
	bound |= implicitMask
	h := &Hierarchy{cfg: cfg, bound: bound, tasks: map[int]*task{}, devices: map[Device]bool{}, now: cfg.Now}
	if h.now == nil {
		h.now = time.Now
	}
	ncpu, nmem := cfg.CPUs, cfg.MemNodes
	if ncpu <= 0 {
		ncpu = runtime.NumCPU()
	}
	if nmem <= 0 {
		nmem = 1
	}
	for i := 0; i < ncpu; i++ {
		h.cpus = h.cpus.with(i)
	}
	for i := 0; i < nmem; i++ {
		h.mems = h.mems.with(i)
	}
	for _, d := range cfg.Devices {
		h.devices[d] = true
	}
	h.root = h.newCgroup(nil, "", vfs.ModeDir|0o755, 0, 0)
	h.fs = &FS{h: h}
	return h, nil
}

// NewDefault returns a hierarchy with the default Config.
func NewDefault() *Hierarchy {
	h, _ := New(Config{})
	return h
}

func lookupSS(name string) (ssid, bool) {
	for s := ssid(0); s < nrSS; s++ {
		if ssNames[s] == name {
			return s, true
		}
	}
	return 0, false
}

// Root returns the root cgroup.
func (h *Hierarchy) Root() *Cgroup { return h.root }

// Lookup returns the cgroup at path ("/" or "/a/b"), or ENOENT.
func (h *Hierarchy) Lookup(path string) (*Cgroup, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cg := h.root
	for _, name := range strings.Split(path, "/") {
		if name == "" {
			continue
		}
		c := cg.children[name]
		if c == nil {
			return nil, vfs.ENOENT
		}
		cg = c
	}
	return cg, nil
}

func (h *Hierarchy) ino() uint64 {
	h.nextIno++
	return h.nextIno
}

// Cgroup is one cgroup of a Hierarchy. Its methods lock the hierarchy.
type Cgroup struct {
	h        *Hierarchy
	ino      uint64
	name     string
	parent   *Cgroup
	children map[string]*Cgroup
	dead     bool
	level    int
	serial   uint64 // creation order, for listings

	mode     vfs.Mode
	uid, gid uint32
	atime    vfs.Timespec
	mtime    vfs.Timespec
	ctime    vfs.Timespec
	xattrs   map[string][]byte

	subtreeControl mask
	dom            *Cgroup // the domain cgroup (dom_cgrp): itself unless threaded
	nrThreaded     int     // threaded children (nr_threaded_children)
	maxDepth       int
	maxDescendants int
	nrDescendants  int

	tasks        []*task // threads in this cgroup, in arrival order
	subtreeTasks int     // threads in this cgroup and its descendants

	freeze       bool // cgroup.freeze
	eFreeze      int  // this and ancestors with freeze set
	frozenSince  time.Time
	frozenTotal  time.Duration
	psiEnabled   bool
	psiGen       uint64
	ssGen        [nrSS]uint64 // bumped when a controller's files go away
	files        map[string]*fileInode
	dirIno       *dirInode
	ctl          controllers
	peakWatchers map[*file]struct{}
}

func (h *Hierarchy) newCgroup(parent *Cgroup, name string, mode vfs.Mode, uid, gid uint32) *Cgroup {
	now := vfs.TimespecOf(h.now())
	cg := &Cgroup{
		h: h, ino: h.ino(), name: name, parent: parent, children: map[string]*Cgroup{},
		mode: mode, uid: uid, gid: gid, atime: now, mtime: now, ctime: now,
		maxDepth: math.MaxInt32, maxDescendants: math.MaxInt32,
		psiEnabled: true, files: map[string]*fileInode{},
	}
	cg.serial = cg.ino
	cg.dom = cg
	if parent != nil {
		cg.level = parent.level + 1
		cg.eFreeze = parent.eFreeze
		if cg.eFreeze > 0 {
			cg.frozenSince = h.now()
		}
	}
	cg.ctl.reset(h, cg, ^mask(0))
	return cg
}

// Name returns the cgroup's name ("" for the root).
func (cg *Cgroup) Name() string { return cg.name }

// Parent returns the parent cgroup, nil for the root.
func (cg *Cgroup) Parent() *Cgroup { return cg.parent }

// Path returns the cgroup's path from the root: "/" or "/a/b".
func (cg *Cgroup) Path() string {
	if cg.parent == nil {
		return "/"
	}
	var parts []string
	for c := cg; c.parent != nil; c = c.parent {
		parts = append(parts, c.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// Children returns the names of the child cgroups, sorted.
func (cg *Cgroup) Children() []string {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	names := make([]string, 0, len(cg.children))
	for n := range cg.children {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Removed reports whether the cgroup was removed.
func (cg *Cgroup) Removed() bool {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	return cg.dead
}

// Mkdir creates the child cgroup name as mkdir(2) in the cgroup's
// directory would, owned by uid 0 with mode 0755. (There is no Rmdir: a
// cgroup is removed with rmdir(2) through a mount, so that the mount
// layer's dentry cache forgets it.)
func (cg *Cgroup) Mkdir(name string) (*Cgroup, error) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return nil, vfs.EINVAL
	}
	if len(name) > vfs.NameMax {
		return nil, vfs.ENAMETOOLONG
	}
	if cg.children[name] != nil || cg.fileSpec(name) != nil {
		return nil, vfs.EEXIST
	}
	return cg.mkdir(name, vfs.ModeDir|0o755, 0, 0)
}

// mkdir is cgroup_mkdir. h.mu is held.
func (cg *Cgroup) mkdir(name string, mode vfs.Mode, uid, gid uint32) (*Cgroup, error) {
	if strings.Contains(name, "\n") {
		return nil, vfs.EINVAL
	}
	if cg.dead {
		return nil, vfs.ENODEV
	}
	level := 0
	for c := cg; c != nil; c = c.parent {
		if c.nrDescendants >= c.maxDescendants || level >= c.maxDepth {
			return nil, vfs.EAGAIN
		}
		level++
	}
	c := cg.h.newCgroup(cg, name, mode, uid, gid)
	cg.children[name] = c
	for a := cg; a != nil; a = a.parent {
		a.nrDescendants++
	}
	cg.touch()
	return c, nil
}

// rmdir is cgroup_destroy_locked. h.mu is held.
func (cg *Cgroup) rmdir() error {
	if cg.dead {
		return nil
	}
	if cg.subtreeTasks > 0 || len(cg.children) > 0 {
		return vfs.EBUSY
	}
	p := cg.parent
	if cg.frozen() {
		cg.frozenTotal += cg.h.now().Sub(cg.frozenSince)
	}
	cg.dead = true
	cg.ctl.kill(cg, ^mask(0))
	delete(p.children, cg.name)
	if cg.threaded() {
		p.nrThreaded--
	}
	for a := p; a != nil; a = a.parent {
		a.nrDescendants--
	}
	p.touch()
	return nil
}

func (cg *Cgroup) touch() {
	now := vfs.TimespecOf(cg.h.now())
	cg.mtime, cg.ctime = now, now
}

// threaded reports cgroup_is_threaded.
func (cg *Cgroup) threaded() bool { return cg.dom != cg }

// mixable reports cgroup_is_mixable: only the root is.
func (cg *Cgroup) mixable() bool { return cg.parent == nil }

// threadRoot reports cgroup_is_thread_root.
func (cg *Cgroup) threadRoot() bool {
	if cg.threaded() {
		return false
	}
	if cg.nrThreaded > 0 {
		return true
	}
	return cg.mixable() && cg.subtreeControl&threadedMask != 0
}

// validDomain reports cgroup_is_valid_domain.
func (cg *Cgroup) validDomain() bool {
	if cg.threaded() {
		return false
	}
	for c := cg.parent; c != nil; c = c.parent {
		if !c.mixable() && c.threadRoot() {
			return false
		}
		if c.threaded() {
			return false
		}
	}
	return true
}

// populatedDomainChildren counts the populated children that are not
// threaded (nr_populated_domain_children).
func (cg *Cgroup) populatedDomainChildren() int {
	n := 0
	for _, c := range cg.children {
		if !c.threaded() && c.subtreeTasks > 0 {
			n++
		}
	}
	return n
}

// canBeThreadRoot reports cgroup_can_be_thread_root.
func (cg *Cgroup) canBeThreadRoot() bool {
	if cg.mixable() {
		return true
	}
	if cg.threaded() {
		return false
	}
	if cg.populatedDomainChildren() > 0 {
		return false
	}
	return cg.subtreeControl&^threadedMask == 0
}

// control is cgroup_control: the controllers available in the cgroup,
// which cgroup.controllers lists.
func (cg *Cgroup) control() mask {
	if cg.parent != nil {
		m := cg.parent.subtreeControl
		if cg.threaded() {
			m &= threadedMask
		}
		return m
	}
	return cg.h.bound &^ (inhibitMask | implicitMask)
}

// subtreeSS is cgroup_calc_subtree_ss_mask: the controllers whose state
// exists in the children: those enabled, the implicit ones and their
// dependencies (io needs memory).
func (cg *Cgroup) subtreeSS() mask {
	m := cg.subtreeControl
	if m.has(ssIO) {
		m |= bit(ssMemory)
	}
	m |= implicitMask
	return m & cg.h.bound
}

// ssMask is cgroup_ss_mask: the controllers whose state exists in the
// cgroup.
func (cg *Cgroup) ssMask() mask {
	if cg.parent != nil {
		m := cg.parent.subtreeSS()
		if cg.threaded() {
			m &= threadedMask
		}
		return m
	}
	return cg.h.bound
}

// has reports whether controller s's state exists in the cgroup.
func (cg *Cgroup) has(s ssid) bool { return !cg.dead && cg.ssMask().has(s) }

// visible reports whether controller s's files are in the cgroup
// (css_visible): for controllers it lists in cgroup.controllers, and for
// the root, every bound one.
func (cg *Cgroup) visible(s ssid) bool {
	if cg.parent == nil {
		return cg.h.bound.has(s)
	}
	return cg.control().has(s)
}

// eff returns the nearest of cg and its ancestors in which controller s
// has state: where its resources are accounted.
func (cg *Cgroup) eff(s ssid) *Cgroup {
	c := cg
	for c.parent != nil && !c.has(s) {
		c = c.parent
	}
	return c
}

func (cg *Cgroup) frozen() bool { return cg.eFreeze > 0 }

// writeSubtreeControl is cgroup_subtree_control_write after parsing.
func (cg *Cgroup) writeSubtreeControl(enable, disable mask) error {
	if cg.dead {
		return vfs.ENODEV
	}
	for s := ssid(0); s < nrSS; s++ {
		switch {
		case enable.has(s):
			if cg.subtreeControl.has(s) {
				enable &^= bit(s)
				continue
			}
			if !cg.control().has(s) {
				return vfs.ENOENT
			}
		case disable.has(s):
			if !cg.subtreeControl.has(s) {
				disable &^= bit(s)
				continue
			}
			for _, c := range cg.children {
				if c.subtreeControl.has(s) {
					return vfs.EBUSY
				}
			}
		}
	}
	if enable == 0 && disable == 0 {
		return nil
	}
	if err := cg.vetSubtreeEnable(enable); err != nil {
		return err
	}
	before := make(map[*Cgroup]mask, len(cg.children))
	for _, c := range cg.children {
		before[c] = c.ssMask()
	}
	cg.subtreeControl = cg.subtreeControl | enable&^disable
	cg.subtreeControl &^= disable
	for _, c := range cg.children {
		c.applyMask(before[c])
	}
	return nil
}

// vetSubtreeEnable is cgroup_vet_subtree_control_enable.
func (cg *Cgroup) vetSubtreeEnable(enable mask) error {
	if enable == 0 {
		return nil
	}
	if !cg.dom.validDomain() {
		return vfs.EOPNOTSUPP
	}
	if cg.mixable() {
		return nil
	}
	if enable&^threadedMask != 0 {
		if cg.threadRoot() || cg.threaded() {
			return vfs.EOPNOTSUPP
		}
	} else if cg.canBeThreadRoot() || cg.threaded() {
		return nil
	}
	if len(cg.tasks) > 0 {
		return vfs.EBUSY
	}
	return nil
}

// applyMask brings the controllers' state of cg (and, for those it lost,
// of its subtree) in line with its mask after a change from before.
func (cg *Cgroup) applyMask(before mask) {
	now := cg.ssMask()
	if gone := before &^ now; gone != 0 {
		cg.ctl.kill(cg, gone)
		for _, c := range cg.children {
			c.applyMask(c.ssMask() | gone)
		}
	}
	if added := now &^ before; added != 0 {
		cg.ctl.reset(cg.h, cg, added)
	}
}

// enableThreaded is cgroup_enable_threaded.
func (cg *Cgroup) enableThreaded() error {
	if cg.dead {
		return vfs.ENOENT
	}
	if cg.threaded() {
		return nil
	}
	p := cg.parent
	if cg.subtreeTasks > 0 || cg.subtreeControl&^threadedMask != 0 {
		return vfs.EOPNOTSUPP
	}
	dom := p.dom
	if !dom.validDomain() || !dom.canBeThreadRoot() {
		return vfs.EOPNOTSUPP
	}
	before := map[*Cgroup]mask{}
	var walk func(c *Cgroup)
	walk = func(c *Cgroup) {
		before[c] = c.ssMask()
		for _, k := range c.children {
			walk(k)
		}
	}
	walk(cg)
	var set func(c *Cgroup)
	set = func(c *Cgroup) {
		if c == cg || c.threaded() {
			c.dom = dom
		}
		for _, k := range c.children {
			set(k)
		}
	}
	set(cg)
	p.nrThreaded++
	var apply func(c *Cgroup)
	apply = func(c *Cgroup) {
		c.applyMask(before[c])
		for _, k := range c.children {
			apply(k)
		}
	}
	apply(cg)
	return nil
}

// typeString is cgroup_type_show's text.
func (cg *Cgroup) typeString() string {
	switch {
	case cg.threaded():
		return "threaded"
	case !cg.validDomain():
		return "domain invalid"
	case cg.threadRoot():
		return "domain threaded"
	}
	return "domain"
}

// setFreeze is cgroup_freeze: tasks freeze and thaw at once, so a cgroup
// is frozen exactly while it or an ancestor has cgroup.freeze set.
func (cg *Cgroup) setFreeze(freeze bool) {
	if cg.freeze == freeze {
		return
	}
	cg.freeze = freeze
	now := cg.h.now()
	var walk func(c *Cgroup)
	walk = func(c *Cgroup) {
		was := c.frozen()
		if freeze {
			c.eFreeze++
		} else {
			c.eFreeze--
		}
		switch {
		case !was && c.frozen():
			c.frozenSince = now
		case was && !c.frozen():
			c.frozenTotal += now.Sub(c.frozenSince)
		}
		for _, k := range c.children {
			walk(k)
		}
	}
	walk(cg)
}

// frozenUsec is cgroup.stat.local's frozen_usec.
func (cg *Cgroup) frozenUsec() int64 {
	d := cg.frozenTotal
	if cg.frozen() && !cg.dead {
		d += cg.h.now().Sub(cg.frozenSince)
	}
	return d.Microseconds()
}

// sortedChildren returns the children in creation order.
func (cg *Cgroup) sortedChildren() []*Cgroup {
	cs := make([]*Cgroup, 0, len(cg.children))
	for _, c := range cg.children {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].serial < cs[j].serial })
	return cs
}
