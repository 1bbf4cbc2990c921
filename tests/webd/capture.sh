#!/bin/bash
# Per-device capture end to end: UDP, TCP and ICMP from two LAN clients
# to the internet namespace, then GET /api/pcap: capinfos accepts the
# file, tshark decodes the flows with LAN addresses (the device's view)
# and correct checksums (offload off, so the device's checksums are
# complete), one device's packets never in the other's file; after more
# than 5 MiB the file holds the newest packets and is <= 5 MiB; a
# download during an iperf3 run is valid; the ring survives kill -9 of
# natd and of webd; gkctl pcap clear empties one device's ring; with
# capture-size 0 nothing is recorded.
set -euo pipefail
. "$(dirname "$0")/../netns/lib.sh"

gk_require_root
for t in tshark capinfos iperf3 ethtool curl jq; do
	command -v "$t" >/dev/null ||
		gk_skip "$t is not installed (scripts/packages/natd.txt)"
done
gk_topology_up webd-capture 2
C1=$GK_NS_LAN1 C2=$GK_NS_LAN2 INET=$GK_NS_INET
ip -n "$C1" addr add 10.42.0.50/24 dev eth0
ip -n "$C1" route add default via 10.42.0.1
ip -n "$C2" addr add 10.42.0.51/24 dev eth0
ip -n "$C2" route add default via 10.42.0.1
# offloads on|off: GSO super-packets and seed-only checksums, or not
offloads() {
	local nd on=$1
	for nd in "$INET eth0" "$C1 eth0" "$C2 eth0" "$GK_NS_ROUTER wan0" \
	    "$GK_NS_ROUTER lan1" "$GK_NS_ROUTER lan2"; do
		set -- $nd
		ip netns exec "$1" ethtool -K "$2" tx "$on" rx "$on" \
		    tso "$on" gso "$on" >/dev/null 2>&1 ||
			gk_fail "ethtool -K $2 tx $on in $1"
	done
}
offloads off
gk_start
URL=http://10.42.0.1
J=$GK_TMP/jar
PW='capture test password'
echo "$PW" | gk_ctl passwd >/dev/null || gk_fail "gkctl passwd failed"

login() {
	ip netns exec "$C1" curl -s -o /dev/null -c "$J" --max-time 10 \
	    -H 'Content-Type: application/json' \
	    --data "{\"password\":\"$PW\"}" "$URL/api/login"
}
# pcap CLIENT FILE: prints the HTTP status; the headers in FILE.h
pcap() {
	ip netns exec "$C1" curl -s -o "$2" -D "$2.h" -w '%{http_code}' \
	    -b "$J" --max-time 20 "$URL/api/pcap?client=$1"
}
count() {	# count FILE FILTER
	tshark -r "$1" -Y "$2" 2>/dev/null | wc -l
}
valid() {	# valid FILE WHAT
	capinfos "$1" >"$1.info" 2>&1 || gk_fail "$2: capinfos: $(cat "$1.info")"
	(( $(stat -c %s "$1") <= 5 * 1024 * 1024 )) ||
		gk_fail "$2: $(stat -c %s "$1") bytes, over 5 MiB"
}
login

# No session: refused.
code=$(ip netns exec "$C1" curl -s -o /dev/null -w '%{http_code}' \
    "$URL/api/pcap?client=10.42.0.50")
[[ $code == 401 ]] || gk_fail "/api/pcap without a session: HTTP $code"

# ---- UDP, TCP, ICMP from client 1; ICMP from client 2
gk_bg "$INET" iperf3 -s -p 5201
ip netns exec "$C1" ping -c 3 -i 0.2 -W 1 203.0.113.1 >/dev/null ||
	gk_fail "client 1 cannot ping the internet"
ip netns exec "$C2" ping -c 3 -i 0.2 -W 1 -p c2c2 203.0.113.1 >/dev/null ||
	gk_fail "client 2 cannot ping the internet"
