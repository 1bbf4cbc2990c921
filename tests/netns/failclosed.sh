#!/usr/bin/env bash
# Fail closed: while natd is not serving the queue (here: stopped with
# SIGSTOP), nothing from the LAN reaches the internet, neither UDP nor
# ping, and the internet host never sees a LAN address; the queue rules
# have no bypass. The router's own sockets get their replies through natd
# (local port range). Once natd runs again, the LAN gets out translated.
set -u
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up failclosed 1
gk_start

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)

# A UDP echo server on the internet host, noting every source it sees.
gk_bg "$GK_NS_INET" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7777))
while True:
    d, a = s.recvfrom(2048)
    with open("'"$GK_TMP"'/seen", "a") as f:
        f.write(a[0] + "\n")
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

ip -n "$GK_NS_LAN1" addr add 10.42.0.50/24 dev eth0
ip -n "$GK_NS_LAN1" route add default via 10.42.0.1

natd=$(gk_daemon_field "$(gk_status_json)" natd pid)
kill -STOP "$natd"
[[ $(udp_ask "$GK_NS_LAN1") == none ]] ||
	{ kill -CONT "$natd"; gk_fail "LAN UDP got through without natd"; }
if ip netns exec "$GK_NS_LAN1" ping -c 2 -W 1 -q 203.0.113.1 >/dev/null 2>&1; then
	kill -CONT "$natd"
	gk_fail "LAN ping got through without natd"
fi
if grep -q '^10\.42\.' "$GK_TMP/seen" 2>/dev/null; then
	kill -CONT "$natd"
	gk_fail "the internet host saw a LAN address"
fi
kill -CONT "$natd"

# natd back: the same device gets out, seen only as the WAN address.
[[ $(udp_ask "$GK_NS_LAN1") == reply ]] ||
	gk_fail "no reply for the LAN device once natd runs again"
grep -v '^203\.0\.113\.2$' "$GK_TMP/seen" | grep -q . &&
	gk_fail "the internet host saw a source other than the WAN address: $(sort -u "$GK_TMP/seen")"

gk_stop
gk_log "PASS"
