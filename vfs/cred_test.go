package vfs

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestCapSet(t *testing.T) {
	var s CapSet = 1<<CAP_DAC_OVERRIDE | 1<<CAP_SYS_ADMIN
	require.True(t, s.Has(CAP_DAC_OVERRIDE))
	require.True(t, s.Has(CAP_SYS_ADMIN))
	require.False(t, s.Has(CAP_DAC_READ_SEARCH))
	for c := 0; c <= 40; c++ { // CAP_LAST_CAP is 40 (CAP_CHECKPOINT_RESTORE)
		require.True(t, AllCaps.Has(c), c)
	}
	require.False(t, AllCaps.Has(41))
	require.False(t, CapSet(0).Has(0))
	r := Root()
	require.Equal(t, uint32(0), r.UID)
	require.Equal(t, uint32(0), r.GID)
	require.Equal(t, AllCaps, r.Caps)
	require.NotSame(t, r, Root(), "Root returns a fresh Cred each time")
}

func TestInGroup(t *testing.T) {
	c := &Cred{UID: 1000, GID: 100, Groups: []uint32{10, 20}}
	require.True(t, c.InGroup(100))
	require.True(t, c.InGroup(10))
	require.True(t, c.InGroup(20))
	require.False(t, c.InGroup(1000)) // the uid is not a group
	require.False(t, c.InGroup(0))
	require.True(t, (&Cred{}).InGroup(0))
}

func TestPermissionTable(t *testing.T) {
	const (
		r = MayRead
		w = MayWrite
		x = MayExec
	)
	user := &Cred{UID: 1000, GID: 1000}
	member := &Cred{UID: 1001, GID: 1001, Groups: []uint32{50}} // supplementary member of 50
	primary := &Cred{UID: 1002, GID: 50}
	other := &Cred{UID: 1003, GID: 1003}
	override := &Cred{UID: 1003, GID: 1003, Caps: 1 << CAP_DAC_OVERRIDE}
	readSearch := &Cred{UID: 1003, GID: 1003, Caps: 1 << CAP_DAC_READ_SEARCH}
	both := &Cred{UID: 1003, GID: 1003, Caps: 1<<CAP_DAC_OVERRIDE | 1<<CAP_DAC_READ_SEARCH}
	rootNoCaps := &Cred{UID: 0, GID: 0}
	file := func(perm Mode) *Attr { return &Attr{Mode: ModeRegular | perm, UID: 1000, GID: 50} }
	dir := func(perm Mode) *Attr { return &Attr{Mode: ModeDir | perm, UID: 1000, GID: 50} }

	cases := []struct {
		name string
		a    *Attr
		c    *Cred
		mask int
		ok   bool
	}{
		{"owner rw- read", file(0o600), user, r, true},
		{"owner rw- write", file(0o600), user, w, true},
		{"owner rw- rw", file(0o600), user, r | w, true},
		{"owner rw- exec", file(0o600), user, x, false},
		{"owner bits only, not group", file(0o070), user, r, false},
		{"owner bits only, not other", file(0o007), user, r, false},
		{"owner r-x rwx", file(0o500), user, r | w | x, false},
		{"owner mask 0", file(0o000), user, 0, true},
		{"group via supplementary", file(0o040), member, r, true},
		{"group via supplementary no write", file(0o040), member, w, false},
		{"group via primary gid", file(0o060), primary, r | w, true},
		{"group bits only, not other", file(0o004), member, r, false},
		{"group does not use owner bits", file(0o700), member, r, false},
		{"other r--", file(0o004), other, r, true},
		{"other no write", file(0o004), other, w, false},
		{"other ignores owner and group", file(0o770), other, r, false},
		{"other --x exec", file(0o001), other, x, true},
		{"uid 0 without caps is an ordinary user", file(0o600), rootNoCaps, r, false},
		{"uid 0 without caps, other bits", file(0o604), rootNoCaps, r, true},

		{"override read", file(0o000), override, r, true},
		{"override write", file(0o000), override, w, true},
		{"override rw", file(0o000), override, r | w, true},
		{"override exec, no x bit", file(0o000), override, x, false},
		{"override exec, no x bit, rwx mask", file(0o666), override, r | w | x, false},
		{"override exec, owner x bit", file(0o100), override, x, true},
		{"override exec, group x bit", file(0o010), override, x, true},
		{"override exec, other x bit", file(0o001), override, x, true},
		{"override exec on dir without x", dir(0o000), override, x, true},
		{"override rwx on dir", dir(0o000), override, r | w | x, true},
		{"override setuid is not x", file(ModeSetuid | 0o644), override, x, false},
		{"override device", &Attr{Mode: ModeCharDevice, UID: 5}, override, r | w, true},

		{"read-search read file", file(0o000), readSearch, r, true},
		{"read-search write file", file(0o000), readSearch, w, false},
		{"read-search rw file", file(0o000), readSearch, r | w, false},
		{"read-search exec file", file(0o000), readSearch, x, false},
		{"read-search exec file with x", file(0o111), readSearch, r | x, false},
		{"read-search read dir", dir(0o000), readSearch, r, true},
		{"read-search search dir", dir(0o000), readSearch, x, true},
		{"read-search list dir", dir(0o000), readSearch, r | x, true},
		{"read-search write dir", dir(0o000), readSearch, w, false},
		{"read-search write+search dir", dir(0o000), readSearch, w | x, false},
		{"read-search write dir with w bit", dir(0o002), readSearch, w | x, false},

		{"both caps rw file", file(0o000), both, r | w, true},
		{"both caps x file without x", file(0o000), both, x, false},
		{"both caps r|x file without x", file(0o000), both, r | x, false},
		{"both caps everything on dir", dir(0o000), both, r | w | x, true},
		{"root everything on dir", dir(0o000), Root(), r | w | x, true},
		{"root exec needs an x bit", file(0o666), Root(), x, false},
		{"root exec with other x", file(0o001), Root(), x, true},
	}
	for _, c := range cases {
		err := Permission(c.a, c.c, c.mask)
		if c.ok {
			require.NoError(t, err, c.name)
		} else {
			require.Equal(t, EACCES, err, c.name)
		}
		require.Equal(t, c.ok, linuxGenericPermission(c.a, c.c, c.mask) == nil, "reference disagrees with the table: %s", c.name)
	}
}

