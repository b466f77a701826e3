package overlay

import (
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// Modes of the enumerated options, as Linux names them.
const (
	redirectOff      = "off"
	redirectFollow   = "follow"
	redirectNoFollow = "nofollow"
	redirectOn       = "on"

	uuidOff  = "off"
	uuidNull = "null"
	uuidAuto = "auto"
	uuidOn   = "on"

	xinoOff  = "off"
	xinoAuto = "auto"
	xinoOn   = "on"

	fsyncAuto     = "auto"
	fsyncStrict   = "strict"
	fsyncVolatile = "volatile"

	verityOff     = "off"
	verityOn      = "on"
	verityRequire = "require"
)

// layerArg is one lower layer as the options name it.
type layerArg struct {
	path string // the path to resolve, unescaped
	raw  string // as given, for mountinfo (lowerdir+= and datadir+=)
	data bool   // a data-only layer (after "::", or datadir+=)
}

// config is a parsed option string: Linux's struct ovl_config plus what
// fs_params_verify learned about what was set explicitly.
type config struct {
	lowerRaw    string // the legacy lowerdir= value as given ("" with lowerdir+=)
	lowers      []layerArg
	plus        bool // layers came from lowerdir+= / datadir+=
	upper, work string
	upperRaw    string
	workRaw     string

	defaultPermissions bool
	redirect           string
	index              bool
	uuid               string
	nfsExport          bool
	xino               string
	metacopy           bool
	userxattr          bool
	fsync              string
	verity             string

	setRedirect, setIndex, setMetacopy, setNFS, setVerity bool
}

// defaults of a kernel built as this machine's: redirect_dir=follow,
// index=off, uuid=auto, nfs_export=off, xino=off, metacopy=off.
func defaultConfig() config {
	return config{
		redirect: redirectFollow, uuid: uuidAuto, xino: xinoOff,
		fsync: fsyncAuto, verity: verityOff,
	}
}

// nextOpt splits s at its first comma not escaped by a backslash, as
// Linux's ovl_next_opt does; escapes are kept.
func nextOpt(s string) (opt, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unescape drops every backslash and keeps the character it escapes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				break
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitLowers splits a lowerdir= value at colons not escaped by a
// backslash; "::" starts the data-only layers, which "::" separates too.
// An empty layer is EINVAL.
func splitLowers(v string) ([]layerArg, error) {
	var out []layerArg
	data := false
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] == '\\' {
			i++
			continue
		}
		if i < len(v) && v[i] != ':' {
			continue
		}
		part := v[start:i]
		if part == "" {
			return nil, vfs.EINVAL
		}
		out = append(out, layerArg{path: unescape(part), raw: part, data: data})
		if i < len(v) {
			double := i+1 < len(v) && v[i+1] == ':'
			if data && !double {
				return nil, vfs.EINVAL // data-only layers are separated by "::"
			}
			if double {
				data = true
				i++
			}
		}
		start = i + 1
	}
	return out, nil
}

// parseParam applies one key[=value] option, as ovl_parse_param does;
// resolve checks a layer path when it is named (Linux resolves layers
// while it parses).
func (c *config) parseParam(opt string, resolve func(key, path string) error) error {
	key, val, hasVal := strings.Cut(opt, "=")
	enum := func(dst *string, vals ...string) error {
		if !hasVal {
			return vfs.EINVAL
		}
		for _, v := range vals {
			if val == v {
				*dst = v
				return nil
			}
		}
		return vfs.EINVAL
	}
	onOff := func(dst *bool) error {
		var s string
		if err := enum(&s, "on", "off"); err != nil {
			return err
		}
		*dst = s == "on"
		return nil
	}
	flag := func(dst *bool) error {
		if hasVal {
			return vfs.EINVAL
		}
		*dst = true
		return nil
	}
	switch key {
	case "lowerdir":
		if !hasVal || val == "" {
			return vfs.EINVAL
		}
		ls, err := splitLowers(val)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if err := resolve(key, l.path); err != nil {
				return err
			}
		}
		c.lowerRaw, c.lowers, c.plus = val, ls, false
	case "lowerdir+", "datadir+":
		if !hasVal || val == "" {
			return vfs.EINVAL
		}
		if c.lowerRaw != "" {
			return vfs.EINVAL
		}
		data := key == "datadir+"
		if !data && len(c.lowers) > 0 && c.lowers[len(c.lowers)-1].data {
			return vfs.EINVAL
		}
		if err := resolve(key, val); err != nil {
			return err
		}
		c.lowers = append(c.lowers, layerArg{path: val, raw: val, data: data})
		c.plus = true
	case "upperdir", "workdir":
		if !hasVal || val == "" {
			return vfs.EINVAL
		}
		p := unescape(val)
		if err := resolve(key, p); err != nil {
			return err
		}
		if key == "upperdir" {
			c.upper, c.upperRaw = p, val
		} else {
			c.work, c.workRaw = p, val
		}
	case "default_permissions":
		return flag(&c.defaultPermissions)
	case "redirect_dir":
		c.setRedirect = true
		if err := enum(&c.redirect, redirectOff, redirectFollow, redirectNoFollow, redirectOn); err != nil {
			return err
		}
		// With redirect_always_follow (this kernel's build) "off"
		// still follows redirects: it is "follow".
		if c.redirect == redirectOff {
			c.redirect = redirectFollow
		}
	case "index":
		c.setIndex = true
		return onOff(&c.index)
	case "uuid":
		return enum(&c.uuid, uuidOff, uuidNull, uuidAuto, uuidOn)
	case "nfs_export":
		c.setNFS = true
		return onOff(&c.nfsExport)
	case "xino":
		return enum(&c.xino, xinoOff, xinoAuto, xinoOn)
	case "metacopy":
		c.setMetacopy = true
		return onOff(&c.metacopy)
	case "userxattr":
		return flag(&c.userxattr)
	case "volatile":
		if hasVal {
			return vfs.EINVAL
		}
		c.fsync = fsyncVolatile
	case "fsync":
		return enum(&c.fsync, fsyncAuto, fsyncStrict, fsyncVolatile)
	case "verity":
		c.setVerity = true
		return enum(&c.verity, verityOff, verityOn, verityRequire)
	default:
		return vfs.EINVAL
	}
	return nil
}

