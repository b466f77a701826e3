package linuxabi

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// Addresses of the test address space.
// They lie where neither a Go program nor qemu-user maps anything, so that
// the Linux errno test can map the same layout in its own address space.
const (
	edgeBase    = 0x2000000000 // one page of 'a', followed by nothing
	roBase      = 0x2000100000 // one read-only page of zeros
	badAddr     = 0x2000200000 // never mapped
	scratchBase = 0x2000300000 // bump-allocated strings and buffers
	scratchSize = 1 << 20
)

// env is a booted library with one Process and its memory, or (when
// call is set) the real kernel with the same memory layout.
type env struct {
	t    testing.TB
	p    *Process
	mem  UserMemory
	next uint64

	call func(name string, a Args) int64 // the kernel's system call, for the Linux run
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, err := mountkit.Boot()
	require.NoError(t, err)
	mem := testMemory(t)
	e := &env{t: t, p: NewProcess(ctx, mem), mem: mem, next: scratchBase}
	t.Cleanup(e.p.Exit)
	return e
}

// testMemory maps the test layout in a Memory.
func testMemory(t testing.TB) *Memory {
	mem := &Memory{}
	require.NoError(t, mem.Map(scratchBase, make([]byte, scratchSize)))
	edge := []byte(strings.Repeat("a", PageSize))
	require.NoError(t, mem.Map(edgeBase, edge))
	require.NoError(t, mem.MapReadOnly(roBase, make([]byte, PageSize)))
	return mem
}

// put copies b into fresh scratch memory and returns its address.
func (e *env) put(b []byte) uint64 {
	addr := e.next
	e.next += (uint64(len(b)) + 15) &^ 7
	require.LessOrEqual(e.t, e.next, uint64(scratchBase+scratchSize))
	_, err := e.mem.WriteAt(b, addr)
	require.NoError(e.t, err)
	return addr
}

// str returns the address of s with its NUL.
func (e *env) str(s string) uint64 { return e.put(append([]byte(s), 0)) }

// buf returns the address of n zero bytes.
func (e *env) buf(n int) uint64 { return e.put(make([]byte, n)) }

// bytes reads n bytes at addr.
func (e *env) bytes(addr uint64, n int) []byte {
	b := make([]byte, n)
	_, err := e.mem.ReadAt(b, addr)
	require.NoError(e.t, err)
	return b
}

// sys runs the named system call through the dispatch table when this
// architecture has one, else through a table built from the amd64-free
// entries by name, so that every test runs everywhere.
func (e *env) sys(name string, args ...uint64) int64 {
	e.t.Helper()
	var a Args
	copy(a[:], args)
	if e.call != nil {
		return e.call(name, a)
	}
	if nr, ok := numbers[name]; ok {
		return e.p.Syscall(nr, a)
	}
	call, ok := entries[name]
	require.True(e.t, ok, "no system call %s", name)
	return call(e.p, &a)
}

// ok runs a system call that must succeed and returns its result.
func (e *env) ok(name string, args ...uint64) int64 {
	e.t.Helper()
	r := e.sys(name, args...)
	require.GreaterOrEqual(e.t, r, int64(0), "%s: %s", name, errName(r))
	return r
}

// errName names a negative result.
func errName(r int64) string {
	if r >= 0 {
		return "ok"
	}
	return vfs.Errno(-r).Name()
}

// fd is a descriptor as an argument register.
func fd(n int64) uint64 { return uint64(n) }

// edgeString is a string of 'a' that runs into unmapped memory.
const edgeString = edgeBase + PageSize - 10

// atFDCWD as a register.
var atFDCWD = fd(AT_FDCWD)

// le is the byte order of both architectures.
var le = binary.LittleEndian

// File types as mode arguments.
const (
	sIFIFO = uint64(vfs.ModeFIFO)
	sIFCHR = uint64(vfs.ModeCharDevice)
	sIFDIR = uint64(vfs.ModeDir)
)

// badFD is a descriptor no test process has open (fd 42 may well be one of
// the Go runtime's in the Linux run).
const badFD = 100000
