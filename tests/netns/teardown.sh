#!/bin/bash
# gatekeeperd sets up the LAN bridge, address, forwarding and queue rules,
# and on SIGTERM leaves the router namespace exactly as it found it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up teardown
R=$GK_NS_ROUTER

gk_snapshot "$R" "$GK_TMP/before"
gk_start

errors=0
err() { echo "  error: $*"; errors=$((errors + 1)); }

ip -n "$R" -o link show gkbr0 >/dev/null 2>&1 || err "no bridge gkbr0"
grep -q 'bridge ' <<<"$(ip -n "$R" -d -o link show gkbr0 2>/dev/null)" ||
	err "gkbr0 is not a bridge"
ports=$(ip -n "$R" -o link show master gkbr0 2>/dev/null |
	awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | xargs)
[[ $ports == "lan1 lan2 lan3" ]] || err "gkbr0 ports are '$ports', want 'lan1 lan2 lan3'"
grep -q 'inet 10.42.0.1/24 ' <<<"$(ip -n "$R" -o -4 addr show dev gkbr0 2>/dev/null)" ||
	err "gkbr0 lacks 10.42.0.1/24"
grep -q '[<,]UP[,>]' <<<"$(ip -n "$R" -o link show gkbr0 2>/dev/null)" || err "gkbr0 is not up"
for p in lan1 lan2 lan3; do
	grep -q '[<,]UP[,>]' <<<"$(ip -n "$R" -o link show "$p")" || err "$p is not up"
done
fwd=$(ip netns exec "$R" sysctl -n net.ipv4.ip_forward)
[[ $fwd == 1 ]] || err "net.ipv4.ip_forward is $fwd, want 1"
ip netns exec "$R" nft list ruleset >"$GK_TMP/ruleset" 2>&1
grep -Eiq 'nfqueue|queue' "$GK_TMP/ruleset" || {
	cat "$GK_TMP/ruleset"
	err "no queue rule in the ruleset"
}
((errors == 0)) || gk_fail "$errors error(s) while running, see above"

run_dir=$GK_TMP/run
[[ -S $run_dir/control.sock ]] || gk_fail "no control socket while running"
[[ -s $run_dir/gatekeeperd.pid ]] || gk_fail "no pid file while running"
[[ $(<"$run_dir/gatekeeperd.pid") == "$GK_PID"* ]] ||
	gk_fail "pid file says $(<"$run_dir/gatekeeperd.pid"), gatekeeperd is $GK_PID"
children=$(gk_status_json | jq -r '.daemons[].pid')

gk_stop
gk_snapshot "$R" "$GK_TMP/after"
if ! diff -u "$GK_TMP/before" "$GK_TMP/after"; then
	err "the router namespace differs from before gatekeeperd started (diff above)"
fi
[[ $GK_EXIT == 0 ]] || err "gatekeeperd exited with status $GK_EXIT, want 0"
[[ ! -e $run_dir/gatekeeperd.pid ]] || err "pid file left in $run_dir"
[[ ! -e $run_dir/control.sock ]] || err "control socket left in $run_dir"
for pid in $children; do
	gk_alive "$pid" && err "child pid $pid still running"
done
left=$(ip netns pids "$R")
[[ -z $left ]] || err "processes left in the router namespace: $left"
((errors == 0)) || gk_fail "$errors error(s) after SIGTERM, see above"
gk_log "ok"
