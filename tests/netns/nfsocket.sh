#!/usr/bin/env bash
# The netfilter socket (docs/security.md): natd keeps CAP_NET_ADMIN and
# holds the queue socket, so it could send nf_tables batches. Replayed
# here with natd's own queue socket, taken from the running natd with
# pidfd_getfd, in a process with natd's uid and CAP_NET_ADMIN alone:
# deleting the suite's table fails (the table is owned by the parent's
# socket) or is undone; a table of its own (plain, or owned by that
# socket) is deleted within a second and natd is restarted. Then root's
# `nft flush ruleset` in the router leaves the queue rules in place (or
# they are repaired within a second). All along a LAN device sends a
# steady UDP stream, and an nft counter on the internet host sees no LAN
# source address, only the WAN address.
set -u
. "$(dirname "$0")/lib.sh"

gk_require_root
command -v setpriv >/dev/null || gk_skip "setpriv is not installed (util-linux)"
getent passwd gk-natd >/dev/null || gk_skip "no user gk-natd"
gk_topology_up nfsocket 1
gk_start
R=$GK_NS_ROUTER
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
cp "$(dirname "$0")/nfattack.py" "$GK_TMP/nfattack.py"
chmod 0755 "$GK_TMP/nfattack.py"

queue_rules() {
	ip netns exec "$R" nft list table ip gatekeeper 2>/dev/null |
	    grep -Eic "nfqueue|queue num"
}
want=$(queue_rules)
((want == 4)) || gk_fail "$want queue rules at start, want 4"
grep -q "table owned by gatekeeperd" "$GK_LOG" ||
	gk_log "note: this kernel has no persistent owner tables; relying on the monitor"

# The internet host counts what reaches it, by source.
ip netns exec "$GK_NS_INET" nft -f - <<'NFT' || gk_fail "cannot set up the counters"
table ip watch {
	chain in {
		type filter hook prerouting priority -500; policy accept;
		iifname "eth0" ip saddr 10.42.0.0/16 counter
		iifname "eth0" ip saddr 203.0.113.2 udp dport 7777 counter
	}
}
NFT
counters() {	# prints "LAN WAN" packet counts
	ip netns exec "$GK_NS_INET" nft list chain ip watch in |
	    awk '/counter packets/ { for (i = 1; i < NF; i++)
		if ($i == "packets") printf "%s ", $(i + 1) } END { print "" }'
}

ip -n "$GK_NS_LAN1" addr add 10.42.0.50/24 dev eth0
ip -n "$GK_NS_LAN1" route add default via 10.42.0.1
gk_bg "$GK_NS_LAN1" "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    try:
        s.sendto(b"x" * 64, ("203.0.113.1", 7777))
    except OSError:
        pass
    time.sleep(0.002)
'
sleep 1
read -r lan wan <<<"$(counters)"
((lan == 0 && wan > 0)) || gk_fail "stream not translated at start: LAN $lan, WAN $wan"

natd_pid() { gk_daemon_field "$(gk_status_json)" natd pid; }
attack() {	# attack ACTION...: natd's socket, natd's uid, CAP_NET_ADMIN only
	local pid
	pid=$(natd_pid)
	ip netns exec "$R" "$PY" "$GK_TMP/nfattack.py" steal "$pid" 4 -- \
	    setpriv --reuid=gk-natd --regid=gk-natd --clear-groups \
	    --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
	    --bounding-set=-all,+net_admin \
	    "$PY" "$GK_TMP/nfattack.py" send 3 "$@" 2>&1 | sed 's/^/  attacker: /'
}
rules_intact() { [[ $(queue_rules) == "$want" ]]; }
no_table() { ! ip netns exec "$R" nft list table ip "$1" >/dev/null 2>&1; }

# 1. natd's socket deletes the suite's table.
pid0=$(natd_pid)
out=$(attack deltable:gatekeeper)
echo "$out"
grep -q "uid $(id -u gk-natd) .* CapEff 0000000000001000 " <<<"$out" ||
	gk_fail "the attacker did not run as gk-natd with CAP_NET_ADMIN alone"
gk_wait_for 1 rules_intact || gk_fail "the queue rules are gone after natd's delete"
sleep 0.3
rules_intact || gk_fail "the queue rules went after natd's delete"

# 2. natd's socket creates tables of its own.
attack newtable:natd_own ownedtable:natd_owned
gk_now_ms t0
gk_wait_for 1 no_table natd_own || gk_fail "natd's table natd_own still there after 1 s"
gk_wait_for 1 no_table natd_owned || gk_fail "natd's owned table natd_owned still there after 1 s"
gk_now_ms t1
gk_log "natd's tables gone within $((t1 - t0)) ms"
grep -q "natd's socket changed the ruleset" "$GK_LOG" ||
	gk_fail "gatekeeperd did not notice natd's change"
gk_wait_running 10 || gk_fail "natd not running again"
pid1=$(natd_pid)
[[ -n $pid1 && $pid1 != "$pid0" ]] || gk_fail "natd not restarted (pid $pid0, now $pid1)"
rules_intact || gk_fail "the queue rules changed"

# 3. Another firewall tool flushes everything.
ip netns exec "$R" nft flush ruleset
gk_wait_for 1 rules_intact || gk_fail "the queue rules are gone 1 s after nft flush ruleset"
sleep 1
read -r lan wan2 <<<"$(counters)"
((lan == 0)) || gk_fail "$lan packets with a LAN source reached the internet"
((wan2 > wan)) || gk_fail "the stream stopped getting through ($wan, then $wan2)"
gk_log "internet side: $lan packets from a LAN address, $wan2 from the WAN address"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"

# 4. As on a kernel without persist (before 6.9): the table is not owned,
# so deletes succeed and only the monitor repairs them. Between the
# kernel's commit and the repair the LAN is forwarded without the queue:
# the datagrams that leave with a LAN source then are counted and shown,
# not failed on (docs/security.md says so).
GK_TEST_NO_PERSIST=1 gk_start
grep -q "no persistent owner tables" "$GK_LOG" || gk_fail "GK_TEST_NO_PERSIST not honoured"
pid0=$(natd_pid)
attack deltable:gatekeeper
gk_wait_for 1 rules_intact || gk_fail "unowned: natd's delete not repaired within 1 s"
gk_wait_running 10 || gk_fail "unowned: natd not running again"
[[ $(natd_pid) != "$pid0" ]] || gk_fail "unowned: natd not restarted after its delete"
ip netns exec "$R" nft flush ruleset
gk_wait_for 1 rules_intact || gk_fail "unowned: nft flush ruleset not repaired within 1 s"
sleep 0.5
read -r lan2 wan3 <<<"$(counters)"
((wan3 > wan2)) || gk_fail "unowned: the stream stopped getting through"
gk_log "unowned table: repaired; $((lan2 - lan)) datagrams left with a LAN source in the windows"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
