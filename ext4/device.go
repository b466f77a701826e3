package ext4

import (
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// cacheBlocks bounds the clean part of the metadata block cache; dirty
// blocks stay until they are written back.
const cacheBlocks = 4096

// device reads and writes the blocks of an image. Metadata blocks go
// through a cache (Linux's buffer cache): a writer changes a cached
// block in place and marks it dirty (mut, fresh), and writeback hands
// every dirty block to the filesystem's commit function. File data is
// read and written straight between the device and the caller's buffer.
//
// Blocks handed out by block are shared: readers must not modify them,
// and a writer changes them only while it holds the filesystem's write
// lock (FS.wmu), which keeps readers out.
type device struct {
	r      io.ReaderAt
	w      io.WriterAt // nil on a read-only filesystem
	bs     int
	blocks uint64 // blocks of the filesystem (s_blocks_count)

	mu    sync.Mutex
	cache map[uint64]*cached
	dirty int // cached blocks with dirty set
}

// cached is a block of the cache. verified records that its checksum
// was checked (Linux's buffer_verified), so that it is checked once;
// dirty that it differs from the device.
type cached struct {
	b        []byte
	verified bool
	dirty    bool
}

// metaBlock is one dirty metadata block handed to a commitFunc.
type metaBlock struct {
	Nr   uint64
	Data []byte
}

// commitFunc writes dirty metadata blocks to the device. The default
// (writeInPlace) writes them where they belong, in block order; a
// journal can take over by writing them to its log first.
type commitFunc func(blocks []metaBlock) error

func newDevice(r io.ReaderAt, bs int, blocks uint64) *device {
	return &device{r: r, bs: bs, blocks: blocks, cache: make(map[uint64]*cached)}
}

// block returns block n: EUCLEAN when n lies outside the filesystem,
// EIO when the device fails.
func (d *device) block(n uint64) ([]byte, error) {
	c, err := d.get(n)
	if err != nil {
		return nil, err
	}
	return c.b, nil
}

// mut returns block n for changing and marks it dirty. The caller holds
// the filesystem's write lock.
func (d *device) mut(n uint64) ([]byte, error) {
	c, err := d.get(n)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if !c.dirty {
		c.dirty = true
		d.dirty++
	}
	d.mu.Unlock()
	return c.b, nil
}

// fresh returns a zeroed, dirty cache block for n without reading the
// device: a block just allocated for metadata.
func (d *device) fresh(n uint64) ([]byte, error) {
	if n >= d.blocks {
		return nil, vfs.EUCLEAN
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.cache[n]
	if c == nil {
		c = &cached{b: make([]byte, d.bs)}
		d.cache[n] = c
	} else {
		clear(c.b)
	}
	c.verified = true
	if !c.dirty {
		c.dirty = true
		d.dirty++
	}
	return c.b, nil
}

// forget drops block n from the cache, dirty or not: a freed metadata
// block, or one about to be written as file data.
func (d *device) forget(n uint64) {
	d.mu.Lock()
	if c := d.cache[n]; c != nil {
		if c.dirty {
			d.dirty--
		}
		delete(d.cache, n)
	}
	d.mu.Unlock()
}

// verifiedBlock returns block n after check has accepted it once.
func (d *device) verifiedBlock(n uint64, check func([]byte) error) ([]byte, error) {
	c, err := d.get(n)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	ok := c.verified
	d.mu.Unlock()
	if !ok {
		if err := check(c.b); err != nil {
			return nil, err
		}
		d.mu.Lock()
		c.verified = true
		d.mu.Unlock()
	}
	return c.b, nil
}

func (d *device) get(n uint64) (*cached, error) {
	if n >= d.blocks {
		return nil, vfs.EUCLEAN
	}
	d.mu.Lock()
	c := d.cache[n]
	d.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c = &cached{b: make([]byte, d.bs)}
	if err := d.readFull(c.b, int64(n)*int64(d.bs)); err != nil {
		return nil, err
	}
	d.mu.Lock()
	if old := d.cache[n]; old != nil {
		c = old
	} else {
		if len(d.cache)-d.dirty >= cacheBlocks {
			for k, o := range d.cache { // evict an arbitrary clean block
				if !o.dirty {
					delete(d.cache, k)
					break
				}
			}
		}
		d.cache[n] = c
	}
	d.mu.Unlock()
	return c, nil
}

// dirtyBlocks returns the dirty blocks in block order, copied, so that
// a commit sees a stable image of each.
func (d *device) dirtyBlocks() []metaBlock {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]metaBlock, 0, d.dirty)
	for n, c := range d.cache {
		if c.dirty {
			out = append(out, metaBlock{Nr: n, Data: slices.Clone(c.b)})
		}
	}
	slices.SortFunc(out, func(a, b metaBlock) int {
		if a.Nr < b.Nr {
			return -1
		}
		if a.Nr > b.Nr {
			return 1
		}
		return 0
	})
	return out
}

// cleaned marks the blocks of a successful commit clean.
func (d *device) cleaned(blocks []metaBlock) {
	d.mu.Lock()
	for _, m := range blocks {
		if c := d.cache[m.Nr]; c != nil && c.dirty {
			c.dirty = false
			d.dirty--
		}
	}
	d.mu.Unlock()
}

// writeInPlace is the default commitFunc: every block where it belongs,
// in block order.
func (d *device) writeInPlace(blocks []metaBlock) error {
	for _, m := range blocks {
		if err := d.writeFull(m.Data, int64(m.Nr)*int64(d.bs)); err != nil {
			return err
		}
	}
	return nil
}

// readFull reads len(p) bytes at off; a short device is EIO.
func (d *device) readFull(p []byte, off int64) error {
	n, err := d.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return vfs.EIO
	}
	if e, ok := err.(vfs.Errno); ok {
		return e
	}
	return vfs.EIO
}

// writeFull writes p at off; any failure is EIO (or the device's errno).
func (d *device) writeFull(p []byte, off int64) error {
	if d.w == nil {
		return vfs.EROFS
	}
	n, err := d.w.WriteAt(p, off)
	if n == len(p) && err == nil {
		return nil
	}
	if e, ok := err.(vfs.Errno); ok {
		return e
	}
	return vfs.EIO
}

// readBlocks reads count blocks from block n into p (len(p) may be less
// than count blocks: only len(p) bytes, starting skip bytes into block n,
// are read).
func (d *device) readBlocks(p []byte, n uint64, skip int) error {
	if n >= d.blocks || uint64(len(p)+skip+d.bs-1)/uint64(d.bs) > d.blocks-n {
		return vfs.EUCLEAN
	}
	return d.readFull(p, int64(n)*int64(d.bs)+int64(skip))
}

// writeBlocks writes p as file data from skip bytes into block n.
func (d *device) writeBlocks(p []byte, n uint64, skip int) error {
	if n >= d.blocks || uint64(len(p)+skip+d.bs-1)/uint64(d.bs) > d.blocks-n {
		return vfs.EUCLEAN
	}
	return d.writeFull(p, int64(n)*int64(d.bs)+int64(skip))
}
