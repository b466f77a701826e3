package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

type bootOptions struct {
	timeout time.Duration
	cache   string
	refresh bool
	keep    bool
	run     string

	rapidChecks int
}

// resultLine starts the guest's last line: "PASS" or "FAIL" follows.
const resultLine = "MOUNTKIT-RISCV64 RESULT: "

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "riscv64: "+format+"\n", args...)
}

// boot is the host side; it returns the exit status.
func boot(o bootOptions) int {
	start := time.Now()
	if err := ensureQEMU(); err != nil {
		logf("%v", err)
		return 1
	}
	k, err := fetchKernel(o.cache, o.refresh, logf)
	if err != nil {
		logf("kernel: %v", err)
		return 1
	}
	logf("kernel %s, modules %d (setup %.1fs)", k.Version, len(k.Modules), time.Since(start).Seconds())
	build, err := os.MkdirTemp("", "mountkit-riscv64-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	if o.keep {
		logf("build directory %s", build)
	} else {
		defer os.RemoveAll(build)
	}
	t := time.Now()
	initrd, err := buildInitramfs(build, k, o.run, o.rapidChecks)
	if err != nil {
		logf("initramfs: %v", err)
		return 1
	}
	if fi, err := os.Stat(initrd); err == nil {
		logf("initramfs %s (%.1f MB gzipped) built in %.1fs", initrd, float64(fi.Size())/1e6, time.Since(t).Seconds())
	}
	return runQEMU(k, initrd, o.timeout, filepath.Join(o.cache, "console.log"))
}

// ensureQEMU installs qemu-system-misc (without recommends) when
// qemu-system-riscv64 is missing.
func ensureQEMU() error {
	if _, err := exec.LookPath("qemu-system-riscv64"); err == nil {
		return nil
	}
	logf("installing qemu-system-misc")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", "qemu-system-misc"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	_, err := exec.LookPath("qemu-system-riscv64")
	return err
}

// goPackage is what go list says of a package.
type goPackage struct {
	ImportPath   string
	Dir          string
	Name         string
	TestGoFiles  []string
	XTestGoFiles []string
}

// moduleRoot is the directory of the module this program belongs to.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// buildInitramfs cross-compiles the test binaries and /init and writes the
// gzipped newc initramfs; it returns its path.
func buildInitramfs(build string, k *kernel, run string, rapidChecks int) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	env := append(os.Environ(), "GOOS=linux", "GOARCH=riscv64", "CGO_ENABLED=0")
	list := exec.Command("go", "list", "-json", "./...")
	list.Dir, list.Env = root, env
	out, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("go list: %w", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return "", err
		}
		if len(p.TestGoFiles)+len(p.XTestGoFiles) > 0 && strings.Contains(p.ImportPath, run) {
			pkgs = append(pkgs, p)
		}
	}
	bin := filepath.Join(build, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	var paths []string
	for _, p := range pkgs {
		paths = append(paths, p.ImportPath)
	}
	logf("cross-compiling %d test binaries", len(paths))
	gt := exec.Command("go", append([]string{"test", "-c", "-ldflags=-s -w", "-o", bin}, paths...)...)
	gt.Dir, gt.Env, gt.Stdout, gt.Stderr = root, env, os.Stderr, os.Stderr
	if err := gt.Run(); err != nil {
		return "", fmt.Errorf("go test -c: %w", err)
	}
	initBin := filepath.Join(build, "init")
	gb := exec.Command("go", "build", "-ldflags=-s -w", "-o", initBin, "./examples/riscv64")
	gb.Dir, gb.Env, gb.Stdout, gb.Stderr = root, env, os.Stderr, os.Stderr
	if err := gb.Run(); err != nil {
		return "", fmt.Errorf("go build /init: %w", err)
	}

	initrd := filepath.Join(build, "initrd.gz")
	f, err := os.Create(initrd)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 1<<20)
	c := newCPIO(bw)
	for _, d := range []string{"proc", "sys", "dev", "tmp", "root"} {
		c.Dir(d)
	}
	data, err := os.ReadFile(initBin)
	if err != nil {
		return "", err
	}
	c.File("init", 0o755, data)
	var order []string
	for _, m := range k.Modules {
		data, err := os.ReadFile(m)
		if err != nil {
			return "", err
		}
		c.File("modules/"+filepath.Base(m), 0o644, data)
		order = append(order, filepath.Base(m))
	}
	c.File("modules/order", 0o644, []byte(strings.Join(order, "\n")+"\n"))
	size := 0
	var manifest []string
	for _, p := range pkgs {
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			return "", err
		}
		name := filepath.Base(p.ImportPath) + ".test"
		data, err := os.ReadFile(filepath.Join(bin, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // go test -c writes nothing for a package whose tests do not build here
		} else if err != nil {
			return "", err
		}
		dst := filepath.ToSlash(filepath.Join("pkg", rel))
		c.File(dst+"/"+name, 0o755, data)
		size += len(data)
		if err := addTree(c, filepath.Join(p.Dir, "testdata"), dst+"/testdata"); err != nil {
			return "", err
		}
		manifest = append(manifest, p.ImportPath+" "+dst+"/"+name)
	}
	if !c.dirs["pkg/script/testdata"] {
		// The corpus runs even when -run leaves the script tests out.
		if err := addTree(c, filepath.Join(root, "script", "testdata"), "pkg/script/testdata"); err != nil {
			return "", err
		}
	}
	logf("test binaries: %.1f MB", float64(size)/1e6)
	c.File("tests", 0o644, []byte(strings.Join(manifest, "\n")+"\n"))
	c.File("rapid-checks", 0o644, []byte(fmt.Sprintf("%d\n", rapidChecks)))
	if err := c.Close(); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return initrd, f.Close()
}

