package script

import "github.com/mountkit/mountkit/mount"

// Context returns the FsContext of the current process when the world is
// the library's (NewLibrary), for tools that go on using the world after
// a script (mountsh fuse serves it). It reports false for the Linux
// runner and when the current process has been killed.
func (in *Interp) Context() (*mount.FsContext, bool) {
	if in.cur == nil {
		return nil, false
	}
	p, ok := in.cur.p.(*libProc)
	if !ok {
		return nil, false
	}
	return p.c, true
}
