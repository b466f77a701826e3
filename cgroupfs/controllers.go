package cgroupfs

import (
	"github.com/mountkit/mountkit/vfs"
)

const (
	pageSize = 4096
	// pageCounterMax is PAGE_COUNTER_MAX on 64-bit: LONG_MAX / PAGE_SIZE.
	pageCounterMax = (1<<63 - 1) / pageSize
	// pidsMax is PIDS_MAX: PID_MAX_LIMIT + 1 on 64-bit.
	pidsMax = 4*1024*1024 + 1
	// cpuPeriodDefault is the default cpu.max period, in microseconds.
	cpuPeriodDefault = 100000
	// maxCFSRuntime is max_cfs_runtime in microseconds: MAX_BW_USEC.
	maxCFSRuntime = 1<<44 - 1
	// nsecInf marks an unlimited quota (RUNTIME_INF).
	runtimeInf = ^uint64(0)
)

// Memory events, in memory.events order.
const (
	memLow = iota
	memHigh
	memMax
	memOOM
	memOOMKill
	memOOMGroupKill
	memSockThrottled
	nrMemEvents
)

var memEventNames = [nrMemEvents]string{"low", "high", "max", "oom", "oom_kill", "oom_group_kill", "sock_throttled"}

// Pids events (enum pidcg_event).
const (
	pidsEvMax = iota
	pidsEvForkfail
)

// controllers is a cgroup's per-controller state: Linux's css of each
// subsystem. A controller's state is reset to its defaults when it comes
// into existence in the cgroup (its css is created) and when it goes.
type controllers struct {
	// memory
	memMin, memLow, memHigh, memMax uint64 // in pages; pageCounterMax is "max"
	swapHigh, swapMax               uint64
	zswapMax                        uint64
	zswapWriteback                  bool
	memUsage                        uint64 // bytes, hierarchical (page_counter)
	memLocal                        uint64 // bytes charged here
	memPeak                         uint64
	memEvents, memEventsLocal       [nrMemEvents]int64
	oomGroup                        bool

	// pids
	pidsMax                     int64
	pidsPeak                    int64
	pidsEvents, pidsEventsLocal [2]int64

	// cpu
	cpuShares uint64 // scheduler weight, 1024 = cpu.weight 100
	cpuIdle   bool
	cpuQuota  uint64 // microseconds, runtimeInf for "max"
	cpuPeriod uint64 // microseconds
	cpuBurst  uint64
	cpuUsage  [2]uint64 // user, system microseconds (hierarchical)

	// io
	ioDefault uint32
	ioWeights map[Device]uint32
	ioMax     map[Device]*[4]uint64 // rbps wbps riops wiops; ^0 (or MaxUint32 for iops) is max
	ioStat    map[Device]*[6]uint64

	// cpuset
	cpus, mems cpuList
}

// reset gives the controllers of which the state just came into existence
// their defaults.
func (c *controllers) reset(h *Hierarchy, cg *Cgroup, which mask) {
	if which.has(ssMemory) {
		c.memMin, c.memLow = 0, 0
		c.memHigh, c.memMax = pageCounterMax, pageCounterMax
		c.swapHigh, c.swapMax = pageCounterMax, pageCounterMax
		c.zswapMax, c.zswapWriteback = pageCounterMax, true
		c.memUsage, c.memLocal, c.memPeak = 0, 0, 0
		c.memEvents, c.memEventsLocal = [nrMemEvents]int64{}, [nrMemEvents]int64{}
		c.oomGroup = false
	}
	if which.has(ssPids) {
		c.pidsMax = pidsMax
		c.pidsPeak = int64(cg.subtreeTasks)
		c.pidsEvents, c.pidsEventsLocal = [2]int64{}, [2]int64{}
	}
	if which.has(ssCPU) {
		c.cpuShares, c.cpuIdle = 1024, false
		c.cpuQuota, c.cpuPeriod, c.cpuBurst = runtimeInf, cpuPeriodDefault, 0
	}
	if which.has(ssIO) {
		c.ioDefault = 100
		c.ioWeights = map[Device]uint32{}
		c.ioMax = map[Device]*[4]uint64{}
		c.ioStat = map[Device]*[6]uint64{}
	}
	if which.has(ssCpuset) {
		c.cpus, c.mems = cpuList{}, cpuList{}
	}
}

// kill ends the state of the controllers in which: their files go away
// and memory charged here moves to the nearest ancestor that accounts
// memory (reparenting).
func (c *controllers) kill(cg *Cgroup, which mask) {
	for s := ssid(0); s < nrSS; s++ {
		if which.has(s) {
			cg.ssGen[s]++
		}
	}
	if which.has(ssMemory) && cg.parent != nil && c.memLocal > 0 {
		// The ancestors' hierarchical usage already includes it.
		e := cg.parent.eff(ssMemory)
		e.ctl.memLocal += c.memLocal
	}
	c.reset(cg.h, cg, which)
}

