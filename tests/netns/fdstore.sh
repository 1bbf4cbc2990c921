#!/usr/bin/env bash
# NAT mappings across kill -9 of gatekeeperd, through the service
# manager's fd store (docs/reliability.md): gatekeeperd runs under
# tests/netns/fakesd.py, a stand-in for systemd that implements the
# notification socket, the fd store (FileDescriptorStoreMax= read from the
# built gatekeeper.service) and Restart=on-failure with the stored
# descriptors passed back as LISTEN_FDS. A LAN client holds a TCP
# connection and a UDP socket (source port 999, so the NAT picks the
# external port) to the internet side; gatekeeperd is killed with -9 and
# started again by the manager:
#   - the manager was given gk-nat-state and gk-history, and passes both;
#   - gatekeeperd takes both back, natd attaches to the kept tables;
#   - the same TCP connection echoes again, the UDP socket keeps its
#     external port.
# Then the manager hands in an unsealed memfd in place of gk-nat-state:
# gatekeeperd refuses it (logged), removes it from the store and stores a
# new one; natd starts with new tables, so the old TCP connection is dead
# (a segment without SYN maps nothing), which shows the first part could
# fail. A clean stop ends the service and the manager with status 0.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
FLOW=$GK_SRC/tests/netns/fdflow.py

gk_require_root
gk_topology_up fdstore 1
UNIT=$GK_BUILD/systemd/gatekeeper.service
[[ -f $UNIT ]] || gk_fail "no $UNIT in the build"
SDLOG=$GK_TMP/fakesd.log
: >"$SDLOG"
FD=$GK_TMP/flow
mkdir "$FD"

# sd_wait REGEX COUNT SECS: until COUNT lines of the manager's log match.
sd_wait() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		(($(grep -cE "$1" "$SDLOG") >= $2)) && return 0
		sleep 0.1
	done
	cat "$SDLOG"
	gk_fail "the manager's log has not $2 line(s) of '$1' after $3 s"
}
# flow_step N SECS: the client's echo and UDP question N, the echo given
# SECS to come back.
flow_step() {
	local i
	echo "$2" >"$FD/go.$1"
	for ((i = 0; i < ($2 + 10) * 10; i++)); do
		[[ -e $FD/done.$1 ]] && return 0
		sleep 0.1
	done
	cat "$GK_TMP/flow.out"
	gk_fail "the client did not finish step $1"
}
svc_pid() { awk '$1 == "start" { p = $2 } END { print p }' "$SDLOG"; }
natd_detail() {
	gk_status_json | jq -r --arg f "$1" \
	    '.daemons[] | select(.name == "natd") | .detail[$f]'
}
# kill_restart N: kill -9 the service; its children exit; the manager
# starts it again (its start number N) and all four daemons run.
kill_restart() {
	local pid pids
	pid=$(svc_pid)
	pids=$(gk_status_json | jq -r '.daemons[].pid')
	kill -KILL "$pid"
	# shellcheck disable=SC2086
	gk_children_exit 5 $pids
	sd_wait "^exit $pid " 1 10
	sd_wait "^start " "$1" 10
	sd_wait "^ready " "$1" 20
	gk_wait_running 20 || gk_fail "not all daemons running after restart $1"
	gk_log "gatekeeperd $pid killed -9, restarted as $(svc_pid)"
}

ip netns exec "$GK_NS_ROUTER" "$PY" "$GK_SRC/tests/netns/fakesd.py" \
    "$UNIT" "$GK_TMP/notify.sock" "$SDLOG" -- "$GK_GATEKEEPERD" -d \
    -f "$GK_CONF" -L "$GK_TMP/libexec" -v >>"$GK_LOG" 2>&1 </dev/null &
GK_PID=$!
gk_wait_running 20 || gk_fail "gatekeeperd under the manager did not get its daemons running"
sd_wait "^ready " 1 10
grep -qx "start [0-9]* fds -" "$SDLOG" || gk_fail "the first start was handed descriptors"
for r in gk-nat-state gk-history; do
	grep -qx "store $r" "$SDLOG" || { cat "$SDLOG"; gk_fail "$r was not stored"; }
done
[[ $(natd_detail state) == new ]] || gk_fail "natd's first tables are not new"

