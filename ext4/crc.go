package ext4

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's crc32c_le(seed, p): no inversion on entry or
// exit, which Go's crc32.Update applies.
func crc32c(seed uint32, p []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, p)
}

// crc16 is the kernel's crc16 (polynomial 0x8005, reflected), used by
// gdt_csum group-descriptor checksums.
func crc16(crc uint16, p []byte) uint16 {
	for _, b := range p {
		crc = (crc >> 8) ^ crc16Table[byte(crc)^b]
	}
	return crc
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()
