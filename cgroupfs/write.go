package cgroupfs

import (
	"strings"

	"github.com/mountkit/mountkit/internal/kstrtox"
	"github.com/mountkit/mountkit/vfs"
)

var (
	errNoent = vfs.ENOENT
	errInval = vfs.EINVAL
)

// writeLocked is kernfs_fop_write_iter and cgroup_file_write for one
// write(2) of p: E2BIG beyond the file's limit (a page for most), 0 for an empty write, ENODEV when the
// file went away since it was opened, EINVAL for a file with no write
// handler; the handler sees the data up to its first NUL. On success the
// whole of p counts as written. It returns the processes a cgroup.kill
// write leaves to the host. h.mu is held.
func (cg *Cgroup) writeLocked(f *file, p []byte) (int, []int, error) {
	if len(p) > f.in.spec.maxWrite {
		return 0, nil, vfs.E2BIG
	}
	if !f.live() {
		return 0, nil, vfs.ENODEV
	}
	if len(p) == 0 {
		return 0, nil, nil
	}
	s := f.in.spec
	if s.write == nil {
		return 0, nil, vfs.EINVAL
	}
	buf := string(p)
	if i := strings.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	if s.name == "cgroup.kill" {
		if err := parseKill(buf); err != nil {
			return 0, nil, err
		}
		if cg.dead {
			return 0, nil, vfs.ENOENT
		}
		if cg.threaded() {
			return 0, nil, vfs.EOPNOTSUPP
		}
		return len(p), cg.kill(), nil
	}
	if err := s.write(cg, f, buf); err != nil {
		return 0, nil, err
	}
	return len(p), nil, nil
}

// runKill hands the processes of a cgroup.kill write to the host. h.mu is
// not held.
func (h *Hierarchy) runKill(pids []int) {
	if h.cfg.Kill == nil {
		return
	}
	for _, p := range pids {
		h.cfg.Kill(p)
	}
}

func parseKill(buf string) error {
	v, err := kstrtox.Int32(strstrip(buf), 0)
	if err != nil {
		return err
	}
	if v != 1 {
		return vfs.ERANGE
	}
	return nil
}

func writeType(cg *Cgroup, _ *file, buf string) error {
	if strstrip(buf) != "threaded" {
		return vfs.EINVAL
	}
	return cg.enableThreaded()
}

// parsePID is cgroup_procs_write_start's parsing: EINVAL for a malformed
// or negative pid; 0 is the caller.
func (h *Hierarchy) parsePID(buf string) (int, error) {
	pid, err := kstrtox.Int32(strstrip(buf), 0)
	if err != nil || pid < 0 {
		return 0, vfs.EINVAL
	}
	if pid == 0 {
		if h.cfg.Current == nil {
			return 0, vfs.ESRCH
		}
		pid = h.cfg.Current()
	}
	return pid, nil
}

func writeProcs(cg *Cgroup, _ *file, buf string) error {
	if cg.dead {
		return vfs.ENODEV
	}
	pid, err := cg.h.parsePID(buf)
	if err != nil {
		return err
	}
	return cg.h.attach(cg, pid, true)
}

func writeThreads(cg *Cgroup, _ *file, buf string) error {
	if cg.dead {
		return vfs.ENODEV
	}
	tid, err := cg.h.parsePID(buf)
	if err != nil {
		return err
	}
	return cg.h.attach(cg, tid, false)
}

// parseSubtreeControl parses a cgroup.subtree_control write: space
// separated "+name" and "-name" tokens, the last one for a controller
// winning. A name v2 does not know (unknown, not built in, or v1-only) or a
// token without its sign is EINVAL.
func parseSubtreeControl(buf string) (enable, disable mask, err error) {
	for _, tok := range strings.Split(strstrip(buf), " ") {
		if tok == "" {
			continue
		}
		s, ok := lookupSS(tok[1:])
		if !ok || inhibitMask&bit(s) != 0 || compiledMask&bit(s) == 0 {
			return 0, 0, vfs.EINVAL
		}
		switch tok[0] {
		case '+':
			enable |= bit(s)
			disable &^= bit(s)
		case '-':
			disable |= bit(s)
			enable &^= bit(s)
		default:
			return 0, 0, vfs.EINVAL
		}
	}
	return enable, disable, nil
}

