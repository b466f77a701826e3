package cgroupfs

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/vfs"
)

// machine drives a hierarchy with random mkdir, rmdir, controller enables
// and disables, cgroup.type writes, process creation, moves, forks and
// exits, and freezes, all through the public API and the interface files,
// and checks Linux's invariants after every step.
type machine struct {
	h     *Hierarchy
	pids  []int // live processes
	next  int
	ctrls []string
}

var genName = rapid.SampledFrom([]string{"a", "b", "c"})

// cgroups returns every live cgroup, root first, in a stable order.
func (m *machine) cgroups() []*Cgroup {
	var all []*Cgroup
	var walk func(c *Cgroup)
	walk = func(c *Cgroup) {
		all = append(all, c)
		for _, k := range c.sortedChildren() {
			walk(k)
		}
	}
	m.h.mu.Lock()
	walk(m.h.root)
	m.h.mu.Unlock()
	return all
}

func (m *machine) pick(t *rapid.T, label string) *Cgroup {
	all := m.cgroups()
	return all[rapid.IntRange(0, len(all)-1).Draw(t, label)]
}

// allowed fails the test for an errno no cgroup operation of this kind may
// return.
func allowed(t *rapid.T, op string, err error, errnos ...vfs.Errno) {
	if err == nil {
		return
	}
	if !slices.Contains(errnos, vfs.ToErrno(err)) {
		t.Fatalf("%s: unexpected %v", op, err)
	}
}

func (m *machine) mkdir(t *rapid.T) {
	p := m.pick(t, "parent")
	name := genName.Draw(t, "name")
	_, err := p.Mkdir(name)
	allowed(t, "mkdir", err, vfs.EEXIST, vfs.EAGAIN)
}

func (m *machine) rmdir(t *rapid.T) {
	c := m.pick(t, "cgroup")
	m.h.mu.Lock()
	busy := c.parent == nil || len(c.children) > 0 || c.subtreeTasks > 0
	m.h.mu.Unlock()
	var err error = vfs.EBUSY
	if c.parent != nil {
		err = c.parent.dir().Rmdir(c.name)
	}
	if busy != (err == vfs.EBUSY) || err != nil && err != vfs.EBUSY {
		t.Fatalf("rmdir %s: busy=%v, err %v", c.Path(), busy, err)
	}
}

func (m *machine) control(t *rapid.T) {
	c := m.pick(t, "cgroup")
	sign := rapid.SampledFrom([]string{"+", "-"}).Draw(t, "sign")
	ctrl := rapid.SampledFrom(m.ctrls).Draw(t, "ctrl")
	err := c.Write("cgroup.subtree_control", sign+ctrl)
	allowed(t, "subtree_control", err, vfs.ENOENT, vfs.EBUSY, vfs.EOPNOTSUPP)
}

func (m *machine) threaded(t *rapid.T) {
	c := m.pick(t, "cgroup")
	if c.parent == nil {
		return
	}
	allowed(t, "cgroup.type", c.Write("cgroup.type", "threaded"), vfs.EOPNOTSUPP)
}

func (m *machine) spawn(t *rapid.T) {
	c := m.pick(t, "cgroup")
	m.next++
	err := m.h.NewProcess(m.next, c)
	allowed(t, "NewProcess", err, vfs.EBUSY, vfs.EOPNOTSUPP, vfs.EAGAIN)
	if err == nil {
		m.pids = append(m.pids, m.next)
	}
}

func (m *machine) fork(t *rapid.T) {
	if len(m.pids) == 0 {
		return
	}
	p := rapid.SampledFrom(m.pids).Draw(t, "parent")
	m.next++
	err := m.h.Fork(p, m.next)
	allowed(t, "Fork", err, vfs.EAGAIN)
	if err == nil {
		m.pids = append(m.pids, m.next)
	}
}

func (m *machine) move(t *rapid.T) {
	if len(m.pids) == 0 {
		return
	}
	p := rapid.SampledFrom(m.pids).Draw(t, "pid")
	c := m.pick(t, "cgroup")
	err := c.Write("cgroup.procs", strconv.Itoa(p))
	allowed(t, "cgroup.procs", err, vfs.EBUSY, vfs.EOPNOTSUPP)
}

func (m *machine) exit(t *rapid.T) {
	if len(m.pids) == 0 {
		return
	}
	i := rapid.IntRange(0, len(m.pids)-1).Draw(t, "i")
	if err := m.h.Exit(m.pids[i]); err != nil {
		t.Fatalf("exit %d: %v", m.pids[i], err)
	}
	m.pids = slices.Delete(m.pids, i, i+1)
}

func (m *machine) limit(t *rapid.T) {
	c := m.pick(t, "cgroup")
	if c.parent == nil {
		return
	}
	n := rapid.IntRange(0, 3).Draw(t, "n")
	err := c.Write("pids.max", strconv.Itoa(n))
	allowed(t, "pids.max", err, vfs.ENOENT)
}

func (m *machine) freeze(t *rapid.T) {
	c := m.pick(t, "cgroup")
	if c.parent == nil {
		return
	}
	v := rapid.SampledFrom([]string{"0", "1"}).Draw(t, "v")
	if err := c.Write("cgroup.freeze", v); err != nil {
		t.Fatalf("freeze: %v", err)
	}
}

