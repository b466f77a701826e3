package ext4

import (
	"github.com/mountkit/mountkit/ext4/internal/jbd2"
	"github.com/mountkit/mountkit/vfs"
)

// JournalReplay opens img without replay and replays its journal into a
// copy of it, reporting whether it needed recovery and what replay did.
func JournalReplay(img []byte) (needs bool, st jbd2.Stats, err error) {
	m := &memImage{b: append([]byte(nil), img...)}
	f, err := open(m, int64(len(img)), options{norecovery: true})
	if err != nil {
		return false, st, err
	}
	j, err := f.openJournal(m)
	if err != nil {
		return false, st, err
	}
	needs = j.NeedsRecovery()
	st, err = j.Recover()
	return needs, st, err
}

// memImage is a writable image in memory.
type memImage struct{ b []byte }

func (m *memImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, vfs.EIO
	}
	return copy(p, m.b[off:]), nil
}

func (m *memImage) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, vfs.ENOSPC
	}
	return copy(m.b[off:], p), nil
}
