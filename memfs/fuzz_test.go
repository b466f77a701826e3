package memfs

import (
	"testing"

	"github.com/mountkit/mountkit/vfs"
)

// FuzzParseOptions checks that the parser never panics, fails only with
// EINVAL, and that what Options prints parses back to the same options.
func FuzzParseOptions(f *testing.F) {
	for _, tc := range linuxOptions {
		f.Add(tc.data)
	}
	f.Add("mpol=bind:0-3:1/2,5=static")
	f.Add("mpol=interleave:N")
	f.Add("size=0x1p%")
	f.Add("uid=0X1f,gid=007\n")
	f.Fuzz(func(t *testing.T, data string) {
		m := Machine{RAMPages: 1 << 20, MemoryNodes: []int{0, 1, 3}, THP: true}
		o, err := m.ParseOptions(data)
		if err != nil {
			if err != vfs.EINVAL {
				t.Fatalf("%q: error %v, want EINVAL", data, err)
			}
			return
		}
		s := o.String()
		o2, err := m.ParseOptions(s)
		if err != nil {
			t.Fatalf("%q printed %q, which fails: %v", data, s, err)
		}
		if o2.Mode != o.Mode || o2.UID != o.UID || o2.GID != o.GID || o2.Inodes != o.Inodes ||
			o2.Inode64 != o.Inode64 || o2.Huge != o.Huge || o2.Mpol != o.Mpol || o2.NoSwap != o.NoSwap {
			t.Fatalf("%q printed %q, which parses to %+v, not %+v", data, s, o2, o)
		}
		if s2 := o2.String(); o.Blocks < 1<<52 && s2 != s {
			t.Fatalf("%q printed %q, then %q", data, s, s2)
		}
	})
}
