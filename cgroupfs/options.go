package cgroupfs

import (
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// rootFlags are the hierarchy's mount options (CGRP_ROOT_*).
type rootFlags uint8

const (
	optNsDelegate rootFlags = 1 << iota
	optFavorDynmods
	optMemoryLocalEvents
	optMemoryRecursiveProt
	optMemoryHugetlbAccounting
	optPidsLocalEvents
)

// optNames are the cgroup2 mount options in cgroup_show_options' order.
var optNames = []struct {
	name string
	flag rootFlags
}{
	{"nsdelegate", optNsDelegate},
	{"favordynmods", optFavorDynmods},
	{"memory_localevents", optMemoryLocalEvents},
	{"memory_recursiveprot", optMemoryRecursiveProt},
	{"memory_hugetlb_accounting", optMemoryHugetlbAccounting},
	{"pids_localevents", optPidsLocalEvents},
}

func (f rootFlags) has(o rootFlags) bool { return f&o != 0 }

// String renders the flags as mountinfo's super options show them after
// "rw": "nsdelegate,memory_recursiveprot", "" for none.
func (f rootFlags) String() string {
	var parts []string
	for _, o := range optNames {
		if f.has(o.flag) {
			parts = append(parts, o.name)
		}
	}
	return strings.Join(parts, ",")
}

// genericFlags are the keywords vfs_parse_sb_flag takes before the
// filesystem sees an option; their value, if any, is ignored.
var genericFlags = map[string]bool{
	"dirsync": true, "lazytime": true, "mand": true, "ro": true, "sync": true,
	"async": true, "nolazytime": true, "nomand": true, "rw": true,
}

// ParseOptions parses cgroup2 mount data as Linux 6.18 does for a mount(2)
// given a source when hasSource is set: options are comma separated, empty
// ones and ones starting with '=' are skipped, the generic superblock
// keywords (ro, rw, sync, ...) belong to the mount layer, and a source=
// option is accepted only when mount(2) had no source. The cgroup2 options
// are nsdelegate, favordynmods, memory_localevents, memory_recursiveprot,
// memory_hugetlb_accounting and pids_localevents, none taking a value.
// Every error is EINVAL.
func ParseOptions(data string, hasSource bool) (string, error) {
	f, err := parseOptions(data, hasSource)
	return f.String(), err
}

func parseOptions(data string, hasSource bool) (rootFlags, error) {
	var f rootFlags
	for _, opt := range strings.Split(data, ",") {
		if opt == "" {
			continue
		}
		key, value, hasValue := strings.Cut(opt, "=")
		if key == "" {
			continue
		}
		if genericFlags[key] {
			continue
		}
		known := false
		for _, o := range optNames {
			if o.name == key {
				if hasValue {
					return 0, vfs.EINVAL
				}
				f |= o.flag
				known = true
			}
		}
		if known {
			continue
		}
		if key == "source" {
			if !hasValue || hasSource {
				return 0, vfs.EINVAL
			}
			hasSource = true
			_ = value
			continue
		}
		return 0, vfs.EINVAL
	}
	return f, nil
}
