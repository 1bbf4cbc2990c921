#!/bin/bash
# webd's web server, from a LAN client with curl and a WebSocket client:
# before a password, every page says how to set one and the API answers
# 403; login, the cookie's flags, wrong passwords then a lockout (429);
# a foreign Host refused (DNS rebinding); changes need the CSRF token;
# security headers on every response; a reservation and a forward made
# through the API show in gkctl and survive a restart; webd killed -9
# comes back within a second and the browser stays logged in; /api/live
# sends frames, refuses no session and a foreign Origin, cuts a client
# that reads nothing; out of descriptors, webd pauses accepting instead of
# spinning; nothing of it on the WAN.
set -euo pipefail
. "$(dirname "$0")/../netns/lib.sh"

gk_require_root
command -v curl >/dev/null || gk_skip "curl is not installed"
/usr/bin/python3 -c 'import websockets' 2>/dev/null ||
	gk_skip "python3-websockets is not installed"
gk_topology_up webd-http 2
gk_start
R=$GK_NS_ROUTER C1=$GK_NS_LAN1 I=$GK_NS_INET
ip -n "$C1" addr add 10.42.0.50/24 dev eth0
WS=$GK_SRC/tests/webd/wsclient.py
URL=http://10.42.0.1
J=$GK_TMP/jar

# web METHOD PATH [CURL ARGS...]: from client 1; prints the status code,
# the body goes to $GK_TMP/body and the headers to $GK_TMP/headers.
web() {
	local m=$1 p=$2
	shift 2
	ip netns exec "$C1" curl -s -o "$GK_TMP/body" -D "$GK_TMP/headers" \
	    -w '%{http_code}' -X "$m" -b "$J" -c "$J" --max-time 10 "$@" \
	    "$URL$p"
}
expect() {	# expect WANT GOT WHAT
	[[ $2 == "$1" ]] || gk_fail "$3: HTTP $2, want $1: $(cat "$GK_TMP/body")"
}
json() {	# json METHOD PATH BODY [CURL ARGS...]
	local m=$1 p=$2 b=$3
	shift 3
	web "$m" "$p" -H 'Content-Type: application/json' --data "$b" "$@"
}

# No password yet: the page says how to set one, the API says 403.
expect 200 "$(web GET /)" "the page without a password"
grep -q "gkctl passwd" "$GK_TMP/body" || gk_fail "the page does not say to run gkctl passwd"
expect 403 "$(json POST /api/login '{"password":"x"}')" "login without a password set"
grep -q "gkctl passwd" "$GK_TMP/body" || gk_fail "the 403 does not say how to set a password"

PW='hunter2 is long'
echo "$PW" | gk_ctl passwd >/dev/null || gk_fail "gkctl passwd failed"
out=$(echo short | gk_ctl passwd 2>&1) && gk_fail "a short password was accepted"
grep -q "8 characters" <<<"$out" || gk_fail "a short password: $out"

# Headers on every response, whatever the status.
for p in / /app.js /api/status /nope; do
	web GET "$p" >/dev/null
	for h in "Content-Security-Policy: default-src 'self'" "X-Frame-Options: DENY" \
	    "X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer"; do
		grep -qiF "$h" "$GK_TMP/headers" || gk_fail "GET $p lacks '$h'"
	done
done
expect 401 "$(web GET /api/status)" "the API without a session"
grep -qi '^content-type: application/json' "$GK_TMP/headers" ||
	gk_fail "an error is not application/json"

