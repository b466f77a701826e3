package main

// The program's output, checked by go test.
func Example() {
	main()
	// Output:
	// # the container's mountinfo
	// 9 5 0:4 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/layers/app:/var/lib/layers/base,upperdir=/var/lib/c1/upper,workdir=/var/lib/c1/work,uuid=on
	// 10 9 0:2 /srv/data /data ro,nosuid,nodev,relatime - tmpfs none rw
	// 11 9 0:5 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=1024k
	// # inside: hostname "c1\n", data 18 bytes, writing /data: read-only file system, host's /srv: no such file or directory
	// # after the container wrote /etc/app.conf: the layer has "port=80\n", the upper directory "port=8080\n"
	// # the host's mountinfo is unchanged
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /var/lib/layers rw,nodev,relatime - tmpfs layers rw,size=16384k,mode=755
	// 4 2 0:4 / /var/lib/c1/rootfs rw,relatime - overlay overlay rw,lowerdir=/var/lib/layers/app:/var/lib/layers/base,upperdir=/var/lib/c1/upper,workdir=/var/lib/c1/work,uuid=on
}
