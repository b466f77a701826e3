package ext4

import (
	"errors"
	"io"
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// cacheBlocks bounds the metadata block cache.
const cacheBlocks = 4096

// device reads the blocks of an image. Metadata blocks go through a
// bounded cache (the buffer cache a writer will dirty); file data is read
// straight from the device into the caller's buffer.
//
// Blocks handed out by block are shared and must not be modified.
type device struct {
	r      io.ReaderAt
	bs     int
	blocks uint64 // blocks of the filesystem (s_blocks_count)

	mu    sync.Mutex
	cache map[uint64]*cached
}

// cached is a block of the cache. verified records that its checksum
// was checked (Linux's buffer_verified), so that it is checked once.
type cached struct {
	b        []byte
	verified bool
}

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
		if len(d.cache) >= cacheBlocks {
			for k := range d.cache { // evict an arbitrary block
				delete(d.cache, k)
				break
			}
		}
		d.cache[n] = c
	}
	d.mu.Unlock()
	return c, nil
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

// readBlocks reads count blocks from block n into p (len(p) may be less
// than count blocks: only len(p) bytes, starting skip bytes into block n,
// are read).
func (d *device) readBlocks(p []byte, n uint64, skip int) error {
	if n >= d.blocks || uint64(len(p)+skip+d.bs-1)/uint64(d.bs) > d.blocks-n {
		return vfs.EUCLEAN
	}
	return d.readFull(p, int64(n)*int64(d.bs)+int64(skip))
}
