#!/usr/bin/env bash
# The conflict check: a host that uses the first address of the range
# without a lease answers dhcpd's ARP probe, so that address is not
# offered (and is logged); the DHCP client gets the next one. A host that
# starts using an address after dhcpd checked it (probed ahead of demand)
# is caught by its own ARP traffic, and that address is set aside too.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_dhcp_require udhcpc unshare
gk_topology_up dhcpprobe 2

# Client 2 squats on 10.42.0.100 with a static address, before dhcpd
# starts (and probes the first addresses of the range ahead of demand).
ip -n "$GK_NS_LAN2" addr add 10.42.0.100/24 dev eth0 ||
	gk_fail "cannot configure the squatter"
gk_start
gk_udhcpc "$GK_NS_LAN1" c1
gk_dhcp_wait c1 "event=bound "
a=$(gk_dhcp_field c1 "event=bound " ip)
[[ $a == 10.42.0.101 ]] || gk_fail "client got $a, expected 10.42.0.101"
detail=$(gk_dhcpd_detail)
(($(jq .conflicts.conflicts <<<"$detail") == 1)) ||
	gk_fail "conflict not counted: $detail"
(($(jq .conflicts.probes_ahead <<<"$detail") >= 32)) ||
	gk_fail "no probes ahead of demand: $detail"
grep -q "address 10.42.0.100 is in use by a host without a lease" "$GK_LOG" ||
	gk_fail "conflict not logged"
gk_ctl -j leases | jq -e '.leases[] | select(.ip == "10.42.0.100" and
    .state == "declined")' >/dev/null || gk_fail "10.42.0.100 not set aside"

# Now it also takes 10.42.0.120, checked free a moment ago, and talks
# (its ARP request for the router carries 10.42.0.120 as the sender).
ip -n "$GK_NS_LAN2" addr add 10.42.0.120/24 dev eth0 ||
	gk_fail "cannot configure the second squat"
ip netns exec "$GK_NS_LAN2" ping -c 1 -W 2 -I 10.42.0.120 10.42.0.1 \
    >/dev/null 2>&1
for ((i = 0; i < 20; i++)); do
	grep -q "address 10.42.0.120 is in use" "$GK_LOG" && break
	sleep 0.1
done
grep -q "address 10.42.0.120 is in use by a host without a lease" \
    "$GK_LOG" || gk_fail "the squat on 10.42.0.120 went unnoticed"
gk_ctl -j leases | jq -e '.leases[] | select(.ip == "10.42.0.120" and
    .state == "declined")' >/dev/null || gk_fail "10.42.0.120 not set aside"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
