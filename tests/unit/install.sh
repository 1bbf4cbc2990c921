#!/bin/bash
# meson install into a DESTDIR: exactly the files of install.list; the
# example config installed as the config, never over an existing one; the
# example valid once uncommented; the unit with ConfigurationDirectory=;
# the installed gkctl(8) the generated one.
set -euo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
fail() {
	echo "FAIL: install: $*"
	exit 1
}
tmp=$(mktemp -d /tmp/gk-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

opt() {	# the value of a build option
	meson introspect --buildoptions "$GK_BUILD" |
	    python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]][0])' "$1"
}
prefix=$(opt prefix)
sysconfdir=$(opt sysconfdir)
[[ $sysconfdir == /* ]] || sysconfdir=$prefix/$sysconfdir

meson install -C "$GK_BUILD" --destdir "$dest" --no-rebuild --quiet >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "meson install failed"; }
(cd "$dest" && find . ! -type d | sed 's|^\.||') |
    sed -e "s|^$sysconfdir/|SYSCONFDIR/|" -e "s|^$prefix/|PREFIX/|" | sort >"$tmp/got"
grep -v '^#' "$GK_SRC/tests/unit/install.list" | sort >"$tmp/want"
diff -u "$tmp/want" "$tmp/got" || fail "installed files differ from tests/unit/install.list"
echo "installed the $(wc -l <"$tmp/got") expected files"

conf=$dest$sysconfdir/gatekeeper/gatekeeper.conf
example=$dest$prefix/share/doc/gatekeeper/gatekeeper.conf.example
cmp -s "$conf" "$example" || fail "the installed config is not the example"
# A second install keeps the admin's file.
echo "wan eth9  # the admin's" >"$conf"
meson install -C "$GK_BUILD" --destdir "$dest" --no-rebuild --quiet >"$tmp/log" 2>&1 ||
	fail "second meson install failed"
grep -q "the admin's" "$conf" || fail "a second install overwrote the config"

# All commented out (autodetection), and valid when uncommented.
grep -qv '^#' "$example" && grep -v '^#' "$example" | grep -q '[^[:space:]]' &&
	fail "the example sets a statement; it should only show them"
sed 's/^#\([a-z]\)/\1/' "$example" >"$tmp/uncommented.conf"
"$GK_BUILD/gatekeeperd/gatekeeperd" -n -f "$tmp/uncommented.conf" ||
	fail "the example has errors once uncommented"
n=$(grep -c '^[a-z]' "$tmp/uncommented.conf")
((n >= 21)) || fail "the example shows only $n statements"

unit=$dest$prefix/lib/systemd/system/gatekeeper.service
grep -qx 'ConfigurationDirectory=gatekeeper' "$unit" || fail "no ConfigurationDirectory= in the unit"
grep -q "^ExecStart=$prefix/sbin/gatekeeperd " "$unit" || fail "ExecStart is not the installed gatekeeperd"
cmp -s "$dest$prefix/share/man/man8/gkctl.8" "$GK_BUILD/docs/gkctl.8" ||
	fail "the installed gkctl(8) is not the generated one"
grep -q '^@COMMANDS@' "$dest$prefix/share/man/man8/gkctl.8" && fail "gkctl(8) not filled"
echo "ok"
