#!/bin/bash
# The systemd units as installed (meson install into a DESTDIR):
# systemd-analyze verify finds nothing to say about any of them (with the
# ExecStart= paths pointed into the DESTDIR, where the programs are);
# systemd-analyze security --offline=true scores each child's unit at
# most 2.0 and gatekeeper.service at most 5.0 (issue 15); each child's
# unit runs it under its own user, natd with CAP_NET_ADMIN alone and the
# others with no capability, started from the parent's children socket;
# gatekeeper.service is Type=notify with a watchdog and runs -U. No
# systemd is started: these are the checks systemd itself offers.
set -euo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
fail() {
	echo "FAIL: units: $*"
	exit 1
}
command -v systemd-analyze >/dev/null || {
	echo "SKIP: units: systemd-analyze is missing (scripts/packages/ops.txt: systemd)"
	exit 77
}
tmp=$(mktemp -d /tmp/gk-units.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
prefix=$(meson introspect --buildoptions "$GK_BUILD" |
    python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')

meson install -C "$GK_BUILD" --destdir "$dest" --no-rebuild --quiet >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "meson install failed"; }
unitdir=$dest$prefix/lib/systemd/system
children=(natd dhcpd dnsd webd)
mkdir "$tmp/units"
for u in gatekeeper "${children[@]/#/gatekeeper-}"; do
	[[ -f $unitdir/$u.service ]] || fail "$u.service is not installed"
	# The programs are in the DESTDIR, not yet at $prefix.
	sed "s|^\(Exec[A-Za-z]*=\)$prefix/|\1$dest$prefix/|" \
	    "$unitdir/$u.service" >"$tmp/units/$u.service"
	grep -q "^ExecStart=$dest$prefix/" "$tmp/units/$u.service" ||
		fail "$u.service: ExecStart= is not an installed program"
done

# verify: exits 0 on mere warnings, so any word from it fails the test.
(cd "$tmp/units" && systemd-analyze verify --man=no ./*.service) >"$tmp/verify" 2>&1 ||
	{ cat "$tmp/verify"; fail "systemd-analyze verify failed"; }
[[ ! -s $tmp/verify ]] || { cat "$tmp/verify"; fail "systemd-analyze verify warns"; }
echo "systemd-analyze verify: all five units clean"

# score UNIT MAX: the overall exposure, at most MAX.
score() {
	local u=$1 max=$2 out s
	out=$(systemd-analyze security --offline=true --no-pager "$tmp/units/$u.service" 2>&1) ||
		{ echo "$out"; fail "$u: systemd-analyze security failed"; }
	s=$(sed -n "s/^→ Overall exposure level for $u.service: \([0-9.]*\) .*/\1/p" <<<"$out")
	[[ $s =~ ^[0-9]+\.[0-9]$ ]] || { echo "$out"; fail "$u: no overall exposure level"; }
	echo "$u.service: exposure $s (at most $max)"
	awk -v s="$s" -v m="$max" 'BEGIN { exit !(s <= m) }' ||
		{ grep '✗' <<<"$out"; fail "$u.service scores $s, over $max"; }
}
score gatekeeper 5.0
for d in "${children[@]}"; do
	score "gatekeeper-$d" 2.0
done

key() {	# UNIT KEY: the value(s) of KEY in the installed unit, one a line
	sed -n "s/^$2=//p" "$tmp/units/$1.service"
}
[[ $(key gatekeeper Type) == notify ]] || fail "gatekeeper.service is not Type=notify"
[[ -n $(key gatekeeper WatchdogSec) ]] || fail "gatekeeper.service has no WatchdogSec="
[[ $(key gatekeeper ExecStart) == *"/gatekeeperd -d -U" ]] ||
	fail "gatekeeper.service does not run gatekeeperd -U"
for d in "${children[@]}"; do
	u=gatekeeper-$d
	[[ $(key "$u" User) == "gk-$d" ]] || fail "$u: User=$(key "$u" User), not gk-$d"
	want=""
	[[ $d == natd ]] && want=CAP_NET_ADMIN
	[[ $(key "$u" AmbientCapabilities) == "$want" ]] ||
		fail "$u: AmbientCapabilities=$(key "$u" AmbientCapabilities), want '$want'"
	[[ $(key "$u" CapabilityBoundingSet) == "$want" ]] ||
		fail "$u: CapabilityBoundingSet=$(key "$u" CapabilityBoundingSet), want '$want'"
	[[ $(key "$u" ExecStart) == "$dest$prefix/libexec/gatekeeper/$d -d -U /run/gatekeeper/children.sock -S /var/lib/gatekeeper/$d" ]] ||
		fail "$u: ExecStart=$(key "$u" ExecStart)"
	[[ $(key "$u" BindsTo) == gatekeeper.service && $(key "$u" After) == gatekeeper.service ]] ||
		fail "$u: not bound to and ordered after gatekeeper.service"
	grep -qx "Wants=.*$u.service.*" "$tmp/units/gatekeeper.service" ||
		fail "gatekeeper.service does not pull in $u.service"
done
echo "ok"
