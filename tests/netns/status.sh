#!/bin/bash
# gkctl status (table and JSON), one instance per run dir, and who may
# talk to the control socket.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up status
gk_start
R=$GK_NS_ROUTER

# The table.
table=$(gk_ctl status) || gk_fail "gkctl status failed"
echo "$table"
for d in "${GK_DAEMONS[@]}"; do
	grep -qw "$d" <<<"$table" || gk_fail "gkctl status does not list $d"
done

# The JSON.
json=$(gk_status_json) || gk_fail "gkctl -j status failed"
jq -e . <<<"$json" >/dev/null || gk_fail "gkctl -j status is not JSON: $json"
check() {	# check JQ-EXPRESSION WHAT
	jq -e "$1" <<<"$json" >/dev/null || gk_fail "status JSON: $2: $json"
}
check '.daemons | length == 4' "not four daemons"
check '[.daemons[].name] | sort == ["dhcpd", "dnsd", "natd", "webd"]' "daemon names"
check '[.daemons[].uid] | unique | length == 4' "uids not distinct"
check 'all(.daemons[]; .uid > 0 and .pid > 0 and .state == "running"
	and (.restarts | type) == "number" and (.uptime | type) == "number")' \
	"pid/uid/state/restarts/uptime"
# Memory (issue 17): each process's PSS from its smaps_rollup, read by
# the parent; plausible (a sanitizer build is larger, hence the bound),
# and the total is the five of them.
check 'all(.daemons[]; (.pss_kb | type) == "number" and .pss_kb > 100
	and .pss_kb < 524288 and (.pss_shmem_kb | type) == "number"
	and .pss_shmem_kb <= .pss_kb)' "pss_kb/pss_shmem_kb per daemon"
check '.memory.gatekeeperd.pss_kb > 100 and .memory.gatekeeperd.pss_kb < 524288' \
	"the parent's pss_kb"
check '.memory.total_pss_kb == ([.daemons[].pss_kb] | add) + .memory.gatekeeperd.pss_kb
	and .memory.total_pss_shmem_kb == ([.daemons[].pss_shmem_kb] | add)
	+ .memory.gatekeeperd.pss_shmem_kb' "memory totals"
# At rest natd's shared region is touched only where it was written (the
# header; the whole 16 MB before issue 17): any build, sanitizers or not.
check '.daemons[] | select(.name == "natd") | .pss_shmem_kb < 2048' \
	"natd's shared region resident at rest"
grep -q '^memory: .* PSS in all' <<<"$table" || gk_fail "gkctl status: no memory line"
# Transparent huge pages off in every process (gatekeeperd's prctl, which
# its children inherit): else a table touched in one place can be made
# resident 2 MB at a time.
for pid in "$GK_PID" $(jq -r '.daemons[].pid' <<<"$json"); do
	thp=$(awk '$1 == "THP_enabled:" { print $2 }' "/proc/$pid/status")
	[[ $thp == 0 ]] || gk_fail "pid $pid: THP_enabled '$thp', want 0"
done
check '.queue_backend == "nft-compat" or .queue_backend == "nft"' "queue_backend"
check '.version | type == "string"' "version"
check '.wan.ifname == "wan0" and .wan.address == "203.0.113.2/24"' "wan"
check '.lan.ifname == "gkbr0" and .lan.address == "10.42.0.1/24"' "lan"
check '.lan.ports | sort == ["lan1", "lan2", "lan3"]' "lan ports"

# Process titles (common/log.c): ps shows "gatekeeper: dnsd", top the
# 15-byte comm "gk-dnsd"; set before the sandbox, so they hold after it.
for d in "${GK_DAEMONS[@]}"; do
	pid=$(jq -r --arg d "$d" '.daemons[] | select(.name == $d) | .pid' <<<"$json")
	title=$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ *$//')
	[[ $title == "gatekeeper: $d" ]] ||
		gk_fail "$d (pid $pid) has the process title '$title'"
	[[ $(<"/proc/$pid/comm") == "gk-$d" ]] ||
		gk_fail "$d (pid $pid) has the comm '$(<"/proc/$pid/comm")'"
done

# A second gatekeeperd on the same run dir gives up at once and leaves the
# first one, and its network setup, alone.
pidfile_before=$(<"$GK_TMP/run/gatekeeperd.pid")
gk_now_ms t0
rc=0
timeout 10 ip netns exec "$R" "$GK_GATEKEEPERD" -d -f "$GK_CONF" \
    -L "$GK_TMP/libexec" >"$GK_TMP/second.log" 2>&1 </dev/null || rc=$?
gk_now_ms t1
echo "second gatekeeperd: status $rc after $((t1 - t0)) ms:"
cat "$GK_TMP/second.log"
((rc != 0)) || gk_fail "a second gatekeeperd on the same run dir exited 0"
((rc != 124)) || gk_fail "a second gatekeeperd on the same run dir was still running after 10 s"
((t1 - t0 < 5000)) || gk_fail "the second gatekeeperd took $((t1 - t0)) ms to give up"
gk_alive "$GK_PID" || gk_fail "the first gatekeeperd died"
[[ $(<"$GK_TMP/run/gatekeeperd.pid") == "$pidfile_before" ]] ||
	gk_fail "the pid file changed: $(<"$GK_TMP/run/gatekeeperd.pid")"
