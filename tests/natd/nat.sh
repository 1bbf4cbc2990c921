#!/usr/bin/env bash
# natd end to end, with checksum offload off (natd sees complete checksums,
# updates them incrementally) or on (GSO super-packets, seed-only
# checksums, recomputed in full): tests/natd/nat.sh off|on
#
# TCP, UDP and ping from LAN devices reach the internet host, which sees
# only the WAN address (and tshark there finds every checksum right); the
# same source port to two destinations keeps one external port; each
# filtering mode admits or drops a third host as configured; hairpin; a
# port forward from outside and via hairpin, a forward of a router port
# refused; port 80 from the LAN does not open WAN port 80; a corrupt
# checksum stays corrupt and the receiver drops it; mappings expire on a
# shortened schedule; a TCP transfer survives kill -9 of natd. GRE (raw
# sockets) from one LAN device reaches the internet host from the WAN
# address and its replies come back; a second device's GRE is dropped and
# counted while the first owns the protocol, also after kill -9 of natd,
# and gkctl nat lists the owner. A datagram from the internet with a
# forged LAN source (or the WAN address as source) to a device's open
# full-cone port is dropped and counted, not hairpinned to the device.
set -u
. "$(dirname "$0")/../netns/lib.sh"

MODE=${1:-on}
gk_require_root
for t in tshark iperf3 ethtool; do
	command -v "$t" >/dev/null ||
		gk_skip "$t is not installed (scripts/packages/natd.txt)"
done
gk_topology_up "nat$MODE" 2
GK_TEST=nat-offload-$MODE

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
H=$GK_SRC/tests/natd/nathelper.py
C1=$GK_NS_LAN1
C2=$GK_NS_LAN2
INET=$GK_NS_INET
WAN=203.0.113.2

ip -n "$C1" addr add 10.42.0.50/24 dev eth0
ip -n "$C1" route add default via 10.42.0.1
ip -n "$C2" addr add 10.42.0.51/24 dev eth0
ip -n "$C2" route add default via 10.42.0.1

offload() {	# offload NS DEV
	ip netns exec "$1" ethtool -K "$2" tx "$MODE" rx "$MODE" \
	    >/dev/null 2>&1 || gk_fail "ethtool -K $2 tx $MODE rx $MODE in $1"
}
offload "$INET" eth0
offload "$C1" eth0
offload "$C2" eth0
for d in wan0 lan1 lan2; do
	offload "$GK_NS_ROUTER" "$d"
done

gk_start

natd_field() {	# natd_field KEY: one of natd's status detail counters
	gk_status_json | jq -r ".daemons[] | select(.name == \"natd\") |
	    .detail.$1"
}
c1() { ip netns exec "$C1" "$PY" "$H" "$@"; }
c2() { ip netns exec "$C2" "$PY" "$H" "$@"; }
inet() { ip netns exec "$INET" "$PY" "$H" "$@"; }
expect() {	# expect WHAT GOT WANT
	[[ $2 == "$3" ]] || gk_fail "$1: got '$2', expected '$3'"
	gk_log "$1: $2"
}

# What reaches the internet from the router, checked by tshark at the end.
# (not the iperf3 bulk: the kill -9 test checks it end to end)
gk_bg "$INET" tshark -q -i eth0 -f "src host $WAN and not port 5201" \
    -w "$GK_TMP/inet.pcap"
TSHARK=$GK_BG_PID
# dumpcap writes the file's header once it captures: on a loaded machine
# that can take seconds, and what it misses before would look like a loss.
for ((i = 0; i < 200; i++)); do
	[[ $(stat -c %s "$GK_TMP/inet.pcap" 2>/dev/null) -ge 24 ]] && break
	sleep 0.1
done
[[ -s $GK_TMP/inet.pcap ]] || gk_fail "tshark did not start capturing in 20 s"
gk_bg "$INET" "$PY" "$H" udp-server 7777 203.0.113.1
gk_bg "$INET" "$PY" "$H" udp-server 7777 198.51.100.1
gk_bg "$INET" "$PY" "$H" tcp-server 8080
gk_bg "$INET" iperf3 -s -p 5201 -1
sleep 2

# ---- the basics: the internet sees only the WAN address
expect "UDP from port 5000" "$(c1 udp-ask 203.0.113.1 7777 5000)" "$WAN:5000"
expect "same port, second destination" \
    "$(c1 udp-ask 198.51.100.1 7777 5000)" "$WAN:5000"
r=$(c1 tcp-ask 203.0.113.1 8080 6000)
expect "TCP from port 6000" "$r" "$WAN:6000"
ip netns exec "$C1" ping -c 2 -W 1 -q 203.0.113.1 >/dev/null ||
	gk_fail "ping from the LAN got no answer"