// addTree adds the regular files under dir (if it exists) at dst.
func addTree(c *cpioWriter, dir, dst string) error {
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		target := filepath.ToSlash(filepath.Join(dst, rel))
		if d.IsDir() {
			c.Dir(target)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		c.File(target, 0o644, data)
		return nil
	})
}

// runQEMU boots the kernel with the initramfs, copies the console to
// stdout and to logPath, and returns the verdict as an exit status.
func runQEMU(k *kernel, initrd string, timeout time.Duration, logPath string) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// 1G, not the 256M a small guest needs: the initramfs holds every
	// package's test binary (about 145 MB unpacked), and it is unpacked
	// into RAM next to its compressed copy.
	cmd := exec.CommandContext(ctx, "qemu-system-riscv64",
		"-machine", "virt", "-m", "1G", "-smp", "1", "-nographic", "-no-reboot",
		"-kernel", k.Image, "-initrd", initrd,
		"-append", "console=ttyS0 panic=-1 quiet loglevel=1")
	cmd.Stdin = nil
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	logFile, err := os.Create(logPath)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer logFile.Close()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logf("qemu: %v", err)
		return 1
	}
	result := make(chan string, 1)
	go func() {
		var verdict string
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			fmt.Println(line)
			fmt.Fprintln(logFile, line)
			if i := strings.Index(line, resultLine); i >= 0 {
				verdict = strings.TrimSpace(line[i+len(resultLine):])
			}
		}
		result <- verdict
	}()
	werr := cmd.Wait()
	pw.Close()
	verdict := <-result
	logf("qemu ran %.1fs; console in %s", time.Since(start).Seconds(), logPath)
	switch {
	case ctx.Err() != nil:
		logf("FAIL: the guest did not finish within %v", timeout)
		return 1
	case werr != nil:
		logf("FAIL: qemu: %v", werr)
		return 1
	case verdict == "":
		logf("FAIL: no result line on the console (a kernel panic or a crash of /init)")
		return 1
	case verdict != "PASS":
		logf("FAIL: the guest reported %s", verdict)
		return 1
	}
	logf("PASS")
	return 0
}
