package mount

import (
	"strconv"
	"unsafe"

	"github.com/mountkit/mountkit/vfs"
)

// MountInfo renders /proc/self/mountinfo for c: one line per mount of c's
// namespace whose root is reachable from c's root, in creation order, as
// Linux's show_mountinfo prints them (see proc(5)).
func (c *FsContext) MountInfo() string {
	return bytesToString(c.appendVisible(nil, appendMountInfoLine))
}

// appendMountInfoLine appends m's mountinfo line; mp is its mountpoint as
// seen from root.
func appendMountInfoLine(b []byte, m *Mountpoint, mp []byte, root Location) []byte {
	parent := m
	if p := m.parent.Load(); p != nil {
		parent = p
	}
	b = strconv.AppendUint(b, uint64(m.id), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(parent.id), 10)
	b = append(b, ' ')
	dev := m.sb.Dev()
	b = strconv.AppendUint(b, uint64(vfs.Major(dev)), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(vfs.Minor(dev)), 10)
	b = append(b, ' ')
	// The root's path, escaped in place: rendered after the line so far,
	// then moved down as it is escaped.
	n := len(b)
	b = m.root.AppendPath(b)
	b = appendEscapedTail(b, n)
	b = append(b, ' ')
	b = appendEscaped(b, mp, 0)
	b = append(b, ' ')
	b = appendMountOptions(b, m.flags.Load())
	b = appendMountTags(b, m, root)
	b = append(b, " - "...)
	b = appendEscaped(b, m.sb.Filesystem().Type(), 0)
	b = append(b, ' ')
	b = appendEscaped(b, m.devname, '#')
	b = append(b, ' ')
	b = appendSuperOptions(b, m.sb)
	return append(b, '\n')
}

// bytesToString returns b as a string without copying it, as
// strings.Builder does; b must not be changed afterwards.
func bytesToString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// appendVisible appends to b, under the mount lock, what line appends for
// each mount of c's namespace whose root is reachable from c's root, in
// creation order, given its mountpoint as c sees it (valid only during
// the call): the lines of c's mountinfo.
func (c *FsContext) appendVisible(b []byte, line func(b []byte, m *Mountpoint, mp []byte, root Location) []byte) []byte {
	k := c.k
	// The write lock, because list may tidy the namespace's list; the
	// tree does not change, so seq stays and lock-free walks go on.
	k.mu.Lock()
	defer k.mu.Unlock()
	root := c.Root()
	list := c.Namespace().list()
	if b == nil {
		b = make([]byte, 0, 128*len(list))
	}
	var mp []byte
	for _, m := range list {
		var ok bool
		if mp, ok = appendPathFrom(mp[:0], Location{m, m.root}, root, nil, 0); ok {
			b = line(b, m, mp, root)
		}
	}
	return b
}

// appendMountOptions appends the per-mount flags, mountinfo's sixth
// field.
func appendMountOptions(b []byte, f uint32) []byte {
	if f&mntReadonly != 0 {
		b = append(b, "ro"...)
	} else {
		b = append(b, "rw"...)
	}
	for _, o := range [...]struct {
		bit  uint32
		name string
	}{
		{mntNosuid, ",nosuid"}, {mntNodev, ",nodev"}, {mntNoexec, ",noexec"},
		{mntNoatime, ",noatime"}, {mntNodiratime, ",nodiratime"},
		{mntRelatime, ",relatime"}, {mntNosymfollow, ",nosymfollow"},
	} {
		if f&o.bit != 0 {
			b = append(b, o.name...)
		}
	}
	return b
}

// appendSuperOptions appends the superblock flags and the filesystem's
// own options, mountinfo's last field.
func appendSuperOptions(b []byte, sb *superblock) []byte {
	f := sb.Flags()
	if f&vfs.SB_RDONLY != 0 {
		b = append(b, "ro"...)
	} else {
		b = append(b, "rw"...)
	}
	b = appendSuperFlags(b, f)
	if o := sb.Filesystem().Options(); o != "" {
		b = append(b, ',')
		b = append(b, o...)
	}
	return b
}

// appendSuperFlags appends ",sync", ",dirsync", ",mand" and ",lazytime"
// for the SB_* flags f has.
func appendSuperFlags(b []byte, f uint32) []byte {
	for _, o := range [...]struct {
		bit  uint32
		name string
	}{
		{vfs.SB_SYNCHRONOUS, ",sync"}, {vfs.SB_DIRSYNC, ",dirsync"},
		{vfs.SB_MANDLOCK, ",mand"}, {vfs.SB_LAZYTIME, ",lazytime"},
	} {
		if f&o.bit != 0 {
			b = append(b, o.name...)
		}
	}
	return b
}

// appendEscaped appends s with space, tab, newline, backslash and extra
// (when not 0) as octal escapes, as seq_escape in fs/proc_namespace.c
// does; the source field escapes '#' too.
func appendEscaped[S string | []byte](b []byte, s S, extra byte) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; escaped[c] || c == extra {
			b = append(b, s[start:i]...)
			b = append(b, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}

// appendEscapedTail escapes b[n:] in place (as appendEscaped would append
// it) and returns the result.
func appendEscapedTail(b []byte, n int) []byte {
	for i := n; i < len(b); i++ {
		if escaped[b[i]] {
			tail := append([]byte(nil), b[n:]...)
			return appendEscaped(b[:n], tail, 0)
		}
	}
	return b
}

// escaped marks the bytes appendEscaped always escapes.
var escaped = [256]bool{' ': true, '\t': true, '\n': true, '\\': true}
