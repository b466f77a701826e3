package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The kernel this harness boots: Debian trixie's riscv64 flavour.
const (
	debianMirror = "http://deb.debian.org/debian"
	debianSuite  = "trixie"
	kernelMeta   = "linux-image-riscv64"
	archKeyring  = "/usr/share/keyrings/debian-archive-keyring.gpg"
)

// wantedModules are the modules the guest loads, with their dependencies
// found from modinfo. ext4 asks the crypto API for crc32c, which only
// crc32c_generic provides on this kernel (a soft dependency modinfo does
// not name); loop serves losetup.
var wantedModules = []string{"overlay", "crc32c_generic", "ext4", "loop"}

// apt runs apt-get or apt-cache with a private state under dir: its own
// lists, cache and sources.list (trixie, riscv64 only, signed by the
// machine's Debian archive keyring). The machine's apt sources and state
// are never read or changed.
func apt(dir, tool string, args ...string) *exec.Cmd {
	opts := []string{
		"-o", "Dir::State=" + filepath.Join(dir, "state"),
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::State::status=" + filepath.Join(dir, "status"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Dir::Etc::SourceList=" + filepath.Join(dir, "sources.list"),
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(dir, "sources.list.d"),
		"-o", "APT::Architecture=riscv64",
		"-o", "APT::Architectures::=riscv64",
		"-o", "Acquire::Languages=none",
		"-o", "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
		"-o", "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false",
		"-o", "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false",
		"-o", "APT::Sandbox::User=root",
		"-q",
	}
	cmd := exec.Command(tool, append(opts, args...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// kernel is an extracted kernel: the uncompressed Image and the modules
// (xz-compressed) in load order.
type kernel struct {
	Version string
	Image   string   // path of the uncompressed Image (boot/vmlinux-*)
	Modules []string // paths of .ko.xz files, dependencies first
}

// fetchKernel returns the kernel cached under cache, downloading and
// extracting it first when it is missing (or refresh is set).
func fetchKernel(cache string, refresh bool, logf func(string, ...any)) (*kernel, error) {
	kdir := filepath.Join(cache, "kernel")
	if k, err := loadKernel(kdir); err == nil && !refresh {
		return k, nil
	}
	aptDir := filepath.Join(cache, "apt")
	for _, d := range []string{"lists/partial", "cache/archives/partial", "state", "sources.list.d", "debs"} {
		if err := os.MkdirAll(filepath.Join(aptDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	src := fmt.Sprintf("deb [arch=riscv64 signed-by=%s] %s %s main\n", archKeyring, debianMirror, debianSuite)
	if err := os.WriteFile(filepath.Join(aptDir, "sources.list"), []byte(src), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(aptDir, "status"), nil, 0o644); err != nil {
		return nil, err
	}
	logf("apt-get update (private state in %s)", aptDir)
	if err := apt(aptDir, "apt-get", "update").Run(); err != nil {
		return nil, fmt.Errorf("apt-get update: %w", err)
	}
	show, err := apt(aptDir, "apt-cache", "show", kernelMeta).Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache show %s: %w", kernelMeta, err)
	}
	m := regexp.MustCompile(`(?m)^Depends: (linux-image-[^ ,]+)`).FindSubmatch(show)
	if m == nil {
		return nil, fmt.Errorf("%s depends on no linux-image package", kernelMeta)
	}
	pkg := string(m[1])
	debs := filepath.Join(aptDir, "debs")
	deb, err := findDeb(debs, pkg)
	if err != nil {
		logf("apt-get download %s", pkg)
		cmd := apt(aptDir, "apt-get", "download", pkg)
		cmd.Dir = debs
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("apt-get download %s: %w", pkg, err)
		}
		if deb, err = findDeb(debs, pkg); err != nil {
			return nil, err
		}
	}
	logf("extracting the Image and modules from %s (xz, in Go: a minute or more)", filepath.Base(deb))
	if err := extractKernel(deb, kdir); err != nil {
		return nil, err
	}
	return loadKernel(kdir)
}

func findDeb(dir, pkg string) (string, error) {
	ms, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(ms) == 0 {
		return "", fmt.Errorf("no %s .deb in %s", pkg, dir)
	}
	sort.Strings(ms)
	return ms[len(ms)-1], nil
}

// loadKernel reads an extracted kernel: kdir/version, kdir/Image and the
// modules listed in kdir/modules.order.
func loadKernel(kdir string) (*kernel, error) {
	v, err := os.ReadFile(filepath.Join(kdir, "version"))
	if err != nil {
		return nil, err
	}
	order, err := os.ReadFile(filepath.Join(kdir, "modules.order"))
	if err != nil {
		return nil, err
	}
	k := &kernel{Version: strings.TrimSpace(string(v)), Image: filepath.Join(kdir, "Image")}
	if _, err := os.Stat(k.Image); err != nil {
		return nil, err
	}
	for _, m := range strings.Fields(string(order)) {
		p := filepath.Join(kdir, "modules", m+".ko.xz")
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
		k.Modules = append(k.Modules, p)
	}
	return k, nil
}

// extractKernel reads the .deb once: boot/vmlinux-* (the uncompressed
// Image; Debian's riscv64 vmlinuz is gzipped and does not boot on qemu 7.2)
// and every module, of which it keeps wantedModules and their
// dependencies (found in their decompressed .modinfo), with their load
// order. The version file is
// written last, so a half-done extraction is never taken for a cached one.
func extractKernel(deb, kdir string) error {
	f, err := os.Open(deb)
	if err != nil {
		return err
	}
	defer f.Close()
	tr, err := debData(f)
	if err != nil {
		return err
	}
	os.RemoveAll(kdir)
	if err := os.MkdirAll(filepath.Join(kdir, "modules"), 0o755); err != nil {
		return err
	}
	var version string
	mods := map[string][]byte{} // module name -> .ko.xz, all of them
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", deb, err)
		}
		name := path.Clean(h.Name)
		switch {
		case strings.HasPrefix(name, "boot/vmlinux-"):
			version = strings.TrimPrefix(name, "boot/vmlinux-")
			out, err := os.Create(filepath.Join(kdir, "Image"))
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case strings.HasSuffix(name, ".ko.xz") && strings.Contains(name, "/kernel/"):
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			mods[strings.ReplaceAll(strings.TrimSuffix(path.Base(name), ".ko.xz"), "-", "_")] = b
		}
	}
	if version == "" {
		return fmt.Errorf("%s has no boot/vmlinux-*", deb)
	}
	var order []string
	done := map[string]bool{}
	var add func(name string, depth int) error
	add = func(name string, depth int) error {
		if done[name] {
			return nil
		}
		if depth > 20 {
			return fmt.Errorf("module dependency loop at %s", name)
		}
		xzb, ok := mods[name]
		if !ok {
			return fmt.Errorf("no module %s in the package", name)
		}
		ko, err := unxz(xzb)
		if err != nil {
			return fmt.Errorf("%s.ko.xz: %w", name, err)
		}
		deps, err := modinfo(ko, "depends")
		if err != nil {
			return fmt.Errorf("%s.ko: %w", name, err)
		}
		for _, d := range deps {
			for _, dep := range strings.Split(d, ",") {
				if dep != "" {
					if err := add(strings.ReplaceAll(dep, "-", "_"), depth+1); err != nil {
						return err
					}
				}
			}
		}
		done[name] = true
		order = append(order, name)
		// The guest kernel decompresses modules itself
		// (CONFIG_MODULE_DECOMPRESS): keeping them xz'd keeps the
		// initramfs small.
		return os.WriteFile(filepath.Join(kdir, "modules", name+".ko.xz"), xzb, 0o644)
	}
	for _, m := range wantedModules {
		if err := add(m, 0); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(kdir, "modules.order"), []byte(strings.Join(order, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if len(order) == 0 {
		return errors.New("no modules")
	}
	return os.WriteFile(filepath.Join(kdir, "version"), []byte(version+"\n"), 0o644)
}
