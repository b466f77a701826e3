package vfs

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// checkTable verifies t's bookkeeping against the model: every model name
// is found with its dentry, the counters match the slots, the load factor
// holds and the size is a power of two.
func checkTable(tb interface {
	Helper()
	Fatalf(string, ...any)
}, t *dirTable, model map[string]*Dentry) {
	tb.Helper()
	if t == nil {
		if len(model) != 0 {
			tb.Fatalf("nil table but %d names in the model", len(model))
		}
		return
	}
	n := len(t.slots)
	if n < dirTableMinSize || bits.OnesCount(uint(n)) != 1 {
		tb.Fatalf("table size %d is not a power of two >= %d", n, dirTableMinSize)
	}
	live, used, empty := 0, 0, 0
	seen := map[string]bool{}
	for i := range t.slots {
		s := &t.slots[i]
		switch d := s.d.Load(); {
		case d == nil:
			empty++
		case d == tombstone:
			used++
		default:
			live++
			used++
			if seen[s.name] {
				tb.Fatalf("name %q stored twice", s.name)
			}
			seen[s.name] = true
			if k := KeyOf(s.name); s.hash != k.hash || s.word != k.word {
				tb.Fatalf("entry %q has a stale key", s.name)
			}
			if model[s.name] != d {
				tb.Fatalf("entry %q holds %p, model %p", s.name, d, model[s.name])
			}
		}
	}
	if live != t.live || used != t.used {
		tb.Fatalf("counters live=%d used=%d, slots say live=%d used=%d", t.live, t.used, live, used)
	}
	if live != len(model) {
		tb.Fatalf("%d live entries, model has %d", live, len(model))
	}
	if empty == 0 || used*4 > n*3 {
		tb.Fatalf("table too full: used %d of %d", used, n)
	}
	for name, d := range model {
		if got := t.lookup(name); got != d {
			tb.Fatalf("lookup(%q) = %p, want %p", name, got, d)
		}
	}
}

// tableNames draws names that share prefixes, straddle the 8-byte blocks
// hashName reads, and repeat often enough to be removed and re-added.
func tableNames() *rapid.Generator[string] {
	prefixes := []string{"", "a", "f", "file", "file.", "abcdefg", "abcdefgh", "abcdefghi",
		"0123456789abcdef", "0123456789abcdef0", strings.Repeat("x", 40), "é", "\x00", "日本語"}
	return rapid.Custom(func(t *rapid.T) string {
		p := rapid.SampledFrom(prefixes).Draw(t, "prefix")
		switch rapid.IntRange(0, 3).Draw(t, "shape") {
		case 0:
			return p
		case 1:
			return p + strconv.Itoa(rapid.IntRange(0, 30).Draw(t, "n"))
		case 2:
			return strconv.Itoa(rapid.IntRange(0, 30).Draw(t, "n")) + p
		default:
			return p + strings.Repeat("z", rapid.IntRange(0, 17).Draw(t, "z"))
		}
	})
}

func TestDirTableStateMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var table *dirTable
		model := map[string]*Dentry{}
		names := tableNames()
		present := func(t *rapid.T) string {
			keys := make([]string, 0, len(model))
			for k := range model {
				keys = append(keys, k)
			}
			if len(keys) == 0 {
				t.Skip("empty")
			}
			slices.Sort(keys) // for a deterministic draw
			return rapid.SampledFrom(keys).Draw(t, "present")
		}
		rt.Repeat(map[string]func(*rapid.T){
			"insert": func(t *rapid.T) {
				name := names.Draw(t, "name")
				if _, ok := model[name]; ok {
					t.Skip("present")
				}
				d := &Dentry{}
				old := table
				table = table.insert(name, d)
				if old != nil && table != old {
					// A grown table leaves the old one untouched for
					// readers that still hold it.
					oldModel := map[string]*Dentry{}
					for k, v := range model {
						oldModel[k] = v
					}
					checkTable(t, old, oldModel)
				}
				model[name] = d
			},
			"insertMany": func(t *rapid.T) {
				// Force growth: many names sharing one long prefix.
				k := rapid.IntRange(1, 40).Draw(t, "k")
				base := rapid.IntRange(0, 1000).Draw(t, "base")
				for i := range k {
					name := fmt.Sprintf("many-names-with-a-shared-prefix-%d", base+i)
					if _, ok := model[name]; ok {
						continue
					}
					d := &Dentry{}
					table = table.insert(name, d)
					model[name] = d
				}
			},
			"remove": func(t *rapid.T) {
				name := present(t)
				table.remove(name)
				delete(model, name)
				if table.lookup(name) != nil {
					t.Fatalf("%q still found after remove", name)
				}
			},
			"removeAbsent": func(t *rapid.T) {
				name := names.Draw(t, "name")
				if _, ok := model[name]; ok {
					t.Skip("present")
				}
				before := -1
				if table != nil {
					before = table.used
				}
				table.remove(name) // nil-safe and a no-op
				if table != nil && table.used != before {
					t.Fatalf("removing absent %q changed the table", name)
				}
			},
			"lookup": func(t *rapid.T) {
				name := names.Draw(t, "name")
				if got := table.lookup(name); got != model[name] {
					t.Fatalf("lookup(%q) = %p, want %p", name, got, model[name])
				}
			},
			"": func(t *rapid.T) { checkTable(t, table, model) },
		})
	})
}

