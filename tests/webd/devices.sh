#!/bin/bash
# The device registry end to end: two real DHCP clients (busybox udhcpc),
# one with a MAC of a real OUI (Raspberry Pi Foundation) and a hostile
# host name, one with a locally administered MAC that only makes traffic;
# both appear in /api/clients and gkctl devices with vendor ("private
# address" for the second), new, online, the host name as the exact bytes
# sent, and today's bytes; a label (validated: 422) and an
# acknowledgement through the web API (CSRF) and gkctl; forget, and the
# device comes back new; the registry survives kill -9 of webd and a
# restart of gatekeeperd; the WAN's health and a DNS outage in status.
set -euo pipefail
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../dhcpd/lib.sh"

gk_require_root
command -v curl >/dev/null || gk_skip "curl is not installed"
command -v jq >/dev/null || gk_skip "jq is not installed"
gk_dhcp_require udhcpc
[[ -r /usr/share/ieee-data/oui.txt ]] ||
	gk_skip "ieee-data is not installed (scripts/packages/devices.txt)"
gk_topology_up webd-devices 2
C1=$GK_NS_LAN1 C2=$GK_NS_LAN2
MAC1=b8:27:eb:12:34:56		# Raspberry Pi Foundation
MAC2=$GK_MAC_LAN2		# 02:...: locally administered
ip -n "$C1" link set eth0 address "$MAC1"
# An upstream nobody answers for (the internet namespace drops it): an
# outage in the WAN's health.
echo "upstream 198.51.100.77" >>"$GK_CONF"
gk_start
HOSTILE='<img src=x onerror=alert(1)> "q" \ é'

# udhcpc's -x hostname:NAME stops at a space: option 12 as raw bytes
gk_udhcpc "$C1" c1 -x "0x0c:$(printf '%s' "$HOSTILE" | od -An -tx1 |
    tr -d ' \n')"
gk_dhcp_wait c1 "event=bound "
A1=$(gk_dhcp_field c1 "event=bound " ip)
# (the client's script configures the address and route)
# Client 2: no DHCP, an address of its own, traffic only.
A2=10.42.0.60
ip -n "$C2" addr add "$A2/24" dev eth0
ip -n "$C2" route add default via 10.42.0.1
ip netns exec "$C2" ping -c 3 -i 0.2 -W 2 203.0.113.1 >/dev/null ||
	gk_fail "client 2 cannot reach the internet"
gk_log "client 1 $MAC1 got $A1 by DHCP; client 2 $MAC2 pings from $A2"

URL=http://10.42.0.1 J=$GK_TMP/jar
echo 'devices test password' | gk_ctl passwd >/dev/null
# web METHOD PATH [CURL ARGS...]: from client 1; prints the status code,
# the body goes to $GK_TMP/body.
web() {
	local m=$1 p=$2
	shift 2
	ip netns exec "$C1" curl -s -o "$GK_TMP/body" -w '%{http_code}' \
	    -X "$m" -b "$J" -c "$J" --max-time 10 "$@" "$URL$p"
}
expect() {	# expect WANT GOT WHAT
	[[ $2 == "$1" ]] || gk_fail "$3: HTTP $2, want $1: $(cat "$GK_TMP/body")"
}
login() {
	expect 200 "$(web POST /api/login -H 'Content-Type: application/json' \
	    --data '{"password":"devices test password"}')" "login"
	CSRF=$(jq -r .csrf "$GK_TMP/body")
}
change() {	# change METHOD PATH [BODY]
	web "$1" "$2" -H "X-CSRF-Token: $CSRF" \
	    -H 'Content-Type: application/json' ${3:+--data "$3"}
}
# device JSON MAC: the row of MAC in a clients or devices reply
device() {
	jq -c --arg m "$2" '[(.clients // .devices)[] | select(.mac == $m)][0]
	    // empty' <<<"$1"
}
# wait_for WHAT JQ-FILTER: until /api/clients satisfies it (20 s)
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		web GET /api/clients >/dev/null
		jq -e "$2" "$GK_TMP/body" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	gk_fail "$1: $(cat "$GK_TMP/body")"
}
login

