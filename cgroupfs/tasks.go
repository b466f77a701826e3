package cgroupfs

import (
	"slices"

	"github.com/mountkit/mountkit/vfs"
)

// task is a thread. A process is the set of tasks of one tgid; its leader
// is the task whose tid is the tgid.
type task struct {
	tid, tgid int
	cg        *Cgroup
}

func (t *task) leader() bool { return t.tid == t.tgid }

// add puts t in cg. h.mu is held.
func (cg *Cgroup) addTask(t *task) {
	t.cg = cg
	cg.tasks = append(cg.tasks, t)
	for c := cg; c != nil; c = c.parent {
		c.subtreeTasks++
		if c.has(ssPids) && int64(c.subtreeTasks) > c.ctl.pidsPeak {
			c.ctl.pidsPeak = int64(c.subtreeTasks)
		}
	}
}

// removeTask takes t out of its cgroup. h.mu is held.
func removeTask(t *task) {
	cg := t.cg
	if i := slices.Index(cg.tasks, t); i >= 0 {
		cg.tasks = slices.Delete(cg.tasks, i, i+1)
	}
	for c := cg; c != nil; c = c.parent {
		c.subtreeTasks--
	}
	t.cg = nil
}

// process returns the tasks of process tgid. h.mu is held.
func (h *Hierarchy) process(tgid int) []*task {
	var ts []*task
	for _, t := range h.tasks {
		if t.tgid == tgid {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *task) int { return a.tid - b.tid })
	return ts
}

// chargeFork is pids_can_fork for one new task in cg: it fails with EAGAIN
// when some ancestor-or-self would go over its pids.max, recording the
// events Linux records. h.mu is held.
func (cg *Cgroup) chargeFork() error {
	if !cg.h.bound.has(ssPids) {
		return nil
	}
	forking := cg.eff(ssPids)
	for c := forking; c.parent != nil; c = c.parent {
		if int64(c.subtreeTasks)+1 > c.ctl.pidsMax {
			forking.ctl.pidsEventsLocal[pidsEvForkfail]++
			if !cg.h.flags.has(optPidsLocalEvents) {
				c.ctl.pidsEventsLocal[pidsEvMax]++
				for a := c; a.parent != nil; a = a.parent {
					a.ctl.pidsEvents[pidsEvMax]++
				}
			}
			return vfs.EAGAIN
		}
	}
	return nil
}

// NewProcess adds process pid, with the single thread pid, to cg, as a
// fork from outside the hierarchy followed by a move to cg would: EEXIST if
// pid is taken, EINVAL for a pid below 1 or a cgroup of another
// hierarchy, ENODEV for a removed cgroup,
// EBUSY or EOPNOTSUPP where a move to cg is refused (see Move), EAGAIN
// when a pids.max refuses it.
func (h *Hierarchy) NewProcess(pid int, cg *Cgroup) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if pid < 1 || cg.h != h {
		return vfs.EINVAL
	}
	if h.tasks[pid] != nil {
		return vfs.EEXIST
	}
	if cg.dead {
		return vfs.ENODEV
	}
	if err := cg.vetDst(); err != nil {
		return err
	}
	if err := cg.chargeFork(); err != nil {
		return err
	}
	t := &task{tid: pid, tgid: pid}
	h.tasks[pid] = t
	cg.addTask(t)
	return nil
}

// Fork adds process child, forked by thread parent, to the parent
// thread's cgroup: ESRCH for an unknown parent, EEXIST if child is
// taken, EAGAIN when a pids.max refuses it (fork(2) fails with EAGAIN).
func (h *Hierarchy) Fork(parent, child int) error {
	return h.clone(parent, child, false)
}

// NewThread adds thread tid to the process of thread parent, in parent's
// cgroup (clone(2) with CLONE_THREAD): errors as Fork.
func (h *Hierarchy) NewThread(parent, tid int) error {
	return h.clone(parent, tid, true)
}

func (h *Hierarchy) clone(parent, child int, thread bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.tasks[parent]
	switch {
	case p == nil:
		return vfs.ESRCH
	case child < 1:
		return vfs.EINVAL
	case h.tasks[child] != nil:
		return vfs.EEXIST
	}
	if err := p.cg.chargeFork(); err != nil {
		return err
	}
	t := &task{tid: child, tgid: child}
	if thread {
		t.tgid = p.tgid
	}
	h.tasks[child] = t
	p.cg.addTask(t)
	return nil
}

// Exit ends process pid and all its threads (ESRCH if there is none),
// uncharging their pids.
func (h *Hierarchy) Exit(pid int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tasks[pid]
	if t == nil || !t.leader() {
		return vfs.ESRCH
	}
	h.exitLocked(pid)
	return nil
}

func (h *Hierarchy) exitLocked(pid int) {
	for _, t := range h.process(pid) {
		removeTask(t)
		delete(h.tasks, t.tid)
	}
}

