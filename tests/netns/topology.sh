#!/bin/bash
# The harness itself: the topology comes up as lib.sh promises, packets
# cross the veths, and the router's LAN ports are left for gatekeeperd.
# Needs root, not the suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up topology

for v in GK_NS_ROUTER GK_NS_INET GK_NS_LAN1 GK_NS_LAN2 GK_NS_LAN3 GK_TMP GK_CONF; do
	[[ -n ${!v:-} ]] || gk_fail "\$$v is not set"
done
for d in state run libexec; do
	[[ -d $GK_TMP/$d ]] || gk_fail "$GK_TMP/$d missing"
done
for d in "${GK_DAEMONS[@]}"; do
	[[ -L $GK_TMP/libexec/$d ]] || gk_fail "$GK_TMP/libexec/$d is not a symlink"
done
grep -qx 'lan lan1 lan2 lan3' "$GK_CONF" || gk_fail "config lacks 'lan lan1 lan2 lan3'"
for ns in "$GK_NS_ROUTER" "$GK_NS_INET" "${GK_NS_LANS[@]}"; do
	grep -qw "$ns" <<<"$(ip netns list)" || gk_fail "namespace $ns missing"
	grep -q 'UP' <<<"$(ip -n "$ns" -o link show lo)" || gk_fail "lo down in $ns"
done

# WAN: router <-> internet, both addresses of the internet namespace.
ip netns exec "$GK_NS_ROUTER" ping -c1 -W2 203.0.113.1 >/dev/null ||
	gk_fail "router cannot ping 203.0.113.1"
ip netns exec "$GK_NS_ROUTER" ping -c1 -W2 198.51.100.1 >/dev/null ||
	gk_fail "router cannot ping 198.51.100.1 (default route)"
[[ $(ip netns exec "$GK_NS_ROUTER" sysctl -n net.ipv4.ip_forward) == 0 ]] ||
	gk_fail "router starts with ip_forward != 0"

# LAN: each port has no address and is down; the client side has the MAC
# promised. Link-local traffic across the veth once the port is up.
for ((i = 1; i <= 3; i++)); do
	ns=GK_NS_LAN$i mac=GK_MAC_LAN$i
	ns=${!ns} mac=${!mac}
	out=$(ip -n "$GK_NS_ROUTER" -o -4 addr show dev "lan$i")
	[[ -z $out ]] || gk_fail "lan$i has an address: $out"
	grep -q 'state DOWN' <<<"$(ip -n "$GK_NS_ROUTER" -o link show "lan$i")" ||
		gk_fail "lan$i is not down"
	grep -q "link/ether $mac" <<<"$(ip -n "$ns" -o link show eth0)" ||
		gk_fail "client $i eth0 lacks MAC $mac"
	ip -n "$GK_NS_ROUTER" addr add "192.0.2.$((10 + i))/32" dev "lan$i"
	ip -n "$GK_NS_ROUTER" link set "lan$i" up
	ip -n "$GK_NS_ROUTER" route add 192.0.2.$((100 + i))/32 dev "lan$i"
	ip -n "$ns" addr add "192.0.2.$((100 + i))/32" dev eth0
	ip -n "$ns" route add 192.0.2.$((10 + i))/32 dev eth0
	ip netns exec "$ns" ping -c1 -W2 "192.0.2.$((10 + i))" >/dev/null ||
		gk_fail "client $i cannot ping the router across lan$i"
done

# A snapshot has every section and is stable when nothing changes.
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/a"
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/b"
for s in 'nft list ruleset' 'ip -o link' 'ip -o addr' 'ip route' \
    'ip -o -4 rule' sysctl; do
	grep -qxF "## $s" "$GK_TMP/a" || gk_fail "snapshot lacks '$s'"
done
grep -q 'net.ipv4.ip_forward = 0' "$GK_TMP/a" || gk_fail "snapshot lacks ip_forward"
diff -u "$GK_TMP/a" "$GK_TMP/b" || gk_fail "two snapshots in a row differ"

# Up then down again: the snapshot does not see kernel bookkeeping.
ip -n "$GK_NS_ROUTER" addr flush dev lan1
ip -n "$GK_NS_ROUTER" link set lan1 down
ip -n "$GK_NS_ROUTER" link set lan1 up
ip -n "$GK_NS_ROUTER" link set lan1 down
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/c"
ip -n "$GK_NS_ROUTER" link set lan1 up
ip -n "$GK_NS_ROUTER" link set lan1 down
gk_snapshot "$GK_NS_ROUTER" "$GK_TMP/d"
diff -u "$GK_TMP/c" "$GK_TMP/d" || gk_fail "an up/down cycle shows in the snapshot"

gk_log "ok: router $GK_NS_ROUTER, internet $GK_NS_INET, clients ${GK_NS_LANS[*]}"
exit 0
