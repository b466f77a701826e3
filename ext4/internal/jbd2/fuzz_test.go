package jbd2

import (
	"testing"
)

// fuzzBlocks is the journal length of FuzzRecover's inputs (1 KiB blocks).
const fuzzBlocks = 16

// FuzzRecover feeds arbitrary journal contents to Open and Recover, and
// commits after a successful recovery: nothing may panic or loop.
func FuzzRecover(f *testing.F) {
	for _, l := range layouts {
		if l.bs != 1024 {
			continue
		}
		d := newDev(l, fuzzBlocks)
		j, err := Open(d, l.bs, bmapFor(fuzzBlocks), fuzzBlocks)
		if err != nil {
			f.Fatal(err)
		}
		_ = j.Commit([]Block{{Nr: 1, Data: fill(l.bs, 1)}, {Nr: 2, Data: escaped(l.bs)}})
		_ = j.Commit([]Block{{Nr: 3, Data: fill(l.bs, 3)}})
		f.Add(d.b[fsBlocks*l.bs:])
		tid := j.nextTID
		appendRaw(f, j, revokeBlock(j, tid, 1, 2))
		appendRaw(f, j, commitBlock(j, tid, 5))
		f.Add(d.b[fsBlocks*l.bs:])
	}
	f.Fuzz(func(t *testing.T, journal []byte) {
		const bs = 1024
		d := &memDev{b: make([]byte, (fsBlocks+fuzzBlocks)*bs)}
		copy(d.b[fsBlocks*bs:], journal)
		j, err := Open(d, bs, bmapFor(fuzzBlocks), fuzzBlocks)
		if err != nil {
			return
		}
		j.FSBlocks = fsBlocks
		if _, err := j.Recover(); err != nil {
			return
		}
		if err := j.Commit([]Block{{Nr: 4, Data: fill(bs, 4)}}); err != nil {
			return
		}
		j2, err := Open(d, bs, bmapFor(fuzzBlocks), fuzzBlocks)
		if err != nil {
			t.Fatalf("reopen after commit: %v", err)
		}
		j2.FSBlocks = fsBlocks
		if _, err := j2.Recover(); err != nil {
			// Blocks the input left after our transaction may
			// carry its successor's sequence number, as stale
			// blocks can on a real journal.
			return
		}
		if string(fsBlock(d, bs, 4)) != string(fill(bs, 4)) {
			t.Fatal("our commit was not replayed")
		}
	})
}

func escaped(bs int) []byte {
	b := fill(bs, 2)
	be.PutUint32(b, Magic)
	return b
}
