#!/bin/bash
# A child killed with -9 is re-execed at once (under 1 s) and holds the
# same privileged sockets as before (fds >= 4: the same socket inodes).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up restart
gk_start

for d in "${GK_DAEMONS[@]}"; do
	json=$(gk_status_json) || gk_fail "gkctl -j status failed"
	gk_all_running "$json" || gk_fail "not all daemons running before killing $d: $json"
	pid=$(gk_daemon_field "$json" "$d" pid)
	restarts=$(gk_daemon_field "$json" "$d" restarts)
	[[ $pid =~ ^[0-9]+$ && $restarts =~ ^[0-9]+$ ]] ||
		gk_fail "$d: no pid/restarts in status: $json"
	before=$(gk_socket_inodes "$pid")
	[[ -n $before ]] || gk_fail "$d (pid $pid) holds no socket on fds >= 4"
	echo "$d: pid $pid, restarts $restarts, sockets:" $before

	kill -KILL "$pid"
	gk_now_ms t0
	newpid="" newstate="" newrestarts=""
	while :; do
		if json=$(gk_status_json 2>/dev/null); then
			newpid=$(gk_daemon_field "$json" "$d" pid)
			newstate=$(gk_daemon_field "$json" "$d" state)
			newrestarts=$(gk_daemon_field "$json" "$d" restarts)
			if [[ $newpid =~ ^[0-9]+$ && $newpid != "$pid" &&
			    $newstate == running &&
			    $newrestarts == $((restarts + 1)) ]]; then
				break
			fi
		fi
		gk_now_ms now
		((now - t0 < 1000)) ||
			gk_fail "$d: not back within 1 s (pid $newpid, state $newstate, restarts $newrestarts; was pid $pid, restarts $restarts)"
		sleep 0.05
	done
	gk_now_ms now
	gk_alive "$newpid" || gk_fail "$d: new pid $newpid is not alive"
	after=$(gk_socket_inodes "$newpid")
	echo "$d: back as pid $newpid after $((now - t0)) ms, sockets:" $after
	if [[ $before != "$after" ]]; then
		diff -u <(echo "$before") <(echo "$after") || true
		gk_fail "$d: the restarted child does not hold the same sockets"
	fi
done

json=$(gk_status_json) || gk_fail "gkctl -j status failed"
gk_all_running "$json" || gk_fail "not all daemons running at the end: $json"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "ok"
