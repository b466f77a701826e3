package cgroupfs

import (
	"fmt"

	"github.com/mountkit/mountkit/vfs"
	"sort"
	"strconv"
	"strings"
)

// Where an interface file exists (CFTYPE_NOT_ON_ROOT, CFTYPE_ONLY_ON_ROOT).
const (
	onAll = iota
	notOnRoot
	onlyOnRoot
)

// fileSpec is one interface file (Linux's cftype).
type fileSpec struct {
	name  string
	ss    ssid // nrSS for core files
	psi   bool // a pressure file, hidden by cgroup.pressure 0
	where int
	show  func(cg *Cgroup, f *file) (string, error) // nil: write-only (EINVAL on read)
	write func(cg *Cgroup, f *file, buf string) error
	index int
	// maxWrite is the longest write accepted (E2BIG beyond): a page
	// unless the cftype sets max_write_len.
	maxWrite int
}

// mode is cgroup_file_mode: readable by all with a show function, writable
// by the owner with a write function.
func (s *fileSpec) mode() uint32 {
	var m uint32
	if s.show != nil {
		m |= 0o444
	}
	if s.write != nil {
		m |= 0o200
	}
	return m
}

// specs lists the interface files in the order a cgroup's directory lists
// them: the core files, the pressure files, then each controller's.
var specs []*fileSpec

// specByName finds a file by name.
var specByName = map[string]*fileSpec{}

