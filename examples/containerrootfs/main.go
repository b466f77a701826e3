// Containerrootfs builds a container's root filesystem with the mountkit
// library the way a container runtime (runc, crun) does on Linux, and
// prints the mount table the container ends up with next to the host's.
//
// Steps, each the system call a runtime makes:
//
//  0. mount the image: an overlay of its read-only layers with a
//     writable upper directory of the container's own;
//  1. unshare(CLONE_NEWNS) and mount --make-rprivate /, so nothing the
//     container mounts propagates back to the host;
//  2. bind-mount the image's rootfs onto itself, because pivot_root wants
//     the new root to be a mount point;
//  3. bind host directories in (read-only with a remount, as a volume
//     with :ro), mount a fresh tmpfs on /tmp;
//  4. chdir into the rootfs and pivot_root(".", ".oldroot");
//  5. umount2("/.oldroot", MNT_DETACH): lazily drop the host's tree, which
//     is still busy (our cwd was on it), and remove the directory.
//
// The image has two layers (a base and an application layer, as a
// registry would ship them), unpacked into directories of a tmpfs; what
// the container writes lands in its upper directory, and the layers stay
// as they were.
package main

import (
	"fmt"
	"log"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// must stops at the first failing system call, naming it.
func must(what string, err error) {
	if err != nil {
		log.Fatalf("%s: %v", what, err)
	}
}

func write(c *mount.FsContext, path, data string) {
	f, err := c.Open(path, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_TRUNC, 0o644)
	must("open "+path, err)
	_, err = f.Write([]byte(data))
	must("write "+path, err)
	must("close "+path, f.Close())
}

func run() error {
	host, err := mountkit.Boot()
	if err != nil {
		return err
	}
	defer host.Close()

	// The host: a data directory to share, the unpacked image layers and
	// the container's own upper and work directories.
	for _, d := range []string{"/srv", "/srv/data", "/var", "/var/lib", "/var/lib/c1"} {
		must("mkdir "+d, host.Mkdir(d, 0o755))
	}
	write(host, "/srv/data/report.csv", "day,visits\nmon,12\n")
	layers := "/var/lib/layers"
	must("mkdir layers", host.Mkdir(layers, 0o755))
	must("mount layers", host.Mount("layers", layers, "tmpfs", mount.MS_NODEV, "size=16m,mode=755"))
	for _, d := range []string{"base", "base/bin", "base/etc", "base/data", "base/tmp", "base/.oldroot", "app", "app/etc"} {
		must("mkdir "+d, host.Mkdir(layers+"/"+d, 0o755))
	}
	write(host, layers+"/base/etc/hostname", "localhost\n")
	write(host, layers+"/base/bin/sh", "#!\n")
	write(host, layers+"/app/etc/hostname", "c1\n")
	write(host, layers+"/app/etc/app.conf", "port=80\n")
	for _, d := range []string{"rootfs", "upper", "work"} {
		must("mkdir "+d, host.Mkdir("/var/lib/c1/"+d, 0o755))
	}
	rootfs := "/var/lib/c1/rootfs"
	must("mount image", host.Mount("overlay", rootfs, "overlay", 0,
		"lowerdir="+layers+"/app:"+layers+"/base,upperdir=/var/lib/c1/upper,workdir=/var/lib/c1/work"))

	// The container's first process.
	c := host.Fork()
	defer c.Close()
	must("unshare", c.Unshare())
	must("make-rprivate /", c.SetPropagation("/", mount.Private, true))
	must("bind rootfs", c.Bind(rootfs, rootfs))
	must("bind data", c.Bind("/srv/data", rootfs+"/data"))
	must("remount data ro", c.RemountBind(rootfs+"/data", mount.MS_RDONLY|mount.MS_NOSUID|mount.MS_NODEV))
	must("mount tmp", c.Mount("tmpfs", rootfs+"/tmp", "tmpfs", mount.MS_NOSUID|mount.MS_NODEV, "size=1m,mode=1777"))
	must("chdir rootfs", c.Chdir(rootfs))
	must("pivot_root", c.PivotRoot(".", ".oldroot"))
	must("chdir /", c.Chdir("/"))
	// The old root is busy (the host's tree is below it); detach it lazily.
	must("umount old root", c.Umount2("/.oldroot", mount.MNT_DETACH))
	must("rmdir /.oldroot", c.Rmdir("/.oldroot"))

	fmt.Println("# the container's mountinfo")
	fmt.Print(c.MountInfo())
	name, err := readFile(c, "/etc/hostname")
	must("read hostname", err)
	fmt.Printf("# inside: hostname %q, ", name)
	report, err := readFile(c, "/data/report.csv")
	must("read report", err)
	fmt.Printf("data %d bytes, ", len(report))
	_, err = c.Open("/data/new", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	fmt.Printf("writing /data: %v, ", err)
	_, err = c.Stat("/srv")
	fmt.Printf("host's /srv: %v\n", err)
	write(c, "/etc/app.conf", "port=8080\n")
	conf, err := readFile(host, layers+"/app/etc/app.conf")
	must("read the layer", err)
	mine, err := readFile(host, "/var/lib/c1/upper/etc/app.conf")
	must("read the upper layer", err)
	fmt.Printf("# after the container wrote /etc/app.conf: the layer has %q, the upper directory %q\n", conf, mine)

	fmt.Println("# the host's mountinfo is unchanged")
	fmt.Print(host.MountInfo())
	return nil
}

func readFile(c *mount.FsContext, path string) (string, error) {
	f, err := c.Open(path, vfs.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, err := f.Read(b)
	return string(b[:n]), err
}
