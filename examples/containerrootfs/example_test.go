package main

// The program's output, checked by go test.
func Example() {
	main()
	// Output:
	// # the container's mountinfo
	// 7 4 0:3 / / rw,nodev,relatime - tmpfs image rw,size=16384k,mode=755
	// 8 7 0:2 /srv/data /data ro,nosuid,nodev,relatime - tmpfs none rw
	// 9 7 0:4 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=1024k
	// # inside: hostname "c1\n", data 18 bytes, writing /data: read-only file system, host's /srv: no such file or directory
	// # the host's mountinfo is unchanged
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /var/lib/c1/rootfs rw,nodev,relatime - tmpfs image rw,size=16384k,mode=755
}