# Both devices, with their vendors, new and online.
wait_for "both devices in /api/clients" \
    "[.clients[] | select(.mac == \"$MAC1\" or .mac == \"$MAC2\")] |
    length == 2"
web GET /api/clients >/dev/null
js=$(cat "$GK_TMP/body")
d1=$(device "$js" "$MAC1") d2=$(device "$js" "$MAC2")
jq -e --arg ip "$A1" --arg h "$HOSTILE" '.ip == $ip and
    .vendor == "Raspberry Pi Foundation" and .new == true and
    .online == true and .hostname == $h and .name == $h and
    .label == "" and (.first_seen | type) == "number" and
    .last_seen >= .first_seen' <<<"$d1" >/dev/null ||
	gk_fail "client 1 in /api/clients: $d1"
jq -e --arg ip "$A2" '.ip == $ip and .vendor == "private address" and
    .new == true and .online == true and .hostname == "" and
    .name == "private address 00:00:02"' <<<"$d2" >/dev/null ||
	gk_fail "client 2 in /api/clients: $d2"
# The host name as the exact bytes sent, escaped as JSON requires.
grep -qF '"hostname":"<img src=x onerror=alert(1)> \"q\" \\ é"' \
    "$GK_TMP/body" || gk_fail "the raw host name is not in the JSON as sent"
# today: client 2's pings, up and down, from the history
wait_for "client 2's bytes today" "[.clients[] | select(.mac ==
    \"$MAC2\")][0] | .today_up >= 252 and .today_down >= 252"
gk_log "/api/clients: vendor, new, online, host name as sent, today's bytes"

js=$(gk_ctl -j devices) || gk_fail "gkctl devices failed"
[[ $(jq '.devices | length' <<<"$js") == 2 ]] ||
	gk_fail "gkctl devices: $js"
jq -e '.stats.vendors.prefixes > 30000 and .stats.devices == 2' \
    <<<"$js" >/dev/null || gk_fail "gkctl devices stats: $js"
gk_ctl devices | grep -q "Raspberry Pi Foundation" ||
	gk_fail "gkctl devices (table) lacks the vendor"

# The WAN's health: the link up with an address, and a DNS outage seen
# as a query finds no upstream answering.
ip netns exec "$C1" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(8)
s.sendto(bytes.fromhex("123401000001000000000000076578616d706c6503636f6d0000010001"),
    ("10.42.0.1", 53))
try:
    s.recv(512)
except socket.timeout:
    pass
'
st=$(gk_status_json)
jq -e '.wan | .link == "up" and .address == "203.0.113.2/24" and
    .uptime >= 0 and (.link_since | type) == "number" and
    .outages[0].end == null and .outages[0].failed_queries >= 1 and
    .outages[0].start > 0' <<<"$st" >/dev/null ||
	gk_fail "the WAN's health in status: $(jq -c .wan <<<"$st")"
web GET /api/status >/dev/null
jq -e '.wan.outages | length == 1' "$GK_TMP/body" >/dev/null ||
	gk_fail "/api/status lacks the outage: $(cat "$GK_TMP/body")"
gk_log "status: the WAN up, with its uptime and the DNS outage"

# Labels: CSRF, validation, the web and gkctl.
expect 403 "$(web POST "/api/devices/$MAC1" -H 'Content-Type: application/json' \
    --data '{"label":"x"}')" "a label without the CSRF token"
expect 422 "$(change POST "/api/devices/$MAC1" '{"label":"a\tb"}')" \
    "a label with a tab"
grep -q "control" "$GK_TMP/body" || gk_fail "422 does not say why: $(cat "$GK_TMP/body")"
expect 422 "$(change POST "/api/devices/$MAC1" \
    "{\"label\":\"$(printf 'x%.0s' {1..64})\"}")" "a 64-byte label"
expect 404 "$(change POST /api/devices/02:00:00:00:00:99 '{"ack":true}')" \
    "an unknown device"
expect 200 "$(change POST "/api/devices/$MAC1" '{"label":"Pi <b>in</b> the hall"}')" \
    "a label"
