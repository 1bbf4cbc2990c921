#!/usr/bin/env bash
# Nothing listens on the WAN unless the admin configured a port forward.
#
# With the whole suite running: every internet socket open in the router
# is bound to the LAN (its address, loopback, or the LAN device); from the
# internet host, the WAN address answers on no TCP port (1-1024, 8080 and
# every port a daemon has open), not even with a reset or an ICMP error,
# and on no UDP port (every daemon's, 53, 67, 123: no datagram and no
# ICMP error back); after `gkctl forward add tcp 8080 DEVICE`, port 8080
# reaches that device, which sees the internet host's own address, and
# every other port stays silent; after `forward del`, 8080 is silent
# again.
set -u
. "$(dirname "$0")/../netns/lib.sh"

gk_require_root
gk_topology_up wanclosed 1
GK_TEST=nat-wan-closed

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
H=$GK_SRC/tests/natd/nathelper.py
C1=$GK_NS_LAN1
INET=$GK_NS_INET
WAN=203.0.113.2
DEV=10.42.0.50

ip -n "$C1" addr add $DEV/24 dev eth0
ip -n "$C1" route add default via 10.42.0.1
gk_start

# ---- what the router has open, by its own account ----
# ss -H -ltun: TCP listeners and UDP sockets; local address in column 5
# ("10.42.0.1:53", "0.0.0.0%gkbr0:67", "*:123").
socks=$(ip netns exec "$GK_NS_ROUTER" ss -H -ltun)
gk_log "router sockets:"$'\n'"$socks"
[[ -n $socks ]] || gk_fail "ss shows no socket in the router: dnsd's at least must be there"
tcp_ports=8080 udp_ports=""
while read -r proto _ _ _ local _; do
	port=${local##*:}
	addr=${local%:*}
	case $addr in
	10.42.0.1 | 127.* | *%gkbr0 | *%lan1) ;;
	*) gk_fail "$proto socket on $local is not bound to the LAN" ;;
	esac
	if [[ $proto == tcp ]]; then
		tcp_ports+=",$port"
	else
		udp_ports+=" $port"
	fi
done <<<"$socks"
[[ -n $udp_ports ]] || gk_fail "no UDP socket in the router (dnsd's port 53?)"
# webd's listeners (web-listen 80, web-tls-listen 443) are among them,
# so the scan below proves the dashboard is not on the WAN.
for p in 80 443; do
	[[ ,$tcp_ports, == *",$p,"* ]] || gk_fail "webd does not listen on $p in the router"
done
udp_ports=$(printf '%s\n' $udp_ports 53 67 123 | sort -nu | paste -sd,)

inet() { ip netns exec "$INET" "$PY" "$H" "$@"; }

# scan WANT: every TCP port to probe answers as WANT ("silent", "open 8080")
scan() {
	local got
	got=$(inet tcp-scan $WAN "1-1024,$tcp_ports" 3)
	[[ $got == "$1" ]] ||
		gk_fail "TCP ports of the WAN address: got '$got', want '$1'"
	gk_log "TCP 1-1024,$tcp_ports of the WAN address: $got"
}
udp_silent() {
	local got
	got=$(inet udp-scan $WAN "$udp_ports" 1)
	[[ $got == silent ]] ||
		gk_fail "UDP ports of the WAN address: got '$got', want silent"
	gk_log "UDP $udp_ports of the WAN address: silent"
}

scan silent
udp_silent

# ---- a port forward opens exactly its port ----
gk_bg "$C1" "$PY" "$H" tcp-server 8080
sleep 0.5
gk_ctl forward add tcp 8080 $DEV >/dev/null ||
	gk_fail "gkctl forward add tcp 8080 $DEV failed"
scan "open 8080"
got=$(inet tcp-ask $WAN 8080)
[[ $got == 203.0.113.1:* ]] ||
	gk_fail "through the forward the device saw '$got', want 203.0.113.1:PORT"
gk_log "through the forward the device sees $got"
udp_silent

gk_ctl forward del tcp 8080 >/dev/null || gk_fail "gkctl forward del tcp 8080 failed"
scan silent
gk_stop
gk_log "ok"