gk_log "ping: answered"
r=$(c1 tcp-bulk 203.0.113.1 8080 3000000)
expect "3 MB echoed over TCP" "$r" "ok 3000000"

# ---- filtering, defaults: UDP endpoint-independent, TCP address-dependent
gk_bg "$C1" sh -c "exec $PY $H udp-listen 5000 3 >$GK_TMP/l1"
sleep 0.3
inet udp-ask "$WAN" 5000 1111 0.3 198.51.100.1 >/dev/null
wait "$GK_BG_PID"
expect "UDP EIF: a third host gets in" "$(cat "$GK_TMP/l1")" \
    "198.51.100.1:1111"
gk_bg "$C1" "$PY" "$H" tcp-server 6000
sleep 0.3
f0=$(natd_field filtered)
expect "TCP ADF: a third host is kept out" \
    "$(inet tcp-ask "$WAN" 6000 0 1 198.51.100.1)" none
f1=$(natd_field filtered)
((f1 > f0)) || gk_fail "natd counted no filtered packet ($f0 -> $f1)"
r=$(inet tcp-ask "$WAN" 6000 2222 2 203.0.113.1)
expect "TCP ADF: the contacted address gets in" "$r" "203.0.113.1:2222"

# ---- forged sources from the internet: the full-cone port 5000 of C1 is
# open to anyone, but not to a LAN source (C2's) or the WAN address coming
# from the WAN side: natd would take those for hairpin traffic.
expect "UDP refresh of C1:5000" "$(c1 udp-ask 203.0.113.1 7777 5000)" \
    "$WAN:5000"
s0=$(natd_field spoofed_wan)
gk_bg "$C1" sh -c "exec $PY $H udp-listen 5000 2 >$GK_TMP/ls"
sleep 0.3
inet udp-spoof 10.42.0.51 "$WAN" 5000 5100
inet udp-spoof "$WAN" "$WAN" 5000 5101
wait "$GK_BG_PID"
expect "forged LAN and WAN sources kept out" "$(cat "$GK_TMP/ls")" none
s1=$(natd_field spoofed_wan)
expect "spoofed_wan counted both" "$((s1 - s0))" 2

# ---- hairpin: C2 reaches C1's mapping and sees C2's external endpoint
gk_bg "$C1" sh -c "exec $PY $H udp-listen 5000 3 >$GK_TMP/l2"
sleep 0.3
c2 udp-ask "$WAN" 5000 5100 0.3 >/dev/null
wait "$GK_BG_PID"
expect "hairpin UDP" "$(cat "$GK_TMP/l2")" "$WAN:5100"

# ---- GRE: address only, one LAN device at a time
expect "other timeout" \
    "$(natd_field timeout_other) $(natd_field timeout_other_from)" \
    "300 default"
: >"$GK_TMP/gre.log"
gk_bg "$INET" "$PY" "$H" raw-echo 47 "$GK_TMP/gre.log"
sleep 0.3
expect "GRE from C1 echoed" "$(c1 raw-ask 47 203.0.113.1 5 3)" \
    "sent 5 got 5"
expect "GRE seen from" "$(sort -u "$GK_TMP/gre.log")" "$WAN"
gre_owner() {
	gk_ctl -j nat | jq -r '[.mappings[] | select(.proto == "gre")] |
	    map("\(.lan_ip) \(.remote) \(.type) \(.lan_port)") | join(",")'
}
expect "gkctl nat lists the GRE owner" "$(gre_owner)" \
    "10.42.0.50 203.0.113.1 address-only null"
b0=$(natd_field other_busy)
n0=$(wc -l <"$GK_TMP/gre.log")
expect "GRE from C2 while C1 owns it" "$(c2 raw-ask 47 203.0.113.1 3 1)" \
    "sent 3 got 0"
b1=$(natd_field other_busy)
expect "other_busy counted C2's" "$((b1 - b0))" 3
expect "none of C2's GRE reached the internet" \
    "$(wc -l <"$GK_TMP/gre.log")" "$n0"

# ---- port forwards
gk_ctl forward add tcp 53 10.42.0.51 >"$GK_TMP/err" 2>&1 &&
	gk_fail "a forward of port 53 was accepted"
grep -q "served by the router" "$GK_TMP/err" ||
	gk_fail "no clear error for port 53: $(cat "$GK_TMP/err")"
gk_ctl forward add tcp 8443 10.42.0.51 >/dev/null ||
	gk_fail "gkctl forward add tcp 8443 failed"