// linuxGenericPermission transliterates fs/namei.c (acl_permission_check
// and generic_permission, without ACLs and id mappings).
func linuxGenericPermission(a *Attr, c *Cred, mask int) error {
	mode := uint32(a.Mode)
	aclPermissionCheck := func() error {
		if c.UID == a.UID {
			mask &= 7
			mode >>= 6
			if mask & ^int(mode) != 0 {
				return EACCES
			}
			return nil
		}
		if c.InGroup(a.GID) {
			mode >>= 3
		}
		if mask & ^int(mode) & 7 != 0 {
			return EACCES
		}
		return nil
	}
	if aclPermissionCheck() == nil {
		return nil
	}
	if a.Mode&ModeType == ModeDir {
		if mask&MayWrite == 0 && c.Caps.Has(CAP_DAC_READ_SEARCH) {
			return nil
		}
		if c.Caps.Has(CAP_DAC_OVERRIDE) {
			return nil
		}
		return EACCES
	}
	mask &= MayRead | MayWrite | MayExec
	if mask == MayRead && c.Caps.Has(CAP_DAC_READ_SEARCH) {
		return nil
	}
	if mask&MayExec == 0 || a.Mode&0o111 != 0 {
		if c.Caps.Has(CAP_DAC_OVERRIDE) {
			return nil
		}
	}
	return EACCES
}

func TestPermissionMatchesLinux(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := rapid.Uint32Range(0, 3)
		a := &Attr{
			Mode: rapid.SampledFrom([]Mode{ModeRegular, ModeDir, ModeSymlink, ModeCharDevice, ModeFIFO}).Draw(t, "type") |
				Mode(rapid.IntRange(0, 0o7777).Draw(t, "perm")),
			UID: ids.Draw(t, "uid"),
			GID: ids.Draw(t, "gid"),
		}
		c := &Cred{
			UID:    ids.Draw(t, "cuid"),
			GID:    ids.Draw(t, "cgid"),
			Groups: rapid.SliceOfN(ids, 0, 3).Draw(t, "groups"),
			Caps:   CapSet(rapid.IntRange(0, 7).Draw(t, "caps")) << CAP_CHOWN, // CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH
		}
		mask := rapid.IntRange(0, 7).Draw(t, "mask")
		got, want := Permission(a, c, mask), linuxGenericPermission(a, c, mask)
		if got != want {
			t.Fatalf("Permission(%s, %+v, %d) = %v, Linux %v", fmt.Sprintf("%#o uid %d gid %d", uint32(a.Mode), a.UID, a.GID), *c, mask, got, want)
		}
	})
}

func TestProcCredSetresuid(t *testing.T) {
	p := RootProcCred()
	require.NoError(t, p.Setresuid(1000, 1000, 1000))
	require.Equal(t, CapSet(0), p.Permitted, "leaving root without KeepCaps clears the permitted set")
	require.Equal(t, CapSet(0), p.Effective)
	require.ErrorIs(t, p.Setresuid(0, 0, 0), EPERM)
	require.Equal(t, uint32(1000), p.EUID, "a failed call changes nothing")

	p = RootProcCred()
	p.KeepCaps = true
	require.NoError(t, p.Setresuid(NoChange, 1000, NoChange))
	require.Equal(t, AllCaps, p.Permitted)
	require.Equal(t, CapSet(0), p.Effective, "an effective uid leaving 0 clears the effective set")
	require.NoError(t, p.Setresuid(NoChange, 0, NoChange), "0 is still the real uid")
	require.Equal(t, AllCaps, p.Effective, "an effective uid becoming 0 raises the effective set")
	require.ErrorIs(t, p.Setresuid(-2, NoChange, NoChange), EINVAL)
}

func TestProcCredGroupsAndCaps(t *testing.T) {
	p := RootProcCred()
	require.NoError(t, p.Setgroups([]uint32{5, 6}))
	require.NoError(t, p.Setresgid(100, 100, 100))
	require.NoError(t, p.Capset(1<<CAP_CHOWN, 1<<CAP_CHOWN|1<<CAP_SETGID))
	require.ErrorIs(t, p.Setresgid(7, NoChange, NoChange), EPERM, "CAP_SETGID is permitted but not effective")
	require.ErrorIs(t, p.Setgroups(nil), EPERM)
	require.NoError(t, p.Setresgid(NoChange, NoChange, 100), "one of the current IDs needs no capability")
	require.ErrorIs(t, p.Capset(1<<CAP_SETGID, 1<<CAP_CHOWN), EPERM, "effective beyond permitted")
	require.ErrorIs(t, p.Capset(0, 1<<CAP_SYS_ADMIN), EPERM, "permitted beyond the old permitted set")
	require.NoError(t, p.Capset(0, 0))
	c := p.Cred()
	require.Equal(t, Cred{UID: 0, GID: 100, Groups: []uint32{5, 6}, Caps: 0}, c)
	q := p.Clone()
	q.Groups[0] = 9
	require.Equal(t, uint32(5), p.Groups[0], "Clone shares nothing")
}
