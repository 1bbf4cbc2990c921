#!/bin/bash
# The dashboard in a real browser: Debian's chromium, driven by
# playwright-core (npm, pinned in package-lock.json), against the real
# suite in the netns topology, with real DHCP clients (ISC dhclient,
# busybox udhcpc) making traffic through the router to a DNS server
# (unbound) and a traffic sink on the internet side. dashboard.js does what a household
# admin does and asserts what they would see; screenshots of each page
# (light, dark, 360 px) and the axe-core report land in
# $GK_BUILD/browser-artifacts/.
set -euo pipefail
. "$(dirname "$0")/../netns/lib.sh"
. "$GK_SRC/tests/dhcpd/lib.sh"
. "$GK_SRC/tests/dnsd/dnslib.sh"

gk_require_root
for t in chromium node npm dhclient udhcpc unbound dig capinfos jq; do
	command -v "$t" >/dev/null ||
		gk_skip "$t is not installed (scripts/packages/browser.txt)"
done
[[ -d /usr/share/ieee-data ]] ||
	gk_skip "ieee-data is not installed (scripts/packages/browser.txt)"

# playwright-core and axe-core from the committed lock file, installed
# once into the build dir (npm's cache makes later runs offline).
NODE_DIR=$GK_BUILD/browser-node
if ! cmp -s "$GK_SRC/tests/browser/package-lock.json" \
    "$NODE_DIR/package-lock.json" 2>/dev/null ||
    [[ ! -d $NODE_DIR/node_modules/playwright-core ]]; then
	mkdir -p "$NODE_DIR"
	cp "$GK_SRC/tests/browser/package.json" \
	    "$GK_SRC/tests/browser/package-lock.json" "$NODE_DIR/"
	(cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund \
	    >npm.log 2>&1) || {
		tail -n 5 "$NODE_DIR/npm.log"
		rm -f "$NODE_DIR/package-lock.json"
		gk_skip "npm ci could not install playwright-core (no registry?)"
	}
fi
ART=$GK_BUILD/browser-artifacts
rm -rf "$ART"
mkdir -p "$ART"

gk_topology_up dashboard 3
C1=$GK_NS_LAN1 C2=$GK_NS_LAN2 C3=$GK_NS_LAN3 I=$GK_NS_INET
# Client 1 keeps its locally administered MAC (a phone's private
# address); 2 and 3 get MACs of real vendors' OUIs.
MAC2=b8:27:eb:12:34:56	# Raspberry Pi Foundation
MAC3=00:1b:63:ab:cd:ef	# Apple
gk_must ip -n "$C2" link set eth0 address "$MAC2"
gk_must ip -n "$C3" link set eth0 address "$MAC3"
dns_upstream_start
dns_config
gk_start

# Sinks on the internet side: host.example.test and *.rand.example.test.
gk_must ip -n "$I" addr add 203.0.113.80/32 dev lo
gk_must ip -n "$I" addr add 203.0.113.90/32 dev lo
TRAFFIC=$GK_SRC/tests/browser/traffic.py PY=/usr/bin/python3
gk_bg "$I" "$PY" "$TRAFFIC" sink 203.0.113.80
gk_bg "$I" "$PY" "$TRAFFIC" sink 203.0.113.90

# Real DHCP clients; their script sets the address, the route is ours.
# Client 1 is ISC dhclient, which sends any host name string (udhcpc's
# -x cuts it at the first space).
XSS='<img src=x onerror=alert(1)>'
printf 'send host-name "%s";\n' "$XSS" >"$GK_TMP/c1.conf"
gk_dhclient "$C1" c1 -cf "$GK_TMP/c1.conf" || {
	cat "$GK_TMP/c1.log"
	gk_fail "dhclient got no lease"
}
gk_udhcpc "$C2" c2 -x hostname:livingroom-pi
gk_udhcpc "$C3" c3
for i in 1 2 3; do
	ev="event=bound "
	((i == 1)) && ev="event=(BOUND|REBOOT) "
	gk_dhcp_wait "c$i" "$ev"
	ip=$(gk_dhcp_field "c$i" "$ev" ip)
	ns=${GK_NS_LANS[$((i - 1))]}
	gk_must ip -n "$ns" route add default via 10.42.0.1
	declare "IP$i=$ip"
done
gk_log "leases: $IP1 $IP2 $IP3"

# Client 1 resolves its stream's server by name, and a name made of
# HTML; then streams. Client 2 chatters. Client 3 is idle until the
# browser starts its upload.
ip netns exec "$C1" dig @10.42.0.1 +short +time=3 host.example.test A |
    grep -qx 203.0.113.80 || gk_fail "client 1 cannot resolve host.example.test"
ip netns exec "$C1" dig @10.42.0.1 +short +time=3 \
    '\<img\032src=x\032onerror=alert\(1\)\>.rand.example.test' A |
    grep -qx 203.0.113.90 || gk_fail "client 1 cannot resolve the HTML name"
gk_bg "$C1" "$PY" "$TRAFFIC" stream 203.0.113.80
gk_bg "$C1" "$PY" "$TRAFFIC" chatter 203.0.113.90
gk_bg "$C2" "$PY" "$TRAFFIC" chatter 203.0.113.80

PASSWORD='browser test password'
echo "$PASSWORD" | gk_ctl passwd >/dev/null
sleep 2	# some history and names before the first look

export GK_GKCTL GK_SOCK GK_NS_ROUTER C3 PY TRAFFIC ART PASSWORD XSS \
    MAC2 MAC3 IP1 IP2 IP3 NODE_PATH=$NODE_DIR/node_modules
export GK_MAC1=$GK_MAC_LAN1
ip netns exec "$C2" node "$GK_SRC/tests/browser/dashboard.js" \
    http://10.42.0.1 || gk_fail "dashboard.js failed (artifacts in $ART)"
gk_log "screenshots and the axe report: $ART"
gk_stop
gk_log ok
