package mount

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

func bootTmpfs(t *testing.T) *FsContext {
	t.Helper()
	k := NewKernel()
	k.RegisterFilesystem("tmpfs", memfs.Mount, false)
	c, err := k.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestParseMountInfo(t *testing.T) {
	c := bootTmpfs(t)
	require.NoError(t, c.Mkdir("/a b", 0o755))
	require.NoError(t, c.Mount("src#1\\x", "/a b", "tmpfs", MS_NOSUID, "size=1m"))
	require.NoError(t, c.SetPropagation("/a b", Shared, false))
	text := c.MountInfo()
	es, err := ParseMountInfo(text)
	require.NoError(t, err)
	require.Len(t, es, 2)
	e := es[1]
	require.Equal(t, "/a b", e.MountPoint)
	require.Equal(t, "/", e.Root)
	require.Equal(t, "src#1\\x", e.Source)
	require.Equal(t, "tmpfs", e.FSType)
	require.Equal(t, []string{"shared:1"}, e.Optional)
	require.Equal(t, "rw,nosuid,relatime", e.Options)
	require.Equal(t, es[0].ID, e.ParentID)
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	require.Equal(t, text, b.String(), "String renders what MountInfo printed")
}

func TestParseMountInfoErrors(t *testing.T) {
	for _, line := range []string{
		"",
		"1 0 0:1 / / rw",
		"1 0 0:1 / / rw - tmpfs",
		"x 0 0:1 / / rw - tmpfs none rw",
		"1 0 01 / / rw - tmpfs none rw",
		"1 0 0:1 /\\04 / rw - tmpfs none rw",
		"1 0 0:1 /\\400 / rw - tmpfs none rw",
		"1 0 0:1 /\\08x / rw - tmpfs none rw",
		"1 0 0:1  / rw - tmpfs none rw",
		"1 0 0:1 / / rw  - tmpfs none rw",
		"1 0 0:1 / / rw - tmpfs none rw extra",
	} {
		_, err := ParseMountInfoLine(line)
		require.ErrorIs(t, err, vfs.EINVAL, "%q", line)
	}
}

// FuzzMountInfoRoundTrip checks that any fields rendered as mountinfo
// parse back to themselves, and that any line the parser accepts renders
// back to a line that parses to the same entry.
func FuzzMountInfoRoundTrip(f *testing.F) {
	f.Add("/", "/a b", "tmpfs", "none#\\", "rw,size=1k", "1 2 0:3 / / rw shared:1 - tmpfs none rw")
	f.Add("/x\ty", "/\n", "overlay", "", "rw,lowerdir=/l", "10 1 7:0 /d /mnt\\040x ro master:2 - ext4 /dev/loop0 ro")
	f.Fuzz(func(t *testing.T, root, mp, fstype, source, super, line string) {
		e := MountInfoEntry{ID: 3, ParentID: 1, Minor: 9, Root: root, MountPoint: mp,
			Options: "rw", FSType: fstype, Source: source, SuperOptions: super}
		if root != "" && mp != "" && !strings.ContainsAny(super, " \n") {
			got, err := ParseMountInfoLine(e.String())
			require.NoError(t, err, "%q", e.String())
			require.Equal(t, e, got)
		}
		if p, err := ParseMountInfoLine(line); err == nil {
			q, err := ParseMountInfoLine(p.String())
			require.NoError(t, err)
			require.Equal(t, p, q)
		}
	})
}
