// Sharedsubtree shows shared-subtree propagation between a host and a
// container namespace with the mountkit library, as Linux does it
// (Documentation/filesystems/sharedsubtree.rst):
//
//   - the host makes /media a shared mount;
//   - a container process unshares its mount namespace: its copy of
//     /media is a peer of the host's, and it turns it into a slave, so
//     events flow from the host to the container only;
//   - the host mounts a USB stick under /media: it appears in the
//     container too;
//   - the container mounts a scratch tmpfs under /media: the host does
//     not see it;
//   - the host unmounts the stick: it goes from the container as well.
package main

import (
	"fmt"
	"log"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func must(what string, err error) {
	if err != nil {
		log.Fatalf("%s: %v", what, err)
	}
}

// show prints whether each namespace sees path as a directory.
func show(what string, host, ctr *mount.FsContext, path string) {
	_, herr := host.Stat(path)
	_, cerr := ctr.Stat(path)
	fmt.Printf("%-28s host: %-28v container: %v\n", what, errOK(herr), errOK(cerr))
}

func errOK(err error) any {
	if err == nil {
		return "visible"
	}
	return err
}

func run() error {
	host, err := mountkit.Boot()
	if err != nil {
		return err
	}
	defer host.Close()
	must("mkdir /media", host.Mkdir("/media", 0o755))
	must("mount /media", host.Mount("media", "/media", "tmpfs", 0, "size=1m"))
	must("make-shared /media", host.SetPropagation("/media", mount.Shared, false))
	must("mkdir /media/usb", host.Mkdir("/media/usb", 0o755))
	must("mkdir /media/scratch", host.Mkdir("/media/scratch", 0o755))

	ctr := host.Fork()
	defer ctr.Close()
	must("unshare", ctr.Unshare())
	must("make-slave /media", ctr.SetPropagation("/media", mount.Slave, false))

	must("host mounts usb", host.Mount("/dev/sdb1", "/media/usb", "tmpfs", mount.MS_NOSUID, "size=1m"))
	must("mkdir on usb", host.Mkdir("/media/usb/photos", 0o755))
	show("after the host's mount:", host, ctr, "/media/usb/photos")

	must("container mounts scratch", ctr.Mount("scratch", "/media/scratch", "tmpfs", 0, ""))
	must("mkdir on scratch", ctr.Mkdir("/media/scratch/tmp", 0o755))
	show("after the container's mount:", host, ctr, "/media/scratch/tmp")

	fmt.Println("# host mountinfo")
	fmt.Print(host.MountInfo())
	fmt.Println("# container mountinfo")
	fmt.Print(ctr.MountInfo())

	must("host unmounts usb", host.Umount2("/media/usb", 0))
	show("after the host's umount:", host, ctr, "/media/usb/photos")
	return nil
}
