package script

import (
	"fmt"
	"path"
	"strings"

	"pgregory.net/rapid"
)

// A generator of random mount scripts, for the property tests
// TestRandomMountScriptsLibrary and TestRandomMountScriptsAgree. It shares
// the renderer and the file-operation steps of gen_test.go, with other
// weights, and adds the mount steps:
//
//   - tmpfs: a new tmpfs with random per-mount and superblock flags and
//     small data (size=, mode=, nr_inodes=, a bad option);
//   - bind: MS_BIND and MS_BIND|MS_REC of directories and files (and
//     mismatches), subdirectory sources, a path onto itself, "/" onto a
//     subdirectory, with flags that bind ignores; at most maxRbinds
//     recursive binds per script (the rest render without MS_REC), so
//     that a script with a shared root does not grow its mount count
//     exponentially;
//   - move: MS_MOVE;
//   - remount: MS_REMOUNT and MS_REMOUNT|MS_BIND with random per-mount
//     flags (and data for the superblock remount);
//   - prop: MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE with or without
//     MS_REC and MS_SILENT, and invalid mixes (two types, a type with
//     MS_RDONLY, MS_MOVE, MS_BIND or MS_REMOUNT);
//   - umount: umount2 with every combination of MNT_FORCE, MNT_DETACH,
//     MNT_EXPIRE and UMOUNT_NOFOLLOW, and unknown bits; MNT_EXPIRE often
//     twice in a row, so that the second call unmounts;
//   - pivot: pivot_root between the paths below, "pivot_root . ." (after
//     a chdir, sometimes followed by umount2 . MNT_DETACH), and a bind of
//     a directory onto itself followed by a pivot_root into it;
//   - unshare: mostly in a freshly forked process (fork, as, unshare), so
//     that `as` switches between namespaces; kill and chroot as in
//     gen_test.go.
//
// Mount steps name their paths mostly from a small fixed set (/, /a, /b,
// /c, /a/x, /b/x, /a/x/y, ".", and the files /f and /a/f), which the
// prelude creates, so that mounts stack, binds land on each other, peer
// groups and slaves form and umounts propagate. Sometimes (in 40% of the
// scripts) the prelude makes the root shared.
//
// Sandbox rule (see gen_test.go for chroot). Every process's root and
// working directory must stay inside the world, and every path a
// process can reach must walk ".." up to its root (or stop at the root of
// a detached mount). The generator keeps these invariants: all live
// processes of one mount namespace share one root, and the roots of
// different namespaces are copies of one another (or pivoted, below).
//
//   - unshare: the process's root and cwd move to the copies, but its open
//     descriptors still point into the old namespace, whose tree leads to
//     the host above the old root: a rendered unshare first closes every
//     descriptor the current process may hold (a forked process has none).
//   - pivot_root: it is safe without more care. It attaches the new root
//     where the old root was and the old root at put_old inside the new
//     one, and moves the root (and a cwd exactly at the old root) of every
//     process whose root was the old root, which is every process of the
//     namespace; the whole former tree lies under the new root, so every
//     cwd and descriptor still walks up to it. Renames by a process of
//     another namespace cannot lift a path out of a pivoted root either:
//     the kernel refuses ".." out of a mount whose root is not its
//     filesystem's root (ENOENT), and a mount rooted at its filesystem's
//     root has no dentry above it.
//   - MNT_DETACH of "/" (or of any mount holding a cwd): the detached
//     mounts are disconnected from their parents (and from each other), so
//     ".." stops at the root of the detached mount: safe. A plain umount2
//     of "/" remounts the root's superblock read-only, which is always a
//     tmpfs of the world.
//   - MS_MOVE, bind and propagation only attach mounts at places under the
//     root of a process of the namespace (no host mount is shared), and
//     moving "/" is ELOOP; safe.
//
// Nothing had to be left out for the sandbox. setcred is drawn rarely,
// so that most scripts keep the capabilities to change the tree and some
// check the order of path errors and EPERM. Left out on purpose: images
// and loop devices, and paths through symbolic links for the mount steps
// beyond the few the pool provides.

// Known disagreements the generator is steered away from, while they are
// open (each one is recorded in testdata/found; remove the steering with
// the fix): none at the moment.

// maxRbinds bounds the recursive binds of one script.
const maxRbinds = 3

var mountKinds = kindTable{
	{"nop", 1}, {"mountinfo", 7},
	{"tmpfs", 6}, {"bind", 9}, {"move", 4}, {"remount", 4}, {"prop", 8},
	{"umount", 8}, {"pivot", 2}, {"unshare", 2},
	{"fork", 2}, {"as", 4}, {"kill", 1}, {"chroot", 1},
	{"mdir", 4}, {"mwrite", 1}, {"mchdir", 2}, {"mopen", 2},
	{"ls", 3}, {"stat", 1}, {"cat", 1}, {"write", 1}, {"mkdir", 1}, {"rmdir", 1},
	{"unlink", 1}, {"rename", 1}, {"symlink", 1}, {"getcwd", 2}, {"chdir", 1},
	{"open", 3}, {"close", 2}, {"fchdir", 1}, {"setcred", 1},
}

