#!/usr/bin/env bash
# Issue 16: one LAN host tried to bind the whole pool with 150 invented
# chaddrs (tests/dhcpd/dhcpflood: DISCOVER, then REQUEST for each OFFER,
# all from its own MAC). With dhcp-mac-limit (default 8) it gets 8
# leases; the refusals are counted in dhcpd's status; a real client
# (udhcpc) in another namespace still gets a lease, and so does the
# attacker's own interface. Then the same attack with the limit off
# (dhcp-mac-limit 0, by reload) does take the rest of the pool: the
# attack is real and it is the limit that stops it. A relay agent
# (giaddr, unicast from its own MAC) is served through the same frame
# socket, its clients counted against its MAC.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

FLOOD=${1:?usage: maclimit.sh PATH-TO-dhcpflood}

gk_require_root
gk_dhcp_require udhcpc unshare
[[ -x $FLOOD ]] || gk_skip "$FLOOD is not built"
gk_topology_up dhcpmac 3
# 150 addresses: the attack alone would take them all.
sed -i -e 's|^dhcp-range .*|dhcp-range 10.42.0.100 10.42.0.249|' "$GK_CONF"
gk_start

detail() {
	gk_dhcpd_detail
}

# The attack, from client 1: 150 invented chaddrs for 8 s.
out=$(ip netns exec "$GK_NS_LAN1" "$FLOOD" eth0 150 8) ||
	gk_fail "dhcpflood failed: $out"
gk_log "attack with the default limit: $out"
[[ $out == "offers=8 acks=8" ]] ||
	gk_fail "the attacker got '$out', expected 8 offers and 8 leases"
d=$(detail)
refused=$(jq '.silent.mac_limit' <<<"$d")
# 142 refused at once, and again every second that the attack went on.
((refused >= 142)) || gk_fail "refusals not counted: silent.mac_limit $refused"
(($(jq '.mac_limit' <<<"$d") == 8)) || gk_fail "mac_limit not 8: $d"
(($(jq '.frames.read' <<<"$d") >= 150)) || gk_fail "frames not read: $d"
(($(jq '.silent.pool_full' <<<"$d") == 0)) || gk_fail "pool full: $d"
n=$(gk_ctl -j leases | jq '[.leases[] | select(.state == "bound" and
    (.mac | startswith("02:fa:ce")))] | length')
((n == 8)) || gk_fail "$n invented addresses bound, expected 8"
# Logged, but not per request.
logged=$(grep -c "holds 8 leases for other hardware addresses" "$GK_LOG")
((logged >= 1 && logged <= 2)) ||
	gk_fail "refusals logged $logged times (once a minute at most)"

# A real client elsewhere on the LAN, and the attacker's own interface.
gk_udhcpc "$GK_NS_LAN2" c2
gk_udhcpc "$GK_NS_LAN1" c1
gk_dhcp_wait c2 "event=bound " 20
gk_dhcp_wait c1 "event=bound " 20
for c in c1 c2; do
	a=$(gk_dhcp_field "$c" "event=bound " ip)
	gk_dhcp_in_range "$a" || gk_fail "$c got '$a', not an address of the pool"
done
gk_log "real clients bound: c1 $(gk_dhcp_field c1 "event=bound " ip)," \
    "c2 $(gk_dhcp_field c2 "event=bound " ip)"

# A relay agent on client 3 (10.42.0.3): 12 clients behind it, 8 served.
ip -n "$GK_NS_LAN3" addr add 10.42.0.3/24 dev eth0 ||
	gk_fail "cannot address the relay"
out=$(ip netns exec "$GK_NS_LAN3" "$FLOOD" eth0 12 6 2000 10.42.0.3 \
    10.42.0.1) || gk_fail "dhcpflood as a relay failed: $out"
gk_log "relay agent with 12 clients: $out"
[[ $out == "offers=8 acks=8" ]] ||
	gk_fail "the relay got '$out', expected its 8 clients served"
# No frame of the real clients, the attacker or the relay (unicast from
# a UDP socket: its checksum left to offload) was dropped as malformed.
bad=$(detail | jq '[.frames | to_entries[] | select(.key != "read" and
    .key != "kernel_drops") | .value] | add')
((bad == 0)) || gk_fail "frames dropped: $(detail | jq -c .frames)"

# The limit off: the same attack with 150 other chaddrs takes what is
# left of the pool (150 - 8 - 2 - 8), and the next DISCOVER finds it
# full.
sed -i -e '/^dhcp-mac-limit /d' "$GK_CONF"
echo "dhcp-mac-limit 0" >>"$GK_CONF"
kill -HUP "$GK_PID"
for ((i = 0; i < 50; i++)); do
	[[ $(detail | jq '.mac_limit') == 0 ]] && break
	sleep 0.1
done
[[ $(detail | jq '.mac_limit') == 0 ]] || gk_fail "reload did not reach dhcpd"
out=$(ip netns exec "$GK_NS_LAN1" "$FLOOD" eth0 150 8 1000) ||
	gk_fail "dhcpflood failed: $out"
gk_log "attack without a limit: $out"
[[ $out == "offers=132 acks=132" ]] ||
	gk_fail "without the limit the attacker got '$out', expected 132"
(($(detail | jq '.silent.pool_full') > 0)) ||
	gk_fail "the pool is not full without the limit: $(detail)"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
