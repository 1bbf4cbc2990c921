#!/bin/bash
# gatekeeperd -n: every config error reported as "file:line: ...", a good
# config accepted silently, and -nv's normalized output accepted again.
# Needs neither root nor namespaces.
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
[[ -z $out && -z $err ]] || fail "-n on a good config was not silent: $out $err"

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
[[ -z $out && -z $err ]] || fail "-n on -nv's output was not silent: $out $err"
first=$(<"$tmp/normal.conf")
run -nv -f "$tmp/normal.conf"
[[ $out == "$first" ]] || {
	diff -u <(echo "$first") <(echo "$out") || true
	fail "-nv of -nv's output differs (not a fixed point)"
}
echo "ok"