# Limits: a body over 16 KiB, headers over 8 KiB: a 4xx, never a crash.
head -c 20000 /dev/zero | tr '\0' 'a' >"$GK_TMP/big"
code=$(web POST /api/login -H 'Content-Type: application/json' --data-binary @"$GK_TMP/big")
[[ $code == 413 ]] || gk_fail "a 20 KB body: HTTP $code, want 413"
code=$(web GET / -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' 'b')")
[[ $code =~ ^4[0-9][0-9]$ ]] || gk_fail "9 KB of headers: HTTP $code, want a 4xx"
gk_log "limits: a 20 KB body 413, 9 KB of headers $code"

# Rebinding: another name for the router's address is refused.
expect 421 "$(web GET /api/status -H 'Host: evil.example')" "a foreign Host"
expect 421 "$(web GET / -H 'Host: evil.example')" "a foreign Host on a page"
expect 200 "$(web GET / -H 'Host: gatekeeper.lan')" "the router's own name"

# Wrong passwords, then locked out even with the right one.
for i in 1 2 3 4 5; do
	expect 401 "$(json POST /api/login '{"password":"wrong"}')" "wrong password $i"
done
expect 429 "$(json POST /api/login "{\"password\":\"$PW\"}")" "the sixth try"
grep -qi '^retry-after: ' "$GK_TMP/headers" || gk_fail "a 429 without Retry-After"
gk_ctl -j status | jq -e '.daemons[] | select(.name == "webd") |
    .detail.auth.lockouts == 1' >/dev/null || gk_fail "the lockout is not counted in status"

# The lockout is per source: client 2 logs in.
C2=$GK_NS_LAN2
ip -n "$C2" addr add 10.42.0.51/24 dev eth0
ip netns exec "$C2" curl -s -o "$GK_TMP/body" -D "$GK_TMP/headers" -c "$J" \
    -H 'Content-Type: application/json' --data "{\"password\":\"$PW\"}" \
    "$URL/api/login" >/dev/null
grep -qi '^set-cookie: gk_session=' "$GK_TMP/headers" || gk_fail "no session cookie"
for flag in HttpOnly SameSite=Strict Path=/; do
	grep -i '^set-cookie: ' "$GK_TMP/headers" | grep -q "$flag" ||
		gk_fail "the session cookie lacks $flag"
done
CSRF=$(jq -r .csrf "$GK_TMP/body")
[[ ${#CSRF} == 64 ]] || gk_fail "no CSRF token: $(cat "$GK_TMP/body")"
# The jar came from client 2; the rest runs from client 1 with it (the
# lockout is on client 1's address, not on the session).
expect 200 "$(web GET /api/session)" "the session"
[[ $(jq -r .csrf "$GK_TMP/body") == "$CSRF" ]] || gk_fail "/api/session gives another token"
expect 200 "$(web GET /api/status)" "status with a session"
jq -e '.daemons | length == 4' "$GK_TMP/body" >/dev/null || gk_fail "/api/status: $(cat "$GK_TMP/body")"

# Changes: no token, a wrong token, then the right one.
L='{"mac":"02:6b:00:00:00:77","ip":"10.42.0.77","name":"printer"}'
expect 403 "$(json POST /api/leases "$L")" "a reservation without a CSRF token"
expect 403 "$(json POST /api/leases "$L" -H "X-CSRF-Token: ${CSRF//?/0}")" "a wrong token"
expect 200 "$(json POST /api/leases "$L" -H "X-CSRF-Token: $CSRF")" "a reservation"
expect 422 "$(json POST /api/forwards '{"proto":"tcp","wan_port":70000,"ip":"10.42.0.77"}' \
    -H "X-CSRF-Token: $CSRF")" "a forward to port 70000"
expect 409 "$(json POST /api/forwards '{"proto":"tcp","wan_port":53,"ip":"10.42.0.77"}' \
    -H "X-CSRF-Token: $CSRF")" "a forward of a port the router uses"
expect 200 "$(json POST /api/forwards '{"proto":"tcp","wan_port":8443,"ip":"10.42.0.77","port":443}' \
    -H "X-CSRF-Token: $CSRF")" "a forward"
gk_ctl -j leases | jq -e '.leases[] | select(.mac == "02:6b:00:00:00:77" and
    .ip == "10.42.0.77")' >/dev/null || gk_fail "the reservation is not in gkctl leases"
gk_ctl -j forwards | jq -e '.forwards[] | select(.wan_port == 8443 and
    .ip == "10.42.0.77" and .port == 443)' >/dev/null || gk_fail "the forward is not in gkctl forwards"

# webd killed: back within a second, and the session still holds.
pid=$(gk_daemon_field "$(gk_status_json)" webd pid)
kill -KILL "$pid"
ok=0
for i in $(seq 1 20); do
	sleep 0.1
	code=$(web GET /api/session) || true
	if [[ $code == 200 ]]; then ok=1; break; fi
done
((ok)) || gk_fail "webd not serving the session within 2 s of kill -9 (last HTTP $code)"

# /api/live: frames for a session from the router's own page only.
COOKIE="gk_session=$(awk '$6 == "gk_session" {print $7}' "$J")"
ip netns exec "$C1" /usr/bin/python3 "$WS" recv "ws://10.42.0.1/api/live" \
    "$URL" "$COOKIE" 2 >"$GK_TMP/frames" || gk_fail "no frames from /api/live"
gk_log "frames: $(cat "$GK_TMP/frames")"
jq -e '.t > 0 and (.devices | type == "array")' <"$GK_TMP/frames" >/dev/null ||
	gk_fail "bad frames: $(cat "$GK_TMP/frames")"
out=$(ip netns exec "$C1" /usr/bin/python3 "$WS" refused "ws://10.42.0.1/api/live" \
    "$URL" "") || gk_fail "a WebSocket without a session: $out"
gk_log "without a session: $out"
out=$(ip netns exec "$C1" /usr/bin/python3 "$WS" refused "ws://10.42.0.1/api/live" \
    "http://evil.example" "$COOKIE") || gk_fail "a WebSocket from a foreign page: $out"
gk_log "from a foreign page: $out"
out=$(ip netns exec "$C1" /usr/bin/python3 "$WS" mute 10.42.0.1 80 "$URL" \
    "$COOKIE" 14) || gk_fail "a client that reads nothing was not cut: $out"
gk_log "a client that reads nothing: $out"

# Too many WebSockets from one device: 16 held, the rest get 429, counted
# (refused_conns) and said once in the log; another device is served.
refused0=$(gk_status_json | jq '.daemons[] | select(.name == "webd") |
    .detail.http.refused_conns')
ip netns exec "$C1" /usr/bin/python3 "$WS" flood 10.42.0.1 80 "$URL" \
    "$COOKIE" 20 8 >"$GK_TMP/flood" &
flood=$!
for i in $(seq 1 100); do
	[[ -s $GK_TMP/flood ]] && break
	sleep 0.1
done
gk_log "20 WebSockets from one device: $(cat "$GK_TMP/flood")"
[[ $(cat "$GK_TMP/flood") == "101:16 429:4" ]] ||
	gk_fail "one device's WebSockets: $(cat "$GK_TMP/flood"), want 101:16 429:4"
ip netns exec "$C2" /usr/bin/python3 "$WS" recv "ws://10.42.0.1/api/live" \
    "$URL" "$COOKIE" 1 >/dev/null ||
	gk_fail "another device gets no WebSocket while one holds 16"
refused=$(gk_status_json | jq '.daemons[] | select(.name == "webd") |
    .detail.http.refused_conns')
((refused - refused0 == 4)) || gk_fail "refused_conns rose by $((refused - refused0)), want 4"
for i in $(seq 1 30); do
	grep -q "requests refused with 429" "$GK_LOG" && break
	sleep 0.1
done
(($(grep -c "requests refused with 429" "$GK_LOG") == 1)) ||
	gk_fail "the refusals are not said once in the log: $(grep "refused with 429" "$GK_LOG")"
wait "$flood" || gk_fail "the WebSocket flood client failed"

# Out of descriptors: webd's soft limit lowered to 64 (prlimit as webd's
# own uid), one device opens 120 idle connections. accept() fails with
# EMFILE; webd pauses its listener a moment instead of retrying and
# warning in a loop (accept_paused, said once in the log), and once the
# idle connections end another device is served again.
wpid=$(gk_daemon_field "$(gk_status_json)" webd pid)
wuid=$(awk '/^Uid:/ { print $2 }' "/proc/$wpid/status")
wgid=$(awk '/^Gid:/ { print $2 }' "/proc/$wpid/status")
wlimit() {
	setpriv --reuid="$wuid" --regid="$wgid" --clear-groups \
	    prlimit --pid "$wpid" --nofile="$1" || gk_fail "prlimit webd $1"
}
# (root without CAP_SYS_RESOURCE may not even read another uid's limit)
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$wpid/limits")
wlimit "64:$hard"
ip netns exec "$C1" /usr/bin/python3 -c '
import socket, time
held = []
for i in range(120):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("10.42.0.1", 80))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(3)
'
wlimit "$hard:$hard"
code=000
for i in $(seq 1 30); do
	code=$(ip netns exec "$C2" curl -s -o /dev/null -w '%{http_code}' \
	    --max-time 2 "$URL/" || true)
	[[ $code == 200 ]] && break
	sleep 0.5
done
[[ $code == 200 ]] || gk_fail "no page for another device after descriptors ran out (HTTP $code)"
paused=$(gk_status_json | jq '.daemons[] | select(.name == "webd") |
    .detail.http.accept_paused')
((paused > 0)) || gk_fail "accept_paused is $paused after 120 connections over 64 descriptors"
spins=$(grep -c "Error from accept" "$GK_LOG" || true)
((spins == 0)) || gk_fail "libevent retried accept() and warned $spins times"
(($(grep -c "new connections paused" "$GK_LOG") == 1)) ||
	gk_fail "the pauses are not said once in the log: $(grep "connections paused" "$GK_LOG")"
gk_log "out of descriptors: $paused pauses, a page for another device after"

# HTTPS: the certificate webd made, the fingerprint gkctl shows, the
# Secure cookie; the same certificate after a restart of webd.
fp_status=$(gk_status_json | jq -r '.daemons[] | select(.name == "webd") | .detail.tls.fingerprint')
[[ $fp_status =~ ^([0-9A-F]{2}:){31}[0-9A-F]{2}$ ]] || gk_fail "no certificate fingerprint in status: '$fp_status'"
gk_ctl status | grep -qF "$fp_status" || gk_fail "gkctl status does not show the fingerprint"
fp_served=$(ip netns exec "$C1" openssl s_client -connect 10.42.0.1:443 </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//')
[[ $fp_served == "$fp_status" ]] || gk_fail "the served certificate ($fp_served) is not the one in status ($fp_status)"
ip netns exec "$C1" openssl s_client -connect 10.42.0.1:443 </dev/null 2>/dev/null |
    openssl x509 -noout -text | grep -q "IP Address:10.42.0.1" ||
	gk_fail "the certificate does not name the LAN address"
# (from client 2: client 1 is locked out)
code=$(ip netns exec "$C2" curl -sk -o "$GK_TMP/body" -D "$GK_TMP/headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data "{\"password\":\"$PW\"}" \
    --max-time 10 https://10.42.0.1/api/login)
[[ $code == 200 ]] || gk_fail "login over HTTPS: HTTP $code $(cat "$GK_TMP/body")"
grep -i '^set-cookie: ' "$GK_TMP/headers" | grep -q Secure || gk_fail "the HTTPS session cookie is not Secure"
code=$(ip netns exec "$C1" curl -sk -o /dev/null -w '%{http_code}' --max-time 10 \
    -H 'Host: evil.example' https://10.42.0.1/)
[[ $code == 421 ]] || gk_fail "a foreign Host over HTTPS: HTTP $code"
web GET /api/info >/dev/null
jq -e '.https_port == 443' "$GK_TMP/body" >/dev/null || gk_fail "/api/info: $(cat "$GK_TMP/body")"
pid=$(gk_daemon_field "$(gk_status_json)" webd pid)
kill -KILL "$pid"
sleep 1.5
fp_after=$(gk_status_json | jq -r '.daemons[] | select(.name == "webd") | .detail.tls.fingerprint')
[[ $fp_after == "$fp_status" ]] || gk_fail "webd made a new certificate after a restart ($fp_after)"

# Logout ends the session.
expect 200 "$(web POST /api/logout -H "X-CSRF-Token: $CSRF")" "logout"
expect 401 "$(web GET /api/session)" "the session after logout"

# Nothing of it on the WAN: the web port does not answer there.
code=$(ip netns exec "$I" curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
    http://203.0.113.2/ || true)
[[ $code == 000 ]] || gk_fail "the web server answered on the WAN (HTTP $code)"

# The reservation and the forward survive a restart of the whole suite.
gk_stop
gk_start
gk_ctl -j leases | jq -e '.leases[] | select(.mac == "02:6b:00:00:00:77")' \
    >/dev/null || gk_fail "the reservation did not survive a restart"
gk_ctl -j forwards | jq -e '.forwards[] | select(.wan_port == 8443)' \
    >/dev/null || gk_fail "the forward did not survive a restart"
gk_stop
gk_log "ok"