json2=$(gk_status_json) || gk_fail "gkctl fails after the second instance"
gk_all_running "$json2" || gk_fail "not all daemons running after the second instance: $json2"
grep -q 'inet 10.42.0.1/24 ' <<<"$(ip -n "$R" -o -4 addr show dev gkbr0 2>/dev/null)" ||
	gk_fail "the second instance removed the first one's LAN address"
[[ $(ip netns exec "$R" sysctl -n net.ipv4.ip_forward) == 1 ]] ||
	gk_fail "the second instance reset ip_forward"
grep -Eiq 'nfqueue|queue' <<<"$(ip netns exec "$R" nft list ruleset 2>/dev/null)" ||
	gk_fail "the second instance removed the queue rules"

# Its run and state dirs by descriptor (issue 16 item 6): a run dir that
# is a symlink, or whose parent others may write, stops gatekeeperd
# before it does anything, and the symlink's target is left alone.
mkdir -m 0755 "$GK_TMP/elsewhere" "$GK_TMP/open"
chmod 1777 "$GK_TMP/open"
ln -s "$GK_TMP/elsewhere" "$GK_TMP/runlink"
for bad in "run-dir $GK_TMP/runlink" "run-dir $GK_TMP/open/run" \
    "state-dir $GK_TMP/open/state"; do
	# A run dir of its own, so the pid file lock is not what stops it.
	sed -e "s|^run-dir .*|run-dir $GK_TMP/run2|" \
	    -e "s|^${bad%% *} .*|$bad|" "$GK_CONF" >"$GK_TMP/bad.conf"
	rc=0
	timeout 10 ip netns exec "$R" "$GK_GATEKEEPERD" -d -f "$GK_TMP/bad.conf" \
	    -L "$GK_TMP/libexec" >"$GK_TMP/bad.log" 2>&1 </dev/null || rc=$?
	gk_log "gatekeeperd with $bad: status $rc: $(tail -1 "$GK_TMP/bad.log")"
	((rc != 0 && rc != 124)) || gk_fail "gatekeeperd with $bad: status $rc"
	grep -q "symlink, or its parent writable by others" "$GK_TMP/bad.log" ||
		gk_fail "gatekeeperd with $bad did not say why"
done
[[ $(stat -c %a "$GK_TMP/elsewhere") == 755 && -z $(ls -A "$GK_TMP/elsewhere") ]] ||
	gk_fail "the run dir symlink's target was touched"
[[ -z $(ls -A "$GK_TMP/open") ]] || gk_fail "something was made in a 1777 parent"
gk_alive "$GK_PID" || gk_fail "the first gatekeeperd died"

# Not root, not in group gatekeeper: refused.
rc=0
out=$(ip netns exec "$R" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$GK_GKCTL" -s "$GK_SOCK" status 2>&1) || rc=$?
echo "gkctl as nobody: status $rc: $out"
((rc == 1)) || gk_fail "gkctl as nobody exited $rc, want 1"
[[ -n $out ]] || gk_fail "gkctl as nobody printed no reason"

# Not root, but in group gatekeeper (as primary group, then as a
# supplementary group like a user added with usermod -aG): allowed.
getent group gatekeeper >/dev/null ||
	gk_fail "group gatekeeper does not exist (scripts/test creates it)"
for how in "--regid=gatekeeper --clear-groups" "--regid=nogroup --groups=gatekeeper"; do
	rc=0
	# shellcheck disable=SC2086
	out=$(ip netns exec "$R" setpriv --reuid=nobody $how \
	    "$GK_GKCTL" -s "$GK_SOCK" -j status 2>&1) || rc=$?
	((rc == 0)) ||
		gk_fail "gkctl as nobody with $how exited $rc: $out"
	jq -e '.daemons | length == 4' <<<"$out" >/dev/null ||
		gk_fail "gkctl as nobody with $how: bad JSON: $out"
done

# No socket there.
rc=0
out=$(ip netns exec "$R" "$GK_GKCTL" -s "$GK_TMP/run/nonexistent.sock" \
    status 2>&1) || rc=$?
echo "gkctl on a missing socket: status $rc: $out"
# 3: gatekeeperd cannot be reached (CONTRACT.md; was 1 before issue 15).
((rc == 3)) || gk_fail "gkctl on a missing socket exited $rc, want 3"
[[ -n $out ]] || gk_fail "gkctl on a missing socket printed no message"

# A command the running router refuses: 1, and with -j {"error": ...} on
# stdout, the message on stderr. nobody may not restart a daemon.
rc=0
out=$(ip netns exec "$R" setpriv --reuid=nobody --regid=gatekeeper --clear-groups \
    "$GK_GKCTL" -s "$GK_SOCK" -j restart dnsd 2>"$GK_TMP/err") || rc=$?
echo "gkctl -j restart as nobody: status $rc: $out $(<"$GK_TMP/err")"
((rc == 1)) || gk_fail "a refused command exited $rc, want 1"
jq -e 'keys == ["error"] and (.error | length > 0)' <<<"$out" >/dev/null ||
	gk_fail "a refused command with -j printed no {\"error\": ...}: $out"
[[ -s $GK_TMP/err ]] || gk_fail "a refused command with -j said nothing on stderr"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "ok"
