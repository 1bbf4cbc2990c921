#!/bin/bash
# gkctl without a daemon: help on stdout with exit 0, -V, usage errors
# (exit 2, "did you mean"), gatekeeperd unreachable (exit 3), permission
# denied (exit 1), and every error also as {"error": ...} on stdout with -j.
set -euo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
gkctl=$GK_BUILD/gkctl/gkctl
if [[ ! -x $gkctl ]]; then
	echo "SKIP: gkctl: $gkctl is not built"
	exit 77
fi
tmp=$(mktemp -d /tmp/gk-gkctl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: gkctl: $*"
	exit 1
}

# run WANT-STATUS ARGS...: runs gkctl; sets out and err.
run() {
	local want=$1 rc=0
	shift
	"$gkctl" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
	echo "gkctl $*: status $rc${err:+, stderr: $err}"
	((rc == want)) || fail "gkctl $* exited $rc, want $want (stdout: $out)"
}

# json_error ARGS: with -j, stdout is exactly one {"error": "..."} object.
json_error() {
	jq -e 'keys == ["error"] and (.error | type == "string" and length > 0)' \
	    <<<"$out" >/dev/null || fail "gkctl $*: stdout is not {\"error\": ...}: $out"
}

for h in -h --help help; do
	run 0 $h
	[[ $out == usage:* && -z $err ]] || fail "$h: want usage on stdout only"
	for c in status "lease add" "forward del" names "nat timeout"; do
		grep -q "^  $c" <<<"$out" || fail "$h does not list $c"
	done
done
run 0 help status
[[ $out == "usage: gkctl status"* ]] || fail "help status: $out"
run 0 help lease
grep -q "usage: gkctl lease add MAC IP \[NAME\]" <<<"$out" &&
	grep -q "usage: gkctl lease del MAC" <<<"$out" || fail "help lease: $out"
run 0 help lease add
run 0 -V
[[ $out =~ ^gkctl\ [0-9]+\.[0-9]+ ]] || fail "-V printed '$out'"
run 0 --version

# Usage errors: 2, and nothing on stdout without -j.
run 2
[[ -z $out && $err == *usage:* ]] || fail "no command: want usage on stderr"
run 2 stauts
[[ $err == *'did you mean "status"'* && -z $out ]] || fail "typo: $err"
run 2 help stauts
[[ $err == *'did you mean "status"'* ]] || fail "help typo: $err"
run 2 lease add 02:00:00:00:00:01
[[ $err == *"usage: lease add MAC IP [NAME]"* ]] || fail "missing argument: $err"
run 2 lease add nomac 10.42.0.9
[[ $err == *"is not a MAC address"* ]] || fail "bad MAC: $err"
run 2 -x status
run 2 -j stauts
json_error -j stauts
[[ $(jq -r .error <<<"$out") == *'did you mean "status"'* ]] ||
	fail "-j typo: $out"
run 2 -j

# Unreachable: no socket, nothing listening, not a socket: exit 3.
run 3 -s "$tmp/nonexistent.sock" status
[[ -z $out && $err == *"cannot reach gatekeeperd at $tmp/nonexistent.sock"* ]] ||
	fail "missing socket: $err"
run 3 -j -s "$tmp/nonexistent.sock" status
json_error -j missing socket
[[ $(jq -r .error <<<"$out") == *"cannot reach gatekeeperd"* ]] || fail "-j: $out"
[[ $err == *"cannot reach gatekeeperd"* ]] || fail "-j: no message on stderr"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' "$tmp/stale.sock"
run 3 -s "$tmp/stale.sock" status
[[ $err == *"Connection refused"* ]] || fail "stale socket: $err"

# Permission denied is not "unreachable": 1 (needs root to be someone else).
if ((EUID == 0)) && command -v setpriv >/dev/null; then
	mkdir -m 700 "$tmp/private"
	chmod 755 "$tmp"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$gkctl" -j -s "$tmp/private/control.sock" status >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(<"$tmp/out")
	echo "gkctl as nobody on a root-only directory: status $rc: $(<"$tmp/err")"
	((rc == 1)) || fail "permission denied exited $rc, want 1"
	json_error "as nobody"
	grep -q "Permission denied" "$tmp/err" || fail "permission denied: $(<"$tmp/err")"
else
	echo "not root: permission-denied case skipped"
fi
echo "ok"
