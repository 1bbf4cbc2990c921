#!/usr/bin/env bash
# SIGHUP re-reads the config: a changed setting reaches every daemon as a
# new configuration generation; a file with errors changes nothing; a
# changed interface or address is reported as needing a restart. Also the
# control relay: a command is answered by the daemon that owns it, and an
# unknown one is refused.
set -u
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up reload 1
gk_start

wait_log() {	# wait_log PATTERN COUNT: until PATTERN appears COUNT times
	local i
	for ((i = 0; i < 50; i++)); do
		(($(grep -c -- "$1" "$GK_LOG") >= $2)) && return 0
		sleep 0.1
	done
	gk_fail "log never showed \"$1\" $2 times"
}

# Every daemon got generation 1 at start.
wait_log "configuration 1 received" 4

# A real change goes out as generation 2, to all four.
echo "lease-time 1h" >>"$GK_CONF"
kill -HUP "$GK_PID"
wait_log "reload: configuration 2 sent to the daemons" 1
wait_log "configuration 2 received" 4

# Nothing changed: no new generation.
kill -HUP "$GK_PID"
wait_log "nothing changed" 1

# A broken file changes nothing and kills nothing.
cp "$GK_CONF" "$GK_TMP/good.conf"
echo "lease-time soon" >>"$GK_CONF"
kill -HUP "$GK_PID"
wait_log "has errors; keeping the running config" 1
gk_all_running "$(gk_status_json)" || gk_fail "daemons not running after a bad reload"
grep -q "configuration 3" "$GK_LOG" && gk_fail "a bad file produced a new configuration"

# An address change needs a restart: reported, the running one kept.
sed -e 's|^lan-address .*|lan-address 10.77.0.1/24|' \
    -e '/^dhcp-range/d' "$GK_TMP/good.conf" >"$GK_CONF"
kill -HUP "$GK_PID"
wait_log "change only with a restart of gatekeeperd" 1
[[ $(jq -r .lan.address <<<"$(gk_status_json)") == 10.42.0.1/24 ]] ||
	gk_fail "the LAN address changed without a restart"

# The control relay: routed to the owner, which answers for itself.
out=$(gk_ctl nosuchcommand 2>&1) && gk_fail "an unknown command succeeded"
grep -q 'unknown command "nosuchcommand"' <<<"$out" ||
	gk_fail "unknown command not explained: $out"
for cmd in leases "dns stats" nat; do
	# shellcheck disable=SC2086
	out=$(gk_ctl $cmd 2>&1)
	rc=$?
	if ((rc != 0)); then
		grep -qE '(dhcpd|dnsd|natd) (has no commands|.*unknown)' <<<"$out" ||
			gk_fail "gkctl $cmd: unexplained failure: $out"
	fi
done

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
