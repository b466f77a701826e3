package mount

import (
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// pipeBufSize is a pipe's capacity, Linux's default of 16 pages.
const pipeBufSize = 65536

// pipe is the buffer behind a FIFO while either end is open. Blocking
// opens, reads and writes wait on cond; a FIFO's pipe is dropped (with
// any unread data) when the last end closes, as in Linux.
type pipe struct {
	k     *Kernel
	ino   vfs.Inode
	mu    sync.Mutex
	cond  sync.Cond
	buf   []byte
	r, w  int // open read and write ends
	rOpen int // count of read opens ever, to wake blocked writers' opens
	wOpen int
}

// openFIFO opens the FIFO at l: a read-only open waits for a writer and a
// write-only open for a reader unless O_NONBLOCK is set, in which case a
// write-only open with no reader fails with ENXIO; O_RDWR never waits.
func (k *Kernel) openFIFO(l Location, flags int) (*File, error) {
	ino := l.Dentry.Inode()
	k.pipesMu.Lock()
	p := k.pipes[ino]
	if p == nil {
		p = &pipe{k: k, ino: ino}
		p.cond.L = &p.mu
		k.pipes[ino] = p
	}
	p.mu.Lock()
	k.pipesMu.Unlock()
	defer p.mu.Unlock()
	nonblock := flags&vfs.O_NONBLOCK != 0
	switch flags & vfs.O_ACCMODE {
	case vfs.O_RDONLY:
		p.r++
		p.rOpen++
		p.cond.Broadcast()
		if !nonblock {
			for w := p.wOpen; p.w == 0 && p.wOpen == w; {
				p.cond.Wait()
			}
		}
	case vfs.O_WRONLY:
		if nonblock && p.r == 0 {
			p.dropIfUnused()
			return nil, vfs.ENXIO
		}
		p.w++
		p.wOpen++
		p.cond.Broadcast()
		for r := p.rOpen; !nonblock && p.r == 0 && p.rOpen == r; {
			p.cond.Wait()
		}
	default:
		p.r++
		p.w++
		p.rOpen++
		p.wOpen++
		p.cond.Broadcast()
	}
	f := newFile(l, flags, nil)
	f.pipe = p
	return f, nil
}

// dropIfUnused forgets p when no end is open. p.mu is held.
func (p *pipe) dropIfUnused() {
	if p.r != 0 || p.w != 0 {
		return
	}
	p.buf = nil
	p.k.pipesMu.Lock()
	if p.k.pipes[p.ino] == p {
		delete(p.k.pipes, p.ino)
	}
	p.k.pipesMu.Unlock()
}

func (p *pipe) close(flags int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch flags & vfs.O_ACCMODE {
	case vfs.O_RDONLY:
		p.r--
	case vfs.O_WRONLY:
		p.w--
	default:
		p.r--
		p.w--
	}
	p.cond.Broadcast()
	p.dropIfUnused()
}

// read takes up to len(p) bytes: 0 at end of file (no writer), EAGAIN
// when empty with a writer and nonblock.
func (p *pipe) read(b []byte, nonblock bool) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.buf) == 0 {
		if p.w == 0 {
			return 0, nil
		}
		if nonblock {
			return 0, vfs.EAGAIN
		}
		p.cond.Wait()
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	p.cond.Broadcast()
	return n, nil
}

// write appends b, waiting for room unless nonblock; EPIPE without
// readers.
func (p *pipe) write(b []byte, nonblock bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := 0
	for done < len(b) {
		if p.r == 0 {
			if done > 0 {
				return done, nil
			}
			return 0, vfs.EPIPE
		}
		room := pipeBufSize - len(p.buf)
		if room == 0 {
			if nonblock {
				if done > 0 {
					return done, nil
				}
				return 0, vfs.EAGAIN
			}
			p.cond.Wait()
			continue
		}
		n := min(room, len(b)-done)
		p.buf = append(p.buf, b[done:done+n]...)
		done += n
		p.cond.Broadcast()
	}
	return done, nil
}

// memDevice is a character device of the "mem" driver.
type memDevice interface {
	read(p []byte) (int, error)
	write(p []byte) (int, error)
}

type devNull struct{}

func (devNull) read([]byte) (int, error)    { return 0, nil }
func (devNull) write(p []byte) (int, error) { return len(p), nil }

type devZero struct{}

func (devZero) read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
func (devZero) write(p []byte) (int, error) { return len(p), nil }

type devFull struct{}

func (devFull) read(p []byte) (int, error) { return devZero{}.read(p) }
func (devFull) write([]byte) (int, error)  { return 0, vfs.ENOSPC }

// memDevices are the character devices a device node can open.
var memDevices = map[uint64]memDevice{
	vfs.Mkdev(1, 3): devNull{},
	vfs.Mkdev(1, 5): devZero{},
	vfs.Mkdev(1, 7): devFull{},
}
