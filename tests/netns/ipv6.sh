#!/bin/bash
# IPv6 off (issue 16 item 6): until the suite does IPv6, the router's WAN
# and LAN interfaces have no IPv6 address (so none of its sockets can be
# reached over IPv6: nobody answers from it on the link, on either side)
# and it forwards no IPv6; a clean stop gives the interfaces their
# setting back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up ipv6 2
R=$GK_NS_ROUTER
C1=$GK_NS_LAN1
INET=$GK_NS_INET

# Before: the test's own namespaces do IPv6 (the router's wan0 has its
# link-local address).
v6_before=$(ip netns exec "$R" sysctl -n net.ipv6.conf.wan0.disable_ipv6)
gk_start

for k in net.ipv6.conf.wan0.disable_ipv6 net.ipv6.conf.gkbr0.disable_ipv6; do
	v=$(ip netns exec "$R" sysctl -n "$k")
	[[ $v == 1 ]] || gk_fail "$k is $v, want 1"
done
v=$(ip netns exec "$R" sysctl -n net.ipv6.conf.all.forwarding)
[[ $v == 0 ]] || gk_fail "IPv6 forwarding is $v"
addrs=$(ip -n "$R" -6 -o addr show dev wan0; ip -n "$R" -6 -o addr show dev gkbr0)
[[ -z $addrs ]] || gk_fail "the router has IPv6 addresses: $addrs"
gk_log "wan0 and gkbr0: disable_ipv6 1, no address; forwarding 0"

# No socket of the suite listens on IPv6 (nor could be reached).
pids=$(gk_status_json | jq -r '.daemons[].pid')
ss6=$(ip netns exec "$R" ss -H -l -n -p -6 2>/dev/null || true)
for p in $GK_PID $pids; do
	grep -q "pid=$p," <<<"$ss6" && gk_fail "pid $p listens on IPv6: $ss6"
done
gk_log "no IPv6 listener: ${ss6:-none at all}"

# Who answers IPv6 on each link: the devices, never the router.
llwait() {	# llwait NS: the link-local address of eth0 once DAD is done
	local a i
	for i in $(seq 50); do
		a=$(ip -n "$1" -6 -o addr show dev eth0 scope link |
		    grep -v tentative | awk '{ print $4 }' | cut -d/ -f1)
		[[ -n $a ]] && { echo "$a"; return; }
		sleep 0.1
	done
	gk_fail "no link-local address in $1"
}
answers() {	# answers NS: the addresses that answer a ping of all nodes
	ip netns exec "$1" ping -6 -n -c 3 -i 0.3 -w 3 ff02::1%eth0 2>/dev/null |
	    sed -n 's/.* from \([0-9a-f:]*\)%*[a-z0-9]*: .*/\1/p' | sort -u
}
c1=$(llwait "$C1")
c2=$(llwait "$GK_NS_LAN2")
lan=$(answers "$C1")
gk_log "on the LAN, ff02::1 answered by: $(echo $lan)"
grep -qx "$c2" <<<"$lan" || gk_fail "the other LAN device did not answer: $lan"
[[ -z $(grep -vx -e "$c1" -e "$c2" <<<"$lan") ]] ||
	gk_fail "someone else answers IPv6 on the LAN: $lan"
inet=$(llwait "$INET")
wan=$(answers "$INET")
gk_log "on the WAN, ff02::1 answered by: $(echo $wan)"
[[ -z $(grep -vx -e "$inet" <<<"$wan") ]] ||
	gk_fail "the router answers IPv6 on the WAN: $wan"

gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
v=$(ip netns exec "$R" sysctl -n net.ipv6.conf.wan0.disable_ipv6)
[[ $v == "$v6_before" ]] || gk_fail "wan0's disable_ipv6 is $v after the stop, was $v6_before"
gk_log "ok"
