# Known UDP traffic through the router, for the history tests (traffic.sh,
# durable.sh): sourced after tests/netns/lib.sh, once the topology is up.

UDP_PY=/usr/bin/python3

# udp_client NS ADDR: a LAN client with a fixed address and the router as
# its gateway, segmentation offloads off so each datagram is one packet of
# exactly its IP length (docs: exact counts are tested with offloads off)
udp_client() {
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" route add default via 10.42.0.1
	if command -v ethtool >/dev/null; then
		ip netns exec "$1" ethtool -K eth0 gso off tso off gro off \
		    >/dev/null 2>&1 || true
	fi
}

# udp_sink NS PORT: a receiver on the internet side, so no ICMP error
# comes back down to the client
udp_sink() {
	gk_bg "$1" "$UDP_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', $2))
while True:
    s.recv(65536)
"
	sleep 0.3
}

# udp_burst NS N PAYLOAD REMOTE PORT: N datagrams of PAYLOAD bytes, 10 ms
# apart; t0 and t1 are set to the wall clock (ms) before and after
udp_burst() {
	gk_now_ms t0
	ip netns exec "$1" "$UDP_PY" -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($2):
    s.sendto(b'x' * $3, ('$4', $5))
    time.sleep(0.01)
"
	gk_now_ms t1
}