// parseConfig parses mount data as Linux's ovl_parse_monolithic and
// ovl_fs_params_verify do: options in order (layers resolved as they
// come), then the consistency rules between them.
func parseConfig(data string, resolve func(key, path string) error) (config, error) {
	c := defaultConfig()
	for rest, more := data, true; more; {
		var opt string
		opt, rest, more = nextOpt(rest)
		if opt == "" {
			continue
		}
		if err := c.parseParam(opt, resolve); err != nil {
			return c, err
		}
	}
	return c, c.verify()
}

// verify applies ovl_fs_params_verify's rules.
func (c *config) verify() error {
	nr, nrData := len(c.lowers), 0
	for _, l := range c.lowers {
		if l.data {
			nrData++
		}
	}
	if nr == 0 || nr == nrData {
		return vfs.EINVAL // missing 'lowerdir'
	}
	if c.upper != "" && c.work == "" {
		return vfs.EINVAL // missing 'workdir'
	}
	if c.upper == "" {
		// Without an upper layer "follow" reads as "on", and the
		// upper-only features are ignored.
		if c.redirect == redirectFollow {
			c.redirect = redirectOn
		}
		if c.uuid == uuidOn {
			c.uuid = uuidNull
		}
		c.index, c.nfsExport = false, false
		if c.fsync == fsyncVolatile {
			c.fsync = fsyncAuto
		}
	}
	if c.metacopy && c.setRedirect && c.redirect != redirectOn {
		return vfs.EINVAL
	}
	if c.metacopy && !c.setRedirect {
		c.redirect = redirectOn
	}
	if c.nfsExport && c.setIndex && !c.index {
		return vfs.EINVAL
	}
	if c.nfsExport && c.metacopy {
		return vfs.EINVAL
	}
	if c.nfsExport && !c.setIndex {
		c.index = true
	}
	if c.userxattr {
		if c.setRedirect && c.redirect == redirectOn || c.metacopy {
			return vfs.EINVAL
		}
		if !c.setRedirect {
			c.redirect = redirectNoFollow
		}
	}
	return nil
}

// unsupported reports the features Linux accepts that this package does
// not implement (see the package documentation): EOPNOTSUPP.
func (c *config) unsupported() error {
	if c.metacopy || c.upper != "" && (c.redirect == redirectOn || c.index || c.nfsExport) {
		return vfs.EOPNOTSUPP
	}
	return nil
}

// escapeOption escapes a value as seq_show_option does: comma, equals,
// space, tab, newline and backslash as octal.
func escapeOption(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', '=', ' ', '\t', '\n', '\\':
			b.WriteByte('\\')
			b.WriteByte('0' + c>>6)
			b.WriteByte('0' + c>>3&7)
			b.WriteByte('0' + c&7)
		default:
			b.WriteByte(c)
		}
	}
}

// String renders the super options as ovl_show_options does; sameFS
// reports that every layer is on one filesystem (xino is then off).
func (c *config) String(sameFS bool) string {
	var b strings.Builder
	if c.plus {
		for i, l := range c.lowers {
			if i > 0 {
				b.WriteByte(',')
			}
			if l.data {
				b.WriteString("datadir+=")
			} else {
				b.WriteString("lowerdir+=")
			}
			escapeOption(&b, l.raw)
		}
	} else {
		b.WriteString("lowerdir=")
		escapeOption(&b, c.lowerRaw)
	}
	if c.upper != "" {
		b.WriteString(",upperdir=")
		escapeOption(&b, c.upperRaw)
		b.WriteString(",workdir=")
		escapeOption(&b, c.workRaw)
	}
	if c.defaultPermissions {
		b.WriteString(",default_permissions")
	}
	if c.redirect != redirectFollow {
		b.WriteString(",redirect_dir=" + c.redirect)
	}
	if c.index {
		b.WriteString(",index=on")
	}
	if c.uuid != uuidAuto {
		b.WriteString(",uuid=" + c.uuid)
	}
	if c.nfsExport {
		b.WriteString(",nfs_export=on")
	}
	if c.xino != xinoOff && !sameFS {
		b.WriteString(",xino=" + c.xino)
	}
	if c.metacopy {
		b.WriteString(",metacopy=on")
	}
	if c.fsync != fsyncAuto {
		b.WriteString(",fsync=" + c.fsync)
	}
	if c.userxattr {
		b.WriteString(",userxattr")
	}
	if c.verity != verityOff {
		b.WriteString(",verity=" + c.verity)
	}
	return b.String()
}
