// Package cgroupfs is a cgroup v2 hierarchy as a mountable filesystem: the
// "cgroup2" type of Linux 6.18 (kernel/cgroup/cgroup.c over kernfs), with
// the interface files of Documentation/admin-guide/cgroup-v2.rst and a Go
// API through which the host program supplies the processes and the
// resource usage the files report.
//
// A Hierarchy (New, NewDefault) is one tree of cgroups. Its Mount method
// is a vfs.NewFilesystemFunc that returns the hierarchy's one FS every
// time, so every mount of it shares one superblock and shows the same
// tree, as every cgroup2 mount shows Linux's one default hierarchy.
// mountkit.NewKernel registers a fresh NewDefault hierarchy under
// "cgroup2"; a host that needs to drive processes makes its own Hierarchy
// and registers its Mount under "cgroup2" on its kernel.
//
// The modelled kernel is the project's reference machine: Linux 6.18 with
// NR_CPUS=256, NUMA, swap, zswap, PSI, CFS bandwidth, blk-throttle and
// iocost, and without uclamp, io.latency, io priorities and IRQ time
// accounting.
//
// What it reproduces:
//
//   - The mount options nsdelegate, favordynmods, memory_localevents,
//     memory_recursiveprot, memory_hugetlb_accounting and
//     pids_localevents (EINVAL for anything else, or a value); every mount
//     and remount sets the hierarchy's options to those it names, and
//     mountinfo shows them as Linux's super options.
//   - The core files with Linux's names, modes (0644 read-write, 0444
//     read-only, 0200 for cgroup.kill) and formats: cgroup.type,
//     cgroup.procs, cgroup.threads, cgroup.controllers,
//     cgroup.subtree_control, cgroup.events, cgroup.max.descendants,
//     cgroup.max.depth, cgroup.stat, cgroup.stat.local, cgroup.freeze,
//     cgroup.kill, cpu.stat, cpu.stat.local and the pressure files
//     (cgroup.pressure, cpu.pressure, io.pressure, memory.pressure); the
//     root has no cgroup.type, cgroup.events, cgroup.freeze, cgroup.kill
//     nor cgroup.stat.local.
//   - The controllers cpuset, cpu, io, memory and pids (and perf_event,
//     implicit and without files), their files appearing in a cgroup when
//     its parent enables them in cgroup.subtree_control and going when it
//     disables them; a file opened before it went reads and writes ENODEV.
//   - Writes validated as Linux validates them: "+name -name" lists
//     (EINVAL for a malformed token or a name v2 does not know, ENOENT for
//     a controller not available in the parent, EBUSY to disable one a
//     child still enables), the no-internal-process rule (EBUSY), threaded
//     subtrees (cgroup.type, EOPNOTSUPP), "max" or numbers with K/M/G/T/P/E
//     suffixes where Linux takes them, kstrtox's EINVAL and ERANGE,
//     cgroup.max.depth and cgroup.max.descendants enforced by mkdir
//     (EAGAIN), rmdir of a cgroup with children or processes (EBUSY),
//     writes beyond a page or the file's own limit (E2BIG), EINVAL for files without a write or
//     read handler, and kernfs's errnos for everything a cgroup directory
//     does not do (creating files EACCES; mknod, symlink, link, unlink and
//     rename EPERM).
//   - Processes and threads (NewProcess, Fork, NewThread, Exit,
//     ExitThread, Move, MoveThread, writes to cgroup.procs and
//     cgroup.threads); pids.max refusing forks with EAGAIN and the
//     pids.events counters; memory charged and uncharged by the host
//     (ChargeMemory, UnchargeMemory) against memory.max (ENOMEM) with the
//     memory.events counters; cgroup.events' populated and frozen.
//
// What it leaves to the host program: running and throttling anything.
// cgroupfs keeps the limits and reports them (CPULimits, IOMax,
// MemoryLimits, PidsLimit, CPUs), but CPU bandwidth, weights, I/O limits,
// memory.high throttling, reclaim and OOM kills are the host's (RecordOOMKill
// counts a kill), as is what memory_recursiveprot and
// memory_hugetlb_accounting change in reclaim and accounting; cpu.stat, io.stat and memory.current report only what the
// host adds (AddCPUUsage, AddIO, ChargeMemory); the pressure files always
// show no stall, and a pressure trigger, accepted and validated as for a
// writer with CAP_SYS_RESOURCE (any window from 500ms to 10s), never
// fires. Freezing is instantaneous: a cgroup is frozen exactly while it or
// an ancestor has cgroup.freeze set (Frozen tells the host which threads
// not to run). A write of 1 to cgroup.kill calls Config.Kill for every
// process of the subtree, or without one ends them at once.
//
// Not implemented: cgroup namespaces (every writer is in the initial one,
// so nsdelegate changes nothing), the delegation check of a migration on
// the common ancestor's cgroup.procs (the vfs does not pass the writer's
// credentials to a File), writes of "0" to cgroup.procs without
// Config.Current (ESRCH), dying cgroups (nr_dying_* are always 0),
// cpuset partitions ("root" and "isolated" in cpuset.cpus.partition and
// non-empty cpuset.cpus.exclusive fail with EOPNOTSUPP), the controllers
// hugetlb, rdma, misc and dmem (hugetlb's name is known and never
// available: ENOENT; the others are not built in: EINVAL), the files the
// modelled kernel is built without (cpu.uclamp.*, io.latency,
// io.prio.class, irq.pressure), the iocost model (io.cost.qos and io.cost.model list no device and
// refuse a known one with EOPNOTSUPP), memory.stat and memory.numa_stat
// entries other than the first 25 and 20 (charges count as anon),
// and poll(2) notifications of file changes. A name that was
// an interface file and went away stays in the vfs dentry cache, so mkdir
// of that name is EEXIST where Linux would create a cgroup.
package cgroupfs
