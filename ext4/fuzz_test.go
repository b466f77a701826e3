package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mountkit/mountkit/vfs"
)

// The fuzz target patches a small real image (testdata/fuzzbase.img:
// 96 KiB, 1 KiB blocks, metadata_csum, an htree directory, a depth-1
// extent tree, xattrs in the inode and in a block, fast and slow
// symlinks, a FIFO) and walks whatever mounts. Patches can be followed by
// re-fixed checksums, so that mutated structures get past the checksum
// checks and into the parsers.

// base is the image every fuzz input patches, with the owners of its
// metadata blocks for checksum refixing.
var base struct {
	once   sync.Once
	img    []byte
	fs     *FS
	owners map[uint64]blockOwner // metadata block -> what it is
	err    error
}

type blockOwner struct {
	ino, gen uint32
	kind     byte // 'd' directory block, 'x' extent block, 'a' xattr block
	lblk     uint64
}

func loadBase(tb testing.TB) {
	base.once.Do(func() {
		base.img, base.err = os.ReadFile(filepath.Join("testdata", "fuzzbase.img"))
		if base.err != nil {
			return
		}
		base.fs, base.err = Open(bytes.NewReader(base.img), int64(len(base.img)), "")
		if base.err != nil {
			return
		}
		base.owners = map[uint64]blockOwner{}
		f := base.fs
		for ino := uint32(1); ino <= f.sb.inodesCount; ino++ {
			r, err := f.readInode(ino)
			if err != nil {
				continue
			}
			if r.fileACL != 0 {
				base.owners[r.fileACL] = blockOwner{ino: ino, gen: r.generation, kind: 'a'}
			}
			if r.flags&flagExtents != 0 {
				if ents, depth, err := extentHeader(r.iblock(), -1); err == nil && depth > 0 {
					for i := range ents {
						e := r.iblock()[12+12*i:]
						base.owners[uint64(u32(e, 4))] = blockOwner{ino: ino, gen: r.generation, kind: 'x'}
					}
				}
			}
			if r.mode.IsDir() && r.flags&flagInlineData == 0 {
				for l := uint64(0); l*uint64(f.sb.blockSize) < uint64(r.size); l++ {
					if s, err := f.mapBlock(r, l); err == nil && !s.zero {
						base.owners[s.pblk] = blockOwner{ino: ino, gen: r.generation, kind: 'd', lblk: l}
					}
				}
			}
		}
	})
	if base.err != nil {
		tb.Fatal(base.err)
	}
}

// Fix flags of a fuzz input.
const (
	fixSuper  = 1 << iota // recompute the superblock checksum
	fixInodes             // recompute the checksums of the inodes of the patched inode-table block
	fixBlock              // recompute the checksum of the patched directory, extent or xattr block
)

