package script

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestZZSample(t *testing.T) {
	stats := map[string]int{}
	maxInfo := 0
	rapid.Check(t, func(t *rapid.T) {
		src := mountScriptGen.Draw(t, "s")
		p, _ := Parse("x.mnt", []byte(src))
		var out bytes.Buffer
		Run(p, NewLibrary(), &out)
		res := map[string]string{}
		cnt := map[string]int{}
		for _, l := range strings.Split(out.String(), "\n") {
			n, v, _ := strings.Cut(l, ": ")
			if _, ok := res[n]; !ok {
				res[n] = v
			}
			cnt[n]++
		}
		for _, c := range p.Commands {
			n := fmt.Sprint(c.Line)
			key := c.Name
			if c.Name == "mount" {
				f := c.Args[3].Text
				switch {
				case strings.Contains(f, "MS_REMOUNT"):
					key = "remount"
				case strings.Contains(f, "MS_BIND|MS_REC"):
					key = "rbind"
				case strings.Contains(f, "MS_BIND"):
					key = "bind"
				case strings.Contains(f, "MS_SHARED") || strings.Contains(f, "MS_SLAVE") || strings.Contains(f, "MS_PRIVATE") || strings.Contains(f, "MS_UNBINDABLE"):
					key = "prop"
				case strings.Contains(f, "MS_MOVE"):
					key = "move"
				default:
					key = "tmpfs"
				}
			}
			if c.Name == "mountinfo" {
				maxInfo = max(maxInfo, cnt[n])
				continue
			}
			if c.Name == "umount2" || c.Name == "mount" || c.Name == "pivot_root" || c.Name == "unshare" {
				stats[key+" "+res[n]]++
			}
		}
	})
	var ks []string
	for k := range stats {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Fprintf(os.Stderr, "%-30s %d\n", k, stats[k])
	}
	fmt.Fprintln(os.Stderr, "max mountinfo", maxInfo)
}