func writeSubtreeControl(cg *Cgroup, _ *file, buf string) error {
	enable, disable, err := parseSubtreeControl(buf)
	if err != nil {
		return err
	}
	return cg.writeSubtreeControl(enable, disable)
}

// parseLimit parses "max" or a non-negative int for cgroup.max.depth and
// cgroup.max.descendants.
func parseLimit(buf string) (int, error) {
	buf = strstrip(buf)
	if buf == "max" {
		return 1<<31 - 1, nil
	}
	v, err := kstrtox.Int32(buf, 0)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, vfs.ERANGE
	}
	return v, nil
}

func writeMaxDescendants(cg *Cgroup, _ *file, buf string) error {
	v, err := parseLimit(buf)
	if err != nil {
		return err
	}
	if cg.dead {
		return vfs.ENOENT
	}
	cg.maxDescendants = v
	return nil
}

func writeMaxDepth(cg *Cgroup, _ *file, buf string) error {
	v, err := parseLimit(buf)
	if err != nil {
		return err
	}
	if cg.dead {
		return vfs.ENOENT
	}
	cg.maxDepth = v
	return nil
}

// parseBool01 parses the 0 or 1 of cgroup.freeze and cgroup.pressure.
func parseBool01(buf string) (bool, error) {
	v, err := kstrtox.Int32(strstrip(buf), 0)
	if err != nil {
		return false, err
	}
	if v < 0 || v > 1 {
		return false, vfs.ERANGE
	}
	return v == 1, nil
}

func writeFreeze(cg *Cgroup, _ *file, buf string) error {
	v, err := parseBool01(buf)
	if err != nil {
		return err
	}
	if cg.dead {
		return vfs.ENOENT
	}
	cg.setFreeze(v)
	return nil
}

// writeKill is handled by writeLocked, which hands the victims to the
// host outside the lock; this entry only marks cgroup.kill writable.
func writeKill(*Cgroup, *file, string) error { return vfs.EINVAL }

func writePSIEnabled(cg *Cgroup, _ *file, buf string) error {
	v, err := parseBool01(buf)
	if err != nil {
		return err
	}
	if cg.dead {
		return vfs.ENOENT
	}
	if cg.psiEnabled != v {
		if !v {
			cg.psiGen++
		}
		cg.psiEnabled = v
	}
	return nil
}

// parseTrigger is psi_trigger_create's validation of "some|full
// <threshold us> <window us>" for a privileged writer: sscanf("some %u
// %u"), so the keyword must start the buffer, white space between the
// fields is optional where a number follows, and the numbers are taken
// modulo 2^32; the window must be in [500ms, 10s] and the threshold in
// (0, window].
func parseTrigger(buf string) error {
	rest, ok := strings.CutPrefix(buf, "some")
	if !ok {
		if rest, ok = strings.CutPrefix(buf, "full"); !ok {
			return vfs.EINVAL
		}
	}
	threshold, rest, ok := sscanfU64(rest)
	if !ok {
		return vfs.EINVAL
	}
	window, _, ok := sscanfU64(rest)
	if !ok {
		return vfs.EINVAL
	}
	threshold, window = uint64(uint32(threshold)), uint64(uint32(window))
	if window < 500000 || window > 10000000 {
		return vfs.EINVAL
	}
	if threshold == 0 || threshold > window {
		return vfs.EINVAL
	}
	return nil
}

// writePressure registers a pressure trigger (one per open file, EBUSY
// for a second). Stalls are never recorded, so it never fires.
func writePressure(cg *Cgroup, f *file, buf string) error {
	if cg.dead {
		return vfs.ENODEV
	}
	if f.trigger {
		return vfs.EBUSY
	}
	if err := parseTrigger(buf); err != nil {
		return err
	}
	f.trigger = true
	return nil
}