func init() {
	core := func(name string, where int, show func(*Cgroup, *file) (string, error), write func(*Cgroup, *file, string) error) {
		specs = append(specs, &fileSpec{name: name, ss: nrSS, where: where, show: show, write: write})
	}
	core("cgroup.type", notOnRoot, showType, writeType)
	core("cgroup.procs", onAll, showProcs, writeProcs)
	core("cgroup.threads", onAll, showThreads, writeThreads)
	core("cgroup.controllers", onAll, showControllers, nil)
	core("cgroup.subtree_control", onAll, showSubtreeControl, writeSubtreeControl)
	core("cgroup.events", notOnRoot, showEvents, nil)
	core("cgroup.max.descendants", onAll, showMaxDescendants, writeMaxDescendants)
	core("cgroup.max.depth", onAll, showMaxDepth, writeMaxDepth)
	core("cgroup.stat", onAll, showStat, nil)
	core("cgroup.stat.local", notOnRoot, showStatLocal, nil)
	core("cgroup.freeze", notOnRoot, showFreeze, writeFreeze)
	core("cgroup.kill", notOnRoot, nil, writeKill)
	core("cpu.stat", onAll, showCPUStat, nil)
	core("cpu.stat.local", onAll, showCPUStatLocal, nil)
	for _, n := range []string{"io.pressure", "memory.pressure", "cpu.pressure"} {
		specs = append(specs, &fileSpec{name: n, ss: nrSS, psi: true, where: onAll, show: showPressure, write: writePressure})
	}
	core("cgroup.pressure", onAll, showPSIEnabled, writePSIEnabled)
	specs[len(specs)-1].psi = true
	ctl := func(ss ssid, name string, where int, show func(*Cgroup, *file) (string, error), write func(*Cgroup, *file, string) error) {
		specs = append(specs, &fileSpec{name: ssNames[ss] + "." + name, ss: ss, where: where, show: show, write: write})
	}
	ctl(ssCpuset, "cpus", notOnRoot, showCpusetCPUs, writeCpusetCPUs)
	ctl(ssCpuset, "mems", notOnRoot, showCpusetMems, writeCpusetMems)
	ctl(ssCpuset, "cpus.effective", onAll, showCpusetCPUsEff, nil)
	ctl(ssCpuset, "mems.effective", onAll, showCpusetMemsEff, nil)
	ctl(ssCpuset, "cpus.partition", notOnRoot, showPartition, writePartition)
	ctl(ssCpuset, "cpus.exclusive", notOnRoot, showEmptyList, writeExclusive)
	ctl(ssCpuset, "cpus.exclusive.effective", notOnRoot, showEmptyList, nil)
	ctl(ssCpuset, "cpus.isolated", onlyOnRoot, showEmptyList, nil)
	ctl(ssCPU, "weight", notOnRoot, showCPUWeight, writeCPUWeight)
	ctl(ssCPU, "weight.nice", notOnRoot, showCPUWeightNice, writeCPUWeightNice)
	ctl(ssCPU, "idle", notOnRoot, showCPUIdle, writeCPUIdle)
	ctl(ssCPU, "max", notOnRoot, showCPUMax, writeCPUMax)
	ctl(ssCPU, "max.burst", notOnRoot, showCPUBurst, writeCPUBurst)
	ctl(ssIO, "stat", onAll, showIOStat, nil)
	ctl(ssIO, "weight", notOnRoot, showIOWeight, writeIOWeight)
	ctl(ssIO, "max", notOnRoot, showIOMax, writeIOMax)
	ctl(ssIO, "cost.qos", onlyOnRoot, showEmpty, writeIOCost)
	ctl(ssIO, "cost.model", onlyOnRoot, showEmpty, writeIOCost)
	ctl(ssMemory, "current", notOnRoot, showMemCurrent, nil)
	ctl(ssMemory, "min", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.memMin }), memLimitWrite(func(c *controllers) *uint64 { return &c.memMin }))
	ctl(ssMemory, "low", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.memLow }), memLimitWrite(func(c *controllers) *uint64 { return &c.memLow }))
	ctl(ssMemory, "high", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.memHigh }), memLimitWrite(func(c *controllers) *uint64 { return &c.memHigh }))
	ctl(ssMemory, "max", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.memMax }), memLimitWrite(func(c *controllers) *uint64 { return &c.memMax }))
	ctl(ssMemory, "reclaim", onAll, nil, writeMemReclaim)
	ctl(ssMemory, "peak", notOnRoot, showMemPeak, writeMemPeak)
	ctl(ssMemory, "oom.group", notOnRoot, showOOMGroup, writeOOMGroup)
	ctl(ssMemory, "events", notOnRoot, showMemEvents(false), nil)
	ctl(ssMemory, "events.local", notOnRoot, showMemEvents(true), nil)
	ctl(ssMemory, "stat", onAll, showMemStat, nil)
	ctl(ssMemory, "numa_stat", onAll, showMemNumaStat, nil)
	ctl(ssMemory, "swap.current", notOnRoot, showZero, nil)
	ctl(ssMemory, "swap.high", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.swapHigh }), memLimitWrite(func(c *controllers) *uint64 { return &c.swapHigh }))
	ctl(ssMemory, "swap.max", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.swapMax }), memLimitWrite(func(c *controllers) *uint64 { return &c.swapMax }))
	ctl(ssMemory, "swap.peak", notOnRoot, showZero, nil)
	ctl(ssMemory, "swap.events", notOnRoot, showSwapEvents, nil)
	ctl(ssMemory, "zswap.current", notOnRoot, showZero, nil)
	ctl(ssMemory, "zswap.max", notOnRoot, memLimitShow(func(c *controllers) *uint64 { return &c.zswapMax }), memLimitWrite(func(c *controllers) *uint64 { return &c.zswapMax }))
	ctl(ssMemory, "zswap.writeback", notOnRoot, showZswapWriteback, writeZswapWriteback)
	ctl(ssPids, "max", notOnRoot, showPidsMax, writePidsMax)
	ctl(ssPids, "current", notOnRoot, showPidsCurrent, nil)
	ctl(ssPids, "peak", notOnRoot, showPidsPeak, nil)
	ctl(ssPids, "events", notOnRoot, showPidsEvents(false), nil)
	ctl(ssPids, "events.local", notOnRoot, showPidsEvents(true), nil)
	for _, n := range []string{"cpuset.cpus", "cpuset.cpus.exclusive"} {
		specByNameInit(n).maxWrite = 100 + 6*nrCPUs
	}
	specByNameInit("cpuset.mems").maxWrite = 100 + 6*maxNumNodes
	for i, s := range specs {
		s.index = i
		if s.maxWrite == 0 {
			s.maxWrite = pageSize
		}
		specByName[s.name] = s
	}
}

