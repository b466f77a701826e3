package script

import (
	"os"
	"strings"
)

// cgroupUnsafe says why the cgroup2 golden scripts must not run on this
// kernel, or "" when they may. Mounting cgroup2 applies the mount's options
// to the one hierarchy (apply_cgroup_root_flags), so a script's mount
// without options would clear options such as nsdelegate that the host's
// own cgroup2 mounts set; the scripts run only where there are none.
func cgroupUnsafe() string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "cannot read mountinfo: " + err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		_, tail, ok := strings.Cut(l, " - ")
		f := strings.Fields(tail)
		if !ok || len(f) < 3 || f[0] != "cgroup2" {
			continue
		}
		for _, o := range strings.Split(f[2], ",") {
			if o != "rw" && o != "ro" {
				return "the host's cgroup2 is mounted with " + f[2] + ", which a script's mount would reset"
			}
		}
	}
	return ""
}
