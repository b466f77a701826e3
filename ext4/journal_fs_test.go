package ext4

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/internal/testenv"

	"github.com/mountkit/mountkit/vfs"
)

// fsOp is one file operation of the crash test, applied to a
// read-write FS.
type fsOp struct {
	kind    string // create, append, mkdir, unlink, rmdir, rename, symlink, truncate, xattr
	dir     string
	name    string
	to      string // rename: new directory; symlink: target
	toName  string
	content []byte
	size    int64
}

// genOps makes n operations over a small tree, valid in sequence (the
// generator keeps its own model of what exists).
func genOps(seed uint64, n int) []fsOp {
	r := rand.New(rand.NewPCG(seed, 99))
	dirs := []string{""}
	files := map[string]int64{} // path -> size
	var ops []fsOp
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	fileList := func() []string {
		var l []string
		for p := range files {
			l = append(l, p)
		}
		sort.Strings(l)
		return l
	}
	content := func() []byte {
		b := make([]byte, r.IntN(5000))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for id := 0; len(ops) < n; id++ {
		fl := fileList()
		switch k := r.IntN(10); {
		case k < 3 || len(fl) == 0:
			d, name := pick(dirs), fmt.Sprintf("f%d", id)
			c := content()
			ops = append(ops, fsOp{kind: "create", dir: d, name: name, content: c})
			files[path.Join(d, name)] = int64(len(c))
		case k == 3:
			d, name := pick(dirs), fmt.Sprintf("d%d", id)
			ops = append(ops, fsOp{kind: "mkdir", dir: d, name: name})
			dirs = append(dirs, path.Join(d, name))
		case k == 4:
			p := pick(fl)
			c := content()
			ops = append(ops, fsOp{kind: "append", dir: path.Dir(p), name: path.Base(p), content: c, size: files[p]})
			files[p] += int64(len(c))
		case k == 5:
			p := pick(fl)
			ops = append(ops, fsOp{kind: "unlink", dir: path.Dir(p), name: path.Base(p)})
			delete(files, p)
		case k == 6:
			p := pick(fl)
			d, name := pick(dirs), fmt.Sprintf("r%d", id)
			ops = append(ops, fsOp{kind: "rename", dir: path.Dir(p), name: path.Base(p), to: d, toName: name})
			files[path.Join(d, name)] = files[p]
			delete(files, p)
		case k == 7:
			d, name := pick(dirs), fmt.Sprintf("l%d", id)
			ops = append(ops, fsOp{kind: "symlink", dir: d, name: name, to: fmt.Sprintf("target-%d", r.IntN(1000))})
		case k == 8:
			// To a multiple of 4096: a truncate to the middle of a
			// block zeroes the rest of it in place at once (file
			// data is not journaled), which a crash before the
			// commit shows under the old size, as on Linux.
			p := pick(fl)
			sz := r.Int64N(files[p]/4096+1) * 4096
			if sz > files[p] {
				sz = 0
			}
			ops = append(ops, fsOp{kind: "truncate", dir: path.Dir(p), name: path.Base(p), size: sz})
			files[p] = sz
		default:
			p := pick(fl)
			ops = append(ops, fsOp{kind: "xattr", dir: path.Dir(p), name: path.Base(p), content: content()[:r.IntN(40)]})
		}
	}
	for i := range ops {
		if ops[i].dir == "." {
			ops[i].dir = ""
		}
		if ops[i].to == "." {
			ops[i].to = ""
		}
	}
	return ops
}

func lookupDir(f *FS, p string) (vfs.Inode, error) {
	n := f.Root()
	if p == "" {
		return n, nil
	}
	for _, name := range splitSlash(p) {
		var err error
		if n, err = n.Lookup(name); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func splitSlash(p string) []string {
	var out []string
	for p != "" && p != "." {
		out = append([]string{path.Base(p)}, out...)
		p = path.Dir(p)
	}
	return out
}

func applyOp(f *FS, op fsOp) error {
	d, err := lookupDir(f, op.dir)
	if err != nil {
		return err
	}
	switch op.kind {
	case "create", "append":
		var n vfs.Inode
		if op.kind == "create" {
			n, err = d.Create(op.name, vfs.CreateOpts{Mode: vfs.ModeRegular | 0o644})
		} else {
			n, err = d.Lookup(op.name)
		}
		if err != nil {
			return err
		}
		h, err := n.Open(vfs.O_WRONLY)
		if err != nil {
			return err
		}
		if _, err := h.WriteAt(op.content, op.size); err != nil {
			h.Close()
			return err
		}
		return h.Close()
	case "mkdir":
		_, err = d.Mkdir(op.name, vfs.CreateOpts{Mode: vfs.ModeDir | 0o755})
		return err
	case "unlink":
		return d.Unlink(op.name)
	case "rename":
		nd, err := lookupDir(f, op.to)
		if err != nil {
			return err
		}
		return d.Rename(op.name, nd, op.toName, 0)
	case "symlink":
		_, err = d.Symlink(op.name, op.to, vfs.CreateOpts{Mode: vfs.ModeSymlink | 0o777})
		return err
	case "truncate":
		n, err := d.Lookup(op.name)
		if err != nil {
			return err
		}
		return n.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: op.size})
	case "xattr":
		n, err := d.Lookup(op.name)
		if err != nil {
			return err
		}
		return n.Setxattr("user.x", op.content, 0)
	}
	return fmt.Errorf("unknown op %q", op.kind)
}

// snapshot describes the tree of f: one line per file with its type,
// size, content hash, symlink target and user.x attribute.
func snapshot(f *FS) (string, error) {
	var lines []string
	var rec func(n vfs.Inode, p string) error
	rec = func(n vfs.Inode, p string) error {
		a, err := n.Getattr()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%q %o size=%d nlink=%d", p, a.Mode, a.Size, a.Nlink)
		switch a.Mode.Type() {
		case vfs.ModeRegular:
			h, err := n.Open(vfs.O_RDONLY)
			if err != nil {
				return err
			}
			b := make([]byte, a.Size)
			_, err = h.ReadAt(b, 0)
			h.Close()
			if err != nil && a.Size > 0 {
				return err
			}
			line += fmt.Sprintf(" sha=%x", sha256.Sum256(b))
			if x, err := n.Getxattr("user.x"); err == nil {
				line += fmt.Sprintf(" x=%x", x)
			}
		case vfs.ModeSymlink:
			tgt, err := n.Readlink()
			if err != nil {
				return err
			}
			line += " -> " + tgt
		case vfs.ModeDir:
			h, err := n.Open(vfs.O_RDONLY)
			if err != nil {
				return err
			}
			var names []string
			err = h.ReadDir(0, func(e vfs.DirEntry) bool {
				if e.Name != "." && e.Name != ".." {
					names = append(names, e.Name)
				}
				return true
			})
			h.Close()
			if err != nil {
				return err
			}
			sort.Strings(names)
			for _, name := range names {
				c, err := n.Lookup(name)
				if err != nil {
					return err
				}
				if err := rec(c, path.Join(p, name)); err != nil {
					return err
				}
			}
		}
		lines = append(lines, line)
		return nil
	}
	if err := rec(f.Root(), "/"); err != nil {
		return "", err
	}
	sort.Strings(lines)
	return fmt.Sprint(lines), nil
}

// linuxReplay mounts img read-only through a writable loop device (the
// kernel replays its journal) and unmounts it.
func linuxReplay(t *testing.T, dir, img string) {
	t.Helper()
	mnt := filepath.Join(dir, "lmnt")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	sh := fmt.Sprintf(`set -e; dev=$(losetup -f --show %s); trap 'losetup -d $dev' EXIT; mount -o ro $dev %s; umount %s`, img, mnt, mnt)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", sh).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestFSCrash: random file operations on a read-write FS with a
// journal, each followed by a sync, with the power cut after every
// write the run makes in turn (the writes since the last flush
// persisting in order, and, at every other cut (every eighth under the
// race detector), a random subset of them). Opened again (which replays the
// journal), the image must show the tree as it was after the last sync
// that returned or after the next one (committed operations are never
// lost, nothing half done is visible), and e2fsck -fn must find it
// clean (checked on the in-order cuts). As root, some cut images are
// replayed by Linux's own mount as well, and must read back the same.
func TestFSCrash(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (e2fsprogs)", tool)
		}
	}
	for _, c := range []struct {
		name  string
		mkfs  []string
		size  string
		seed  uint64
		ops   int
		batch int // operations per sync
	}{
		{"1k", []string{"-t", "ext4", "-b", "1024"}, "4M", 1, 14, 1},
		{"4k-inline", []string{"-t", "ext4", "-b", "4096", "-O", "inline_data"}, "8M", 2, 10, 1},
		// Three operations per sync: blocks freed and allocated
		// again between two writebacks.
		{"1k-batched", []string{"-t", "ext4", "-b", "1024"}, "4M", 3, 18, 3},
		// A file's blocks freed (unlink) and a new file written in
		// the same interval: without holding freed blocks until the
		// commit, the new data landed in the old file's blocks.
		{"1k-reuse", []string{"-t", "ext4", "-b", "1024"}, "4M", 103, 16, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if raceOn && (c.name == "4k-inline" || c.name == "1k-batched") {
				// The race detector makes the image copies of
				// each cut several times slower: under it the
				// two other cases stand for the four.
				t.Skip("run without -race")
			}
			dir := t.TempDir()
			a := filepath.Join(dir, "a.img")
			out, err := exec.Command("mkfs.ext4", append(append([]string{"-q", "-F"}, c.mkfs...), a, c.size)...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			imgA, err := os.ReadFile(a)
			require.NoError(t, err)
			ops := genOps(c.seed, c.ops)
			size := int64(len(imgA))
			// run applies every operation with a sync after each; it
			// returns the snapshots after each sync (0: the mount's)
			// and the device's write count when each sync returned.
			// (Snapshots are taken on the uncut run only.)
			run := func(d *cutDev, snap bool) (snaps []string, syncedAt []int) {
				take := func(f *FS) {
					if snap {
						s, err := snapshot(f)
						require.NoError(t, err)
						snaps = append(snaps, s)
					}
				}
				f, err := OpenRW(d, size, "")
				require.NoError(t, err)
				take(f)
				syncedAt = append(syncedAt, d.n)
				for i, op := range ops {
					if d.cut {
						// Nothing more reaches the medium: the
						// rest of the run cannot change the image.
						return snaps, syncedAt
					}
					require.NoError(t, applyOp(f, op), "op %d %+v", i, op)
					if (i+1)%c.batch != 0 && i+1 != len(ops) {
						continue
					}
					require.NoError(t, f.Sync())
					syncedAt = append(syncedAt, d.n)
					take(f)
				}
				require.NoError(t, f.Release())
				return snaps, syncedAt
			}
			full := newCutDev(imgA, -1, nil)
			snaps, syncedAt := run(full, true)
			total := full.n
			require.Greater(t, len(map[string]bool{snaps[0]: true, snaps[len(snaps)-1]: true}), 1)
			final := filepath.Join(dir, "final.img")
			require.NoError(t, os.WriteFile(final, full.image(), 0o644))
			code, out1 := fsckCode(t, final, "-fn")
			require.Zero(t, code, "%s", out1)
			cut := filepath.Join(dir, "cut.img")
			states := make([]int, len(snaps))
			_, errLosetup := exec.LookPath("losetup")
			kernel := os.Geteuid() == 0 && errLosetup == nil && !testenv.Emulated()
			kernelCuts := 0
			for limit := 0; limit <= total; limit++ {
				models := []*rand.Rand{nil}
				if every := map[bool]int{false: 2, true: 8}[raceOn]; limit%every == 0 {
					models = append(models, rand.New(rand.NewPCG(uint64(limit), 5)))
				}
				for _, rnd := range models {
					d := newCutDev(imgA, limit, rnd)
					run(d, false)
					m := &memImage{b: d.image()}
					f, err := Open(m, size, "")
					require.NoError(t, err, "cut at %d", limit)
					got, err := snapshot(f)
					require.NoError(t, err, "cut at %d", limit)
					// k: the syncs that had returned before the cut.
					k := -1
					for i, at := range syncedAt {
						if at <= limit {
							k = i
						}
					}
					ok := k >= 0 && got == snaps[k] || k+1 < len(snaps) && got == snaps[k+1]
					if !ok {
						which := -1
						for i, s := range snaps {
							if s == got {
								which = i
							}
						}
						require.Fail(t, "a state no sync left", "cut at %d (after sync %d): got state %d\ngot  %s\nwant %s", limit, k, which, got, snaps[max(k, 0)])
					}
					if got == snaps[max(k, 0)] {
						states[max(k, 0)]++
					} else {
						states[k+1]++
					}
					if rnd == nil {
						require.NoError(t, os.WriteFile(cut, m.b, 0o644))
						code, out := fsckCode(t, cut, "-fn")
						require.Zero(t, code, "cut at %d: %s", limit, out)
					}
					if rnd == nil && kernel && limit%23 == 11 {
						// Linux's replay of the cut image reads
						// back as ours did.
						require.NoError(t, os.WriteFile(cut, d.image(), 0o644))
						linuxReplay(t, dir, cut)
						b, err := os.ReadFile(cut)
						require.NoError(t, err)
						kf, err := Open(bytes.NewReader(b), size, "")
						require.NoError(t, err, "cut at %d: after Linux's replay", limit)
						kgot, err := snapshot(kf)
						require.NoError(t, err)
						require.Equal(t, got, kgot, "cut at %d: Linux's replay differs from ours", limit)
						kernelCuts++
					}
				}
			}
			t.Logf("%d operations, %d writes; cuts per state reached: %v; %d cut images replayed by Linux too", len(ops), total, states, kernelCuts)
			for i, n := range states {
				require.NotZero(t, n, "no cut left the state after sync %d", i)
			}
		})
	}
}

