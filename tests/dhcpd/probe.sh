#!/usr/bin/env bash
# The conflict check: a host that uses the first address of the range
# without a lease answers dhcpd's ARP probe, so that address is not
# offered (and is logged); the DHCP client gets the next one.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_dhcp_require udhcpc unshare
gk_topology_up dhcpprobe 2
gk_start

# Client 2 squats on 10.42.0.100 with a static address.
ip -n "$GK_NS_LAN2" addr add 10.42.0.100/24 dev eth0 ||
	gk_fail "cannot configure the squatter"
gk_udhcpc "$GK_NS_LAN1" c1
gk_dhcp_wait c1 "event=bound "
a=$(gk_dhcp_field c1 "event=bound " ip)
[[ $a == 10.42.0.101 ]] || gk_fail "client got $a, expected 10.42.0.101"
detail=$(gk_dhcpd_detail)
(($(jq .conflicts.conflicts <<<"$detail") == 1)) ||
	gk_fail "conflict not counted: $detail"
grep -q "address 10.42.0.100 is in use by a host without a lease" "$GK_LOG" ||
	gk_fail "conflict not logged"
gk_ctl -j leases | jq -e '.leases[] | select(.ip == "10.42.0.100" and
    .state == "declined")' >/dev/null || gk_fail "10.42.0.100 not set aside"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
