// Package examples holds runnable programs to copy from, one per folder:
//
//   - containerrootfs: a container's root filesystem as a container
//     runtime builds it: a new mount namespace, a private tree, the image
//     bind-mounted on itself, host directories bound in read-only, a tmpfs
//     on /tmp, pivot_root and the lazy unmount of the old root. The image
//     is a tmpfs today; an overlay of image layers takes its place once
//     the overlay filesystem lands.
//   - sharedsubtree: shared subtrees across namespaces: a host mount
//     point shared with a container as a slave, so host mounts reach the
//     container and the container's mounts stay inside it.
//
// Each is a main package; `go run ./examples/NAME` prints what it shows,
// and its test checks that output.
package examples