func specByNameInit(name string) *fileSpec {
	for _, s := range specs {
		if s.name == name {
			return s
		}
	}
	panic("cgroupfs: no interface file " + name)
}

// present reports whether spec's file is in cg's directory now. h.mu is
// held.
func (cg *Cgroup) present(s *fileSpec) bool {
	if cg.dead {
		return false
	}
	root := cg.parent == nil
	if s.where == notOnRoot && root || s.where == onlyOnRoot && !root {
		return false
	}
	if s.psi {
		if cg.h.cfg.NoPSI {
			return false
		}
		if s.name != "cgroup.pressure" && !cg.psiEnabled {
			return false
		}
	}
	if s.ss == nrSS {
		return true
	}
	return cg.has(s.ss) && cg.visible(s.ss)
}

// fileSpec returns the spec of the file called name in cg, if present.
func (cg *Cgroup) fileSpec(name string) *fileSpec {
	s := specByName[name]
	if s == nil || !cg.present(s) {
		return nil
	}
	return s
}

// gen is the generation of spec's file in cg: it changes whenever the file
// goes away, so that files opened before see ENODEV.
func (cg *Cgroup) gen(s *fileSpec) uint64 {
	switch {
	case s.psi && s.name != "cgroup.pressure":
		return cg.psiGen
	case s.ss != nrSS:
		return cg.ssGen[s.ss]
	}
	return 0
}

// FileNames returns the names of the interface files in the cgroup's
// directory now, sorted.
func (cg *Cgroup) FileNames() []string {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	var names []string
	for _, s := range specs {
		if cg.present(s) {
			names = append(names, s.name)
		}
	}
	sort.Strings(names)
	return names
}

// Read returns the content of the interface file name, as a read of the
// whole file would: ENOENT when the cgroup has no such file, EINVAL for
// a write-only one.
func (cg *Cgroup) Read(name string) (string, error) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	s := cg.fileSpec(name)
	if s == nil {
		return "", errNoent
	}
	if s.show == nil {
		return "", errInval
	}
	return s.show(cg, nil)
}

// Write writes data to the interface file name as root with write(2) on
// a newly opened file would, with the same errors.
func (cg *Cgroup) Write(name, data string) error {
	cg.h.mu.Lock()
	s := cg.fileSpec(name)
	if s == nil {
		cg.h.mu.Unlock()
		return errNoent
	}
	f := &file{in: cg.fileInode(s), flags: vfs.O_WRONLY, gen: cg.gen(s)}
	_, kill, err := cg.writeLocked(f, []byte(data))
	cg.h.mu.Unlock()
	cg.h.runKill(kill)
	return err
}

func showType(cg *Cgroup, _ *file) (string, error) { return cg.typeString() + "\n", nil }

func showPIDList(ids []int, err error) (string, error) {
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.Itoa(id))
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func showProcs(cg *Cgroup, _ *file) (string, error) { return showPIDList(cg.procs()) }

func showThreads(cg *Cgroup, _ *file) (string, error) { return showPIDList(cg.threads(), nil) }

// showMask is cgroup_print_ss_mask: names and a newline, nothing at all
// for the empty set.
func showMask(m mask) string {
	if m == 0 {
		return ""
	}
	return m.String() + "\n"
}

func showControllers(cg *Cgroup, _ *file) (string, error) { return showMask(cg.control()), nil }

