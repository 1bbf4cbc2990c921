#!/usr/bin/env bash
# gatekeeperd killed with SIGKILL: its children notice and exit (they hold
# privileged sockets nobody supervises), the queue rules stay (so the LAN
# still cannot leak untranslated), and the next start undoes what the dead
# one left, runs normally, and a clean stop then leaves the router
# namespace exactly as it was before the first start.
set -u
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up crash 2
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/before"
gk_start

queue_rules() {
	ip netns exec "$GK_NS_ROUTER" nft list ruleset | grep -Eic "nfqueue|queue num"
}
first=$(queue_rules)
json=$(gk_status_json)
pids=$(jq -r '.daemons[].pid' <<<"$json")
kill -KILL "$GK_PID"
wait "$GK_PID" 2>/dev/null
GK_PID=""
for ((i = 0; i < 30; i++)); do
	alive=0
	for p in $pids; do gk_alive "$p" && alive=1; done
	((alive)) || break
	sleep 0.1
done
((alive == 0)) || gk_fail "children still running 3 s after their parent died"
[[ -f $GK_TMP/run/gatekeeperd.state ]] || gk_fail "no journal left behind"
ip netns exec "$GK_NS_ROUTER" nft list ruleset | grep -Eiq "nfqueue|queue num" ||
	gk_fail "queue rules gone with the parent: the LAN would not fail closed"

gk_start
grep -q "did not stop cleanly: undoing its changes" "$GK_LOG" ||
	gk_fail "the second start did not recover from the journal"
gk_all_running "$(gk_status_json)" || gk_fail "not all daemons running after recovery"
rules=$(queue_rules)
((rules == first)) ||
	gk_fail "$first queue rules on the first start, $rules after recovery"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/after"
diff -u "$GK_TMP/before" "$GK_TMP/after" ||
	gk_fail "the router namespace differs after crash, recovery and stop"
[[ ! -e $GK_TMP/run/gatekeeperd.state ]] || gk_fail "journal left after a clean stop"
gk_log "PASS"
