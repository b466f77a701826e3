package mount

import (
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// MountInfo renders /proc/self/mountinfo for c: one line per mount of c's
// namespace whose root is reachable from c's root, in creation order, as
// Linux's show_mountinfo prints them (see proc(5)).
func (c *FsContext) MountInfo() string {
	var b strings.Builder
	root := c.Root()
	c.visibleMounts(func(m *Mountpoint, mp string) {
		parent := m
		if m.parent.Load() != nil {
			parent = m.parent.Load()
		}
		b.WriteString(strconv.FormatUint(uint64(m.id), 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(parent.id), 10))
		b.WriteByte(' ')
		dev := m.sb.Dev()
		b.WriteString(strconv.FormatUint(uint64(vfs.Major(dev)), 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(uint64(vfs.Minor(dev)), 10))
		b.WriteByte(' ')
		writeEscaped(&b, m.root.Path(), 0)
		b.WriteByte(' ')
		writeEscaped(&b, mp, 0)
		b.WriteByte(' ')
		b.WriteString(mountOptions(m.flags.Load()))
		b.WriteString(mountTags(m, root))
		b.WriteString(" - ")
		writeEscaped(&b, m.sb.Filesystem().Type(), 0)
		b.WriteByte(' ')
		writeEscaped(&b, m.devname, '#')
		b.WriteByte(' ')
		b.WriteString(superOptions(m.sb))
		b.WriteByte('\n')
	})
	return b.String()
}

// visibleMounts calls f, under the mount lock, for each mount of c's
// namespace whose root is reachable from c's root, in creation order,
// with its mountpoint as c sees it: the lines of c's mountinfo.
func (c *FsContext) visibleMounts(f func(m *Mountpoint, mountpoint string)) {
	k := c.k
	// The write lock, because list may tidy the namespace's list; the
	// tree does not change, so seq stays and lock-free walks go on.
	k.mu.Lock()
	defer k.mu.Unlock()
	root := c.Root()
	for _, m := range c.Namespace().list() {
		if mp, ok := pathFrom(Location{m, m.root}, root); ok {
			f(m, mp)
		}
	}
}

// mountOptions renders per-mount flags as mountinfo's sixth field.
func mountOptions(f uint32) string {
	s := "rw"
	if f&mntReadonly != 0 {
		s = "ro"
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
			s += o.name
		}
	}
	return s
}

// superOptions renders the superblock flags and the filesystem's own
// options as mountinfo's last field.
func superOptions(sb *superblock) string {
	f := sb.Flags()
	s := "rw"
	if f&vfs.SB_RDONLY != 0 {
		s = "ro"
	}
	for _, o := range [...]struct {
		bit  uint32
		name string
	}{
		{vfs.SB_SYNCHRONOUS, ",sync"}, {vfs.SB_DIRSYNC, ",dirsync"},
		{vfs.SB_MANDLOCK, ",mand"}, {vfs.SB_LAZYTIME, ",lazytime"},
	} {
		if f&o.bit != 0 {
			s += o.name
		}
	}
	if o := sb.Filesystem().Options(); o != "" {
		s += "," + o
	}
	return s
}

// writeEscaped writes s with space, tab, newline, backslash and extra
// (when not 0) as octal escapes, as seq_escape in fs/proc_namespace.c
// does; the source field escapes '#' too.
func writeEscaped(b *strings.Builder, s string, extra byte) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case extra:
			b.WriteString(`\0`)
			b.WriteByte('0' + c>>3&7)
			b.WriteByte('0' + c&7)
		case ' ':
			b.WriteString(`\040`)
		case '\t':
			b.WriteString(`\011`)
		case '\n':
			b.WriteString(`\012`)
		case '\\':
			b.WriteString(`\134`)
		default:
			b.WriteByte(c)
		}
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
