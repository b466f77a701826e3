package script

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// A generator of random overlay scripts, for the overlay mode of the
// random differential test (random_overlay_linux_test.go).
//
// A script builds random lower and upper trees under /l (and, a third of
// the time each, a second lower layer /l2, or /l2 and /l as the lower and
// upper layers of an overlay /o that is then the lower layer) and /u:
// files with small contents, hard links, directories, symbolic links,
// FIFOs, and whiteouts (character devices 0/0). A third of the time the upper and
// work directories are on a tmpfs of their own (/t). It mounts the
// overlay on /m, applies 5 to 25 random file operations through /m on
// paths drawn from the names the trees use (a, b, c, and below: a/b,
// ...), and prints the merged view and the upper directory: ls, lstat and
// cat of every path of the pool. Half of the scripts then unmount the
// overlay, mount it again and print the merged view once more, so that
// what the upper layer keeps (whiteouts, opaque directories, copied-up
// files) is read back.
//
// The work directory is never listed: Linux names its temporary files
// from a counter shared by every overlay of the kernel.

var ovNames = []string{"a", "b", "c", "a/a", "a/b", "b/a", "b/c", "c/a", "a/b/c"}

// ovEntry is one entry of a layer tree.
type ovEntry struct {
	path string
	kind string // file, dir, symlink, fifo, whiteout
	data string
}

func drawOvTree(t *rapid.T, label string, kinds []string, max int) []ovEntry {
	n := rapid.IntRange(0, max).Draw(t, label+"-n")
	var es []ovEntry
	for i := 0; i < n; i++ {
		es = append(es, ovEntry{
			path: rapid.SampledFrom(ovNames).Draw(t, label+"-path"),
			kind: rapid.SampledFrom(kinds).Draw(t, label+"-kind"),
			data: rapid.SampledFrom([]string{"", "x", "lower", "0123456789"}).Draw(t, label+"-data"),
		})
	}
	return es
}

// renderOvTree creates the entries under root; missing parents are made
// as directories first, and entries whose parent is not a directory fail
// harmlessly (both systems print the errno).
func renderOvTree(b *strings.Builder, root string, es []ovEntry) {
	for _, e := range es {
		p := root + "/" + e.path
		if i := strings.LastIndex(e.path, "/"); i > 0 {
			fmt.Fprintf(b, "mkdir %s/%s\n", root, e.path[:i])
		}
		switch e.kind {
		case "file":
			fmt.Fprintf(b, "write %s %q\n", p, e.data)
		case "dir":
			fmt.Fprintf(b, "mkdir %s\n", p)
		case "symlink":
			fmt.Fprintf(b, "symlink %s %s\n", ovTarget(e.data), p)
		case "fifo":
			fmt.Fprintf(b, "mknod %s p 0 0\n", p)
		case "whiteout":
			fmt.Fprintf(b, "mknod %s c 0 0\n", p)
		case "hardlink":
			fmt.Fprintf(b, "link %s/a %s\n", root, p)
		}
	}
}

func ovTarget(data string) string {
	switch data {
	case "":
		return "a"
	case "x":
		return "../b"
	case "lower":
		return "/m/c"
	}
	return "nowhere"
}

var ovOps = []string{"write", "append", "truncate", "chmod", "unlink", "rmdir", "mkdir", "rename", "rename",
	"link", "symlink", "mknod", "cat", "ls", "stat"}

func drawOvOp(t *rapid.T) string {
	op := rapid.SampledFrom(ovOps).Draw(t, "op")
	p := "/m/" + rapid.SampledFrom(ovNames).Draw(t, "path")
	q := "/m/" + rapid.SampledFrom(ovNames).Draw(t, "path2")
	switch op {
	case "write", "append":
		return fmt.Sprintf("%s %s %q", op, p, rapid.SampledFrom([]string{"", "new", "upper data"}).Draw(t, "data"))
	case "truncate":
		return fmt.Sprintf("truncate %s %d", p, rapid.SampledFrom([]int{0, 3, 20}).Draw(t, "len"))
	case "chmod":
		return fmt.Sprintf("chmod %s %s", p, rapid.SampledFrom([]string{"0600", "0755", "0700"}).Draw(t, "mode"))
	case "mkdir":
		return "mkdir " + p
	case "rename", "link":
		return fmt.Sprintf("%s %s %s", op, p, q)
	case "symlink":
		return fmt.Sprintf("symlink %s %s", ovTarget(rapid.SampledFrom([]string{"", "x"}).Draw(t, "target")), p)
	case "mknod":
		// A character device 0/0 made through the overlay is a
		// whiteout in the upper layer.
		return fmt.Sprintf("mknod %s %s", p, rapid.SampledFrom([]string{"p 0 0", "c 0 0", "c 1 3"}).Draw(t, "node"))
	}
	return op + " " + p
}