func showSubtreeControl(cg *Cgroup, _ *file) (string, error) {
	return showMask(cg.subtreeControl), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func showEvents(cg *Cgroup, _ *file) (string, error) {
	return fmt.Sprintf("populated %d\nfrozen %d\n", b2i(cg.subtreeTasks > 0), b2i(cg.frozen())), nil
}

func showLimit(v int) string {
	if v == 1<<31-1 {
		return "max\n"
	}
	return strconv.Itoa(v) + "\n"
}

func showMaxDescendants(cg *Cgroup, _ *file) (string, error) {
	return showLimit(cg.maxDescendants), nil
}

func showMaxDepth(cg *Cgroup, _ *file) (string, error) { return showLimit(cg.maxDepth), nil }

// showStat is cgroup_stat_show: nr_subsys_* for the controllers bound to
// the hierarchy that v2 knows (not the inhibited v1-only ones).
func showStat(cg *Cgroup, _ *file) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "nr_descendants %d\n", cg.nrDescendants)
	ss := cg.h.bound &^ inhibitMask
	for s := ssid(0); s < nrSS; s++ {
		if !ss.has(s) {
			continue
		}
		n := 0
		if cg.has(s) {
			n = 1 + cg.cssDescendants(s)
		}
		fmt.Fprintf(&b, "nr_subsys_%s %d\n", ssNames[s], n)
	}
	b.WriteString("nr_dying_descendants 0\n")
	for s := ssid(0); s < nrSS; s++ {
		if ss.has(s) {
			fmt.Fprintf(&b, "nr_dying_subsys_%s 0\n", ssNames[s])
		}
	}
	return b.String(), nil
}

// cssDescendants counts the descendants in which controller s has state.
func (cg *Cgroup) cssDescendants(s ssid) int {
	n := 0
	for _, c := range cg.children {
		if c.has(s) {
			n += 1 + c.cssDescendants(s)
		}
	}
	return n
}

func showStatLocal(cg *Cgroup, _ *file) (string, error) {
	return fmt.Sprintf("frozen_usec %d\n", cg.frozenUsec()), nil
}

func showFreeze(cg *Cgroup, _ *file) (string, error) {
	return strconv.Itoa(b2i(cg.freeze)) + "\n", nil
}

// showCPUStat is cpu_stat_show: the base times and, with the cpu
// controller, the bandwidth statistics (the host throttles, so they stay 0).
func showCPUStat(cg *Cgroup, _ *file) (string, error) {
	u := cg.ctl.cpuUsage
	s := fmt.Sprintf("usage_usec %d\nuser_usec %d\nsystem_usec %d\nnice_usec 0\n", u[0]+u[1], u[0], u[1])
	if cg.has(ssCPU) {
		s += "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n"
	}
	return s, nil
}

func showCPUStatLocal(cg *Cgroup, _ *file) (string, error) {
	if cg.has(ssCPU) {
		return "throttled_usec 0\n", nil
	}
	return "", nil
}

// showPressure is psi_show for a group that never stalls.
func showPressure(*Cgroup, *file) (string, error) {
	return "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", nil
}

func showPSIEnabled(cg *Cgroup, _ *file) (string, error) {
	return strconv.Itoa(b2i(cg.psiEnabled)) + "\n", nil
}

func showCpusetCPUs(cg *Cgroup, _ *file) (string, error) { return cg.ctl.cpus.String() + "\n", nil }

func showCpusetMems(cg *Cgroup, _ *file) (string, error) { return cg.ctl.mems.String() + "\n", nil }

func showCpusetCPUsEff(cg *Cgroup, _ *file) (string, error) {
	return cg.effCPUs().String() + "\n", nil
}

func showCpusetMemsEff(cg *Cgroup, _ *file) (string, error) {
	return cg.effMems().String() + "\n", nil
}

func showPartition(*Cgroup, *file) (string, error) { return "member\n", nil }

func showEmptyList(*Cgroup, *file) (string, error) { return "\n", nil }

// showEmpty shows a file without lines: io.cost.qos and io.cost.model list
// only devices configured through them.
func showEmpty(*Cgroup, *file) (string, error) { return "", nil }

func showCPUWeight(cg *Cgroup, _ *file) (string, error) {
	return strconv.FormatUint(cpuWeight(&cg.ctl), 10) + "\n", nil
}

