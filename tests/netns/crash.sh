#!/usr/bin/env bash
# gatekeeperd killed with SIGKILL: its children notice and exit (they hold
# privileged sockets nobody supervises), the queue rules stay (so the LAN
# still cannot leak untranslated: a LAN client's pings and UDP reach the
# internet side neither translated nor untranslated), and the next start
# undoes what the dead one left, runs normally with the leases it had
# (gkctl leases shows the client's before it asks again; the client
# reaches the internet again), and a clean stop then leaves the router
# namespace exactly as it was before the first start.
set -u
. "$(dirname "$0")/lib.sh"
. "$GK_SRC/tests/dhcpd/lib.sh"

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)

gk_require_root
gk_dhcp_require udhcpc
gk_topology_up crash 2
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/before"
gk_start

# Client 1 leased by udhcpc, its default route through the router.
gk_udhcpc "$GK_NS_LAN1" c1
gk_dhcp_wait c1 "event=bound "
c1ip=$(gk_dhcp_field c1 "event=bound " ip)
gk_must ip -n "$GK_NS_LAN1" route add default via 10.42.0.1
ip netns exec "$GK_NS_LAN1" ping -c1 -W2 203.0.113.1 >/dev/null ||
	gk_fail "client 1 ($c1ip) cannot reach the internet side before the crash"

# wan_sniff SECS OUT: every IPv4 source seen on the internet side's eth0.
wan_sniff() {
	ip netns exec "$GK_NS_INET" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
s.settimeout(0.2)
end = time.time() + float(sys.argv[1])
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        if len(f) >= 34 and f[12:14] == b"\x08\x00":
            out.write(socket.inet_ntoa(f[26:30]) + "\n")
' "$1" "$2"
}

queue_rules() {
	ip netns exec "$GK_NS_ROUTER" nft list ruleset | grep -Eic "nfqueue|queue num"
}
first=$(queue_rules)
gk_crash
[[ -f $GK_TMP/run/gatekeeperd.state ]] || gk_fail "no journal left behind"
ip netns exec "$GK_NS_ROUTER" nft list ruleset | grep -Eiq "nfqueue|queue num" ||
	gk_fail "queue rules gone with the parent: the LAN would not fail closed"

# With nobody translating, nothing from the LAN reaches the WAN.
wan_sniff 3 "$GK_TMP/wan.seen" &
sniffer=$!
sleep 0.5
ip netns exec "$GK_NS_LAN1" ping -c4 -i0.3 -W1 203.0.113.1 >/dev/null 2>&1 &&
	gk_fail "client 1 reached the internet side with gatekeeperd dead"
for ((i = 0; i < 5; i++)); do
	echo leak | ip netns exec "$GK_NS_LAN1" "$PY" -c '
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"leak", ("203.0.113.1", 9))'
done
wait "$sniffer"
if grep -vxE '203\.0\.113\.1' "$GK_TMP/wan.seen" | grep -q .; then
	sort "$GK_TMP/wan.seen" | uniq -c
	gk_fail "packets left on the WAN while gatekeeperd was dead"
fi
gk_log "gatekeeperd dead: nothing from the LAN reached the WAN"

gk_start
grep -q "did not stop cleanly: undoing its changes" "$GK_LOG" ||
	gk_fail "the second start did not recover from the journal"
gk_all_running "$(gk_status_json)" || gk_fail "not all daemons running after recovery"
# The lease came back from leases.db (the client has not asked again).
gk_ctl -j leases | jq -e --arg ip "$c1ip" --arg mac "$GK_MAC_LAN1" \
    '.leases[] | select(.ip == $ip and .mac == $mac and .state == "bound")' \
    >/dev/null || gk_fail "client 1's lease of $c1ip is gone after the restart: $(gk_ctl -j leases)"
ip netns exec "$GK_NS_LAN1" ping -c1 -W2 203.0.113.1 >/dev/null ||
	gk_fail "client 1 cannot reach the internet side after the restart"
gk_log "after the restart: the lease of $c1ip kept, NAT serving again"
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
