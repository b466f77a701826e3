package vfs

import "testing"

func BenchmarkDirTableLookup(b *testing.B) {
	var t *dirTable
	names := []string{"a", "b", "c", "file", "longer-name.txt"}
	for _, n := range names {
		t = t.insert(n, &Dentry{})
	}
	b.Run("hash", func(b *testing.B) {
		var s uint64
		for b.Loop() {
			s += hashName("c")
		}
		_ = s
	})
	b.Run("lookup", func(b *testing.B) {
		for b.Loop() {
			if t.lookup("c") == nil {
				b.Fatal("miss")
			}
		}
	})
	b.Run("scan+lookup", func(b *testing.B) {
		p := "/c/"
		for b.Loop() {
			name, k, _ := ScanKey(p, 1)
			if t.lookupKey(name, k) == nil {
				b.Fatal("miss")
			}
		}
	})
}
