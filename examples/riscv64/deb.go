package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ulikunitz/xz"
)

// debData opens the data.tar.* member of a .deb, decompressed. The
// trixie kernel packages use xz; gzip and plain tar are accepted too.
func debData(r io.Reader) (*tar.Reader, error) {
	br := bufio.NewReader(r)
	// The ar members come in order: debian-binary, control.tar.*,
	// data.tar.*; find the first member whose name starts with data.tar.
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, errors.New("not a .deb (no ar header)")
	}
	for {
		h := make([]byte, 60)
		if _, err := io.ReadFull(br, h); err != nil {
			return nil, errors.New(".deb: no data.tar member")
		}
		n := strings.TrimRight(strings.TrimSpace(string(h[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, errors.New(".deb: bad member size")
		}
		if !strings.HasPrefix(n, "data.tar") {
			if _, err := io.CopyN(io.Discard, br, size+size%2); err != nil {
				return nil, err
			}
			continue
		}
		body := io.LimitReader(br, size)
		switch n {
		case "data.tar.xz":
			xr, err := xz.NewReader(body)
			if err != nil {
				return nil, fmt.Errorf(".deb: %w", err)
			}
			return tar.NewReader(xr), nil
		case "data.tar.gz":
			zr, err := gzip.NewReader(body)
			if err != nil {
				return nil, fmt.Errorf(".deb: %w", err)
			}
			return tar.NewReader(zr), nil
		case "data.tar":
			return tar.NewReader(body), nil
		}
		return nil, fmt.Errorf(".deb: %s is not supported (xz, gz or none)", n)
	}
}

// unxz decompresses a .ko.xz module.
func unxz(b []byte) ([]byte, error) {
	r, err := xz.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// modinfo returns the values of key in a kernel module's .modinfo
// section ("depends", "softdep", "name").
func modinfo(ko []byte, key string) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	s := f.Section(".modinfo")
	if s == nil {
		return nil, errors.New("no .modinfo section")
	}
	data, err := s.Data()
	if err != nil {
		return nil, err
	}
	var vals []string
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k == key {
			vals = append(vals, v)
		}
	}
	return vals, nil
}
