#!/bin/bash
# A child killed with -9 is re-execed at once (under 1 s) and holds the
# same privileged sockets as before (fds >= 4: the same socket inodes).
# Killed again and again from outside, each time as soon as it is back,
# it is still back within 1 s every time (an outside kill is no crash
# loop); a child that crashes at every start (a program that dies of
# SIGSEGV) is restarted with a growing delay instead of spinning, and
# `gkctl restart` brings it back at once once the program is fixed.
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
	before=$(gk_socket_inodes "$pid" "${GK_LAYOUT_LAST[$d]}")
	[[ -n $before ]] || gk_fail "$d (pid $pid) holds no socket on fds >= 4"
	echo "$d: pid $pid, restarts $restarts, sockets:" $before

	gk_kill_wait_back "$d" "$pid" "$restarts"
	gk_alive "$newpid" || gk_fail "$d: new pid $newpid is not alive"
	after=$(gk_socket_inodes "$newpid" "${GK_LAYOUT_LAST[$d]}")
	echo "$d: back as pid $newpid after $back_ms ms, sockets:" $after
	if [[ $before != "$after" ]]; then
		diff -u <(echo "$before") <(echo "$after") || true
		gk_fail "$d: the restarted child does not hold the same sockets"
	fi
done

# Outside kills in a row, each as soon as the daemon is back: no
# back-off (it used to wait 1, 2, 4 s from the second kill on).
for d in "${GK_DAEMONS[@]}"; do
	worst=0
	for ((k = 0; k < 6; k++)); do
		json=$(gk_status_json) || gk_fail "gkctl -j status failed"
		pid=$(gk_daemon_field "$json" "$d" pid)
		restarts=$(gk_daemon_field "$json" "$d" restarts)
		gk_kill_wait_back "$d" "$pid" "$restarts"
		((back_ms > worst)) && worst=$back_ms
	done
	echo "$d: killed 6 times in a row, back each time, slowest in $worst ms"
done

# A crash loop: webd's program now dies of SIGSEGV at every start.
json=$(gk_status_json) || gk_fail "gkctl -j status failed"
restarts=$(gk_daemon_field "$json" webd restarts)
rm "$GK_TMP/libexec/webd"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$GK_TMP/libexec/webd"
chmod 0755 "$GK_TMP/libexec/webd"
kill -KILL "$(gk_daemon_field "$json" webd pid)"
sleep 8
json=$(gk_status_json) || gk_fail "gkctl -j status failed"
looped=$(($(gk_daemon_field "$json" webd restarts) - restarts))
echo "webd crashing at every start: $looped restarts in 8 s"
# The kill, then crashes restarted after 0, 1, 2, 4 s: 5 or 6 restarts;
# without a back-off there would be hundreds.
((looped >= 4 && looped <= 8)) ||
	gk_fail "a crash loop was restarted $looped times in 8 s (expected 4-8: at once, then 1, 2, 4 s)"
grep -q "webd keeps failing; restarting it in 4 s" "$GK_LOG" ||
	gk_fail "no back-off to 4 s logged for the crash loop"
# Fixed: an admin's restart does not wait for the back-off.
rm "$GK_TMP/libexec/webd"
ln -s "$GK_BUILD/webd/webd" "$GK_TMP/libexec/webd"
# (Between two starts: a restart asked of a starting child is a SIGTERM.)
for ((i = 0; i < 40; i++)); do
	[[ $(gk_daemon_field "$(gk_status_json)" webd state) == restarting ]] &&
		break
	sleep 0.05
done
gk_ctl restart webd >/dev/null || gk_fail "gkctl restart webd failed"
gk_wait_running 2 || gk_fail "webd not running within 2 s of gkctl restart"

json=$(gk_status_json) || gk_fail "gkctl -j status failed"
gk_all_running "$json" || gk_fail "not all daemons running at the end: $json"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "ok"
