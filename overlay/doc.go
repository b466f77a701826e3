// Package overlay is overlayfs for mountkit: a filesystem that merges a
// writable upper directory and read-only lower directories of other
// mounted filesystems, with the semantics of Linux 6.18's fs/overlayfs
// (as built on this project's reference machine: redirect_dir=follow,
// index=off, xino=off, metacopy=off by default).
//
// Mount is the vfs.NewFilesystemFunc of the "overlay" type. The layers are
// paths in the mounting process's namespace (vfs.MountRequest.LookupMount),
// resolved as Linux resolves lowerdir=, upperdir= and workdir=; the backends
// of the layers know nothing of the overlay, which changes them only
// through their vfs dentries, so that each layer's own mounts see the
// changes.
//
// # Options
//
// Parsed as Linux parses the legacy mount data: options separated by
// commas (a backslash escapes a comma), each layer resolved as its option
// is read (ENOENT, or EINVAL for a non-directory, in option order):
//
//   - lowerdir=DIR[:DIR...] (topmost first; "\:" escapes a colon, "::"
//     starts data-only layers), or lowerdir+=DIR and datadir+=DIR one
//     layer each; a later lowerdir= replaces the layers, lowerdir+= after
//     lowerdir= is EINVAL. No lowerdir: EINVAL.
//   - upperdir= and workdir= together (one without the other: EINVAL); an
//     upper or work directory on a read-only mount or superblock, or an
//     upper directory on an overlay: EINVAL. workdir and upperdir on
//     different mounts, or one inside the other: EINVAL. A lower layer
//     that is another layer or lies below one: ELOOP (an upper or work
//     directory below a lower layer is allowed, as in Linux).
//   - Without upperdir the overlay is read-only (the superblock is ro,
//     writes are EROFS) and needs two lower layers (EINVAL otherwise).
//   - redirect_dir=off|follow|nofollow (off reads as follow), index=off,
//     metacopy=off, nfs_export=off, xino=off|auto|on, uuid=off|null|auto|on,
//     userxattr (private attributes in user.overlay.), verity=off|on|require,
//     volatile, fsync=auto|strict|volatile, default_permissions: accepted
//     with Linux's consistency rules (EINVAL for conflicts such as
//     nfs_export=on,index=off or userxattr,metacopy=on); unknown options,
//     bad values and flags given a value: EINVAL.
//   - mountinfo shows the super options as ovl_show_options does:
//     "lowerdir=/l,upperdir=/u,workdir=/w" as given (escaped), then the
//     options that differ from the defaults, uuid=on on the first mount of
//     a new upper layer (the uuid is then stored on the upper root), ro
//     and redirect_dir=on for a lower-only overlay.
//   - A volatile mount leaves work/incompat/volatile behind; a later
//     mount of that work directory is EINVAL, as in Linux.
//
// # Semantics
//
// Lookup merges the layers top down: an upper whiteout (a character
// device 0/0) hides a name, a non-directory or an opaque directory
// (trusted.overlay.opaque "y") ends the descent, and lower directories
// of one name merge. readdir lists the lowest layer's entries first, then
// the others top down (ovl_dir_read_merged), hiding whiteouts; a directory
// of one layer is listed as it is. Inode numbers are the real files' (the
// lower one's for a copied-up file or a merged directory; with xino on
// and several layer filesystems, with the filesystem's number in the top
// bits), st_dev is the overlay's, and a merged directory has one link.
//
// Any change to a lower file or directory copies it up first, parents
// first: data, mode, owner, times and extended attributes are staged in
// workdir/work under a temporary name and renamed into place, so a failed
// copy-up leaves the lower file visible and no partial upper file.
// unlink and rmdir leave whiteouts where a lower layer has the name
// (linked to a shared whiteout in the work directory, as Linux 6.x does);
// rmdir of a directory that still shows entries is ENOTEMPTY; mkdir over a
// whiteout makes an opaque directory; renaming a directory that has a lower
// layer is EXDEV (redirect_dir is off), a file is copied up and leaves a
// whiteout behind, and an upper directory moved into a merged directory
// becomes opaque; RENAME_EXCHANGE swaps two copied-up entries (EXDEV for a
// directory with a lower layer) and RENAME_WHITEOUT is EINVAL, as in Linux.
// Copied-up files and merged directories record their
// origin and their parents are marked impure, as Linux does.
// The overlay's private attributes are hidden from the merged view; one of
// that namespace set through it is stored escaped (trusted.overlay.overlay.*)
// so that an overlay can be a layer of another one (two levels at most:
// deeper is EINVAL, FILESYSTEM_MAX_STACK_DEPTH). Overlay mounts bind, move
// and propagate like any mount. The overlay holds its layers' superblocks
// (vfs.MountedDentry.Hold) as Linux holds private clones of the layer
// mounts: unmounting a layer's own mount leaves the overlay working, and
// the layers are released with the overlay's last mount.
//
// # Not supported
//
//   - redirect_dir=on, index=on, nfs_export=on and metacopy=on (and so
//     the metacopy use of data-only layers): EOPNOTSUPP.
//   - Redirect, metacopy and index records made by Linux in existing layers
//     are not followed, and the origin records this package writes hold the
//     lower inode number, not a Linux file handle (they are private
//     attributes all the same).
//   - st_dev: every file reports the overlay's device. With the layers on
//     several filesystems and xino=off, Linux reports the real layer's
//     pseudo device for non-directories and numbers directories from a
//     kernel-wide counter; this package reports the real inode numbers.
//     (With xino=on or auto it folds the layer filesystem's number into
//     the top bits of st_ino and d_ino as Linux does, and then agrees.)
//   - Permission checks apply to the merged file's attributes with the
//     caller's credentials only; Linux also checks the real file with the
//     mounter's credentials.
package overlay
