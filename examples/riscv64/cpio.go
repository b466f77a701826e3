package main

import (
	"fmt"
	"io"
	"path"
	"sort"
)

// cpioWriter writes a newc ("070701") cpio archive, the format the kernel
// unpacks as an initramfs. Directories are written before what they hold;
// every entry belongs to root.
type cpioWriter struct {
	w    io.Writer
	ino  uint32
	dirs map[string]bool
	err  error
}

func newCPIO(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, dirs: map[string]bool{".": true, "": true}}
}

// header writes one entry's header, name and padding.
func (c *cpioWriter) header(name string, mode uint32, size int) {
	if c.err != nil {
		return
	}
	c.ino++
	h := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	c.write([]byte(h + name + "\x00"))
	c.pad(len(h) + len(name) + 1)
}

func (c *cpioWriter) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

// pad writes the NULs that align an entry part of n bytes to 4.
func (c *cpioWriter) pad(n int) {
	if r := n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// Dir adds directory name and its missing parents.
func (c *cpioWriter) Dir(name string) {
	name = path.Clean(name)
	if c.dirs[name] {
		return
	}
	c.Dir(path.Dir(name))
	c.dirs[name] = true
	c.header(name, 0o040755, 0)
}

// File adds a regular file with permission perm, and its parents.
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	name = path.Clean(name)
	c.Dir(path.Dir(name))
	c.header(name, 0o100000|perm&0o7777, len(data))
	c.write(data)
	c.pad(len(data))
}

// Close writes the trailer and returns the first error.
func (c *cpioWriter) Close() error {
	c.header("TRAILER!!!", 0, 0)
	return c.err
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