// check verifies the invariants.
func (m *machine) check(t *rapid.T) {
	h := m.h
	all := m.cgroups()
	h.mu.Lock()
	defer h.mu.Unlock()
	threads := 0
	for _, c := range all {
		threads += len(c.tasks)
		sub := len(c.tasks)
		desc := 0
		for _, k := range c.children {
			sub += k.subtreeTasks
			desc += 1 + k.nrDescendants
		}
		if sub != c.subtreeTasks {
			t.Fatalf("%s: subtreeTasks %d, counted %d", c.Path(), c.subtreeTasks, sub)
		}
		if desc != c.nrDescendants {
			t.Fatalf("%s: nrDescendants %d, counted %d", c.Path(), c.nrDescendants, desc)
		}
		for _, tk := range c.tasks {
			if tk.cg != c || h.tasks[tk.tid] != tk {
				t.Fatalf("%s: task %d misfiled", c.Path(), tk.tid)
			}
		}
		// A controller enabled in a cgroup is available to it: enabled
		// in its parent (and threaded if the cgroup is).
		if c.subtreeControl&^c.control() != 0 {
			t.Fatalf("%s: subtree_control %q beyond controllers %q", c.Path(), c.subtreeControl, c.control())
		}
		if c.subtreeControl&^h.bound != 0 {
			t.Fatalf("%s: subtree_control %q not bound", c.Path(), c.subtreeControl)
		}
		if c.parent == nil {
			continue
		}
		// No internal processes with domain controllers enabled.
		if len(c.tasks) > 0 && c.subtreeControl&^threadedMask != 0 {
			t.Fatalf("%s: processes and domain controllers %q", c.Path(), c.subtreeControl)
		}
		// Processes only in valid domains or threaded cgroups.
		if len(c.tasks) > 0 && !c.dom.validDomain() {
			t.Fatalf("%s: processes in an invalid domain", c.Path())
		}
		if c.threaded() {
			// Below a parent that is a valid domain or threaded, a
			// threaded cgroup shares its parent's domain (below an
			// invalid one, as Linux, it keeps the domain it joined).
			if (c.parent.threaded() || c.parent.validDomain()) && c.dom != c.parent.dom {
				t.Fatalf("%s: threaded, domain %s, parent's %s", c.Path(), c.dom.Path(), c.parent.dom.Path())
			}
			if c.control()&^threadedMask != 0 {
				t.Fatalf("%s: threaded with domain controllers", c.Path())
			}
		}
		// The interface files follow the parent's subtree_control.
		want := showMask(c.control())
		got, err := cg0(c.fileSpec("cgroup.controllers")).show(c, nil)
		if err != nil || got != want {
			t.Fatalf("%s: cgroup.controllers %q, want %q", c.Path(), got, want)
		}
		for _, name := range m.ctrls {
			s, _ := lookupSS(name)
			f := name + ".max"
			if name == "cpuset" {
				f = "cpuset.cpus"
			}
			if (c.fileSpec(f) != nil) != c.control().has(s) {
				t.Fatalf("%s: %s present=%v, controllers %q", c.Path(), f, c.fileSpec(f) != nil, c.control())
			}
		}
		if c.has(ssPids) {
			if got, _ := showPidsCurrent(c, nil); got != strconv.Itoa(c.subtreeTasks)+"\n" {
				t.Fatalf("%s: pids.current %q", c.Path(), got)
			}
		}
		ev, _ := showEvents(c, nil)
		if !strings.HasPrefix(ev, "populated "+strconv.Itoa(b2i(c.subtreeTasks > 0))) {
			t.Fatalf("%s: cgroup.events %q", c.Path(), ev)
		}
		wantFrozen := false
		for a := c; a != nil; a = a.parent {
			wantFrozen = wantFrozen || a.freeze
		}
		if c.frozen() != wantFrozen {
			t.Fatalf("%s: frozen %v, want %v", c.Path(), c.frozen(), wantFrozen)
		}
	}
	if threads != len(h.tasks) {
		t.Fatalf("%d threads in cgroups, %d known", threads, len(h.tasks))
	}
	if len(h.tasks) != len(m.pids) {
		t.Fatalf("%d tasks, %d processes started", len(h.tasks), len(m.pids))
	}
}

func cg0(s *fileSpec) *fileSpec {
	if s == nil {
		return &fileSpec{show: func(*Cgroup, *file) (string, error) { return "", vfs.ENOENT }}
	}
	return s
}

func TestStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &machine{h: newTestHierarchy(t), ctrls: []string{"cpuset", "cpu", "io", "memory", "pids"}}
		t.Repeat(map[string]func(*rapid.T){
			"mkdir":    m.mkdir,
			"rmdir":    m.rmdir,
			"control":  m.control,
			"threaded": m.threaded,
			"spawn":    m.spawn,
			"fork":     m.fork,
			"move":     m.move,
			"exit":     m.exit,
			"limit":    m.limit,
			"freeze":   m.freeze,
			"":         m.check,
		})
	})
}