# iperf3 <ARGS>: from client 1, retried while the server finishes the
# previous test (it serves one at a time).
iperf() {
	local i
	for i in 1 2 3 4 5; do
		ip netns exec "$C1" iperf3 -c 203.0.113.1 -p 5201 "$@" \
		    >"$GK_TMP/iperf.out" 2>&1 && return 0
		sleep 0.5
	done
	return 1
}
iperf -u -b 1M -t 1 || gk_fail "UDP from client 1: $(tail -3 "$GK_TMP/iperf.out")"
iperf -n 200K || gk_fail "TCP from client 1: $(tail -3 "$GK_TMP/iperf.out")"

# The download is named for the device: its label (a space is not
# kept in a file name).
gk_ctl label "$GK_MAC_LAN1" "laptop 1" >/dev/null || gk_fail "gkctl label"
F=$GK_TMP/c1.pcap
code=$(pcap 10.42.0.50 "$F")
[[ $code == 200 ]] || gk_fail "/api/pcap?client=10.42.0.50: HTTP $code: $(cat "$F")"
valid "$F" "client 1"
grep -qi '^content-type: application/vnd.tcpdump.pcap' "$F.h" ||
	gk_fail "no pcap content type"
mac1=${GK_MAC_LAN1//:/-}
grep -qiE "^content-disposition: attachment; filename=\"laptop_1-${mac1}-[0-9]{8}T[0-9]{6}Z\\.pcap\"" \
    "$F.h" || gk_fail "no download name with the label: $(cat "$F.h")"
grep -qi 'File encapsulation: *Raw IP' "$F.info" ||
	gk_fail "not raw IP: $(cat "$F.info")"
for p in icmp udp tcp; do
	n=$(count "$F" "$p && ip.src == 10.42.0.50 && ip.dst == 203.0.113.1")
	m=$(count "$F" "$p && ip.dst == 10.42.0.50 && ip.src == 203.0.113.1")
	(( n > 0 && m > 0 )) || gk_fail "client 1's file: $p $n up, $m down"
	gk_log "client 1's file: $p $n up, $m down"
done
# The device's view: never the router's WAN address.
n=$(count "$F" "ip.addr == 203.0.113.2")
[[ $n == 0 ]] || gk_fail "client 1's file shows the WAN address $n times"
# Never the other device's packets.
n=$(count "$F" "ip.addr == 10.42.0.51")
[[ $n == 0 ]] || gk_fail "client 2's packets in client 1's file: $n"
n=$(tshark -r "$F" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    -o udp.check_checksum:TRUE -Y 'ip.checksum.status == "Bad" ||
    tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" ||
    icmp.checksum.status == "Bad"' 2>/dev/null | wc -l)
[[ $n == 0 ]] || gk_fail "$n packets with bad checksums in client 1's file"

F2=$GK_TMP/c2.pcap
mac2=$GK_MAC_LAN2
code=$(pcap "$mac2" "$F2")
[[ $code == 200 ]] || gk_fail "/api/pcap?client=$mac2: HTTP $code"
valid "$F2" "client 2"
n=$(count "$F2" "icmp && ip.addr == 10.42.0.51")
all=$(count "$F2" "ip")
(( n == 6 && all == 6 )) || gk_fail "client 2's file: $n of $all packets its pings"

# ---- gkctl pcap: the same file, streamed to stdout through a pipe
G=$GK_TMP/c1-gkctl.pcap
gk_ctl pcap 10.42.0.50 >"$G" 2>"$G.err" ||
	gk_fail "gkctl pcap 10.42.0.50: $(cat "$G.err")"
valid "$G" "gkctl pcap"
fields() {
	tshark -r "$1" -T fields -e frame.time_epoch -e ip.src -e ip.dst \
	    -e frame.len 2>/dev/null
}
cmp -s <(fields "$F") <(fields "$G") ||
	gk_fail "gkctl pcap and /api/pcap differ: $(capinfos -c "$G" "$F")"
gk_ctl pcap "$GK_MAC_LAN2" >"$G" || gk_fail "gkctl pcap $GK_MAC_LAN2"
[[ $(count "$G" "icmp && ip.addr == 10.42.0.51") == 6 ]] ||
	gk_fail "gkctl pcap by MAC: not client 2's pings"
if gk_ctl pcap 10.42.0.99 >"$G" 2>"$G.err" ||
    ! grep -q "no capture for 10.42.0.99" "$G.err"; then
	gk_fail "gkctl pcap of an unknown device: $(cat "$G.err")"
fi
# Never to a terminal (script(1) gives it one).
rc=0
script -qec "ip netns exec $GK_NS_ROUTER $GK_GKCTL -s $GK_SOCK pcap 10.42.0.50" \
    /dev/null >"$G.tty" 2>&1 </dev/null || rc=$?
[[ $rc == 2 ]] && grep -q "will not write a capture to a terminal" "$G.tty" ||
	gk_fail "gkctl pcap to a terminal: exit $rc: $(cat "$G.tty")"
gk_log "gkctl pcap: $(stat -c %s "$F") bytes, as /api/pcap; refused on a terminal"

# ---- GSO: with offloads on, the file holds the segments the wire
# carried (none over the MTU, every payload byte once), and the
# history counts them as packets (issue 12)
offloads on
gk_ctl pcap clear 10.42.0.50 >/dev/null || gk_fail "gkctl pcap clear"
natd_gso() {
	gk_status_json | jq -r '.daemons[] | select(.name == "natd") |
	    .detail.gso'
}
gso0=$(natd_gso)
gk_now_ms tg
# 4 MiB in one TCP connection, every byte acknowledged before the close
# (iperf3 -n may reset its data connection with bytes still unsent).
gk_bg "$INET" /usr/bin/python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('203.0.113.1', 5202)); s.listen(1)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
open('$GK_TMP/gso.received', 'w').write(str(n)); c.close()
"
sleep 0.5
ip netns exec "$C1" /usr/bin/python3 -c "
import socket
s = socket.create_connection(('203.0.113.1', 5202), timeout=20)
s.sendall(b'g' * 4194304); s.shutdown(socket.SHUT_WR); s.recv(1)
" || gk_fail "4 MiB over TCP with offloads on"
gso1=$(natd_gso)
(( gso1 > gso0 )) || gk_fail "GSO: natd passed no GSO packet ($gso0 -> $gso1)"
FG=$GK_TMP/gso.pcap
[[ $(pcap 10.42.0.50 "$FG") == 200 ]] || gk_fail "download after GSO"
valid "$FG" "GSO"
n=$(count "$FG" "frame.len > 1500")
[[ $n == 0 ]] || gk_fail "GSO: $n packets over the MTU in the file"
sent=$(tshark -r "$FG" -Y 'ip.src == 10.42.0.50 && tcp.dstport == 5202 &&
    !tcp.analysis.retransmission' -T fields -e tcp.len 2>/dev/null |
    awk '{ b += $1 } END { print b + 0 }')
[[ $sent == 4194304 && $(cat "$GK_TMP/gso.received") == 4194304 ]] ||
	gk_fail "GSO: the file carries $sent payload bytes up, the server got $(cat "$GK_TMP/gso.received"), want 4194304"
n=$(count "$FG" 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment')
[[ $n == 0 ]] || gk_fail "GSO: tshark finds $n gaps in the segments"
sleep 1.5	# the telemetry's drain
js=$(gk_ctl -j traffic 10.42.0.50 --from "$tg")
bu=$(jq -r '.totals.bytes_up' <<<"$js")
pu=$(jq -r '.totals.packets_up' <<<"$js")
(( bu >= 4194304 && pu * 1500 >= bu )) ||
	gk_fail "GSO: the history counts $pu packets for $bu bytes up"
gk_log "GSO: natd passed $((gso1 - gso0)) GSO packets; $(capinfos -c "$FG" | awk '/Number of packets/ {print $NF}') packets in the file, $sent bytes of data; history $pu packets, $bu bytes up"
offloads off

# ---- more than 5 MiB, and a download during the run
sleep 0.5
gk_bg "$C1" iperf3 -c 203.0.113.1 -p 5201 -n 40M
IPERF=$GK_BG_PID
sleep 1
F3=$GK_TMP/during.pcap
code=$(pcap 10.42.0.50 "$F3")
[[ $code == 200 ]] || gk_fail "download during iperf3: HTTP $code"
valid "$F3" "the download during iperf3"
n=$(count "$F3" "tcp.dstport == 5201 && ip.src == 10.42.0.50")
(( n > 100 )) || gk_fail "the download during iperf3 has $n of its packets"
gk_log "during iperf3: $(stat -c %s "$F3") bytes, $n iperf3 packets up"
wait "$IPERF" || gk_fail "iperf3 failed"
t0=$(date +%s)
F4=$GK_TMP/after.pcap
[[ $(pcap 10.42.0.50 "$F4") == 200 ]] || gk_fail "download after 40 MiB"
valid "$F4" "after 40 MiB"
size=$(stat -c %s "$F4")
(( size > 4 * 1024 * 1024 )) || gk_fail "after 40 MiB the file is $size bytes"
# The newest: the first ICMP of the test is gone, the last packet is recent.
[[ $(count "$F4" icmp) == 0 ]] || gk_fail "the oldest packets are still there"
last=$(tshark -r "$F4" -T fields -e frame.time_epoch 2>/dev/null | tail -n 1)
(( ${last%.*} >= t0 - 5 )) || gk_fail "the newest packet is from $last, now $t0"
gk_log "after 40 MiB: $size bytes, newest packet $last"

# ---- the ring survives kill -9 of natd, then of webd
ip netns exec "$C1" ping -c 2 -i 0.2 -W 1 -p 5ca1ab1e 203.0.113.1 >/dev/null ||
	gk_fail "ping before the kills"
F5=$GK_TMP/before-kill.pcap
[[ $(pcap 10.42.0.50 "$F5") == 200 ]] || gk_fail "download before the kills"
before=$(count "$F5" icmp)
[[ $before == 4 ]] || gk_fail "before the kills: $before ICMP packets"
for d in natd webd; do
	pid=$(gk_daemon_field "$(gk_status_json)" "$d" pid)
	[[ $pid =~ ^[0-9]+$ ]] || gk_fail "no $d pid"
	kill -KILL "$pid"
	sleep 0.5
	gk_wait_running 10 || gk_fail "$d did not come back"
	login
	F6=$GK_TMP/after-$d.pcap
	[[ $(pcap 10.42.0.50 "$F6") == 200 ]] || gk_fail "download after kill -9 of $d"
	valid "$F6" "after kill -9 of $d"
	n=$(count "$F6" icmp)
	[[ $n == 4 ]] || gk_fail "after kill -9 of $d: $n ICMP packets, want 4"
	gk_log "kill -9 of $d: the ring kept its $(capinfos -c "$F6" | awk '/Number of packets/ {print $NF}') packets"
done

# ---- gkctl pcap clear: that device's ring only
gk_ctl -j pcap clear 10.42.0.50 | jq -e '.cleared == true' >/dev/null ||
	gk_fail "gkctl pcap clear 10.42.0.50"
F7=$GK_TMP/cleared.pcap
[[ $(pcap 10.42.0.50 "$F7") == 200 ]] || gk_fail "download after clear"
valid "$F7" "after clear"
n=$(count "$F7" ip)
[[ $n == 0 ]] || gk_fail "after clear: $n packets"
[[ $(pcap "$mac2" "$F2") == 200 && $(count "$F2" icmp) == 6 ]] ||
	gk_fail "clearing client 1 touched client 2's ring"
gk_log "pcap clear: client 1's ring empty, client 2's kept"

# ---- capture off: nothing is recorded, nothing is kept
gk_stop
echo "capture-size 0" >>"$GK_CONF"
gk_start
login
ip netns exec "$C1" ping -c 2 -i 0.2 -W 1 203.0.113.1 >/dev/null ||
	gk_fail "ping with capture off"
code=$(pcap 10.42.0.50 "$GK_TMP/off.pcap")
[[ $code == 404 ]] || gk_fail "capture off: HTTP $code"
gk_log "capture off: HTTP $code, nothing recorded"
gk_stop
gk_log "ok"