var (
	// mountDirs are the directories mount steps name, "/a" first so that
	// rapid shrinks toward it.
	mountDirs  = []string{"/a", "/b", "/a/x", "/", "/a", "/b", "/c", "/a/x", "/b/x", "/a/x/y", "."}
	mountFiles = []string{"/f", "/a/f"}

	perMountFlags = []string{"MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_NOATIME",
		"MS_NODIRATIME", "MS_NOSYMFOLLOW", "MS_RELATIME", "MS_STRICTATIME"}
	sbFlags    = []string{"MS_SYNCHRONOUS", "MS_DIRSYNC", "MS_LAZYTIME", "MS_MANDLOCK", "MS_SILENT"}
	tmpfsData  = []string{"", "", "", "", " size=8k", " mode=0700", " size=1m,mode=01777", " nr_inodes=4", " bogus", " size=0", " mode=0555"}
	remountDat = []string{"", "", "", "", " size=16k", " mode=0700", " nr_inodes=64", " bogus"}
	propTypes  = []string{"MS_SHARED", "MS_SLAVE", "MS_PRIVATE", "MS_UNBINDABLE"}
	umountBits = []struct {
		name string
		bit  int
		odds int // 1 in odds
	}{{"MNT_FORCE", 1, 5}, {"MNT_DETACH", 2, 3}, {"MNT_EXPIRE", 4, 5}, {"UMOUNT_NOFOLLOW", 8, 5}}
)

// mountPath is a drawn path of a mount step, rendered against the state
// of the renderer.
type mountPath struct {
	recent int // >0: the recent-th newest target of r.mounted, if any
	p      pathSpec
}

func (m mountPath) render(r *renderer) string {
	if m.recent > 0 && len(r.mounted) > 0 {
		return r.mounted[len(r.mounted)-1-(m.recent-1)%len(r.mounted)]
	}
	return m.p.render(r)
}

// drawMountPath draws a path for a mount step: mostly one of mountDirs
// (or mountFiles), sometimes with a trailing slash, sometimes a path of
// gen_test.go (the pool, or random). With recent, half of the paths
// are the targets of recent mount steps (so that umount2, remounts,
// propagation changes and moves find mount roots).
func drawMountPath(t *rapid.T, label string, files, recent bool) mountPath {
	var m mountPath
	if recent && uniform(t, 2, label+"-recent") == 1 {
		m.recent = 1 + uniform(t, 4, label+"-back")
	}
	set := mountDirs
	if files {
		set = mountFiles
	}
	switch k := uniform(t, 16, label+"-how"); {
	case k < 13:
		m.p = pathSpec{special: pick(t, set, label+"-fixed")}
	case k == 13:
		s := pick(t, set, label+"-fixed")
		if !strings.HasSuffix(s, "/") {
			s += "/"
		}
		m.p = pathSpec{special: s}
	default:
		m.p = drawPath(t, label)
	}
	return m
}

// addMounted remembers the target of a mount step.
func (r *renderer) addMounted(path string) {
	if path != "" {
		r.mounted = append(r.mounted, path)
	}
}

// drawFlags draws a subset of names, each with odds 1 in odds, joined
// with "|" after a leading "|" (or "").
func drawFlags(t *rapid.T, names []string, odds int) string {
	var b strings.Builder
	for _, f := range names {
		if uniform(t, odds, f) == odds-1 {
			b.WriteString("|" + f)
		}
	}
	return b.String()
}

// flagsArg turns the output of drawFlags into a FLAGS token.
func flagsArg(s string) string {
	if s == "" {
		return "0"
	}
	return strings.TrimPrefix(s, "|")
}

// sub names the directory x under dir, as a path.
func sub(dir, x string) string {
	switch dir {
	case "/":
		return "/" + x
	case ".":
		return x
	}
	return strings.TrimSuffix(dir, "/") + "/" + x
}

