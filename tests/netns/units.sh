#!/bin/bash
# The systemd launch path, without systemd: gatekeeperd -U in the router
# namespace with a NOTIFY_SOCKET of ours (Type=notify: READY=1, the
# watchdog's pings, STOPPING=1); then each child started as its unit
# would start it: the unit's ExecStart= (paths mapped into this test's
# directories) under the unit's User= and capabilities, through setpriv.
# Checks: all four running under their users, serving (DHCP lease, DNS
# answer, web page, NAT'd ping); a child killed with -9 (dnsd: stopped
# with SIGTERM, as systemctl restart does, exiting 0) is "restarting"
# until the re-run of its unit's command brings it back with the same
# sockets; the children socket refuses another local user (nobody) and
# a second copy of a running child, and hands those no descriptor; a
# clean stop takes the children down with the parent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$GK_SRC/tests/dhcpd/lib.sh"

gk_require_root
command -v setpriv >/dev/null || gk_skip "setpriv is not installed (util-linux)"
command -v dig >/dev/null || gk_skip "dig is not installed (bind9-dnsutils)"
gk_dhcp_require dhclient
gk_require_build
units=$GK_BUILD/systemd
[[ -r $units/gatekeeper-natd.service ]] || gk_skip "$units: units not generated"
gk_topology_up units 3

# ---- the parent, as gatekeeper.service runs it
notify=$GK_TMP/notify.sock
/usr/bin/python3 - "$notify" "$GK_TMP/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PY
GK_BG_PIDS+=($!)
for ((i = 0; i < 50; i++)); do [[ -S $notify ]] && break; sleep 0.1; done
[[ -S $notify ]] || gk_fail "the notify listener did not start"

exec_start=$(sed -n 's/^ExecStart=//p' "$units/gatekeeper.service")
[[ $exec_start == */gatekeeperd\ -d\ -U ]] ||
	gk_fail "gatekeeper.service: ExecStart=$exec_start is not gatekeeperd -d -U"