// NR_CPUS and MAX_NUMNODES of the modelled kernel (the reference
// machine's configuration: NR_CPUS=256, NODES_SHIFT=10), which bound the
// length of cpuset writes. CPU lists are parsed against nr_cpu_ids (the
// hierarchy's CPUs: ERANGE beyond), node lists against MAX_NUMNODES
// (ERANGE beyond, EINVAL for a node the hierarchy does not have).
const (
	nrCPUs      = 256
	maxNumNodes = 1024
)

func writeCpusetCPUs(cg *Cgroup, _ *file, buf string) error {
	l, err := parseList(buf, len(cg.h.cpus))
	if err != nil {
		return err
	}
	if !l.subsetOf(cg.h.cpus) {
		return vfs.EINVAL
	}
	cg.ctl.cpus = l
	return nil
}

func writeCpusetMems(cg *Cgroup, _ *file, buf string) error {
	l, err := parseList(buf, maxNumNodes)
	if err != nil {
		return err
	}
	if !l.subsetOf(cg.h.mems) {
		return vfs.EINVAL
	}
	cg.ctl.mems = l
	return nil
}

// writePartition accepts "member"; partitions ("root", "isolated") are not
// modelled and fail with EOPNOTSUPP.
func writePartition(_ *Cgroup, _ *file, buf string) error {
	switch strstrip(buf) {
	case "member":
		return nil
	case "root", "isolated":
		return vfs.EOPNOTSUPP
	}
	return vfs.EINVAL
}

// writeExclusive accepts the empty list; exclusive CPUs belong to
// partitions, which are not modelled (EOPNOTSUPP).
func writeExclusive(cg *Cgroup, _ *file, buf string) error {
	l, err := parseList(buf, len(cg.h.cpus))
	if err != nil {
		return err
	}
	if !l.subsetOf(cg.h.cpus) {
		return vfs.EINVAL
	}
	if !l.empty() {
		return vfs.EOPNOTSUPP
	}
	return nil
}

// writeU64 is cgroup_file_write's write_u64 path: kstrtoull of the raw
// buffer, which takes one trailing newline and no other space.
func writeU64(buf string) (uint64, error) { return kstrtox.Uint(buf, 0) }

func writeCPUWeight(cg *Cgroup, _ *file, buf string) error {
	w, err := writeU64(buf)
	if err != nil {
		return err
	}
	if w < 1 || w > 10000 {
		return vfs.ERANGE
	}
	cg.ctl.cpuShares = min(max((w*1024+50)/100, 2), 1<<18)
	cg.ctl.cpuIdle = false
	return nil
}

func writeCPUWeightNice(cg *Cgroup, _ *file, buf string) error {
	n, err := kstrtox.Int(buf, 0)
	if err != nil {
		return err
	}
	if n < -20 || n > 19 {
		return vfs.ERANGE
	}
	cg.ctl.cpuShares = prioToWeight[n+20]
	cg.ctl.cpuIdle = false
	return nil
}

func writeCPUIdle(cg *Cgroup, _ *file, buf string) error {
	n, err := kstrtox.Int(buf, 0)
	if err != nil {
		return err
	}
	if n < 0 || n > 1 {
		return vfs.EINVAL
	}
	cg.ctl.cpuIdle = n == 1
	return nil
}

// setBandwidth is tg_set_cfs_bandwidth's validation, in microseconds.
func setBandwidth(c *controllers, period, quota, burst uint64) error {
	if period < 1000 || period > 1000000 {
		return vfs.EINVAL
	}
	if quota != runtimeInf && (quota < 1000 || quota > maxCFSRuntime) {
		return vfs.EINVAL
	}
	if quota != runtimeInf && (burst > quota || burst+quota > maxCFSRuntime) {
		return vfs.EINVAL
	}
	c.cpuPeriod, c.cpuQuota, c.cpuBurst = period, quota, burst
	return nil
}

// writeCPUMax is cpu_max_write: "$MAX [$PERIOD]" with "max" for no limit;
// a period that does not parse leaves the period as it was.
func writeCPUMax(cg *Cgroup, _ *file, buf string) error {
	period := cg.ctl.cpuPeriod
	tok, rest, ok := sscanfWord(buf, 20)
	if !ok {
		return vfs.EINVAL
	}
	if p, _, ok := sscanfU64(rest); ok {
		period = p
	}
	var quota uint64
	if q, _, ok := sscanfU64(tok); ok {
		quota = q
	} else if tok == "max" {
		quota = runtimeInf
	} else {
		return vfs.EINVAL
	}
	return setBandwidth(&cg.ctl, period, quota, cg.ctl.cpuBurst)
}