// patchImage applies a fuzz input to a copy of the base image.
func patchImage(off uint32, patch []byte, trunc uint32, fix byte) []byte {
	img := append([]byte{}, base.img...)
	o := int(off) % len(img)
	copy(img[o:], patch)
	f := base.fs
	bs := f.sb.blockSize
	blk := uint64(o / bs)
	csum := u32(img, 1024+0x64)&roCompatMetadataCsum != 0
	if fix&fixInodes != 0 && csum {
		itable := f.groups[0].inodeTable
		perBlock := uint64(bs / f.sb.inodeSize)
		if blk >= itable && blk < itable+uint64(f.sb.inodesPerGroup)/perBlock {
			for i := range perBlock {
				ino := uint32((blk-itable)*perBlock + i + 1)
				at := int(blk)*bs + int(i)*f.sb.inodeSize
				raw := img[at : at+f.sb.inodeSize]
				n := &rawInode{ino: ino, raw: raw, generation: u32(raw, 0x64), extraIsize: int(u16(raw, 0x80))}
				if 128+n.extraIsize+4 > len(raw) || n.extraIsize < 4 {
					continue
				}
				c := f.inodeCsum(n)
				binary.LittleEndian.PutUint16(raw[0x7C:], uint16(c))
				binary.LittleEndian.PutUint16(raw[0x82:], uint16(c>>16))
			}
		}
	}
	if fix&fixBlock != 0 && csum {
		if ow, ok := base.owners[blk]; ok {
			b := img[int(blk)*bs : int(blk+1)*bs]
			seed := f.inodeSeed(ow.ino, ow.gen)
			switch ow.kind {
			case 'd':
				if ow.lblk == 0 || recLen(b, 0, bs) == bs {
					countOff := 8
					if recLen(b, 0, bs) != bs {
						countOff = 32
					}
					limit, count := int(u16(b, countOff)), int(u16(b, countOff+2))
					if tail := countOff + 8*limit; count <= limit && tail+8 <= bs {
						c := crc32c(seed, b[:countOff+8*count])
						c = crc32c(c, b[tail:tail+4])
						c = crc32c(c, []byte{0, 0, 0, 0})
						binary.LittleEndian.PutUint32(b[tail+4:], c)
					}
				} else {
					binary.LittleEndian.PutUint32(b[bs-4:], crc32c(seed, b[:bs-12]))
				}
			case 'x':
				if t := 12 + 12*int(u16(b, 4)); t+4 <= bs {
					binary.LittleEndian.PutUint32(b[t:], crc32c(seed, b[:t]))
				}
			case 'a':
				var nb [8]byte
				binary.LittleEndian.PutUint64(nb[:], blk)
				c := crc32c(f.seed, nb[:])
				c = crc32c(c, b[:0x10])
				c = crc32c(c, []byte{0, 0, 0, 0})
				c = crc32c(c, b[0x14:])
				binary.LittleEndian.PutUint32(b[0x10:], c)
			}
		}
	}
	if fix&fixSuper != 0 && len(img) >= 2048 {
		sb := img[1024:2048]
		binary.LittleEndian.PutUint32(sb[0x3FC:], crc32c(^uint32(0), sb[:0x3FC]))
	}
	if trunc != 0 && int(trunc) < len(img) {
		img = img[:trunc]
	}
	return img
}

// inodeCsum computes an inode's checksum with its checksum fields
// counted as zero (the value checkInodeCsum expects).
func (f *FS) inodeCsum(n *rawInode) uint32 {
	raw := n.raw
	var zero [2]byte
	c := f.inodeSeed(n.ino, n.generation)
	c = crc32c(c, raw[:0x7C])
	c = crc32c(c, zero[:])
	c = crc32c(c, raw[0x7E:0x82])
	c = crc32c(c, zero[:])
	return crc32c(c, raw[0x84:])
}

// exercise opens img and walks what it can, boundedly: at most 300
// inodes, 200 entries a directory, three reads a file.
func exercise(t testing.TB, img []byte) {
	f, err := Open(bytes.NewReader(img), int64(len(img)), "")
	if err != nil {
		var e vfs.Errno
		if !errors.As(err, &e) {
			t.Fatalf("Open: non-errno error %v", err)
		}
		return
	}
	_, _ = f.Statfs()
	queue := []vfs.Inode{f.Root()}
	seen := 0
	buf := make([]byte, 4096)
	for len(queue) > 0 && seen < 300 {
		in := queue[0]
		queue = queue[1:]
		seen++
		a, err := in.Getattr()
		if err != nil {
			continue
		}
		_, _ = in.Listxattr()
		_, _ = in.Getxattr("user.a")
		_, _ = in.Getxattr("system.posix_acl_access")
		switch a.Mode.Type() {
		case vfs.ModeSymlink:
			_, _ = in.Readlink()
		case vfs.ModeRegular:
			h, err := in.Open(vfs.O_RDONLY)
			if err != nil {
				continue
			}
			for _, off := range []int64{0, a.Size / 2, a.Size - 100} {
				_, _ = h.ReadAt(buf, max(off, 0))
			}
		case vfs.ModeDir:
			_, _ = in.Lookup("name-number-77")
			_, _ = in.Lookup("absent")
			h, err := in.Open(vfs.O_RDONLY)
			if err != nil {
				continue
			}
			var names []string
			var resume uint64
			_ = h.ReadDir(0, func(e vfs.DirEntry) bool {
				names = append(names, e.Name)
				if len(names) == 3 {
					resume = e.Next
				}
				return len(names) < 200
			})
			if resume != 0 {
				// Resuming (on a corrupt image the index may disagree
				// with the entries' hashes, as on Linux, so only the
				// absence of panics is checked).
				n := 0
				_ = h.ReadDir(resume, func(e vfs.DirEntry) bool {
					n++
					return n < 197
				})
			}
			for i, n := range names {
				if i >= 20 {
					break
				}
				c, err := in.Lookup(n)
				if err == nil {
					queue = append(queue, c)
				}
			}
		}
	}
}