// memEvent is memcg_memory_event: counted locally in cg and
// hierarchically in cg and every ancestor below the root.
func (cg *Cgroup) memEvent(ev int) {
	cg.ctl.memEventsLocal[ev]++
	for c := cg; c != nil && c.parent != nil; c = c.parent {
		c.ctl.memEvents[ev]++
	}
}

// ChargeMemory charges n bytes to the cgroup, as the memory controller's
// try_charge does for memory a process in it allocates: to the nearest
// ancestor-or-self that accounts memory, and hierarchically to every
// ancestor. If that would take some ancestor's usage over its memory.max,
// nothing is charged, that ancestor records a "max" and an "oom" event and
// ChargeMemory fails with ENOMEM: reclaiming or OOM-killing is the host's
// to do (RecordOOMKill counts a kill). After a charge, each ancestor above
// its memory.high records a "high" event.
func (cg *Cgroup) ChargeMemory(n uint64) error {
	h := cg.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.bound.has(ssMemory) {
		return vfs.EOPNOTSUPP
	}
	e := cg.eff(ssMemory)
	for c := e; c.parent != nil; c = c.parent {
		if c.ctl.memUsage+n < c.ctl.memUsage || c.ctl.memUsage+n > c.ctl.memMax*pageSize {
			c.memEvent(memMax)
			c.memEvent(memOOM)
			return vfs.ENOMEM
		}
	}
	e.ctl.memLocal += n
	for c := e; c != nil; c = c.parent {
		c.ctl.memUsage += n
		if c.ctl.memUsage > c.ctl.memPeak {
			c.ctl.memPeak = c.ctl.memUsage
		}
		for f := range c.peakWatchers {
			if c.ctl.memUsage > f.peak {
				f.peak = c.ctl.memUsage
			}
		}
	}
	for c := e; c.parent != nil; c = c.parent {
		if c.ctl.memUsage > c.ctl.memHigh*pageSize {
			c.memEvent(memHigh)
		}
	}
	return nil
}

// UnchargeMemory releases n bytes charged to the cgroup (to the nearest
// ancestor-or-self that accounts memory): EINVAL if fewer are charged
// there.
func (cg *Cgroup) UnchargeMemory(n uint64) error {
	h := cg.h
	h.mu.Lock()
	defer h.mu.Unlock()
	e := cg.eff(ssMemory)
	if n > e.ctl.memLocal {
		return vfs.EINVAL
	}
	e.ctl.memLocal -= n
	for c := e; c != nil; c = c.parent {
		c.ctl.memUsage -= n
	}
	return nil
}

// RecordOOMKill records that the host's OOM killer killed a process of
// the cgroup (memory.events oom_kill, and oom_group_kill when group is
// set).
func (cg *Cgroup) RecordOOMKill(group bool) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	e := cg.eff(ssMemory)
	e.memEvent(memOOMKill)
	if group {
		e.memEvent(memOOMGroupKill)
	}
}

// MemoryCurrent returns memory.current in bytes (of the nearest
// ancestor-or-self that accounts memory).
func (cg *Cgroup) MemoryCurrent() uint64 {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	return cg.eff(ssMemory).ctl.memUsage
}

// MemoryLimits returns memory.min, memory.low, memory.high and memory.max
// in bytes (math.MaxInt64 rounded down to pages for "max") of the cgroup,
// and false when it does not account memory.
func (cg *Cgroup) MemoryLimits() (min, low, high, max uint64, ok bool) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if !cg.has(ssMemory) || cg.parent == nil {
		return 0, 0, 0, 0, false
	}
	c := &cg.ctl
	return c.memMin * pageSize, c.memLow * pageSize, c.memHigh * pageSize, c.memMax * pageSize, true
}

// PidsLimit returns pids.max (-1 for "max") and pids.current of the
// cgroup, and false when it does not account pids.
func (cg *Cgroup) PidsLimit() (max int64, current int, ok bool) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if !cg.has(ssPids) || cg.parent == nil {
		return 0, 0, false
	}
	if cg.ctl.pidsMax >= pidsMax {
		return -1, cg.subtreeTasks, true
	}
	return cg.ctl.pidsMax, cg.subtreeTasks, true
}

// CPULimits returns cpu.max (quota in microseconds, 0 for "max", and
// period), and cpu.weight, and false when the cgroup has no cpu state.
func (cg *Cgroup) CPULimits() (quota, period uint64, weight uint64, ok bool) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if !cg.has(ssCPU) || cg.parent == nil {
		return 0, 0, 0, false
	}
	c := &cg.ctl
	q := c.cpuQuota
	if q == runtimeInf {
		q = 0
	}
	return q, c.cpuPeriod, cpuWeight(c), true
}

