package mount

import (
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// MountInfoEntry is one line of /proc/PID/mountinfo (proc(5)), with the
// octal escapes of its path, type and source fields undone.
type MountInfoEntry struct {
	ID, ParentID uint32
	Major, Minor uint32
	Root         string   // the mount's root within its filesystem
	MountPoint   string   // where it is mounted, relative to the reader's root
	Options      string   // per-mount options ("rw,nosuid,relatime")
	Optional     []string // tagged fields: "shared:N", "master:N", "propagate_from:N", "unbindable"
	FSType       string
	Source       string
	SuperOptions string
}

// ParseMountInfo parses mountinfo text, as MountInfo renders it and as
// Linux prints it: one entry per non-empty line. A malformed line gives
// EINVAL.
func ParseMountInfo(text string) ([]MountInfoEntry, error) {
	var es []MountInfoEntry
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" {
			continue
		}
		e, err := ParseMountInfoLine(line)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

// ParseMountInfoLine parses one mountinfo line (without its newline):
// EINVAL when it does not have mountinfo's fields.
func ParseMountInfoLine(line string) (MountInfoEntry, error) {
	var e MountInfoEntry
	f := strings.Split(line, " ")
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) != sep+4 {
		return e, vfs.EINVAL
	}
	var err error
	if e.ID, err = parseID(f[0]); err != nil {
		return e, err
	}
	if e.ParentID, err = parseID(f[1]); err != nil {
		return e, err
	}
	maj, min, ok := strings.Cut(f[2], ":")
	if !ok {
		return e, vfs.EINVAL
	}
	if e.Major, err = parseID(maj); err != nil {
		return e, err
	}
	if e.Minor, err = parseID(min); err != nil {
		return e, err
	}
	if e.Root, err = unescapeField(f[3]); err != nil || e.Root == "" {
		return e, vfs.EINVAL
	}
	if e.MountPoint, err = unescapeField(f[4]); err != nil || e.MountPoint == "" {
		return e, vfs.EINVAL
	}
	if f[5] == "" {
		return e, vfs.EINVAL
	}
	e.Options = f[5]
	for _, t := range f[6:sep] {
		if t == "" {
			return e, vfs.EINVAL
		}
		e.Optional = append(e.Optional, t)
	}
	if e.FSType, err = unescapeField(f[sep+1]); err != nil {
		return e, err
	}
	if e.Source, err = unescapeField(f[sep+2]); err != nil {
		return e, err
	}
	e.SuperOptions = f[sep+3]
	return e, nil
}

// String renders e as a mountinfo line (without the newline), escaping
// as Linux does.
func (e MountInfoEntry) String() string {
	b := make([]byte, 0, 128)
	b = strconv.AppendUint(b, uint64(e.ID), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(e.ParentID), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(e.Major), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(e.Minor), 10)
	b = append(b, ' ')
	b = appendEscaped(b, e.Root, 0)
	b = append(b, ' ')
	b = appendEscaped(b, e.MountPoint, 0)
	b = append(b, ' ')
	b = append(b, e.Options...)
	for _, t := range e.Optional {
		b = append(b, ' ')
		b = append(b, t...)
	}
	b = append(b, " - "...)
	b = appendEscaped(b, e.FSType, 0)
	b = append(b, ' ')
	b = appendEscaped(b, e.Source, '#')
	b = append(b, ' ')
	b = append(b, e.SuperOptions...)
	return string(b)
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, vfs.EINVAL
	}
	return uint32(n), nil
}

// unescapeField undoes seq_escape's three-digit octal escapes.
func unescapeField(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+4 > len(s) {
			return "", vfs.EINVAL
		}
		v := 0
		for _, d := range []byte(s[i+1 : i+4]) {
			if d < '0' || d > '7' {
				return "", vfs.EINVAL
			}
			v = v*8 + int(d-'0')
		}
		if v > 0xff {
			return "", vfs.EINVAL
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}