func showCPUWeightNice(cg *Cgroup, _ *file) (string, error) {
	return strconv.FormatInt(cpuNice(&cg.ctl), 10) + "\n", nil
}

func showCPUIdle(cg *Cgroup, _ *file) (string, error) {
	return strconv.Itoa(b2i(cg.ctl.cpuIdle)) + "\n", nil
}

func showCPUMax(cg *Cgroup, _ *file) (string, error) {
	q := "max"
	if cg.ctl.cpuQuota != runtimeInf {
		q = strconv.FormatUint(cg.ctl.cpuQuota, 10)
	}
	return fmt.Sprintf("%s %d\n", q, cg.ctl.cpuPeriod), nil
}

func showCPUBurst(cg *Cgroup, _ *file) (string, error) {
	return strconv.FormatUint(cg.ctl.cpuBurst, 10) + "\n", nil
}

func sortedDevices[V any](m map[Device]V) []Device {
	ds := make([]Device, 0, len(m))
	for d := range m {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].Major != ds[j].Major {
			return ds[i].Major < ds[j].Major
		}
		return ds[i].Minor < ds[j].Minor
	})
	return ds
}

func showIOStat(cg *Cgroup, _ *file) (string, error) {
	var b strings.Builder
	for _, d := range sortedDevices(cg.ctl.ioStat) {
		v := cg.ctl.ioStat[d]
		fmt.Fprintf(&b, "%d:%d rbytes=%d wbytes=%d rios=%d wios=%d dbytes=%d dios=%d\n", d.Major, d.Minor, v[0], v[1], v[2], v[3], v[4], v[5])
	}
	return b.String(), nil
}

func showIOWeight(cg *Cgroup, _ *file) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "default %d\n", cg.ctl.ioDefault)
	for _, d := range sortedDevices(cg.ctl.ioWeights) {
		fmt.Fprintf(&b, "%d:%d %d\n", d.Major, d.Minor, cg.ctl.ioWeights[d])
	}
	return b.String(), nil
}

func showIOMax(cg *Cgroup, _ *file) (string, error) {
	var b strings.Builder
	str := func(v, max uint64) string {
		if v >= max {
			return "max"
		}
		return strconv.FormatUint(v, 10)
	}
	for _, d := range sortedDevices(cg.ctl.ioMax) {
		v := cg.ctl.ioMax[d]
		fmt.Fprintf(&b, "%d:%d rbps=%s wbps=%s riops=%s wiops=%s\n", d.Major, d.Minor,
			str(v[0], ^uint64(0)), str(v[1], ^uint64(0)), str(v[2], 1<<32-1), str(v[3], 1<<32-1))
	}
	return b.String(), nil
}

func showMemCurrent(cg *Cgroup, _ *file) (string, error) {
	return strconv.FormatUint(cg.ctl.memUsage, 10) + "\n", nil
}

// memLimitShow shows a page_counter limit as bytes, or "max".
func memLimitShow(field func(*controllers) *uint64) func(*Cgroup, *file) (string, error) {
	return func(cg *Cgroup, _ *file) (string, error) {
		v := *field(&cg.ctl)
		if v >= pageCounterMax {
			return "max\n", nil
		}
		return strconv.FormatUint(v*pageSize, 10) + "\n", nil
	}
}

func showMemPeak(cg *Cgroup, f *file) (string, error) {
	if f != nil && f.peakReset {
		return strconv.FormatUint(f.peak, 10) + "\n", nil
	}
	return strconv.FormatUint(cg.ctl.memPeak, 10) + "\n", nil
}

func showOOMGroup(cg *Cgroup, _ *file) (string, error) {
	return strconv.Itoa(b2i(cg.ctl.oomGroup)) + "\n", nil
}