func FuzzImage(f *testing.F) {
	loadBase(f)
	fs := base.fs
	bs := uint32(fs.sb.blockSize)
	// Superblock fields, with the checksum refixed.
	for _, field := range []uint32{0x0, 0x4, 0x14, 0x18, 0x1C, 0x20, 0x28, 0x4C, 0x54, 0x58, 0x5C, 0x60, 0x64, 0xCE, 0xE0, 0xEC, 0xFC, 0xFE, 0x104, 0x150, 0x160, 0x175, 0x248, 0x270} {
		for _, v := range [][]byte{{0}, {0xff}, {0xff, 0xff, 0xff, 0xff}, {1, 0, 0, 0}, {0x40}} {
			f.Add(1024+field, v, uint32(0), byte(fixSuper))
		}
	}
	// Group descriptor fields.
	for field := uint32(0); field < 64; field += 4 {
		f.Add(2*bs+field, []byte{0xff, 0x7f}, uint32(0), byte(0))
	}
	// Inode table bytes of the first inodes (root is inode 2), refixed.
	itable := uint32(fs.groups[0].inodeTable) * bs
	for _, ino := range []uint32{2, 11, 12, 13, 14, 15, 16, 17, 18} {
		at := itable + (ino-1)*uint32(fs.sb.inodeSize)
		for _, field := range []uint32{0x0, 0x4, 0x1A, 0x1C, 0x20, 0x28, 0x2C, 0x34, 0x68, 0x6C, 0x80, 0x84, 0xA0} {
			f.Add(at+field, []byte{0xff, 0xff, 0x00, 0x80}, uint32(0), byte(fixInodes))
		}
	}
	// Directory, extent and xattr blocks, refixed.
	for blk, ow := range base.owners {
		for _, off := range []uint32{0, 4, 6, 8, 12, 0x1C, 0x1E, 0x20, 0x22, 0x24, 0x28} {
			f.Add(uint32(blk)*bs+off, []byte{0xf0, 0xff}, uint32(0), byte(fixBlock))
		}
		_ = ow
	}
	// Truncations.
	for _, n := range []uint32{1, 1024, 1500, 2048, 3072, bs * 10, bs * 40, bs * 60, bs * 90} {
		f.Add(uint32(0), []byte{}, n, byte(0))
	}
	f.Fuzz(func(t *testing.T, off uint32, patch []byte, trunc uint32, fix byte) {
		if len(patch) > 4096 {
			patch = patch[:4096]
		}
		img := patchImage(off, patch, trunc, fix)
		exercise(t, img)
		exerciseWrite(t, img)
	})
}

