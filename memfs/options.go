package memfs

import (
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/internal/kstrtox"
	"github.com/mountkit/mountkit/vfs"
)

const (
	pageSize  = 4096
	pageShift = 12

	// bogoInodeSize is what an inode costs in the inode budget (Linux's
	// BOGO_INODE_SIZE); extended attributes are charged against the same
	// budget in bytes.
	bogoInodeSize = 1024
	// bogoDirentSize is what one entry adds to a directory's st_size.
	bogoDirentSize = 20

	maxInodesLimit = ^uint64(0) / bogoInodeSize // ULONG_MAX / BOGO_INODE_SIZE
	maxBlocksLimit = 1<<63 - 1                  // LONG_MAX
	maxNumNodes    = 1024                       // MAX_NUMNODES
)

// Huge is the huge= option: when tmpfs would use huge pages. memfs
// records it for mountinfo; it has no effect on storage.
type Huge uint8

// Values of huge=, with Linux's numbering.
const (
	HugeNever Huge = iota
	HugeAlways
	HugeWithinSize
	HugeAdvise
)

var hugeNames = [...]string{"never", "always", "within_size", "advise"}

func (h Huge) String() string {
	if int(h) < len(hugeNames) {
		return hugeNames[h]
	}
	return "huge(" + strconv.Itoa(int(h)) + ")"
}

// seen records which options the mount data named (Linux's
// SHMEM_SEEN_*), which a remount needs.
type seen uint8

const (
	seenBlocks seen = 1 << iota
	seenInodes
	seenHuge
	seenInums
)

// Options are the parameters of a tmpfs instance, as Linux's
// shmem_options. The zero Options is not the default: use DefaultOptions
// or ParseOptions.
type Options struct {
	Mode    vfs.Mode // permission bits of the root directory (07777 at most)
	UID     uint32   // owner of the root directory
	GID     uint32   // group of the root directory
	Blocks  uint64   // size limit in 4096-byte pages; 0 is unlimited
	Inodes  uint64   // inode limit; 0 is unlimited
	Inode64 bool     // 64-bit inode numbers (inode64); otherwise they wrap at 2^32
	Huge    Huge     // huge=
	Mpol    string   // mpol= as mountinfo shows it ("bind:0"); "" is the default policy
	NoSwap  bool     // noswap

	// SBFlags and SBFlagsMask are the superblock flags the data set or
	// cleared with the generic keywords ro, rw, sync, async, dirsync,
	// lazytime, nolazytime, mand and nomand (Linux's fc->sb_flags and
	// fc->sb_flags_mask). They belong to the mount layer.
	SBFlags     uint32
	SBFlagsMask uint32
	// Source is the value of a source= option, which Linux accepts only
	// when mount(2) was given a NULL source.
	Source    string
	HasSource bool

	seen    seen
	machine *Machine
}

// DefaultOptions returns the options of a tmpfs mounted by root with no
// data on m: mode 1777, owner 0:0, half of RAM, one inode per page of it.
func (m *Machine) DefaultOptions() Options {
	return Options{
		Mode:    0o1777,
		Blocks:  m.DefaultBlocks(),
		Inodes:  m.DefaultInodes(),
		Inode64: m.Inode64,
		machine: m,
	}
}

// DefaultOptions returns Host.DefaultOptions().
func DefaultOptions() Options { return Host.DefaultOptions() }

// ParseOptions parses tmpfs mount data on Host; see Machine.ParseOptions.
func ParseOptions(data string) (Options, error) { return Host.ParseOptions(data) }

// ParseOptions parses tmpfs mount data as Linux 6.18 does for a mount by
// root (uid and gid default to 0) and returns DefaultOptions changed by
// it. Every error is EINVAL, as Linux reports a bad or unknown option.
//
// Options are separated by commas, except that a comma followed by a
// digit belongs to the option (mpol=bind:0,2). Empty options and options
// starting with '=' are skipped. Accepted: size (bytes with k, m, g, t, p
// or e suffixes, or N% of RAM, rounded up to pages), nr_blocks, nr_inodes
// (both with suffixes), mode (octal), uid, gid (decimal, 0x hex or 0
// octal), huge, mpol, inode32, inode64, noswap, and the generic keywords
// recorded in SBFlags. Quota options and casefold are rejected, as on a
// kernel without CONFIG_TMPFS_QUOTA and CONFIG_UNICODE.
func (m *Machine) ParseOptions(data string) (Options, error) {
	o := m.DefaultOptions()
	if err := o.parse(data); err != nil {
		return Options{}, err
	}
	return o, nil
}

// parse applies data to o.
func (o *Options) parse(data string) error {
	for data != "" {
		var opt string
		opt, data = nextOpt(data)
		if opt == "" {
			continue
		}
		key, value, hasValue := strings.Cut(opt, "=")
		if key == "" {
			continue
		}
		if err := o.parseOne(key, value, hasValue); err != nil {
			return err
		}
	}
	return nil
}

// nextOpt splits off the first option of s as shmem_next_opt does.
func nextOpt(s string) (opt, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			continue
		}
		if i+1 < len(s) && kstrtox.IsDigit(s[i+1]) {
			continue
		}
		return s[:i], s[i+1:]
	}
	return s, ""
}