// ExitThread ends thread tid, which is not the leader of its process
// (EINVAL for a leader: use Exit; ESRCH if there is no such thread).
func (h *Hierarchy) ExitThread(tid int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tasks[tid]
	switch {
	case t == nil:
		return vfs.ESRCH
	case t.leader():
		return vfs.EINVAL
	}
	removeTask(t)
	delete(h.tasks, tid)
	return nil
}

// CgroupOf returns the cgroup of thread tid, or ESRCH.
func (h *Hierarchy) CgroupOf(tid int) (*Cgroup, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tasks[tid]
	if t == nil {
		return nil, vfs.ESRCH
	}
	return t.cg, nil
}

// Frozen reports whether thread tid is frozen (its cgroup or an ancestor
// has cgroup.freeze set): the host should not run it.
func (h *Hierarchy) Frozen(tid int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tasks[tid]
	return t != nil && t.cg.frozen()
}

// Move moves process pid, all its threads, to dst, as root writing pid to
// dst's cgroup.procs: the errors are that write's.
func (h *Hierarchy) Move(pid int, dst *Cgroup) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.attach(dst, pid, true)
}

// MoveThread moves thread tid to dst, as root writing tid to dst's
// cgroup.threads.
func (h *Hierarchy) MoveThread(tid int, dst *Cgroup) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.attach(dst, tid, false)
}

// attach is __cgroup_procs_write after parsing: it moves thread tid, or
// with threadgroup its whole process, to dst. h.mu is held.
func (h *Hierarchy) attach(dst *Cgroup, tid int, threadgroup bool) error {
	if dst.h != h {
		return vfs.EINVAL
	}
	if dst.dead {
		return vfs.ENODEV
	}
	t := h.tasks[tid]
	if t == nil {
		return vfs.ESRCH
	}
	if threadgroup {
		t = h.tasks[t.tgid]
		if t == nil {
			return vfs.ESRCH
		}
	}
	src := t.cg
	if err := dst.vetDst(); err != nil {
		return err
	}
	if !threadgroup && src.dom != dst.dom {
		return vfs.EOPNOTSUPP
	}
	ts := []*task{t}
	if threadgroup {
		ts = h.process(t.tgid)
	}
	for _, t := range ts {
		if t.cg != dst {
			removeTask(t)
			dst.addTask(t)
		}
	}
	return nil
}

// vetDst is cgroup_migrate_vet_dst: the no-internal-process rule.
func (cg *Cgroup) vetDst() error {
	if !cg.dom.validDomain() {
		return vfs.EOPNOTSUPP
	}
	if cg.mixable() {
		return nil
	}
	if cg.canBeThreadRoot() || cg.threaded() {
		return nil
	}
	if cg.subtreeControl != 0 {
		return vfs.EBUSY
	}
	return nil
}

// Procs returns the processes of the cgroup as cgroup.procs lists them:
// the leaders in it, and for a threaded domain, those in its threaded
// subtree; EOPNOTSUPP for a threaded cgroup.
func (cg *Cgroup) Procs() ([]int, error) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	return cg.procs()
}

func (cg *Cgroup) procs() ([]int, error) {
	if cg.threaded() {
		return nil, vfs.EOPNOTSUPP
	}
	var pids []int
	var walk func(c *Cgroup)
	walk = func(c *Cgroup) {
		for _, t := range c.tasks {
			if t.leader() {
				pids = append(pids, t.tgid)
			}
		}
		for _, k := range c.sortedChildren() {
			if k.threaded() {
				walk(k)
			}
		}
	}
	walk(cg)
	return pids, nil
}

// Threads returns the threads in the cgroup, as cgroup.threads lists them.
func (cg *Cgroup) Threads() []int {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	return cg.threads()
}

func (cg *Cgroup) threads() []int {
	tids := make([]int, 0, len(cg.tasks))
	for _, t := range cg.tasks {
		tids = append(tids, t.tid)
	}
	return tids
}

// Populated reports cgroup.events' populated: whether the cgroup or a
// descendant has a thread.
func (cg *Cgroup) Populated() bool {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	return cg.subtreeTasks > 0
}

// Frozen reports cgroup.events' frozen.
func (cg *Cgroup) Frozen() bool {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	return cg.frozen()
}

// kill is cgroup_kill: it returns the processes of the subtree to signal.
// Without a Config.Kill they end here. h.mu is held.
func (cg *Cgroup) kill() (pids []int) {
	seen := map[int]bool{}
	var walk func(c *Cgroup)
	walk = func(c *Cgroup) {
		for _, t := range c.tasks {
			if !seen[t.tgid] {
				seen[t.tgid] = true
				pids = append(pids, t.tgid)
			}
		}
		for _, k := range c.sortedChildren() {
			walk(k)
		}
	}
	walk(cg)
	if cg.h.cfg.Kill == nil {
		for _, p := range pids {
			cg.h.exitLocked(p)
		}
		return nil
	}
	return pids
}