// TestFuzzBase checks that the base image itself reads fully, so that
// the fuzz target starts from a working image.
func TestFuzzBase(t *testing.T) {
	loadBase(t)
	require := func(ok bool, msg string, args ...any) {
		t.Helper()
		if !ok {
			t.Fatalf(msg, args...)
		}
	}
	d, err := base.fs.Root().Lookup("d")
	require(err == nil, "lookup d: %v", err)
	_, err = d.Lookup("name-number-77")
	require(err == nil, "htree lookup: %v", err)
	r := d.(*node).r
	require(r.flags&flagIndex != 0, "d is not indexed")
	isl, err := base.fs.Root().Lookup("islands")
	require(err == nil, "lookup islands: %v", err)
	_, depth, _ := extentHeader(isl.(*node).r.iblock(), -1)
	require(depth == 1, "islands extent depth %d", depth)
	h, _ := isl.Open(0)
	b := make([]byte, 2048)
	n, err := h.ReadAt(b, 8*1024-1024)
	require(err == nil && n == 2048 && b[0] == 0 && b[1024] == 'B', "islands read %d %v %q", n, err, b[1020:1030])
	// The seeds' owners cover the directory, extent and xattr blocks.
	kinds := map[byte]int{}
	for _, o := range base.owners {
		kinds[o.kind]++
	}
	require(kinds['d'] > 2 && kinds['x'] > 0, "owners %v", fmt.Sprint(kinds))
}

// memDisk is an image in memory, readable and writable.
type memDisk []byte

func (m memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(m)) {
		return 0, vfs.EIO
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, vfs.EIO
	}
	return n, nil
}

func (m memDisk) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m)) {
		return 0, vfs.EIO
	}
	return copy(m[off:], p), nil
}

// exerciseWrite opens a (patched) image read-write and changes it every
// way there is: whatever the image holds, nothing may panic, and every
// error must be an errno.
func exerciseWrite(t testing.TB, img []byte) {
	disk := memDisk(bytes.Clone(img))
	f, err := OpenRW(disk, int64(len(disk)), "")
	check := func(what string, err error) {
		var e vfs.Errno
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("%s: non-errno error %v", what, err)
		}
	}
	check("OpenRW", err)
	if err != nil {
		return
	}
	root := f.Root()
	o := vfs.CreateOpts{Mode: 0o644}
	if n, err := root.Create("fuzz-new", o); err == nil {
		if h, err := n.Open(vfs.O_RDWR); err == nil {
			_, err = h.WriteAt(bytes.Repeat([]byte("w"), 5000), 3000)
			check("write new", err)
		}
	} else {
		check("create", err)
	}
	for _, name := range []string{"small", "islands", "slow", "fifo", "d", "absent"} {
		c, err := root.Lookup(name)
		if err != nil {
			continue
		}
		if h, err := c.Open(vfs.O_RDWR); err == nil {
			_, err = h.WriteAt([]byte("patched"), 100)
			check("write "+name, err)
			_, err = h.WriteAt([]byte("far"), 1<<20)
			check("write far "+name, err)
		}
		check("truncate "+name, c.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 10}))
		check("setxattr "+name, c.Setxattr("user.fuzz", []byte("value"), 0))
		check("removexattr "+name, c.Removexattr("user.a"))
		check("chmod "+name, c.Setattr(&vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o600}))
	}
	if d, err := root.Lookup("d"); err == nil {
		for i := range 40 {
			_, err := d.Create(fmt.Sprintf("fuzz-%d-name-number", i), o)
			check("create in d", err)
		}
		for i := range 30 {
			check("unlink in d", d.Unlink(fmt.Sprintf("name-number-%d", i)))
		}
		check("rename in d", d.Rename("name-number-50", root, "moved", 0))
		check("rename d", root.Rename("d", root, "d2", 0))
	}
	_, err = root.Mkdir("fuzz-dir", o)
	check("mkdir", err)
	_, err = root.Symlink("fuzz-link", "target", o)
	check("symlink", err)
	check("rmdir", root.Rmdir("fuzz-dir"))
	check("unlink", root.Unlink("small"))
	check("Release", f.Release())
}
