#!/usr/bin/env bash
# Real DHCP clients against dhcpd: ISC dhclient, busybox udhcpc and dhcpcd
# each get an address in the range with the right router, DNS server and
# domain, renew and release; a reserved MAC gets its reserved address; an
# INIT-REBOOT for an address of another network is NAKed and the client
# then gets one of ours.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_dhcp_require dhclient udhcpc dhcpcd unshare
gk_topology_up dhcpclients 4
# Lease 60 s (the least the config takes): dhclient renews by itself at
# T1 = 30 s; udhcpc and dhcpcd are told to renew at once.
cat >>"$GK_CONF" <<EOC
lease-time 60s
static-lease $GK_MAC_LAN3 10.42.0.23 reservedbox
EOC
gk_start

# 1: dhclient, 2: udhcpc with a hostname, 3: dhcpcd (reserved MAC)
gk_dhclient "$GK_NS_LAN1" c1 || {
	cat "$GK_TMP/c1.log"
	gk_fail "dhclient got no lease"
}
gk_udhcpc "$GK_NS_LAN2" c2 -x hostname:Kitchen_Tablet
c2pid=$GK_BG_PID
gk_dhcpcd "$GK_NS_LAN3" c3
c3pid=$GK_BG_PID

gk_dhcp_wait c1 "event=(BOUND|REBOOT) "
gk_dhcp_wait c2 "event=bound "
gk_dhcp_wait c3 "event=(BOUND|REBOOT) " 25

a1=$(gk_dhcp_field c1 "event=(BOUND|REBOOT) " ip)
a2=$(gk_dhcp_field c2 "event=bound " ip)
a3=$(gk_dhcp_field c3 "event=(BOUND|REBOOT) " ip)
gk_log "dhclient $a1, udhcpc $a2, dhcpcd $a3"
gk_dhcp_in_range "$a1" || gk_fail "dhclient got $a1, outside the range"
gk_dhcp_in_range "$a2" || gk_fail "udhcpc got $a2, outside the range"
[[ $a1 != "$a2" ]] || gk_fail "two clients got $a1"
[[ $a3 == 10.42.0.23 ]] || gk_fail "the reserved MAC got $a3, not 10.42.0.23"
gk_dhcp_check_options c1 "event=(BOUND|REBOOT) "
gk_dhcp_check_options c2 "event=bound "
gk_dhcp_check_options c3 "event=(BOUND|REBOOT) "
[[ $(gk_dhcp_field c1 "event=(BOUND|REBOOT) " lease) == 60 ]] ||
	gk_fail "dhclient's lease time is not 60"
# The address really works: each client reaches the router.
ip netns exec "$GK_NS_LAN1" ping -c1 -W2 10.42.0.1 >/dev/null ||
	gk_fail "client 1 cannot reach the router from $a1"
ip netns exec "$GK_NS_LAN3" ping -c1 -W2 10.42.0.1 >/dev/null ||
	gk_fail "client 3 cannot reach the router from $a3"

# gkctl leases shows them, with the cleaned hostname and the reservation.
leases=$(gk_ctl -j leases) || gk_fail "gkctl leases failed"
jq -e --arg ip "$a2" --arg mac "$GK_MAC_LAN2" '.leases[] |
    select(.ip == $ip and .mac == $mac and .state == "bound" and
    .hostname == "kitchen-tablet" and .static == false)' <<<"$leases" \
    >/dev/null || gk_fail "udhcpc's lease missing or wrong: $leases"
jq -e --arg mac "$GK_MAC_LAN3" '.leases[] | select(.ip == "10.42.0.23"
    and .mac == $mac and .static == true and .hostname == "reservedbox")' \
    <<<"$leases" >/dev/null || gk_fail "reserved lease wrong: $leases"
# gkctl clients merges dhcpd's part with natd's; while natd's part fails
# (natd is being built), dhcpd's cannot be seen through it.
if clients=$(gk_ctl -j clients 2>&1); then
	jq -e --arg ip "$a1" --arg mac "$GK_MAC_LAN1" '.clients[] | select(
	    .ip == $ip and .mac == $mac and .first_seen > 0 and .last_seen >=
	    .first_seen and .lease_expires > .last_seen)' <<<"$clients" \
	    >/dev/null || gk_fail "gkctl clients lacks dhclient's device: $clients"
elif [[ $clients == *"reply too large"* || $clients == *natd* ]]; then
	gk_log "WARNING: gkctl clients fails on natd's side ($clients)"
else
	gk_fail "gkctl clients failed: $clients"
fi

# Renew: udhcpc on SIGUSR1, dhcpcd on -N, dhclient by itself at T1.
kill -USR1 "$c2pid"
gk_dhcp_wait c2 "event=renew ip=$a2 "
kill -USR1 "$c3pid"
gk_dhcp_wait c3 "event=RENEW ip=10.42.0.23 " 10
gk_dhcp_wait c1 "event=RENEW ip=$a1 " 40
gk_dhcp_check_options c1 "event=RENEW "

# INIT-REBOOT with an address of another network: NAK, then a new lease.
cat >"$GK_TMP/c4.leases" <<EOC
lease {
  interface "eth0";
  fixed-address 192.168.99.50;
  option subnet-mask 255.255.255.0;
  option routers 192.168.99.1;
  option dhcp-server-identifier 192.168.99.1;
  option dhcp-lease-time 86400;
  renew 4 2037/12/31 00:00:00;
  rebind 4 2037/12/31 00:00:00;
  expire 4 2037/12/31 00:00:00;
}
EOC
naks=$(gk_dhcpd_detail | jq .sent.naks)
gk_dhclient "$GK_NS_LAN4" c4 || gk_fail "dhclient (INIT-REBOOT) got no lease"
a4=$(gk_dhcp_field c4 "event=BOUND " ip)
grep -q "DHCPNAK" "$GK_TMP/c4.log" ||
	gk_fail "no NAK for 192.168.99.50: $(cat "$GK_TMP/c4.log")"
(($(gk_dhcpd_detail | jq .sent.naks) > naks)) || gk_fail "NAK not counted"
gk_dhcp_in_range "$a4" || gk_fail "after the NAK, dhclient got '$a4'"

# Release: each client, then the leases say so.
gk_dhclient_release "$GK_NS_LAN1" c1
kill -USR2 "$c2pid"
gk_dhcp_wait c2 "event=deconfig"
kill -ALRM "$c3pid"
for ((i = 0; i < 50; i++)); do
	leases=$(gk_ctl -j leases)
	n=$(jq --arg a "$a1" --arg b "$a2" '[.leases[] | select((.ip == $a or
	    .ip == $b or .ip == "10.42.0.23") and .state == "released")] |
	    length' <<<"$leases")
	((n == 3)) && break
	sleep 0.2
done
((n == 3)) || { cat "$GK_TMP/c3.log" "$GK_TMP/c3.out"; gk_fail "not all three leases released: $leases"; }
detail=$(gk_dhcpd_detail)
(($(jq .received.RELEASE <<<"$detail") >= 3)) || gk_fail "releases: $detail"
# Nothing malformed was seen.
jq -e '[.dropped[]] | add == 0' <<<"$detail" >/dev/null ||
	gk_fail "dhcpd dropped real clients' messages: $detail"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
