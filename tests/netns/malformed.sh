#!/usr/bin/env bash
# A child that breaks the protocol is killed and restarted, never trusted.
# tests/netns/inject (built by meson, path in $1) takes a copy of a child's
# channel to the parent with pidfd_getfd(2) and sends, as that child would:
# garbage, a message claiming another pid, a message type a child never
# sends, and a message carrying two descriptors. Each time the parent must
# log why, kill the child, and have a new one running within a second.
set -u
. "$(dirname "$0")/lib.sh"
INJECT=${1:?usage: malformed.sh PATH-TO-inject}

gk_require_root
gk_topology_up malformed 1
gk_start

check() {
	local name=$1 mode=$2 json old new restarts before i rc
	json=$(gk_status_json)
	old=$(gk_daemon_field "$json" "$name" pid)
	before=$(gk_daemon_field "$json" "$name" restarts)
	rc=0
	"$INJECT" "$old" "$name" "$mode" || rc=$?
	[[ $rc == 77 ]] && gk_skip "pidfd_getfd is not available here"
	[[ $rc == 0 ]] || gk_fail "inject $mode into $name failed ($rc)"
	for ((i = 0; i < 20; i++)); do
		sleep 0.05
		json=$(gk_status_json 2>/dev/null) || continue
		new=$(gk_daemon_field "$json" "$name" pid)
		restarts=$(gk_daemon_field "$json" "$name" restarts)
		if [[ -n $new && $new != "$old" && $restarts == $((before + 1)) &&
		    $(gk_daemon_field "$json" "$name" state) == running ]]; then
			break
		fi
	done
	((i < 20)) || gk_fail "$name not killed and back within 1 s after $mode"
	grep -q "$name (pid $old): .*killing it" "$GK_LOG" ||
		gk_fail "no log line saying why $name (pid $old) was killed"
	gk_alive "$old" && gk_fail "$name pid $old still alive after $mode"
	gk_log "$mode: $name $old killed, $new running"
}

check natd garbage
check dhcpd wrong-pid
check dnsd wrong-type
check webd two-fds

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