gk_bg "$C2" "$PY" "$H" tcp-server 8443
sleep 0.3
r=$(inet tcp-ask "$WAN" 8443 3333 2 203.0.113.1)
expect "forward from outside" "$r" "203.0.113.1:3333"
r=$(c1 tcp-ask "$WAN" 8443 6100)
expect "forward via hairpin" "$r" "$WAN:6100"
n=$(gk_ctl -j forwards | jq '[.forwards[] | select(.wan_port == 8443)] |
    length')
expect "forwards listed" "$n" 1

# ---- port 80 from the LAN does not open WAN port 80
r=$(c1 udp-ask 203.0.113.1 7777 80)
[[ $r =~ ^$WAN:([0-9]+)$ ]] || gk_fail "UDP from port 80: '$r'"
p=${BASH_REMATCH[1]}
((p >= 1024 && p != 80)) || gk_fail "port 80 mapped to $p"
gk_bg "$C1" sh -c "exec $PY $H udp-listen 80 2 >$GK_TMP/l3"
sleep 0.3
inet udp-ask "$WAN" 80 7780 0.3 203.0.113.1 >/dev/null
wait "$GK_BG_PID"
expect "WAN port 80 stays closed (LAN port 80 went out as $p)" \
    "$(cat "$GK_TMP/l3")" none

# ---- a corrupt checksum stays corrupt: the receiver drops it
gk_bg "$INET" sh -c "exec $PY $H udp-listen 7779 2 >$GK_TMP/l4"
sleep 0.3
ip netns exec "$C1" "$PY" "$H" udp-bad 203.0.113.1 7779 5400
wait "$GK_BG_PID"
expect "corrupt UDP dropped by the receiver" "$(cat "$GK_TMP/l4")" none

# ---- counters per device
for i in 1 2 3 4 5; do
	# The parent merges dhcpd's reply with natd's.
	j=$(gk_ctl -j clients 2>&1) && break
	gk_log "gkctl clients: $j (try $i)"
	sleep 0.3
done
up=$(jq '[.clients[] | select(.ip == "10.42.0.50") | .bytes_up] | add // 0' \
    <<<"$j")
((up > 3000000)) || gk_fail "clients: bytes_up of 10.42.0.50 is $up: $j"
gk_log "clients: 10.42.0.50 sent $up bytes"

# ---- filtering after a reload: UDP address-and-port-dependent, TCP
# endpoint-independent
cat >>"$GK_CONF" <<EOF
nat-filtering udp address-and-port-dependent
nat-filtering tcp endpoint-independent
nat-timeout icmp 90s
EOF
kill -HUP "$GK_PID"
sleep 1
[[ $(natd_field filter_udp) == address-and-port-dependent ]] ||
	gk_fail "natd did not take the new filtering: $(natd_field filter_udp)"
expect "UDP refresh" "$(c1 udp-ask 203.0.113.1 7777 5000)" "$WAN:5000"
gk_bg "$C1" sh -c "exec $PY $H udp-listen 5000 2 >$GK_TMP/l5"
sleep 0.3
inet udp-ask "$WAN" 5000 1111 0.3 198.51.100.1 >/dev/null
wait "$GK_BG_PID"
expect "UDP APDF: a third host is kept out" "$(cat "$GK_TMP/l5")" none
r=$(inet tcp-ask "$WAN" 6000 4444 2 198.51.100.1)
expect "TCP EIF: a third host gets in" "$r" "198.51.100.1:4444"

# ---- timeouts: the config's apply, gkctl's win until the file changes
to_icmp() { echo "$(natd_field timeout_icmp) $(natd_field timeout_icmp_from)"; }
expect "ICMP timeout from the config" "$(to_icmp)" "90 config"
gk_ctl nat timeout icmp 120 >/dev/null || gk_fail "gkctl nat timeout icmp"
expect "ICMP timeout from gkctl" "$(to_icmp)" "120 gkctl"
kill -HUP "$GK_PID"
sleep 1
expect "gkctl's timeout kept across a reload" "$(to_icmp)" "120 gkctl"
sed -i 's/^nat-timeout icmp 90s$/nat-timeout icmp 100s/' "$GK_CONF"
kill -HUP "$GK_PID"
sleep 1
expect "the file's new value wins" "$(to_icmp)" "100 config"

# ---- expiry on a shortened schedule
gk_ctl nat timeout udp 2 >/dev/null || gk_fail "gkctl nat timeout failed"
expect "UDP from port 5300" "$(c1 udp-ask 203.0.113.1 7777 5300)" "$WAN:5300"
has5300() {
	gk_ctl -j nat 10.42.0.50 | jq '[.mappings[] | select(.proto == "udp"
	    and .lan_port == 5300)] | length'
}
expect "mapping 5300 listed" "$(has5300)" 1
sleep 6
expect "mapping 5300 expired" "$(has5300)" 0
gk_ctl nat timeout udp 300 >/dev/null

