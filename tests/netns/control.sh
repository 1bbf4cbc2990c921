#!/bin/bash
# The control socket under a misbehaving client (issue 16 item 6): a
# member of group gatekeeper asking again and again without reading a
# reply gets hung up on, the root parent's memory does not grow with what
# it asked, and a flood of connections keeps 8 of them; root's gkctl
# answers all along.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLOOD=$1
gk_require_root
gk_topology_up control
gk_start
R=$GK_NS_ROUTER
as_member() {
	ip netns exec "$R" setpriv --reuid=nobody --regid=gatekeeper \
	    --clear-groups "$@"
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$GK_PID/status"; }

before=$(rss)
out=$(as_member "$FLOOD" "$GK_SOCK" repeat 20000)
after=$(rss)
gk_log "20000 requests, no reply read: $out; parent RSS $before -> $after kB"
[[ $out == "closed after "* ]] ||
	gk_fail "a client that never reads was not hung up on: $out"
((after - before < 16384)) ||
	gk_fail "the parent grew by $((after - before)) kB for a client that never reads"
gk_ctl status >/dev/null || gk_fail "gkctl status fails after the flood"

as_member "$FLOOD" "$GK_SOCK" conns 100 3 >"$GK_TMP/conns" &
flood=$!
sleep 1
gk_ctl status >/dev/null || gk_fail "gkctl status fails during a connection flood"
wait "$flood" || gk_fail "ctlflood conns failed"
out=$(<"$GK_TMP/conns")
gk_log "100 connections, nothing read: $out"
[[ $out == "open 8" ]] || gk_fail "the parent kept '$out' connections, want 8"
gk_ctl status >/dev/null || gk_fail "gkctl status fails after the connection flood"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "ok"
