package script

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestZZDump(t *testing.T) {
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		src := mountScriptGen.Draw(t, "s")
		n++
		if n > 3 {
			return
		}
		p, _ := Parse("x.mnt", []byte(src))
		var out bytes.Buffer
		Run(p, NewLibrary(), &out)
		lines := strings.Split(src, "\n")
		res := map[string]string{}
		for _, l := range strings.Split(out.String(), "\n") {
			k, v, _ := strings.Cut(l, ": ")
			if _, ok := res[k]; !ok {
				res[k] = v
			}
		}
		fmt.Fprintln(os.Stderr, "-------")
		for i, l := range lines {
			fmt.Fprintf(os.Stderr, "%-50s %s\n", l, res[fmt.Sprint(i+1)])
		}
	})
}