func writeCPUBurst(cg *Cgroup, _ *file, buf string) error {
	b, err := writeU64(buf)
	if err != nil {
		return err
	}
	if b > maxCFSRuntime {
		return vfs.EINVAL
	}
	return setBandwidth(&cg.ctl, cg.ctl.cpuPeriod, cg.ctl.cpuQuota, b)
}

// parseDevice parses "MAJ:MIN" at the start of a blkg_conf_prep body:
// EINVAL when malformed, ENODEV for a device the hierarchy does not know.
func (h *Hierarchy) parseDevice(buf string) (Device, string, error) {
	maj, rest, ok := sscanfU64(buf)
	if !ok || rest == "" || rest[0] != ':' || maj > 1<<32-1 {
		return Device{}, "", vfs.EINVAL
	}
	min, rest, ok := sscanfU64(rest[1:])
	if !ok || min > 1<<32-1 {
		return Device{}, "", vfs.EINVAL
	}
	d := Device{uint32(maj), uint32(min)}
	if !h.devices[d] {
		return Device{}, "", vfs.ENODEV
	}
	return d, rest, nil
}

// writeIOWeight is the iocost io.weight write: "[default] W" or
// "MAJ:MIN W|default", weights in [1, 10000].
func writeIOWeight(cg *Cgroup, _ *file, buf string) error {
	if !strings.Contains(buf, ":") {
		b := strings.TrimLeft(buf, " \t\n\v\f\r")
		b = strings.TrimPrefix(b, "default")
		v, _, ok := sscanfU64(b)
		if !ok {
			return vfs.EINVAL
		}
		if v < 1 || v > 10000 {
			return vfs.EINVAL
		}
		cg.ctl.ioDefault = uint32(v)
		return nil
	}
	d, rest, err := cg.h.parseDevice(buf)
	if err != nil {
		return err
	}
	body := strings.TrimLeft(rest, " \t\n\v\f\r")
	if strings.HasPrefix(body, "default") {
		delete(cg.ctl.ioWeights, d)
		return nil
	}
	v, _, ok := sscanfU64(body)
	if !ok || v < 1 || v > 10000 {
		return vfs.EINVAL
	}
	cg.ctl.ioWeights[d] = uint32(v)
	return nil
}

// writeIOMax is tg_set_limit: "MAJ:MIN key=value..." with keys rbps,
// wbps, riops, wiops and values a positive number or "max".
func writeIOMax(cg *Cgroup, _ *file, buf string) error {
	d, body, err := cg.h.parseDevice(buf)
	if err != nil {
		return err
	}
	v := [4]uint64{^uint64(0), ^uint64(0), 1<<32 - 1, 1<<32 - 1}
	if old := cg.ctl.ioMax[d]; old != nil {
		v = *old
	}
	for {
		tok, rest, ok := sscanfWord(body, 26)
		if !ok {
			break
		}
		body = rest
		key, val, found := strings.Cut(tok, "=")
		if !found {
			return vfs.EINVAL
		}
		n, tail, ok := sscanfU64(val)
		switch {
		case ok:
			_ = tail
		case val == "max":
			n = ^uint64(0)
		default:
			return vfs.EINVAL
		}
		if n == 0 {
			return vfs.ERANGE
		}
		switch key {
		case "rbps":
			v[0] = n
		case "wbps":
			v[1] = n
		case "riops":
			v[2] = min(n, 1<<32-1)
		case "wiops":
			v[3] = min(n, 1<<32-1)
		default:
			return vfs.EINVAL
		}
	}
	if v == [4]uint64{^uint64(0), ^uint64(0), 1<<32 - 1, 1<<32 - 1} {
		delete(cg.ctl.ioMax, d)
	} else {
		cg.ctl.ioMax[d] = &v
	}
	return nil
}