// dumpOv prints every path of the pool under root.
func dumpOv(b *strings.Builder, root string, withCat bool) {
	fmt.Fprintf(b, "ls %s\n", root)
	for _, n := range ovNames {
		p := root + "/" + n
		fmt.Fprintf(b, "lstat %s\n", p)
		if withCat {
			fmt.Fprintf(b, "cat %s\n", p)
		}
		if !strings.Contains(n, "/b/") {
			fmt.Fprintf(b, "ls %s\n", p)
		}
	}
}

// overlayScriptGen draws the text of an overlay script.
var overlayScriptGen = rapid.Custom(func(t *rapid.T) string {
	var b strings.Builder
	b.WriteString("mkdir /l\nmkdir /l2\nmkdir /u\nmkdir /w\nmkdir /m\n")
	shape := rapid.SampledFrom([]string{"one", "two", "nested"}).Draw(t, "lowers")
	lowerKinds := []string{"file", "dir", "dir", "symlink", "fifo", "hardlink"}
	if shape == "nested" {
		lowerKinds = append(lowerKinds, "whiteout")
	}
	renderOvTree(&b, "/l", drawOvTree(t, "lower", lowerKinds, 8))
	lowers := "/l"
	switch shape {
	case "two":
		renderOvTree(&b, "/l2", drawOvTree(t, "lower2", []string{"file", "dir", "dir", "whiteout"}, 6))
		lowers = "/l:/l2"
	case "nested":
		// The lower layer is an overlay whose upper layer is /l.
		renderOvTree(&b, "/l2", drawOvTree(t, "lower2", []string{"file", "dir", "dir"}, 6))
		b.WriteString("mkdir /o\nmkdir /ow\nmount ov /o overlay 0 lowerdir=/l2,upperdir=/l,workdir=/ow\n")
		lowers = "/o"
	}
	upper, work := "/u", "/w"
	if rapid.IntRange(0, 2).Draw(t, "upper-fs") == 0 {
		// Upper and work on a tmpfs of their own.
		b.WriteString("mkdir /t\nmount none /t tmpfs 0\nmkdir /t/u\nmkdir /t/w\n")
		upper, work = "/t/u", "/t/w"
	}
	renderOvTree(&b, upper, drawOvTree(t, "upper", []string{"file", "dir", "whiteout", "symlink"}, 6))
	mnt := fmt.Sprintf("mount ov /m overlay 0 lowerdir=%s,upperdir=%s,workdir=%s\n", lowers, upper, work)
	b.WriteString(mnt)
	ops := rapid.SliceOfN(rapid.Custom(drawOvOp), 5, 25).Draw(t, "ops")
	for _, op := range ops {
		if shape == "nested" && strings.HasPrefix(op, "link ") {
			// Steered away from testdata/known/nested_overlay_link_rename.
			continue
		}
		b.WriteString(op + "\n")
	}
	dumpOv(&b, "/m", true)
	dumpOv(&b, upper, false)
	if rapid.Bool().Draw(t, "remount") {
		b.WriteString("umount2 /m 0\n")
		b.WriteString(mnt)
		dumpOv(&b, "/m", true)
	}
	return b.String()
})

// overlayChecks is how many overlay scripts the random tests run by
// default.
const overlayChecks = 500

// TestRandomOverlayScriptsLibrary runs random overlay scripts on the
// library alone: no panic, an errno for every failure, one line per
// command, and the same output twice.
func TestRandomOverlayScriptsLibrary(t *testing.T) {
	defer withRapidDefaults(t, overlayChecks)()
	rapid.Check(t, func(t *rapid.T) {
		src := overlayScriptGen.Draw(t, "script")
		p, err := Parse("random.mnt", []byte(src))
		if err != nil {
			t.Fatalf("the generator wrote a bad script: %v\n%s", err, numbered(src))
		}
		var outs []string
		for range 2 {
			var out []byte
			guarded(t, src, func() { out, err = runNormalized(p, NewLibrary()) })
			if err != nil {
				t.Fatalf("library runner failed: %v\n%s", err, numbered(src))
			}
			outs = append(outs, string(out))
		}
		if outs[0] != outs[1] {
			t.Fatalf("two runs differ on:\n%s", numbered(src))
		}
		if !slices.ContainsFunc(strings.Split(outs[0], "\n"), func(l string) bool { return strings.HasSuffix(l, " overlay ov") }) &&
			strings.Contains(outs[0], "EOPNOTSUPP") {
			t.Fatalf("an unsupported feature was used:\n%s", numbered(src))
		}
	})
}