var sbSetFlags = map[string]uint32{
	"dirsync":  vfs.SB_DIRSYNC,
	"lazytime": vfs.SB_LAZYTIME,
	"mand":     vfs.SB_MANDLOCK,
	"ro":       vfs.SB_RDONLY,
	"sync":     vfs.SB_SYNCHRONOUS,
}

var sbClearFlags = map[string]uint32{
	"async":      vfs.SB_SYNCHRONOUS,
	"nolazytime": vfs.SB_LAZYTIME,
	"nomand":     vfs.SB_MANDLOCK,
	"rw":         vfs.SB_RDONLY,
}

// parseOne applies one key[=value] option, in the order Linux's
// vfs_parse_fs_param tries them: generic superblock flags (whose value is
// ignored), then tmpfs's own table, then source.
func (o *Options) parseOne(key, value string, hasValue bool) error {
	if f, ok := sbSetFlags[key]; ok {
		o.SBFlags |= f
		o.SBFlagsMask |= f
		return nil
	}
	if f, ok := sbClearFlags[key]; ok {
		o.SBFlags &^= f
		o.SBFlagsMask |= f
		return nil
	}
	m := o.machine
	if m == nil {
		m = &Host
	}
	switch key {
	case "inode32", "inode64", "noswap":
		if hasValue {
			return vfs.EINVAL
		}
		switch key {
		case "inode32":
			o.Inode64 = false
			o.seen |= seenInums
		case "inode64":
			o.Inode64 = true
			o.seen |= seenInums
		case "noswap":
			o.NoSwap = true
		}
		return nil
	case "source":
		if !hasValue || o.HasSource {
			return vfs.EINVAL
		}
		o.Source, o.HasSource = value, true
		return nil
	case "size", "nr_blocks", "nr_inodes", "mpol", "mode", "uid", "gid", "huge":
	default:
		return vfs.EINVAL
	}
	// The remaining options all take a non-empty value.
	if !hasValue || value == "" {
		return vfs.EINVAL
	}
	switch key {
	case "size":
		size, rest := kstrtox.Memparse(value)
		if strings.HasPrefix(rest, "%") {
			size <<= pageShift
			size *= m.RAMPages
			size /= 100
			rest = rest[1:]
		}
		if rest != "" {
			return vfs.EINVAL
		}
		o.Blocks = (size + pageSize - 1) / pageSize // wraps as DIV_ROUND_UP does
		o.seen |= seenBlocks
	case "nr_blocks":
		n, rest := kstrtox.Memparse(value)
		if rest != "" || n > maxBlocksLimit {
			return vfs.EINVAL
		}
		o.Blocks = n
		o.seen |= seenBlocks
	case "nr_inodes":
		n, rest := kstrtox.Memparse(value)
		if rest != "" || n > maxInodesLimit {
			return vfs.EINVAL
		}
		o.Inodes = n
		o.seen |= seenInodes
	case "mode":
		n, err := kstrtox.Uint32(value, 8)
		if err != nil {
			return vfs.EINVAL
		}
		o.Mode = vfs.Mode(n & 0o7777)
	case "uid", "gid":
		n, err := kstrtox.Uint32(value, 0)
		if err != nil || n == ^uint32(0) {
			return vfs.EINVAL
		}
		if key == "uid" {
			o.UID = n
		} else {
			o.GID = n
		}
	case "huge":
		h := -1
		for i, name := range hugeNames {
			if value == name {
				h = i
			}
		}
		if h < 0 || (Huge(h) != HugeNever && !m.THP) {
			return vfs.EINVAL
		}
		o.Huge = Huge(h)
		o.seen |= seenHuge
	case "mpol":
		if len(m.MemoryNodes) == 0 {
			return vfs.EINVAL
		}
		s, ok := parseMpol(value, m)
		if !ok {
			return vfs.EINVAL
		}
		o.Mpol = s
	}
	return nil
}

// String returns the options as Linux's shmem_show_options prints them in
// mountinfo's super options, without the leading comma: only those that
// differ from the defaults, in Linux's order.
func (o *Options) String() string {
	m := o.machine
	if m == nil {
		m = &Host
	}
	var b []byte
	add := func(s string) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	if o.Blocks != m.DefaultBlocks() {
		add("size=" + strconv.FormatUint(o.Blocks<<(pageShift-10), 10) + "k")
	}
	if o.Inodes != m.DefaultInodes() {
		add("nr_inodes=" + strconv.FormatUint(o.Inodes, 10))
	}
	if o.Mode != 0o1777 {
		s := strconv.FormatUint(uint64(o.Mode), 8)
		for len(s) < 3 {
			s = "0" + s
		}
		add("mode=" + s)
	}
	if o.UID != 0 {
		add("uid=" + strconv.FormatUint(uint64(o.UID), 10))
	}
	if o.GID != 0 {
		add("gid=" + strconv.FormatUint(uint64(o.GID), 10))
	}
	if m.Inode64 || o.Inode64 {
		if o.Inode64 {
			add("inode64")
		} else {
			add("inode32")
		}
	}
	if o.Huge != HugeNever {
		add("huge=" + o.Huge.String())
	}
	if o.Mpol != "" {
		add("mpol=" + o.Mpol)
	}
	if o.NoSwap {
		add("noswap")
	}
	return string(b)
}