func showMemEvents(local bool) func(*Cgroup, *file) (string, error) {
	return func(cg *Cgroup, _ *file) (string, error) {
		ev := &cg.ctl.memEvents
		if local || cg.h.flags.has(optMemoryLocalEvents) {
			ev = &cg.ctl.memEventsLocal
		}
		var b strings.Builder
		for i, n := range memEventNames {
			fmt.Fprintf(&b, "%s %d\n", n, ev[i])
		}
		return b.String(), nil
	}
}

// memStatKeys are the first entries of memory.stat, in Linux's order
// (memory_stats[] in mm/memcontrol.c, per Documentation/admin-guide/
// cgroup-v2.rst); charges made through ChargeMemory count as anon.
var memStatKeys = []string{
	"anon", "file", "kernel", "kernel_stack", "pagetables", "sec_pagetables",
	"percpu", "sock", "vmalloc", "shmem", "file_mapped", "file_dirty",
	"file_writeback", "swapcached", "anon_thp", "file_thp", "shmem_thp",
	"inactive_anon", "active_anon", "inactive_file", "active_file",
	"unevictable", "slab_reclaimable", "slab_unreclaimable", "slab",
}

func showMemStat(cg *Cgroup, _ *file) (string, error) {
	var b strings.Builder
	for _, k := range memStatKeys {
		v := uint64(0)
		switch k {
		case "anon", "active_anon":
			v = cg.ctl.memUsage
		}
		fmt.Fprintf(&b, "%s %d\n", k, v)
	}
	return b.String(), nil
}

// memNumaStatKeys are the entries of memory.stat that have per-node
// counters, which memory.numa_stat lists.
var memNumaStatKeys = []string{
	"anon", "file", "kernel_stack", "pagetables", "sec_pagetables", "shmem",
	"file_mapped", "file_dirty", "file_writeback", "swapcached", "anon_thp",
	"file_thp", "shmem_thp", "inactive_anon", "active_anon", "inactive_file",
	"active_file", "unevictable", "slab_reclaimable", "slab_unreclaimable",
}

// showMemNumaStat is memory_numa_stat_show: "key N0=bytes N1=bytes ...";
// charges count as anon on node 0.
func showMemNumaStat(cg *Cgroup, _ *file) (string, error) {
	var b strings.Builder
	for _, k := range memNumaStatKeys {
		b.WriteString(k)
		for n := range cg.h.mems {
			v := uint64(0)
			if n == 0 && (k == "anon" || k == "active_anon") {
				v = cg.ctl.memUsage
			}
			fmt.Fprintf(&b, " N%d=%d", n, v)
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func showZswapWriteback(cg *Cgroup, _ *file) (string, error) {
	return strconv.Itoa(b2i(cg.ctl.zswapWriteback)) + "\n", nil
}

func showZero(*Cgroup, *file) (string, error) { return "0\n", nil }

func showSwapEvents(*Cgroup, *file) (string, error) { return "high 0\nmax 0\nfail 0\n", nil }

func showPidsMax(cg *Cgroup, _ *file) (string, error) {
	if cg.ctl.pidsMax >= pidsMax {
		return "max\n", nil
	}
	return strconv.FormatInt(cg.ctl.pidsMax, 10) + "\n", nil
}

func showPidsCurrent(cg *Cgroup, _ *file) (string, error) {
	return strconv.Itoa(cg.subtreeTasks) + "\n", nil
}

func showPidsPeak(cg *Cgroup, _ *file) (string, error) {
	return strconv.FormatInt(cg.ctl.pidsPeak, 10) + "\n", nil
}

// showPidsEvents is __pids_events_show: with pids_localevents both files
// show the local fork failures.
func showPidsEvents(local bool) func(*Cgroup, *file) (string, error) {
	return func(cg *Cgroup, _ *file) (string, error) {
		ev, i := cg.ctl.pidsEvents, pidsEvMax
		if cg.h.flags.has(optPidsLocalEvents) {
			ev, i = cg.ctl.pidsEventsLocal, pidsEvForkfail
		} else if local {
			ev = cg.ctl.pidsEventsLocal
		}
		return fmt.Sprintf("max %d\n", ev[i]), nil
	}
}
