package ext4

import "encoding/binary"

var le = binary.LittleEndian

// u16 and u32 read little-endian fields of b at off; callers have
// checked the bounds.
func u16(b []byte, off int) uint16 { return le.Uint16(b[off:]) }
func u32(b []byte, off int) uint32 { return le.Uint32(b[off:]) }
