#!/usr/bin/env bash
# Fail closed: while natd translates nothing, nothing from the LAN reaches
# the internet (neither UDP nor ping), and natd counts what it dropped;
# yet the router's own sockets still get their replies from the WAN (they
# arrive through the queue too, on ports of the local port range).
set -u
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up failclosed 1
gk_start

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)

# A UDP echo server on the internet host, and a capture of what reaches it.
gk_bg "$GK_NS_INET" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7777))
while True:
    d, a = s.recvfrom(2048)
    open("'"$GK_TMP"'/seen", "a").write(a[0] + "\n")
    s.sendto(d, a)
'
sleep 0.3

udp_ask() {	# udp_ask NS: prints "reply" if the echo came back within 1 s
	ip netns exec "$1" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"hello", ("203.0.113.1", 7777))
try:
    s.recvfrom(2048); print("reply")
except OSError:
    print("none")
'
}

# The router's own socket: out through the WAN, reply back through natd.
[[ $(udp_ask "$GK_NS_ROUTER") == reply ]] ||
	gk_fail "the router's own UDP socket got no reply through the queue"

# A LAN device with an address: nothing gets out, not even untranslated.
ip -n "$GK_NS_LAN1" addr add 10.42.0.50/24 dev eth0
ip -n "$GK_NS_LAN1" route add default via 10.42.0.1
[[ $(udp_ask "$GK_NS_LAN1") == none ]] || gk_fail "LAN UDP got through"
ip netns exec "$GK_NS_LAN1" ping -c 2 -W 1 -q 203.0.113.1 >/dev/null 2>&1 &&
	gk_fail "LAN ping got through"
grep -q '^10\.42\.' "$GK_TMP/seen" 2>/dev/null &&
	gk_fail "the internet host saw a LAN address"

json=$(gk_status_json)
dropped=$(jq -r '.daemons[] | select(.name == "natd") | .detail.packets_dropped' <<<"$json")
((dropped >= 3)) || gk_fail "natd counted $dropped dropped packets, expected >= 3"
gk_log "natd dropped $dropped packets, the router's own reply passed"

gk_stop
gk_log "PASS"
