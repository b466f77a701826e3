// Package propagation keeps the shared-subtree graph of Linux's mount
// layer (what fs/pnode.c keeps): peer groups, masters and slaves, the
// changes of propagation type (MS_SHARED, MS_SLAVE, MS_PRIVATE,
// MS_UNBINDABLE) and the walks over the graph that decide which mounts
// receive a copy of a mount event.
//
// A Node is one mount's place in the graph; the mount tree embeds one in
// every mount and hands the walks a predicate telling which nodes are new
// (not yet attached). The package knows nothing of paths, dentries or
// mount trees: deciding whether a receiver can see a mountpoint, copying
// trees and unmounting are the mount package's work.
//
// Nodes are not safe for concurrent use; the mount layer changes the
// graph only under its mount lock.
package propagation
