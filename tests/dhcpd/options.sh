#!/usr/bin/env bash
# The configuration statements of DHCP options reach a real client:
# dhcp-mtu (26), dhcp-ntp (42), dhcp-route (121, with the default route
# through the router added, as clients taking 121 ignore option 3), and
# dhcp-conflict-check off (no ARP probe at all: the first address is
# offered at once).
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_dhcp_require udhcpc unshare
gk_topology_up dhcpopts 1
cat >>"$GK_CONF" <<EOC
dhcp-mtu 1400
dhcp-ntp 10.42.0.1 192.0.2.123
dhcp-route 192.168.50.0/24 10.42.0.2
dhcp-conflict-check off
EOC
gk_start
gk_udhcpc "$GK_NS_LAN1" c1 -O mtu -O ntpsrv -O staticroutes
gk_dhcp_wait c1 "event=bound "
gk_dhcp_check_options c1 "event=bound "
v=$(gk_dhcp_field c1 "event=bound " ip)
[[ $v == 10.42.0.100 ]] || gk_fail "client got $v, expected 10.42.0.100"
v=$(gk_dhcp_field c1 "event=bound " mtu)
[[ $v == 1400 ]] || gk_fail "MTU '$v', not 1400"
v=$(gk_dhcp_field c1 "event=bound " ntp)
[[ $v == 10.42.0.1,192.0.2.123 ]] || gk_fail "NTP servers '$v'"
v=$(gk_dhcp_field c1 "event=bound " routes)
[[ $v == 192.168.50.0/24,10.42.0.2,0.0.0.0/0,10.42.0.1 ]] ||
	gk_fail "classless routes '$v'"
detail=$(gk_dhcpd_detail)
(($(jq '.conflicts.probes + .conflicts.probes_ahead' <<<"$detail") == 0)) ||
	gk_fail "ARP probes sent with dhcp-conflict-check off: $detail"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
