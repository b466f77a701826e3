package ext4

import "github.com/mountkit/mountkit/vfs"

// Setxattr sets an extended attribute.
func (n *node) Setxattr(name string, value []byte, flags int) error {
	n.f.wmu.Lock()
	defer n.f.wmu.Unlock()
	if err := n.f.writable(n); err != nil {
		return err
	}
	return vfs.EOPNOTSUPP
}

// Removexattr removes an extended attribute.
func (n *node) Removexattr(name string) error {
	n.f.wmu.Lock()
	defer n.f.wmu.Unlock()
	if err := n.f.writable(n); err != nil {
		return err
	}
	return vfs.EOPNOTSUPP
}
