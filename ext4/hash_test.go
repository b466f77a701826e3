package ext4

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDxHashDebugfs checks the signed hash versions against e2fsprogs'
// own (debugfs dx_hash) for random names with bytes from 0x20 to 0xff,
// of lengths crossing the 16- and 32-byte chunk sizes.
func TestDxHashDebugfs(t *testing.T) {
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Skip("debugfs not installed (e2fsprogs)")
	}
	seedText := "01234567-89ab-cdef-0123-456789abcdef"
	seedBytes := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	var seed [4]uint32
	for i := range seed {
		seed[i] = binary.LittleEndian.Uint32(seedBytes[4*i:])
	}
	rng := rand.New(rand.NewPCG(7, 8))
	re := regexp.MustCompile(`is 0x([0-9a-f]+)`)
	for _, alg := range []struct {
		name    string
		version uint8
	}{{"legacy", hashLegacy}, {"half_md4", hashHalfMD4}, {"tea", hashTea}} {
		for _, n := range []int{1, 3, 4, 15, 16, 17, 31, 32, 33, 64, 100, 255} {
			name := make([]byte, n)
			for i := range name {
				name[i] = byte(0x21 + rng.IntN(0xff-0x21))
				if name[i] == '"' || name[i] == '\\' || name[i] == 0x7f {
					name[i] = 'a'
				}
			}
			for _, s := range []struct {
				text string
				seed [4]uint32
			}{{"00000000-0000-0000-0000-000000000000", [4]uint32{}}, {seedText, seed}} {
				cmd := fmt.Sprintf("dx_hash -h %s -s %s \"%s\"", alg.name, s.text, name)
				out, _ := exec.Command("debugfs", "-R", cmd, "/dev/null").CombinedOutput()
				m := re.FindSubmatch(out)
				require.NotNil(t, m, "%s", out)
				want, err := strconv.ParseUint(string(m[1]), 16, 32)
				require.NoError(t, err)
				require.Equal(t, uint32(want), dxHash(name, alg.version, s.seed), "%s %q seed %s", alg.name, name, s.text)
			}
		}
	}
}

// TestDxHashUnsigned: for ASCII names the signed and unsigned versions
// agree, and for bytes from 0x80 they differ (so that the fixtures
// with unsigned hashes test what they claim).
func TestDxHashUnsigned(t *testing.T) {
	for v := uint8(0); v < 3; v++ {
		require.Equal(t, dxHash([]byte("plain-ascii"), v, [4]uint32{}), dxHash([]byte("plain-ascii"), v+3, [4]uint32{}))
		require.NotEqual(t, dxHash([]byte("h\xe9llo"), v, [4]uint32{}), dxHash([]byte("h\xe9llo"), v+3, [4]uint32{}))
	}
}
