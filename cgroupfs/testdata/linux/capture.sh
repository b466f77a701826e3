M=${M:-/tmp/cgcap/m}; O=$(cd "$(dirname "$0")" && pwd)
mount -t cgroup2 none $M && cd $M || exit 1
dump() { # dir
  for f in $(ls $1); do
    if [ -f $1/$f ]; then
      m=$(stat -c %a $1/$f); printf '%s %04o\n' "$f" 0$m
    fi
  done
}
contents() {
  for f in $(ls $1); do
    [ -f $1/$f ] || continue
    echo "== $f"
    python3 -c 'import sys,os,errno
try:
  print(open(sys.argv[1],"rb").read().decode(),end="")
except OSError as e: print("ERR",errno.errorcode[e.errno])' $1/$f
  done
}
dump . > $O/root.modes
contents . > $O/root.contents
mkdir mkt_cap || exit 1
stat -c '%a' mkt_cap > $O/child.dirmode
dump mkt_cap > $O/child.modes
contents mkt_cap > $O/child.contents
python3 $O/writes.py mkt_cap > $O/child.writes
rmdir mkt_cap
grep -w cgroup2 /proc/self/mountinfo | grep cgcap > $O/mountinfo