// drawMountStep draws the mount kinds of mountKinds (ok is false for any
// other kind).
func drawMountStep(t *rapid.T, kind string) (s step, ok bool) {
	s.desc = kind
	switch kind {
	case "tmpfs":
		p := drawMountPath(t, "target", uniform(t, 10, "onfile") == 9, false)
		flags := flagsArg(drawFlags(t, perMountFlags, 6) + drawFlags(t, sbFlags, 12))
		data := pick(t, tmpfsData, "data")
		mkdir := rapid.Bool().Draw(t, "mkdir")
		s.desc = "tmpfs " + flags + data
		s.render = func(r *renderer) {
			r.sources++
			path := p.render(r)
			r.emit("mount t%d %s tmpfs %s%s", r.sources, arg(path), flags, data)
			r.addMounted(path)
			if mkdir { // something to bind, mount or pivot onto in it
				r.emit("mkdir %s", arg(sub(path, "x")))
			}
		}
	case "bind":
		files := uniform(t, 8, "files") == 7
		src := drawMountPath(t, "source", files != (uniform(t, 5, "mismatch") == 4), true)
		tgt := drawMountPath(t, "target", files, false)
		how := uniform(t, 12, "how") // 0-7 as drawn, 8-9 onto itself, 10 "/" as source, 11 empty source
		rec := uniform(t, 3, "rec") == 2
		extra := pick(t, []string{"", "", "", "", "", "|MS_RDONLY", "|MS_SHARED", "|MS_MOVE", "|MS_NOEXEC|MS_PRIVATE"}, "extra")
		s.desc = fmt.Sprintf("bind how=%d rec=%v%s", how, rec, extra)
		s.render = func(r *renderer) {
			from, to := src.render(r), tgt.render(r)
			switch how {
			case 8, 9:
				from = to
			case 10:
				from = "/"
			case 11:
				from = ""
			}
			flags := "MS_BIND"
			if rec && r.rbinds < maxRbinds {
				r.rbinds++
				flags += "|MS_REC"
			}
			r.emit("mount %s %s - %s%s", arg(from), arg(to), flags, extra)
			r.addMounted(to)
		}
	case "move":
		src, tgt := drawMountPath(t, "source", false, true), drawMountPath(t, "target", false, false)
		s.render = func(r *renderer) {
			from, to := src.render(r), tgt.render(r)
			r.emit("mount %s %s - MS_MOVE", arg(from), arg(to))
			r.addMounted(to)
		}
	case "remount":
		p := drawMountPath(t, "target", uniform(t, 10, "onfile") == 9, true)
		bind := rapid.Bool().Draw(t, "bind")
		flags := drawFlags(t, perMountFlags, 4) + drawFlags(t, sbFlags, 12)
		data := pick(t, remountDat, "data")
		src := pick(t, []string{"-", "-", "none"}, "source")
		s.desc = fmt.Sprintf("remount bind=%v%s%s", bind, flags, data)
		s.render = func(r *renderer) {
			f := "MS_REMOUNT"
			if bind {
				f += "|MS_BIND"
			}
			r.emit("mount %s %s - %s%s%s", src, arg(p.render(r)), f, flags, data)
		}
	case "prop":
		p := drawMountPath(t, "target", false, true)
		flags := pick(t, propTypes, "type")
		if rapid.Bool().Draw(t, "rec") {
			flags += "|MS_REC"
		}
		switch uniform(t, 12, "extra") {
		case 9:
			flags += "|MS_SILENT"
		case 10:
			flags += "|" + pick(t, propTypes, "type2")
		case 11:
			flags += "|" + pick(t, []string{"MS_RDONLY", "MS_MOVE", "MS_BIND", "MS_REMOUNT", "MS_NOSUID"}, "other")
		}
		s.desc = "prop " + flags
		s.render = func(r *renderer) {
			path := p.render(r)
			if strings.Contains(flags, "MS_SLAVE") {
				r.slave = true
			}
			r.emit("mount - %s - %s", arg(path), flags)
		}
	case "umount":
		p := drawMountPath(t, "target", uniform(t, 12, "onfile") == 11, true)
		var names []string
		bits := 0
		for _, b := range umountBits {
			if uniform(t, b.odds, b.name) == b.odds-1 {
				names = append(names, b.name)
				bits |= b.bit
			}
		}
		bad := 0
		if uniform(t, 12, "invalid") == 11 {
			bad = pick(t, []int{0x10, 0x100, 0x80000000}, "bad")
		}
		twice := bits&4 != 0 && rapid.Bool().Draw(t, "twice")
		// A umount2 of the root without MNT_DETACH remounts it read-only,
		// which fails most later steps: only a third of the draws of "/"
		// and "." are kept.
		root := uniform(t, 3, "root") == 2
		s.desc = fmt.Sprintf("umount2 %v %#x", names, bad)
		s.render = func(r *renderer) {
			path := p.render(r)
			if (path == "/" || path == ".") && !root {
				path = "/a"
			}
			flags := strings.Join(names, "|")
			switch {
			case bad != 0:
				flags = fmt.Sprintf("%#x", bits|bad)
			case flags == "":
				flags = "0"
			}
			path = arg(path)
			r.emit("umount2 %s %s", path, flags)
			if twice {
				r.emit("umount2 %s %s", path, flags)
			}
		}
	case "pivot":
		newRoot := drawMountPath(t, "new", false, true)
		put := drawMountPath(t, "put", false, false)
		how := uniform(t, 6, "how") // 0-2 new and new/x, 3 new and put, 4 ". .", 5 self-bind first
		detach := rapid.Bool().Draw(t, "detach")
		chdir := rapid.Bool().Draw(t, "chdir")
		s.desc = fmt.Sprintf("pivot how=%d", how)
		s.render = func(r *renderer) {
			n := newRoot.render(r)
			switch how {
			case 3:
				r.emit("pivot_root %s %s", arg(n), arg(put.render(r)))
			case 4:
				r.emit("chdir %s", arg(n))
				r.emit("pivot_root . .")
				if detach {
					r.emit("umount2 . MNT_DETACH")
				}
			case 5:
				r.emit("mount %s %s - MS_BIND", arg(n), arg(n))
				fallthrough
			default:
				r.emit("pivot_root %s %s", arg(n), arg(sub(n, "x")))
			}
			if chdir {
				r.emit("chdir /")
			}
		}
	case "unshare":
		// Mostly in a new process: fork, as, unshare.
		fork := uniform(t, 3, "fork") != 0
		name := pick(t, []string{"p2", "p3"}, "name")
		s.render = func(r *renderer) {
			if fork && r.cur != "" && !r.alive[name] {
				r.emit("fork %s", name)
				r.emit("as %s", name)
				r.alive[name] = true
				r.cur = name
			}
			if r.cur != "" {
				r.closeFds()
			}
			r.emit("unshare")
			r.unshared = true
		}
	case "mdir":
		p := drawMountPath(t, "path", false, false)
		s.render = func(r *renderer) {
			path := p.render(r)
			r.emit("mkdir %s", arg(path))
			r.remember(path)
		}
	case "mwrite":
		p := drawMountPath(t, "path", true, false)
		data := pick(t, datas, "data")
		s.render = func(r *renderer) { r.emit("write %s %s", arg(p.render(r)), arg(data)) }
	case "mopen":
		// A descriptor on a mount-step path: busy mounts (EBUSY), writers
		// that keep a remount from going read-only.
		fd := pick(t, fdNames, "fd")
		files := rapid.Bool().Draw(t, "files")
		p := drawMountPath(t, "path", files, true)
		flags := pick(t, []string{"O_RDONLY|O_DIRECTORY", "O_PATH", "O_RDONLY"}, "flags")
		if files {
			flags = pick(t, []string{"O_WRONLY|O_CREAT", "O_RDWR", "O_RDONLY", "O_PATH"}, "flags")
		}
		s.desc = "open " + flags
		s.render = func(r *renderer) {
			r.emit("open %s %s %s", fd, arg(p.render(r)), flags)
			if r.cur != "" {
				r.fds[r.cur] = append(r.fds[r.cur], fd)
			}
		}
	case "mchdir":
		p := drawMountPath(t, "path", false, true)
		s.render = func(r *renderer) { r.emit("chdir %s", arg(p.render(r))) }
	default:
		return s, false
	}
	return s, true
}

