#!/usr/bin/env bash
# webd holds no authority of its own: the parent runs for it only the
# commands the catalogue allows webd. Playing a compromised webd (its
# channel to the parent taken with pidfd_getfd by tests/netns/inject), a
# command outside that set (restart natd, dns flush, passwd) is refused
# and logged, and has no effect; one inside it (status) is answered, and
# webd is not killed for either. (Path to inject in $1.)
set -u
. "$(dirname "$0")/../netns/lib.sh"
INJECT=${1:?usage: webreq.sh PATH-TO-inject}

gk_require_root
gk_topology_up webreq 1
gk_start

json=$(gk_status_json)
webd=$(gk_daemon_field "$json" webd pid)
natd=$(gk_daemon_field "$json" natd pid)
natd_restarts=$(gk_daemon_field "$json" natd restarts)

refused() {	# refused NAME WORD...: the parent says so in its log
	local rc=0 i name=$1
	shift
	"$INJECT" "$webd" webd web-request "$@" || rc=$?
	[[ $rc == 77 ]] && gk_skip "pidfd_getfd is not available here"
	[[ $rc == 0 ]] || gk_fail "inject web-request $* failed ($rc)"
	for ((i = 0; i < 20; i++)); do
		grep -q "webd asked for \"$name\", which the catalogue does not allow it: refused" \
		    "$GK_LOG" && { gk_log "refused: $*"; return 0; }
		sleep 0.05
	done
	gk_fail "the parent did not refuse '$*' from webd"
}

refused restart restart natd
refused "dns flush" dns flush
refused passwd passwd "not from the web"
# An allowed one: answered, nothing logged against it.
"$INJECT" "$webd" webd web-request status || gk_fail "inject status failed"
sleep 0.3
grep -q 'webd asked for "status"' "$GK_LOG" && gk_fail "status from webd was refused"

json=$(gk_status_json)
[[ $(gk_daemon_field "$json" natd pid) == "$natd" &&
   $(gk_daemon_field "$json" natd restarts) == "$natd_restarts" ]] ||
	gk_fail "natd was restarted: webd's 'restart natd' took effect"
[[ $(gk_daemon_field "$json" webd pid) == "$webd" ]] ||
	gk_fail "webd was killed for asking (a refusal is enough)"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "ok"