gk_must ip -n "$GK_NS_LAN1" addr add 10.42.0.50/24 dev eth0
gk_must ip -n "$GK_NS_LAN1" route add default via 10.42.0.1
gk_bg "$GK_NS_INET" "$PY" "$FLOW" server 203.0.113.1 7000 7001
for ((i = 0; i < 50; i++)); do
	ip netns exec "$GK_NS_INET" ss -ltn | grep -q ':7000 ' && break
	sleep 0.1
done
ip netns exec "$GK_NS_LAN1" "$PY" "$FLOW" client 203.0.113.1 7000 7001 999 \
    "$FD" >"$GK_TMP/flow.out" 2>&1 &
GK_BG_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	[[ -e $FD/ready ]] && break
	sleep 0.1
done
[[ -e $FD/ready ]] || { cat "$GK_TMP/flow.out"; gk_fail "the flows did not start"; }
tcp1=$(awk '$1 == "tcp" { print $2 }' "$GK_TMP/flow.out")
udp1=$(awk '$1 == "udp" && NF == 2 { print $2 }' "$GK_TMP/flow.out")
[[ $tcp1 == 203.0.113.2:* && $udp1 == 203.0.113.2:* ]] ||
	{ cat "$GK_TMP/flow.out"; gk_fail "the flows were not translated"; }
[[ $udp1 != *:999 ]] || gk_fail "UDP kept port 999, under 1024"
grep -qx "tcp-echo 0 ok" "$GK_TMP/flow.out" || gk_fail "no echo before the kill"
gk_log "flows up: TCP from $tcp1, UDP from $udp1"

# ---- kill -9: the regions come back from the store
kill_restart 2
grep -qx "start [0-9]* fds gk-nat-state,gk-history" "$SDLOG" ||
	{ cat "$SDLOG"; gk_fail "the restart was not handed both regions"; }
for r in gk-nat-state gk-history; do
	grep -q "fd store: $r kept from before the restart" "$GK_LOG" ||
		gk_fail "gatekeeperd did not take $r back"
done
[[ $(natd_detail state) == attached ]] ||
	gk_fail "natd did not attach to the kept tables: $(natd_detail state)"
[[ $(natd_detail state_resets) == 0 ]] || gk_fail "natd reset the kept tables"
flow_step 1 20
grep -qx "tcp-echo 1 ok" "$GK_TMP/flow.out" ||
	{ cat "$GK_TMP/flow.out"; gk_fail "the TCP connection did not survive the restart"; }
grep -qx "udp 1 $udp1" "$GK_TMP/flow.out" ||
	{ cat "$GK_TMP/flow.out"; gk_fail "UDP's external port changed (was $udp1)"; }
gk_log "after kill -9 and restart: the TCP connection echoes, UDP still $udp1"

# ---- a region that fails the check is refused, and replaced
echo gk-nat-state >"$SDLOG.tamper"
kill_restart 3
grep -qx "tamper gk-nat-state" "$SDLOG" || gk_fail "the manager did not tamper"
grep -q "fd store: gk-nat-state refused: seals 0x1, expected 0x7" "$GK_LOG" ||
	gk_fail "gatekeeperd did not refuse an unsealed gk-nat-state"
tail -n +"$(grep -n '^tamper' "$SDLOG" | cut -d: -f1)" "$SDLOG" |
    grep -A3 -x "remove gk-nat-state" | grep -qx "store gk-nat-state" ||
	{ cat "$SDLOG"; gk_fail "the refused region was not removed and replaced in the store"; }
(($(grep -c "fd store: gk-history kept from before the restart" "$GK_LOG") == 2)) ||
	gk_fail "gk-history was not kept the second time"
[[ $(natd_detail state) == new ]] || gk_fail "natd attached to a refused region"
flow_step 2 5
grep -qx "tcp-echo 2 failed" "$GK_TMP/flow.out" ||
	{ cat "$GK_TMP/flow.out"; gk_fail "the TCP connection passed new tables"; }
grep -qE "^udp 2 203\.0\.113\.2:" "$GK_TMP/flow.out" ||
	gk_fail "no new UDP mapping on the new tables"
gk_log "an unsealed region refused: new tables, the old connection gone"
: >"$FD/end"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "the manager exited with $GK_EXIT"
grep -qx "stopped" "$SDLOG" || gk_fail "the manager did not see a clean stop"
grep -q "^ignored" "$SDLOG" && gk_fail "a notification came from another process"
gk_log "PASS"