// writeIOCost takes "MAJ:MIN ..." for io.cost.qos and io.cost.model: EINVAL
// for a malformed device, ENODEV for an unknown one, and EOPNOTSUPP for a
// known one, as the iocost model is not implemented.
func writeIOCost(cg *Cgroup, _ *file, buf string) error {
	if _, _, err := cg.h.parseDevice(buf); err != nil {
		return err
	}
	return vfs.EOPNOTSUPP
}

// pageCounterMemparse is page_counter_memparse: "max" or a byte count with
// memparse's suffixes, in pages (rounded down).
func pageCounterMemparse(buf string) (uint64, error) {
	buf = strstrip(buf)
	if buf == "max" {
		return pageCounterMax, nil
	}
	b, rest := kstrtox.Memparse(buf)
	if rest != "" || len(rest) == len(buf) {
		return 0, vfs.EINVAL
	}
	return min(b/pageSize, pageCounterMax), nil
}

func memLimitWrite(field func(*controllers) *uint64) func(*Cgroup, *file, string) error {
	return func(cg *Cgroup, _ *file, buf string) error {
		v, err := pageCounterMemparse(buf)
		if err != nil {
			return err
		}
		*field(&cg.ctl) = v
		return nil
	}
}

// writeMemReclaim is memory_reclaim: "<bytes> [swappiness=<0-200|max>]".
// cgroupfs holds no reclaimable memory of its own (the host owns the
// pages), so a request for a page or more fails with EAGAIN, as Linux when
// it reclaims less than asked; less than a page asks for nothing.
func writeMemReclaim(cg *Cgroup, _ *file, buf string) error {
	buf = strstrip(buf)
	amount, rest := kstrtox.Memparse(buf)
	if len(rest) == len(buf) {
		return vfs.EINVAL
	}
	rest = strings.TrimLeft(rest, " ")
	for rest != "" {
		var tok string
		tok, rest, _ = strings.Cut(rest, " ")
		if tok == "" {
			continue
		}
		val, ok := strings.CutPrefix(tok, "swappiness=")
		if !ok {
			return vfs.EINVAL
		}
		if val != "max" {
			n, err := kstrtox.Int32(val, 0)
			if err != nil || n < 0 || n > 200 {
				return vfs.EINVAL
			}
		}
	}
	if amount/pageSize > 0 {
		return vfs.EAGAIN
	}
	return nil
}

// writeMemPeak resets the peak seen through this open file to the current
// usage (any non-empty write).
func writeMemPeak(cg *Cgroup, f *file, _ string) error {
	if f.peakReset {
		delete(cg.peakWatchers, f)
	}
	f.peakReset = true
	f.peak = cg.ctl.memUsage
	if cg.peakWatchers == nil {
		cg.peakWatchers = map[*file]struct{}{}
	}
	cg.peakWatchers[f] = struct{}{}
	return nil
}

func writeOOMGroup(cg *Cgroup, _ *file, buf string) error {
	v, err := kstrtox.Int32(strstrip(buf), 0)
	if err != nil {
		return err
	}
	if v != 0 && v != 1 {
		return vfs.EINVAL
	}
	cg.ctl.oomGroup = v == 1
	return nil
}

// writeZswapWriteback is zswap_writeback_write: 0 or 1.
func writeZswapWriteback(cg *Cgroup, _ *file, buf string) error {
	v, err := kstrtox.Int32(strstrip(buf), 0)
	if err != nil {
		return err
	}
	if v != 0 && v != 1 {
		return vfs.EINVAL
	}
	cg.ctl.zswapWriteback = v == 1
	return nil
}

// writePidsMax is pids_max_write: "max" or a number in [0, PIDS_MAX).
func writePidsMax(cg *Cgroup, _ *file, buf string) error {
	buf = strstrip(buf)
	if buf == "max" {
		cg.ctl.pidsMax = pidsMax
		return nil
	}
	v, err := kstrtox.Int(buf, 0)
	if err != nil {
		return err
	}
	if v < 0 || v >= pidsMax {
		return vfs.EINVAL
	}
	cg.ctl.pidsMax = v
	return nil
}