# ---- a TCP transfer survives kill -9 of natd
gk_bg "$C1" sh -c "exec iperf3 -c 203.0.113.1 -p 5201 -t 6 -J \
    >$GK_TMP/iperf.json 2>&1"
IPERF=$GK_BG_PID
sleep 2
pid=$(gk_daemon_field "$(gk_status_json)" natd pid)
[[ $pid =~ ^[0-9]+$ ]] || gk_fail "no natd pid"
kill -KILL "$pid"
gk_log "natd (pid $pid) killed with -9 during the transfer"
wait "$IPERF" || gk_fail "iperf3 failed: $(tail -c 600 "$GK_TMP/iperf.json")"
jq -e '.error == null' "$GK_TMP/iperf.json" >/dev/null ||
	gk_fail "iperf3: $(jq -r .error "$GK_TMP/iperf.json")"
bytes=$(jq '.end.sum_received.bytes' "$GK_TMP/iperf.json")
gk_log "iperf3 moved $bytes bytes across the natd restart"
gk_wait_running 5 || gk_fail "natd not back"
[[ $(natd_field state) == attached ]] ||
	gk_fail "the restarted natd did not attach to the tables"
expect "GRE owner kept across kill -9" "$(gre_owner)" \
    "10.42.0.50 203.0.113.1 address-only null"
expect "C2's GRE still dropped" "$(c2 raw-ask 47 203.0.113.1 2 1)" \
    "sent 2 got 0"
expect "other_busy counted by the new natd" "$(natd_field other_busy)" 2
expect "C1's GRE still echoed" "$(c1 raw-ask 47 203.0.113.1 3 3)" \
    "sent 3 got 3"

# ---- what tshark saw on the internet side
sleep 0.5
kill -INT "$TSHARK"
wait "$TSHARK" 2>/dev/null
ck=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE
    -o udp.check_checksum:TRUE)
total=$(tshark -r "$GK_TMP/inet.pcap" 2>/dev/null | wc -l)
((total > 50)) || gk_fail "tshark captured only $total packets"
lan=$(tshark -r "$GK_TMP/inet.pcap" -Y "ip.addr == 10.42.0.0/16" 2>/dev/null |
    wc -l)
expect "packets with a LAN address on the internet side" "$lan" 0
# With offload on, the router's wan0 hands the internet host GSO
# super-packets, which the kernel's GSO path re-seeds (CHECKSUM_PARTIAL)
# after natd: on that virtual wire they carry only the pseudo-header seed,
# whoever made them. Those are checked by the receiving kernel instead
# (the TCP data above is compared end to end); every other packet must
# show natd's complete checksum. dnsd's own questions to the upstreams
# (webd has it look up the PTR names of the remotes it shows) are the
# router's, not natd's: locally made, their UDP checksum is left to the
# veth's offload too.
notnatd=" && !(udp.dstport == 53)"
if [[ $MODE == on ]]; then
	notnatd+=" && ip.len <= 1500"
	gso=$(tshark -r "$GK_TMP/inet.pcap" -Y "ip.len > 1500" 2>/dev/null |
	    wc -l)
	((gso > 0)) || gk_fail "offload on, yet no GSO super-packet crossed"
	gk_log "GSO super-packets crossed: $gso"
fi
bad=$(tshark -r "$GK_TMP/inet.pcap" "${ck[@]}" -Y "(ip.checksum.status == 0 ||
    tcp.checksum.status == 0 || udp.checksum.status == 0 ||
    icmp.checksum.status == 0) && !(udp.port == 7779)$notnatd" 2>/dev/null |
    wc -l)
if ((bad != 0)); then
	tshark -r "$GK_TMP/inet.pcap" "${ck[@]}" -Y "ip.checksum.status == 0 ||
	    tcp.checksum.status == 0 || udp.checksum.status == 0 ||
	    icmp.checksum.status == 0" 2>/dev/null | head -5
	# Keep only the bad packets (the whole capture can be gigabytes).
	tshark -r "$GK_TMP/inet.pcap" "${ck[@]}" -Y "ip.checksum.status == 0 ||
	    tcp.checksum.status == 0 || udp.checksum.status == 0 ||
	    icmp.checksum.status == 0" \
	    -w "/tmp/gk-nat-$MODE-fail.pcap" 2>/dev/null
	gk_fail "tshark found $bad packets with a bad checksum (of $total)"
fi
corrupt=$(tshark -r "$GK_TMP/inet.pcap" "${ck[@]}" -Y "udp.port == 7779 &&
    udp.checksum.status == 0" 2>/dev/null | wc -l)
expect "the corrupt datagram crossed still corrupt" "$corrupt" 1
gk_log "tshark: $total packets, every checksum right"

gk_stop
gk_log "PASS"
