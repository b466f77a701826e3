// Package bench holds mountkit's benchmarks, each measured against a peer
// in the same run:
//
//   - BenchmarkStat10, BenchmarkStat10Missing, BenchmarkStat10Mounts5:
//     stat of a 10-component path (a hit, ENOENT, and a hit crossing 5
//     mounts) on mountkit, afero's MemMapFs, go-billy's memfs and, as
//     root, the kernel's stat(2) on a tmpfs holding the same tree;
//   - BenchmarkStat10UnderMounts, BenchmarkLookupUnderMounts: the walk
//     with 10 and with 10,000 mounts in the namespace;
//   - BenchmarkStat10Parallel: 1 and 2 walkers, with and without a
//     goroutine mounting and unmounting meanwhile;
//   - BenchmarkBind, BenchmarkBind10k: bind mount and umount, against the
//     kernel;
//   - BenchmarkPropagate: one mount propagated to 10, 100 and 1,000 peers,
//     against the kernel;
//   - BenchmarkMountInfo: rendering mountinfo with 1,000 mounts, against
//     reading the kernel's;
//   - BenchmarkMemory: live heap per bind mount and per memfs inode
//     (with its vfs dentry, and on memfs alone), against MemMapFs and
//     go-billy per file;
//   - BenchmarkExt4Read100M, BenchmarkExt4HtreeList,
//     BenchmarkExt4HtreeLookup: reading an ext4 image, and
//     BenchmarkExt4Write100M, BenchmarkExt4Create10k: writing one (a
//     100 MiB file, 10,000 files in one directory, writeback included),
//     against the kernel's loop mount.
//
// Run them with
//
//	go test -run - -bench . -benchmem ./bench
//
// or, for the table of targets and ratios and the README's chart,
//
//	go run ./bench/report
//
// and read the ratios, not the absolute figures: they depend on the
// machine. The kernel peers need root (a private mount namespace of the
// benchmark's thread) and skip themselves otherwise. Benchmarks are not
// pass/fail tests. hackpadfs, named as a peer in the issue, is not
// reachable through this project's module proxy and is left out.
package bench