func TestDirTableNil(t *testing.T) {
	var table *dirTable
	require.Nil(t, table.lookup("x"))
	table.remove("x")
	d := &Dentry{}
	table = table.insert("x", d)
	require.Len(t, table.slots, dirTableMinSize)
	require.Same(t, d, table.lookup("x"))
	require.Nil(t, table.lookup(""))
}

func TestDirTableTombstonesDoNotGrow(t *testing.T) {
	// Churn through one name at a time: tombstones are cleared by
	// rehashing at the same size instead of growing the table.
	var table *dirTable
	for i := range 10000 {
		name := "churn" + strconv.Itoa(i)
		table = table.insert(name, &Dentry{})
		table.remove(name)
	}
	require.Len(t, table.slots, dirTableMinSize)
	require.Equal(t, 0, table.live)
	// Lookups of absent names terminate even with tombstones everywhere.
	require.Nil(t, table.lookup("churn5"))
	checkTable(t, table, map[string]*Dentry{})

	// With a steady population the table settles at a fixed size.
	model := map[string]*Dentry{}
	for i := range 100 {
		name := "keep" + strconv.Itoa(i)
		model[name] = &Dentry{}
		table = table.insert(name, model[name])
	}
	size := len(table.slots)
	for i := range 5000 {
		name := "tmp" + strconv.Itoa(i)
		table = table.insert(name, &Dentry{})
		table.remove(name)
	}
	require.Equal(t, size, len(table.slots))
	checkTable(t, table, model)
}

func TestDirTableGrowth(t *testing.T) {
	var table *dirTable
	model := map[string]*Dentry{}
	sizes := map[int]bool{}
	for i := range 5000 {
		name := "a/long/shared/prefix/that/spans/blocks/" + strconv.Itoa(i)
		model[name] = &Dentry{}
		table = table.insert(name, model[name])
		sizes[len(table.slots)] = true
	}
	checkTable(t, table, model)
	// Load factor stays under 3/4 and growth doubles.
	require.Greater(t, len(table.slots)*3, 5000*4-1)
	for s := range sizes {
		require.Equal(t, 1, bits.OnesCount(uint(s)), s)
	}
	for name := range model {
		require.Nil(t, table.lookup(name+"x"))
		require.Nil(t, table.lookup(name[1:]))
	}
}

func TestHashName(t *testing.T) {
	defer func(s uint64) { nameSeed = s }(nameSeed)
	for _, seed := range []uint64{1, 0x9e3779b97f4a7c15, nameSeed} {
		nameSeed = seed
		// Deterministic for a seed, sensitive to every byte and to length.
		require.Equal(t, hashName("hello"), hashName("hello"))
		base := "abcdefghijklmnopqrstuvwxyz0123456789"
		seen := map[uint64]string{}
		add := func(s string) {
			h := hashName(s)
			if prev, ok := seen[h]; ok && prev != s {
				t.Fatalf("seed %#x: %q and %q collide", seed, prev, s)
			}
			seen[h] = s
		}
		for n := 0; n <= len(base); n++ {
			add(base[:n])
			add(base[:n] + "\x00")
			for i := 0; i < n; i++ {
				b := []byte(base[:n])
				b[i] ^= 1
				add(string(b))
			}
		}
		// Names with shared prefixes spread over the low bits that pick
		// the first slot: 64 buckets, 64k names, each bucket within 25% of
		// the mean (a real mix is within ~4%).
		const buckets, total = 64, 1 << 16
		var count [buckets]int
		for i := range total {
			name := "file-" + strconv.Itoa(i)
			if i%3 == 0 {
				name = "some/longer/shared/prefix-" + strconv.Itoa(i) + ".txt"
			}
			add(name)
			count[hashName(name)&(buckets-1)]++
		}
		for b, c := range count {
			require.InDelta(t, total/buckets, c, total/buckets/4, "seed %#x bucket %d", seed, b)
		}
	}
}

