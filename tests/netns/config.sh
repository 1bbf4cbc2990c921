#!/bin/bash
# gatekeeperd -n: every config error reported as "file:line: ...", "did
# you mean" for a misspelled statement, a good config accepted with one
# OK line (and a warning per interface that does not exist), -nv's
# normalized output accepted again, a missing interface refused at start,
# and (as root, in a namespace of its own) -n without a file.
set -euo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
gkd=$GK_BUILD/gatekeeperd/gatekeeperd
if [[ ! -x $gkd ]]; then
	echo "SKIP: config: $gkd is not built (GK_BUILD=$GK_BUILD)"
	exit 77
fi

tmp=$(mktemp -d /tmp/gk-config.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: config: $*"
	exit 1
}

# Runs gatekeeperd with the given arguments; sets rc, out, err.
run() {
	rc=0
	"$gkd" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
}

# --- three bad lines (4, 7 and 9) among good ones
bad=$tmp/bad.conf
cat >"$bad" <<EOF
# a config with three mistakes
wan wan0
lan lan1 lan2 lan3
lease-time 12x
dhcp-range 10.42.0.100 10.42.0.250
domain lan
frobnicate yes
web-listen 80
lan-address 10.42.0.1/99
state-dir $tmp/state
run-dir $tmp/run
EOF
run -n -f "$bad"
echo "gatekeeperd -n -f $bad: status $rc, stderr:"
echo "$err"
((rc != 0)) || fail "a config with three errors was accepted"
lines=()
while IFS= read -r l; do
	[[ $l == "$bad:"* ]] || continue
	rest=${l#"$bad:"}
	[[ $rest =~ ^([0-9]+):\  ]] || continue
	lines+=("${BASH_REMATCH[1]}")
done <<<"$err"
((${#lines[@]} == 3)) ||
	fail "want exactly 3 lines '$bad:LINE: ...' on stderr, got ${#lines[@]}"
[[ ${lines[*]} == "4 7 9" ]] || fail "errors on lines ${lines[*]}, want 4 7 9"
[[ -z $out ]] || fail "-n printed on stdout: $out"
[[ ! -e $tmp/state && ! -e $tmp/run ]] || fail "-n created state-dir or run-dir"

# --- a good config: silent success
good=$tmp/good.conf
cat >"$good" <<EOF
# a good config
wan wan0
lan lan1 lan2 lan3          # bridged
lan-address 10.42.0.1/24
dhcp-range 10.42.0.100 10.42.0.250
lease-time 12h
domain lan
upstream 198.51.100.1 198.51.100.2
rebind-allow Plex.Direct nas.example.com
rebind-allow home.arpa
static-lease 52:54:00:12:34:56 10.42.0.10 printer
port-forward tcp 8443 10.42.0.10 443
nat-filtering udp endpoint-independent
nat-filtering tcp address-dependent
web-listen 80
capture-size 5M
history 24h
state-dir $tmp/state
run-dir $tmp/run
EOF
run -n -f "$good"
((rc == 0)) || fail "-n rejected a good config (status $rc): $err"
# Silent but for the OK line and the interfaces this machine lacks.
[[ -z $out ]] || fail "-n on a good config printed on stdout: $out"
[[ $(tail -n 1 <<<"$err") == "$good: no errors" ]] ||
	fail "-n on a good config: no OK line: $err"
for i in wan0 lan1 lan2 lan3; do
	ip link show "$i" >/dev/null 2>&1 && continue
	grep -q "^$good: warning: .*no interface $i\$" <<<"$err" ||
		fail "-n did not warn that $i does not exist: $err"
done
grep -v -e ': warning: ' -e ': no errors$' <<<"$err" &&
	fail "-n on a good config said more: $err"

# --- a misspelled statement: the one it is a typo of
printf 'lese-time 12h\nwan gkno0\n' >"$tmp/typo.conf"
run -n -f "$tmp/typo.conf"
((rc == 1)) || fail "a misspelled statement was accepted"
grep -qF "$tmp/typo.conf:1: unknown statement \"lese-time\", did you mean \"lease-time\"?" <<<"$err" ||
	fail "no 'did you mean' for lese-time: $err"

# --- at start, an interface that does not exist is an error, before
# anything is touched
printf 'wan gkno0\nlan gkno1\nstate-dir %s\nrun-dir %s\n' "$tmp/state" \
    "$tmp/run" >"$tmp/noif.conf"
run -d -f "$tmp/noif.conf"
((rc == 1)) || fail "gatekeeperd started with interfaces that do not exist"
grep -q "no interface gkno0" <<<"$err" && grep -q "no interface gkno1" <<<"$err" ||
	fail "missing interfaces not named: $err"
[[ ! -e $tmp/run ]] || fail "a refused start created the run dir"

# --- -nv prints a config that is accepted again, and prints the same
run -nv -f "$good"
((rc == 0)) || fail "-nv rejected a good config (status $rc): $err"
[[ -n $out ]] || fail "-nv printed nothing"
echo "gatekeeperd -nv -f $good:"
echo "$out"
printf '%s\n' "$out" >"$tmp/normal.conf"
for word in wan lan lan-address dhcp-range static-lease port-forward state-dir run-dir; do
	grep -q "^$word " "$tmp/normal.conf" || fail "-nv output lacks '$word'"
done
grep -qx "rebind-allow plex.direct nas.example.com home.arpa" "$tmp/normal.conf" ||
	fail "-nv did not print the rebind-allow domains as one lowercased statement"
run -n -f "$tmp/normal.conf"
((rc == 0)) || fail "-n rejects what -nv printed (status $rc): $err"
[[ -z $out && $(tail -n 1 <<<"$err") == "$tmp/normal.conf: no errors" ]] ||
	fail "-n on -nv's output: $out $err"
# Every default shown, those without a value as comments.
for word in lease-time domain nat-filtering web-listen capture-size history \
    dhcp-conflict-check; do
	grep -q "^$word " "$tmp/normal.conf" || fail "-nv does not show $word"
done
for word in dhcp-mtu dhcp-ntp dhcp-route "nat-timeout udp" "nat-timeout icmp" \
    "nat-timeout other"; do
	grep -q "^# $word" "$tmp/normal.conf" || fail "-nv does not show the default of $word"
done
first=$(<"$tmp/normal.conf")
run -nv -f "$tmp/normal.conf"
[[ $out == "$first" ]] || {
	diff -u <(echo "$first") <(echo "$out") || true
	fail "-nv of -nv's output differs (not a fixed point)"
}
# --- -n without a file: what autodetection would choose, in a namespace
# with a WAN (default route) and one free port
if ((EUID == 0)) && ip netns add "gk-cfg-$$" 2>/dev/null; then
	trap 'ip netns del "gk-cfg-$$" 2>/dev/null; rm -rf "$tmp"' EXIT
	ns() { ip netns exec "gk-cfg-$$" "$@"; }
	# veth pairs (no dummy module everywhere); the other ends get an
	# address, so only port9 is free for the LAN.
	ns ip link add wan9 type veth peer name wan9x
	ns ip link add port9 type veth peer name port9x
	ns ip link set wan9 up
	ns ip addr add 198.51.100.2/24 dev wan9
	ns ip addr add 198.51.101.2/24 dev wan9x
	ns ip addr add 198.51.102.2/24 dev port9x
	ns ip route add default via 198.51.100.1
	rc=0
	ns "$gkd" -nv -f "$tmp/absent.conf" >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
	echo "gatekeeperd -nv without a file: status $rc"
	echo "$err"
	((rc == 0)) || fail "-n without a file failed: $err"
	grep -qx "wan wan9" <<<"$out" && grep -qx "lan port9" <<<"$out" ||
		fail "-nv without a file did not print the autodetected wan and lan: $out"
	grep -q "^lan-address 10\." <<<"$out" || fail "no autodetected lan-address: $out"
	grep -q "no such file: checking the autodetected setup" <<<"$err" &&
		[[ $(tail -n 1 <<<"$err") == "$tmp/absent.conf: no errors" ]] ||
		fail "-n without a file: $err"
	ns ip link show gkbr0 >/dev/null 2>&1 && fail "-n created the bridge"
else
	echo "not root (or no namespace): -n without a file not checked"
fi
echo "ok"
