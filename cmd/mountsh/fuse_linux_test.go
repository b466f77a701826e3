package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mountkit/mountkit/internal/testenv"

	"github.com/stretchr/testify/require"
)

const inNamespace = "MOUNTSH_TEST_IN_NAMESPACE"

// TestFuse serves the demo's world with mountsh fuse, reads it with the
// test process's own system calls, and stops it with umount(2). It runs
// itself again inside `unshare --mount --propagation private`.
func TestFuse(t *testing.T) {
	if os.Getenv(inNamespace) == "" {
		if os.Getuid() != 0 {
			t.Skip("needs root: mounts FUSE in a private mount namespace")
		}
		if _, err := os.Stat("/dev/fuse"); err != nil {
			t.Skipf("no FUSE device: %v", err)
		}
		if testenv.Emulated() {
			t.Skip("the test re-executes its binary under unshare(1), which cannot run it directly under an emulator (qemu-user)")
		}
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skip("needs unshare(1) from util-linux")
		}
		cmd := exec.Command(unshare, "--mount", "--propagation", "private",
			os.Args[0], "-test.run=^TestFuse$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), inNamespace+"=1")
		out, err := cmd.CombinedOutput()
		t.Logf("in the private namespace:\n%s", out)
		require.NoError(t, err)
		require.Contains(t, string(out), "--- PASS: TestFuse")
		return
	}
	dir := t.TempDir()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- mountsh([]string{"fuse", "--demo", dir}, nil, &out, &errb) }()
	readme := filepath.Join(dir, "srv", "readme")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(readme); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("mountsh fuse ended early: %v\n%s", err, errb.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "the export did not come up")
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(readme)
	require.NoError(t, err)
	require.Equal(t, "hello from the root tmpfs\n", string(b))
	b, err = os.ReadFile(filepath.Join(dir, "mnt", "slave", "logs", "today"))
	require.NoError(t, err)
	require.Equal(t, "all quiet\n", string(b))
	err = os.WriteFile(filepath.Join(dir, "tmp", "x"), nil, 0o644)
	require.ErrorIs(t, err, syscall.EROFS, "the stacked read-only tmpfs on /tmp")
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "serving on "+dir) }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, syscall.Unmount(dir, 0))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("mountsh fuse did not stop after umount")
	}
	require.Contains(t, out.String(), `25: "all quiet\n"`, "the demo's own output")
}

// syncBuffer is a bytes.Buffer that the test reads while mountsh writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