// AddCPUUsage adds CPU time, in microseconds, to cpu.stat of the cgroup
// and its ancestors.
func (cg *Cgroup) AddCPUUsage(userUsec, systemUsec uint64) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	for c := cg; c != nil; c = c.parent {
		c.ctl.cpuUsage[0] += userUsec
		c.ctl.cpuUsage[1] += systemUsec
	}
}

// AddIO adds to io.stat of the cgroup's nearest ancestor-or-self with io
// state, and of its ancestors: bytes and operations read, written and
// discarded on device d.
func (cg *Cgroup) AddIO(d Device, rbytes, wbytes, rios, wios, dbytes, dios uint64) error {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if !cg.h.devices[d] {
		return vfs.ENODEV
	}
	if !cg.h.bound.has(ssIO) {
		return vfs.EOPNOTSUPP
	}
	for c := cg.eff(ssIO); c != nil; c = c.parent {
		st := c.ctl.ioStat[d]
		if st == nil {
			st = new([6]uint64)
			c.ctl.ioStat[d] = st
		}
		for i, v := range [6]uint64{rbytes, wbytes, rios, wios, dbytes, dios} {
			st[i] += v
		}
	}
	return nil
}

// IOMax returns io.max of the cgroup for device d: read and write bytes
// and operations per second, 0 where unlimited.
func (cg *Cgroup) IOMax(d Device) (rbps, wbps, riops, wiops uint64) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if !cg.has(ssIO) {
		return 0, 0, 0, 0
	}
	v := cg.ctl.ioMax[d]
	if v == nil {
		return 0, 0, 0, 0
	}
	lim := func(x, max uint64) uint64 {
		if x >= max {
			return 0
		}
		return x
	}
	return lim(v[0], ^uint64(0)), lim(v[1], ^uint64(0)), lim(v[2], 1<<32-1), lim(v[3], 1<<32-1)
}

// CPUs returns the effective cpuset.cpus and cpuset.mems of the cgroup.
func (cg *Cgroup) CPUs() (cpus, mems []int) {
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	for i, b := range cg.effCPUs() {
		if b {
			cpus = append(cpus, i)
		}
	}
	for i, b := range cg.effMems() {
		if b {
			mems = append(mems, i)
		}
	}
	return cpus, mems
}

// effCPUs is cpuset.cpus.effective: the cgroup's cpus within its parent's
// effective ones, or the parent's when that is empty.
func (cg *Cgroup) effCPUs() cpuList {
	if cg.parent == nil {
		return cg.h.cpus
	}
	pe := cg.parent.effCPUs()
	if !cg.has(ssCpuset) {
		return pe
	}
	e := cg.ctl.cpus.and(pe)
	if e.empty() {
		return pe
	}
	return e
}

func (cg *Cgroup) effMems() cpuList {
	if cg.parent == nil {
		return cg.h.mems
	}
	pe := cg.parent.effMems()
	if !cg.has(ssCpuset) {
		return pe
	}
	e := cg.ctl.mems.and(pe)
	if e.empty() {
		return pe
	}
	return e
}

// sched_prio_to_weight, nice -20 to 19.
var prioToWeight = [40]uint64{
	88761, 71755, 56483, 46273, 36291,
	29154, 23254, 18705, 14949, 11916,
	9548, 7620, 6100, 4904, 3906,
	3121, 2501, 1991, 1586, 1277,
	1024, 820, 655, 526, 423,
	335, 272, 215, 172, 137,
	110, 87, 70, 56, 45,
	36, 29, 23, 18, 15,
}

// cpuWeight is cpu.weight as cpu_weight_read_u64 shows it: the shares
// scaled to 100 for 1024, rounded to nearest; 0 for an idle group.
func cpuWeight(c *controllers) uint64 {
	if c.cpuIdle {
		return 0
	}
	w := (c.cpuShares*100 + 512) / 1024
	return min(max(w, 1), 10000)
}

// cpuNice is cpu.weight.nice: the nice value whose weight is closest.
func cpuNice(c *controllers) int64 {
	if c.cpuIdle {
		return 0
	}
	w := c.cpuShares
	last := ^uint64(0)
	prio := 0
	for prio = 0; prio < len(prioToWeight); prio++ {
		d := prioToWeight[prio] - w
		if w > prioToWeight[prio] {
			d = w - prioToWeight[prio]
		}
		if d >= last {
			break
		}
		last = d
	}
	return int64(prio-1) - 20
}