// mountStepGen draws one step of a mount script.
var mountStepGen = rapid.Custom(func(t *rapid.T) step { return drawStep(t, mountKinds.draw(t)) })

// mountPreludeGen draws the start of a mount script: the directories and
// files of mountDirs and mountFiles (each one now and then left out), and
// in 40% of the scripts a shared root.
var mountPreludeGen = rapid.Custom(func(t *rapid.T) step {
	var lines, made []string
	have := map[string]bool{"/": true}
	for _, d := range []string{"/a", "/b", "/c", "/a/x", "/b/x", "/a/x/y", "/f", "/a/f"} {
		if !have[path.Dir(d)] || uniform(t, 8, "keep "+d) == 0 {
			continue
		}
		if strings.HasSuffix(d, "f") {
			lines = append(lines, "write "+d+" "+arg(pick(t, datas, "data")))
		} else {
			have[d] = true
			lines = append(lines, "mkdir "+d)
		}
		made = append(made, d)
	}
	switch uniform(t, 5, "shared") {
	case 3:
		lines = append(lines, "mount - / - MS_SHARED")
	case 4:
		lines = append(lines, "mount - / - MS_SHARED|MS_REC")
	}
	return step{desc: strings.Join(lines, "; "), render: func(r *renderer) {
		r.lines = append(r.lines, lines...)
		for _, d := range made {
			r.remember(d)
		}
	}}
})

// mountScriptGen draws the text of a mount script: the prelude, then 10
// to 35 random steps.
var mountScriptGen = rapid.Custom(func(t *rapid.T) string {
	prelude := mountPreludeGen.Draw(t, "prelude")
	return renderScript(append([]step{prelude}, rapid.SliceOfN(mountStepGen, 10, 35).Draw(t, "steps")...))
})