# With the unit's bounding set: what it does not grant, gatekeeperd lacks.
bounding=""
for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$units/gatekeeper.service"); do
	c=${c#CAP_}
	bounding+=",+${c,,}"
done
[[ $bounding == *net_admin* ]] || gk_fail "gatekeeper.service: no CapabilityBoundingSet="
gk_log "gatekeeperd under setpriv --bounding-set=-all$bounding"
NOTIFY_SOCKET=$notify WATCHDOG_USEC=1000000 \
    ip netns exec "$GK_NS_ROUTER" setpriv --no-new-privs --inh-caps=-all \
    --bounding-set="-all$bounding" -- \
    "$GK_GATEKEEPERD" -d -U -f "$GK_CONF" -v >>"$GK_LOG" 2>&1 </dev/null &
GK_PID=$!

wait_for() {	# SECONDS WHAT CMD...: until CMD succeeds
	local secs=$1 what=$2 now deadline
	shift 2
	gk_now_ms now
	deadline=$((now + secs * 1000))
	until "$@"; do
		gk_alive "$GK_PID" || gk_fail "gatekeeperd exited while waiting for $what"
		gk_now_ms now
		((now < deadline)) || gk_fail "no $what within $secs s"
		sleep 0.1
	done
}
wait_for 15 "READY=1 on the notify socket" grep -q "^READY=1" "$GK_TMP/notify.log"
gk_log "notify: $(grep -m1 "^READY=1" "$GK_TMP/notify.log")"
# The regions that must outlive the parent go to the fd store, as in the
# default mode (netns test fdstore runs the whole cycle).
for r in gk-nat-state gk-history; do
	grep -qx "FDSTORE=1 FDNAME=$r" "$GK_TMP/notify.log" ||
		gk_fail "-U: $r was not sent to the fd store: $(cat "$GK_TMP/notify.log")"
done
[[ -S $GK_TMP/run/children.sock ]] || gk_fail "READY=1 before run-dir/children.sock exists"
json=$(gk_status_json)
jq -e '[.daemons[] | .state] | unique == ["stopped"]' <<<"$json" >/dev/null ||
	gk_fail "-U started children itself: $json"

# ---- the children, as their units run them
unit_key() {	# UNIT KEY: its value in the generated unit
	sed -n "s/^$2=//p" "$units/gatekeeper-$1.service"
}
# setpriv's options for the unit's User= and capabilities.
unit_cred() {
	local d=$1 user amb bnd caps="" c
	user=$(unit_key "$d" User)
	amb=$(unit_key "$d" AmbientCapabilities)
	bnd=$(unit_key "$d" CapabilityBoundingSet)
	[[ $amb == "$bnd" ]] || gk_fail "$d: ambient '$amb' and bounding '$bnd' differ"
	for c in $amb; do
		c=${c#CAP_}
		caps+=",+${c,,}"
	done
	echo "--reuid=$user --regid=$user --init-groups --no-new-privs" \
	    "--inh-caps=-all$caps --ambient-caps=-all$caps --bounding-set=-all$caps"
}
# The unit's command with this test's paths for the installed ones.
unit_cmd() {
	local d=$1 cmd
	cmd=$(unit_key "$d" ExecStart)
	cmd=${cmd/#*\/gatekeeper\/$d /$GK_BUILD/$d/$d }
	cmd=${cmd//\/run\/gatekeeper/$GK_TMP/run}
	cmd=${cmd//\/var\/lib\/gatekeeper/$GK_TMP/state}
	echo "$cmd"
}
declare -A CHILD_PID
# start_unit DAEMON: its unit's command, in the background.
start_unit() {
	local d=$1 cred
	cred=$(unit_cred "$d")
	# shellcheck disable=SC2046,SC2086
	ip netns exec "$GK_NS_ROUTER" setpriv $cred -- $(unit_cmd "$d") \
	    >>"$GK_TMP/$d.unit.log" 2>&1 </dev/null &
	GK_BG_PIDS+=($!)
	CHILD_PID[$d]=$!
}
for d in "${GK_DAEMONS[@]}"; do
	gk_log "$d: setpriv $(unit_cred "$d") -- $(unit_cmd "$d")"
	start_unit "$d"
done
gk_wait_running 15 || gk_fail "the four children did not all run from their units"

status_field() {
	awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"
}
json=$(gk_status_json)
for d in "${GK_DAEMONS[@]}"; do
	pid=${CHILD_PID[$d]}
	[[ $(gk_daemon_field "$json" "$d" pid) == "$pid" ]] ||
		gk_fail "$d: gkctl's pid $(gk_daemon_field "$json" "$d" pid) is not the unit's $pid"
	[[ $(status_field "$pid" Uid) == $(id -u "gk-$d") ]] || gk_fail "$d: not running as gk-$d"
	want=0000000000000000
	[[ $d == natd ]] && want=0000000000001000
	# The unit puts its capability in the inheritable and ambient sets
	# too; the child keeps it only where it uses it.
	for f in CapEff:$want CapPrm:$want CapBnd:$want \
	    CapInh:0000000000000000 CapAmb:0000000000000000; do
		[[ $(status_field "$pid" "${f%:*}") == "${f#*:}" ]] ||
			gk_fail "$d: ${f%:*} $(status_field "$pid" "${f%:*}"), want ${f#*:}"
	done
	[[ $(status_field "$pid" NoNewPrivs) == 1 ]] || gk_fail "$d: no no_new_privs"
	[[ $(status_field "$pid" Seccomp) == 2 ]] || gk_fail "$d: no seccomp filter"
	[[ $(readlink "/proc/$pid/cwd") == "$GK_TMP/state/$d" ]] ||
		gk_fail "$d: working directory $(readlink "/proc/$pid/cwd"), not its state dir"
done
gk_log "all four running from their units, under their users and capabilities"

# ---- service: dhcpd, dnsd, webd, natd
# service_check N: a lease for LAN client N (a new one each time: the
# last one's dhclient stays to renew), the rest from client 2.
service_check() {
	local ns2=${GK_NS_LANS[1]} code
	gk_dhclient "${GK_NS_LANS[$(($1 - 1))]}" "dhcp$1" || gk_fail "dhclient failed ($1)"
	gk_dhcp_wait "dhcp$1" "BOUND|RENEW|REBOOT" 15
	ip=$(gk_dhcp_field "dhcp$1" "BOUND|RENEW|REBOOT" ip)
	gk_dhcp_in_range "$ip" || gk_fail "lease $ip out of range ($1)"
	ans=$(ip netns exec "$ns2" dig @10.42.0.1 +time=3 +tries=2 +short gatekeeper.lan A)
	[[ $ans == 10.42.0.1 ]] || gk_fail "dnsd: gatekeeper.lan is '$ans' ($1)"
	code=$(ip netns exec "$ns2" curl -s -o /dev/null -w '%{http_code}' \
	    --max-time 5 http://10.42.0.1/) || true
	[[ $code == 200 ]] || gk_fail "webd: HTTP $code ($1)"
	ip netns exec "$ns2" ping -c 1 -W 3 203.0.113.1 >/dev/null ||
		gk_fail "natd: no ping through the NAT ($1)"
	gk_log "service ($1): lease $ip, DNS $ans, HTTP $code, NAT'd ping"
}
gk_must ip -n "${GK_NS_LANS[1]}" addr add 10.42.0.12/24 dev eth0
gk_must ip -n "${GK_NS_LANS[1]}" route add default via 10.42.0.1
service_check 1

# ---- impostors: another local user, a second copy, a wrong daemon
refused_count() { grep -c "children socket: refused" "$GK_LOG" || true; }
impostor() {	# DAEMON USER WHY: started like the unit, must be refused
	local d=$1 user=$2 why=$3 before rc=0 pid
	before=$(refused_count)
	# shellcheck disable=SC2046
	ip netns exec "$GK_NS_ROUTER" setpriv $(unit_cred "$d" |
	    sed -e "s/--reuid=gk-$d /--reuid=$user /" \
		-e "s/--regid=gk-$d /--regid=$(id -g "$user") /") \
	    -- $(unit_cmd "$d") >"$GK_TMP/impostor.log" 2>&1 </dev/null &
	pid=$!
	wait "$pid" || rc=$?
	((rc != 0)) || gk_fail "$d as $user: exited 0, not refused"
	grep -q "refused" "$GK_TMP/impostor.log" ||
		gk_fail "$d as $user: no refusal: $(cat "$GK_TMP/impostor.log")"
	(($(refused_count) == before + 1)) || gk_fail "$d as $user: gatekeeperd logged no refusal"
	grep "children socket: refused" "$GK_LOG" | tail -n 1 | grep -q "$why" ||
		gk_fail "$d as $user: refused for another reason: $(grep refused "$GK_LOG" | tail -n 1)"
	gk_log "$d as $user: refused ($(tail -n 1 "$GK_TMP/impostor.log"))"
}
impostor dnsd nobody "uid $(id -u nobody): its uid is no child's user"
impostor dnsd gk-dnsd "that child is running already"
# webd's command under dnsd's user: the parent takes it for the running dnsd.
impostor webd gk-dnsd "that child is running already"
json=$(gk_status_json)
gk_all_running "$json" || gk_fail "an impostor disturbed the children: $json"
[[ $(gk_daemon_field "$json" dnsd pid) == "${CHILD_PID[dnsd]}" ]] ||
	gk_fail "dnsd's pid changed under the impostors"

# ---- kill -9, or for dnsd the SIGTERM of systemctl restart, and the
# unit's restart
state_is() {
	[[ $(gk_daemon_field "$(gk_status_json)" "$1" state) == "$2" ]]
}
for d in "${GK_DAEMONS[@]}"; do
	pid=${CHILD_PID[$d]}
	restarts=$(gk_daemon_field "$json" "$d" restarts)
	before=$(gk_socket_inodes "$pid" "${GK_LAYOUT_LAST[$d]}")
	[[ -n $before ]] || gk_fail "$d holds no socket on fds >= 4"
	sig=KILL
	[[ $d == dnsd ]] && sig=TERM
	kill -"$sig" "$pid"
	if [[ $sig == TERM ]]; then
		rc=0
		wait "$pid" || rc=$?
		[[ $rc == 0 ]] || gk_fail "$d exited with $rc on SIGTERM"
	fi
	wait_for 5 "$d restarting after SIG$sig" state_is "$d" restarting
	start_unit "$d"
	gk_wait_running 10 || gk_fail "$d: not back after the re-run of its unit's command"
	json=$(gk_status_json)
	[[ $(gk_daemon_field "$json" "$d" pid) == "${CHILD_PID[$d]}" ]] ||
		gk_fail "$d: the running pid is not the re-run's"
	[[ $(gk_daemon_field "$json" "$d" restarts) == $((restarts + 1)) ]] ||
		gk_fail "$d: restarts $(gk_daemon_field "$json" "$d" restarts), want $((restarts + 1))"
	after=$(gk_socket_inodes "${CHILD_PID[$d]}" "${GK_LAYOUT_LAST[$d]}")
	[[ $before == "$after" ]] || gk_fail "$d: other sockets after the restart: $before / $after"
	gk_log "$d: SIG$sig, back from its unit as pid ${CHILD_PID[$d]} with the same sockets"
done
service_check 3

# ---- the watchdog pinged, the stop takes the children along
(($(grep -c "^WATCHDOG=1" "$GK_TMP/notify.log") >= 2)) ||
	gk_fail "fewer than two WATCHDOG=1 pings: $(cat "$GK_TMP/notify.log")"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
grep -q "^STOPPING=1" "$GK_TMP/notify.log" || gk_fail "no STOPPING=1"
for d in "${GK_DAEMONS[@]}"; do
	rc=0
	wait "${CHILD_PID[$d]}" || rc=$?
	[[ $rc == 0 ]] || gk_fail "$d exited with $rc when the parent stopped"
done
[[ ! -e $GK_TMP/run/children.sock ]] || gk_fail "children.sock left behind"
gk_log "ok"
