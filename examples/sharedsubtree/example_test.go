package main

// The program's output, checked by go test.
func Example() {
	main()
	// Output:
	// after the host's mount:      host: visible                      container: visible
	// after the container's mount: host: no such file or directory    container: visible
	// # host mountinfo
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /media rw,relatime shared:1 - tmpfs media rw,size=1024k
	// 7 3 0:4 / /media/usb rw,nosuid,relatime shared:2 - tmpfs /dev/sdb1 rw,size=1024k
	// # container mountinfo
	// 5 4 0:2 / / rw,relatime - tmpfs none rw
	// 6 5 0:3 / /media rw,relatime master:1 - tmpfs media rw,size=1024k
	// 8 6 0:4 / /media/usb rw,nosuid,relatime master:2 - tmpfs /dev/sdb1 rw,size=1024k
	// 9 6 0:5 / /media/scratch rw,relatime - tmpfs scratch rw
	// after the host's umount:     host: no such file or directory    container: no such file or directory
}
