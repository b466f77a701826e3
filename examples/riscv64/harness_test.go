package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/ulikunitz/xz"
)

// readCPIO parses a newc archive: name -> (mode, data), in order.
func readCPIO(t *testing.T, b []byte) (names []string, modes map[string]uint32, data map[string]string) {
	modes, data = map[string]uint32{}, map[string]string{}
	off := 0
	field := func(i int) int {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		require.NoError(t, err)
		return int(v)
	}
	for {
		require.Equal(t, "070701", string(b[off:off+6]))
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+namesize-1])
		require.Equal(t, byte(0), b[off+110+namesize-1])
		off += (110 + namesize + 3) &^ 3
		if name == "TRAILER!!!" {
			require.Zero(t, off%4)
			return
		}
		names = append(names, name)
		modes[name] = uint32(mode)
		data[name] = string(b[off : off+size])
		off += (size + 3) &^ 3
	}
}

func TestCPIO(t *testing.T) {
	var buf bytes.Buffer
	c := newCPIO(&buf)
	c.Dir("proc")
	c.File("init", 0o755, []byte("#!"))
	c.File("pkg/a/b/x.test", 0o755, []byte("hello"))
	c.File("pkg/a/c", 0o644, nil)
	c.Dir("pkg/a")
	require.NoError(t, c.Close())
	names, modes, data := readCPIO(t, buf.Bytes())
	require.Equal(t, []string{"proc", "init", "pkg", "pkg/a", "pkg/a/b", "pkg/a/b/x.test", "pkg/a/c"}, names)
	require.Equal(t, uint32(0o100755), modes["init"])
	require.Equal(t, uint32(0o040755), modes["pkg/a/b"])
	require.Equal(t, "hello", data["pkg/a/b/x.test"])
	require.Equal(t, "", data["pkg/a/c"])
}

// makeDeb writes a .deb whose data member is a tar of files, compressed as
// comp ("xz", "gz" or "").
func makeDeb(t *testing.T, files map[string]string, comp string) []byte {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, n := range sortedKeys(files) {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./" + n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	data, name := tb.Bytes(), "data.tar"
	if comp == "xz" {
		var xb bytes.Buffer
		w, err := xz.NewWriter(&xb)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		data, name = xb.Bytes(), "data.tar.xz"
	}
	var deb bytes.Buffer
	deb.WriteString("!<arch>\n")
	member := func(name string, body []byte) {
		fmt.Fprintf(&deb, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", name, 0, 0, 0, 0o644, len(body))
		deb.Write(body)
		if len(body)%2 == 1 {
			deb.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.xz", []byte("odd"))
	member(name, data)
	return deb.Bytes()
}

func TestDebData(t *testing.T) {
	files := map[string]string{"boot/vmlinux-6.12": "IMAGE", "usr/lib/modules/6.12/kernel/fs/x.ko.xz": "KO"}
	for _, comp := range []string{"xz", ""} {
		tr, err := debData(bytes.NewReader(makeDeb(t, files, comp)))
		require.NoError(t, err, comp)
		got := map[string]string{}
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			b, _ := io.ReadAll(tr)
			got[h.Name[2:]] = string(b)
		}
		require.Equal(t, files, got)
	}
	_, err := debData(bytes.NewReader([]byte("not a deb at all")))
	require.Error(t, err)
	_, err = debData(bytes.NewReader([]byte("!<arch>\n")))
	require.Error(t, err)
	_, err = modinfo([]byte("no elf"), "depends")
	require.Error(t, err)
}

func TestDiffRows(t *testing.T) {
	want := []byte("1: ok\n2: ok\n3: 1 0 dev1 / / rw - tmpfs none\n3: 2 1 dev2 / /m rw - tmpfs none\n")
	got := []byte("1: ok\n2: EINVAL\n3: 1 0 dev1 / / rw - tmpfs none\n4: ok\n")
	require.Equal(t, [][4]string{
		{"x", "2", "ok", "EINVAL"},
		{"x", "3", "2 lines, line 2: 2 1 dev2 / /m rw - tmpfs none", "1 lines"},
		{"x", "4", "", "ok"},
	}, diffRows("x", want, got))
	require.Empty(t, diffRows("x", want, want))
}
