//go:build linux

package script

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/internal/testenv"
)

// TestRandomExt4ScriptsAgree is TestRandomScriptsAgree with the script's
// root on a read-write ext4 mount (an empty image made by mkfs.ext4,
// loop-mounted and chrooted into on both sides): the library's ext4
// writes must print what the kernel's do.
func TestRandomExt4ScriptsAgree(t *testing.T) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skipf("mkfs.ext4 not installed (e2fsprogs): %v", err)
	}
	if testenv.Emulated() {
		t.Skip("under a user-mode emulator: its losetup ioctls are ENOSYS, so the Linux side cannot mount the image")
	}
	// 1 KiB blocks with room; 4 KiB blocks with so few inodes that
	// creations run into ENOSPC; ext2's block maps.
	for _, v := range []struct{ name, mkfs, bs, inodes string }{
		{"1k", "mkfs.ext4", "1024", "512"},
		{"4k-few-inodes", "mkfs.ext4", "4096", "32"},
		{"ext2-1k", "mkfs.ext2", "1024", "512"},
	} {
		t.Run(v.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "ext4.img")
			for _, c := range [][]string{
				{"truncate", "-s", "4M", img},
				{v.mkfs, "-q", "-F", "-b", v.bs, "-N", v.inodes, "-O", "^has_journal", "-E", "root_owner=0:0", img},
			} {
				if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
					t.Fatalf("%v: %v\n%s", c, err, out)
				}
			}
			prefix := fmt.Sprintf("image /ext4.img %s\nlosetup /loop0 /ext4.img\nmkdir /e\nmount /loop0 /e ext4 0\nchroot /e\nchdir /\n", img)
			gen := rapid.Custom(func(t *rapid.T) string { return prefix + scriptGen.Draw(t, "script") })
			checkRandomAgree(t, gen, randomChecks/8)
		})
	}
}