jq -e '.name == "Pi <b>in</b> the hall" and .new == false' "$GK_TMP/body" \
    >/dev/null || gk_fail "the label's answer: $(cat "$GK_TMP/body")"
expect 200 "$(change POST "/api/devices/$MAC2" '{"ack":true}')" "ack"
out=$(gk_ctl label "$MAC2" $'tab\there' 2>&1) && gk_fail "gkctl label took a tab"
grep -q "control" <<<"$out" || gk_fail "gkctl label with a tab: $out"
gk_ctl label "$A2" "Phone" >/dev/null || gk_fail "gkctl label by IP failed"
js=$(gk_ctl -j devices)
jq -e --arg a "$MAC1" --arg b "$MAC2" '[.devices[] |
    select((.mac == $a and .label == "Pi <b>in</b> the hall") or
    (.mac == $b and .label == "Phone" and .new == false))] | length == 2' \
    <<<"$js" >/dev/null || gk_fail "labels in gkctl devices: $js"
gk_log "labels and acknowledgements: web (CSRF, 422) and gkctl"

# kill -9 of webd: the registry is on disk, today's bytes in the history.
pid=$(gk_daemon_field "$(gk_status_json)" webd pid)
kill -KILL "$pid"
for ((i = 0; i < 50; i++)); do
	sleep 0.2
	js=$(gk_ctl -j devices 2>/dev/null) && break
done
jq -e --arg a "$MAC1" --arg b "$MAC2" '[.devices[] |
    select((.mac == $a and .label == "Pi <b>in</b> the hall" and
    .new == false) or (.mac == $b and .label == "Phone" and
    .today_up >= 252))] | length == 2' <<<"$js" >/dev/null ||
	gk_fail "after kill -9 of webd: $js"
gk_log "kill -9 of webd: labels, acknowledgements and today's bytes kept"

# Forget: gone; traffic again: back, new, without its label.
expect 200 "$(change DELETE "/api/devices/$MAC2")" "forget"
js=$(gk_ctl -j devices)
[[ -z $(device "$js" "$MAC2") ]] || gk_fail "a forgotten device is listed: $js"
ip netns exec "$C2" ping -c 2 -i 0.2 -W 2 203.0.113.1 >/dev/null
wait_for "client 2 back after forget" "[.clients[] | select(.mac ==
    \"$MAC2\")][0] | .new == true and .label == \"\""
gk_ctl forget "$MAC2" >/dev/null || gk_fail "gkctl forget failed"
gk_log "forget (web and gkctl); seen again, new again"

# A restart of gatekeeperd: the registry stays (client 2 forgotten).
gk_stop
gk_start
login
js=$(gk_ctl -j devices)
jq -e --arg a "$MAC1" '[.devices[] | select(.mac == $a and
    .label == "Pi <b>in</b> the hall" and .new == false)] | length == 1' \
    <<<"$js" >/dev/null || gk_fail "after a restart of gatekeeperd: $js"
[[ -z $(device "$js" "$MAC2") ]] || gk_fail "forgotten, back after a restart: $js"
gk_status_json | jq -e '.daemons[] | select(.name == "webd") |
    .detail.devices | .devices == 1 and .load_corrupt == 0' >/dev/null ||
	gk_fail "webd's status: $(gk_status_json | jq -c '.daemons[] |
	    select(.name == "webd") | .detail.devices')"

# A corrupt file is reported and rebuilt, never a crash.
gk_stop
head -c 100 /dev/urandom >"$GK_TMP/state/webd/devices"
gk_start
grep -q "not a device registry" "$GK_LOG" || gk_fail "a corrupt registry was not reported"
[[ -s $GK_TMP/state/webd/devices.corrupt ]] || gk_fail "the corrupt file was not kept aside"
gk_status_json | jq -e '.daemons[] | select(.name == "webd") |
    .detail.devices.load_corrupt == 1' >/dev/null || gk_fail "load_corrupt not counted"
gk_log "a restart of gatekeeperd keeps the registry; a corrupt one is rebuilt"
gk_stop
gk_log ok