// TestScanName checks that the scanning hash of a path walk is hashName
// of the component, for every length around the 8-byte word boundaries
// and wherever the component sits in the path.
func TestScanName(t *testing.T) {
	base := "abcdefghijklmnopqrstuvwxyz0123456789"
	for n := 1; n <= len(base); n++ {
		for _, p := range []string{base[:n], "/" + base[:n], "x/" + base[:n] + "/y", "//" + base[:n] + "//"} {
			i := strings.IndexByte(p, base[0])
			name, h, end := ScanName(p, i)
			require.Equal(t, base[:n], name, p)
			require.Equal(t, hashName(name), h, p)
			require.Equal(t, i+n, end, p)
		}
	}
	// Random paths over bytes around '/' (0x2f) and with the high bit.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'/', '/', 'a', 0x2e, 0x30, 0xaf, 0x00, 0xff, 0x2f ^ 0x80, 0x01}
	for range 20000 {
		p := make([]byte, r.IntN(40))
		for k := range p {
			p[k] = alphabet[r.IntN(len(alphabet))]
		}
		path := string(p)
		for i := 0; i <= len(path); i++ {
			want := len(path)
			if k := strings.IndexByte(path[i:], '/'); k >= 0 {
				want = i + k
			}
			name, k, end := ScanKey(path, i)
			if name != path[i:want] || end != want || k != KeyOf(name) || k.Hash() != hashName(name) {
				t.Fatalf("ScanKey(%q, %d) = %q, %d", path, i, name, end)
			}
		}
	}
	name, h, end := ScanName("a//", 1)
	require.Equal(t, "", name)
	require.Equal(t, hashName(""), h)
	require.Equal(t, 1, end)
}

// TestNameKeyShort checks that the packed word of a short name tells apart
// names that differ only by trailing NUL bytes or length.
func TestNameKeyShort(t *testing.T) {
	names := []string{"a", "a\x00", "a\x00\x00", "\x00", "\x00\x00", "abcdefg", "abcdefg\x00", "abcdefgh", ""}
	var table *dirTable
	model := map[string]*Dentry{}
	for _, n := range names {
		model[n] = &Dentry{}
		table = table.insert(n, model[n])
	}
	checkTable(t, table, model)
	for _, n := range names {
		_, k, _ := ScanKey(n+"/", 0)
		require.Equal(t, KeyOf(n), k, "%q", n)
		require.Same(t, model[n], table.lookupKey(n, k), "%q", n)
	}
}

// TestDirTableConcurrent runs lock-free readers against a writer that
// inserts and removes under the directory lock, as Dentry does, and
// publishes grown tables through d.children.
func TestDirTableConcurrent(t *testing.T) {
	d := newDentry(nil, nil, ModeDir)
	stable := map[string]*Dentry{}
	d.mu.Lock()
	for i := range 50 {
		name := "stable-" + strconv.Itoa(i)
		stable[name] = &Dentry{}
		d.setChild(name, stable[name])
	}
	d.mu.Unlock()

	// Each churning name always maps to the same dentry, so a reader can
	// tell a right answer (that dentry or nil) from a wrong one.
	churn := make([]string, 200)
	churnD := map[string]*Dentry{}
	for i := range churn {
		churn[i] = fmt.Sprintf("churn-%d-%s", i, strings.Repeat("y", i%13))
		churnD[churn[i]] = &Dentry{}
	}

	var done atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := r; !done.Load(); i++ {
				name := churn[i%len(churn)]
				if got := d.Cached(name); got != nil && got != churnD[name] {
					bad.Store(fmt.Sprintf("%q gave a wrong dentry", name))
					return
				}
				s := "stable-" + strconv.Itoa(i%50)
				if got := d.Cached(s); got != stable[s] {
					bad.Store(fmt.Sprintf("stable %q gave %p", s, got))
					return
				}
				if d.Cached("never-"+strconv.Itoa(i%7)) != nil {
					bad.Store("found a name never inserted")
					return
				}
			}
		}()
	}
	in := map[string]bool{}
	for i := range 20000 {
		name := churn[(i*7919)%len(churn)]
		d.mu.Lock()
		if in[name] {
			d.dropChild(name)
		} else {
			d.setChild(name, churnD[name])
		}
		d.mu.Unlock()
		in[name] = !in[name]
	}
	done.Store(true)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	model := map[string]*Dentry{}
	for k, v := range stable {
		model[k] = v
	}
	for k, ok := range in {
		if ok {
			model[k] = churnD[k]
		}
	}
	checkTable(t, d.children.Load(), model)
}