// TestFreedHeldUntilCommit: blocks a removal freed are not reused
// before the next writeback: on a full filesystem the space comes back
// at the sync (Linux would force that commit itself and retry).
func TestFreedHeldUntilCommit(t *testing.T) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("mkfs.ext4 not installed (e2fsprogs)")
	}
	a := filepath.Join(t.TempDir(), "a.img")
	out, err := exec.Command("mkfs.ext4", "-q", "-F", "-t", "ext4", "-b", "1024", a, "4M").CombinedOutput()
	require.NoError(t, err, "%s", out)
	img, err := os.ReadFile(a)
	require.NoError(t, err)
	m := &memImage{b: img}
	f, err := OpenRW(m, int64(len(img)), "")
	require.NoError(t, err)
	fill := func(name string) (int64, error) {
		n, err := f.Root().Create(name, vfs.CreateOpts{Mode: vfs.ModeRegular | 0o644})
		require.NoError(t, err)
		h, err := n.Open(vfs.O_WRONLY)
		require.NoError(t, err)
		defer h.Close()
		chunk := bytes.Repeat([]byte{7}, 64<<10)
		var off int64
		for {
			k, err := h.WriteAt(chunk, off)
			off += int64(k)
			if err != nil {
				return off, err
			}
		}
	}
	n1, err := fill("big")
	require.Equal(t, vfs.ENOSPC, err)
	require.Greater(t, n1, int64(1<<20))
	require.NoError(t, f.Sync())
	require.NoError(t, f.Root().Unlink("big"))
	n2, err := fill("again")
	require.Equal(t, vfs.ENOSPC, err)
	require.Less(t, n2, n1/4, "freed blocks reused before the commit")
	require.NoError(t, f.Root().Unlink("again"))
	require.NoError(t, f.Sync())
	n3, err := fill("third")
	require.Equal(t, vfs.ENOSPC, err)
	require.Greater(t, n3, n1*3/4, "the space came back at the sync")
	require.NoError(t, f.Release())
}
