package linuxabi

import (
	"encoding/binary"
	"io"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// maxRW is MAX_RW_COUNT: read and write move at most this much at once.
const maxRW = 0x7ffff000

// chunk is how much read and write stage in kernel memory at a time.
const chunk = 64 << 10

// putTimes writes atime, mtime and ctime as (seconds, nanoseconds) pairs
// of 64-bit words.
func putTimes(b []byte, st *mount.Stat) {
	le := binary.LittleEndian
	for i, t := range []vfs.Timespec{st.Atime, st.Mtime, st.Ctime} {
		le.PutUint64(b[16*i:], uint64(t.Sec))
		le.PutUint64(b[16*i+8:], uint64(t.Nsec))
	}
}

// rangeOK is access_ok: the range does not wrap around.
func rangeOK(addr, count uint64) bool { return addr+count >= addr }

// Close is close(2).
func (p *Process) Close(fd int64) int64 {
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	p.files[fd] = nil
	return errno(f.Close())
}

func readable(f *mount.File) bool {
	fl := f.Flags()
	return fl&vfs.O_PATH == 0 && fl&vfs.O_ACCMODE != vfs.O_WRONLY
}

func writable(f *mount.File) bool {
	fl := f.Flags()
	acc := fl & vfs.O_ACCMODE
	return fl&vfs.O_PATH == 0 && (acc == vfs.O_WRONLY || acc == vfs.O_RDWR)
}

// isRegular reports whether f is a regular file, which read fills to the
// count (a FIFO or device returns what one read gives).
func isRegular(f *mount.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode.IsRegular()
}

// Read is read(2). When buf is only partly writable the bytes that fit
// are returned (EFAULT when none do), and a regular file's offset moves
// by that much only.
func (p *Process) Read(fd int64, buf, count uint64) int64 {
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	if !readable(f) {
		return -int64(vfs.EBADF)
	}
	if !rangeOK(buf, count) {
		return -int64(vfs.EFAULT)
	}
	count = min(count, maxRW)
	regular := isRegular(f)
	kbuf := make([]byte, min(count, chunk))
	var total uint64
	for total < count || count == 0 {
		k := min(count-total, chunk)
		n, err := f.Read(kbuf[:k])
		if n > 0 {
			w, _ := p.mem.WriteAt(kbuf[:n], buf+total)
			total += uint64(w)
			if w < n {
				if regular {
					f.Seek(int64(w-n), io.SeekCurrent)
				}
				if total == 0 {
					return -int64(vfs.EFAULT)
				}
				return int64(total)
			}
		}
		if err != nil {
			if total > 0 {
				return int64(total)
			}
			return errno(err)
		}
		if !regular || uint64(n) < k || count == 0 {
			break
		}
	}
	return int64(total)
}

// Write is write(2). When buf is only partly readable the bytes before
// the fault are written (EFAULT when there are none).
func (p *Process) Write(fd int64, buf, count uint64) int64 {
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	if !writable(f) {
		return -int64(vfs.EBADF)
	}
	if !rangeOK(buf, count) {
		return -int64(vfs.EFAULT)
	}
	count = min(count, maxRW)
	if count == 0 {
		return 0
	}
	kbuf := make([]byte, min(count, chunk))
	var total uint64
	for total < count {
		k := min(count-total, chunk)
		r, _ := p.mem.ReadAt(kbuf[:k], buf+total)
		if r > 0 {
			n, err := f.Write(kbuf[:r])
			total += uint64(n)
			if err != nil {
				if total > 0 {
					return int64(total)
				}
				return errno(err)
			}
		}
		if uint64(r) < k {
			if total == 0 {
				return -int64(vfs.EFAULT)
			}
			break
		}
	}
	return int64(total)
}

// Lseek is lseek(2).
func (p *Process) Lseek(fd int64, offset int64, whence uint64) int64 {
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	if whence > io.SeekEnd {
		return -int64(vfs.EINVAL)
	}
	return ret(f.Seek(offset, int(whence)))
}

// Ftruncate is ftruncate(2): EINVAL for a negative length (before the
// descriptor is looked at, as in Linux), EBADF for a bad or O_PATH fd, then
// EINVAL for a file that is not a regular file open for writing.
func (p *Process) Ftruncate(fd int64, length int64) int64 {
	if length < 0 {
		return -int64(vfs.EINVAL)
	}
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	return errno(f.Truncate(length))
}

// Getdents64 is getdents64(2): it fills dirp with struct linux_dirent64
// records (d_ino, d_off, d_reclen, d_type, the NUL-terminated name, padded
// to 8 bytes) and returns their size; 0 at the end, EINVAL when the next
// entry does not fit in count.
func (p *Process) Getdents64(fd int64, dirp, count uint64) int64 {
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	if !rangeOK(dirp, count) {
		return -int64(vfs.EFAULT)
	}
	count = min(count, maxRW)
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return errno(err)
	}
	ents, err := f.ReadDir(int(min(count/24+1, 4096)))
	if err != nil && len(ents) == 0 {
		return errno(err)
	}
	var out []byte
	var ends []int // end of each record in out
	next := uint64(pos)
	for _, e := range ents {
		reclen := (19 + len(e.Name) + 1 + 7) &^ 7
		if uint64(len(out)+reclen) > count {
			break
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], e.Ino)
		binary.LittleEndian.PutUint64(rec[8:], e.Next)
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = byte(e.Type >> 12)
		copy(rec[19:], e.Name)
		out = append(out, rec...)
		ends = append(ends, len(out))
	}
	if len(ends) == 0 && len(ents) > 0 {
		f.Seek(pos, io.SeekStart)
		return -int64(vfs.EINVAL)
	}
	w, _ := p.mem.WriteAt(out, dirp)
	done := 0
	for done < len(ends) && ends[done] <= w {
		done++
	}
	if done > 0 {
		next = ents[done-1].Next
	}
	f.Seek(int64(next), io.SeekStart)
	if done == 0 && len(out) > 0 {
		return -int64(vfs.EFAULT)
	}
	if done == 0 {
		return 0
	}
	return int64(ends[done-1])
}
