#!/bin/bash
# The traffic history survives a restart of the whole suite: a LAN client
# sends N UDP datagrams of a known size (offloads off) through the router;
# gatekeeperd is stopped (SIGTERM, as at shutdown or reboot; the parent's
# memory is gone) and started again; webd rebuilds the history from
# history.db in its state dir, and gkctl traffic, /api/traffic (JSON and
# CSV), gkctl usage and /api/usage give back exactly the bytes sent. Then
# a damaged history.db is moved aside with a log line, webd keeps running
# and starts a new one.
set -euo pipefail
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/udplib.sh"

gk_require_root
command -v curl >/dev/null || gk_skip "curl is not installed"
command -v jq >/dev/null || gk_skip "jq is not installed"
gk_topology_up webd-durable 1
gk_start
C1=$GK_NS_LAN1 I=$GK_NS_INET
udp_client "$C1" 10.42.0.50
N=40 PAYLOAD=1172 IPLEN=1200	# 20 (IP) + 8 (UDP) + 1172
REMOTE=203.0.113.7
DB=$GK_TMP/state/webd/history.db

udp_sink "$I" 7001
udp_burst "$C1" "$N" "$PAYLOAD" "$REMOTE" 7001
sleep 1.5	# the drain's turn, and the second closed
from=$((t0 - 1000)) to=$((t1 + 1000)) want=$((N * IPLEN))
today=$(date +%F)

# traffic_up: bytes and packets up in the window, from gkctl
traffic_up() {
	gk_ctl -j traffic 10.42.0.50 --remote "$REMOTE" --from "$from" \
	    --to "$to" --step 100 | jq -r '"\(.totals.bytes_up) \(.totals.packets_up)"'
}
got=$(traffic_up) || gk_fail "gkctl traffic failed"
[[ $got == "$want $N" ]] || gk_fail "before the restart: $got, want $want $N"
# and the rows, to compare after
before=$(gk_ctl -j traffic 10.42.0.50 --from "$from" --to "$to" --step 100 |
    jq -c '[.rows[] | select(.[1] > 0 or .[2] > 0)]')

gk_stop
[[ -s $DB ]] || gk_fail "no $DB after the stop"
gk_log "stopped; $(stat -c %s "$DB") bytes in history.db"
gk_start

for i in $(seq 1 50); do
	got=$(traffic_up 2>/dev/null) && [[ $got == "$want $N" ]] && break
	sleep 0.1
done
[[ $got == "$want $N" ]] || gk_fail "after the restart: '$got', want $want $N"
after=$(gk_ctl -j traffic 10.42.0.50 --from "$from" --to "$to" --step 100 |
    jq -c '[.rows[] | select(.[1] > 0 or .[2] > 0)]')
[[ $after == "$before" ]] ||
	gk_fail "the 100 ms rows differ after the restart: $before / $after"
gk_status_json | jq -e '.daemons[] | select(.name == "webd") |
    .detail.traffic.store | .open and .rows_restored >= 1 and
    .rows_rejected == 0' >/dev/null ||
	gk_fail "webd's store status: $(gk_status_json | jq -c \
	    '.daemons[] | select(.name == "webd") | .detail.traffic.store')"
gk_log "gkctl traffic after the restart: $want bytes, the same 100 ms rows"

# The daily totals: gkctl (JSON, CSV) and the web API.
js=$(gk_ctl -j usage 10.42.0.50 "$today") || gk_fail "gkctl usage failed"
jq -e --arg d "$today" --argjson b "$want" --argjson n "$N" \
    '.days | length == 1 and .[0].day == $d and .[0].bytes_up == $b and
    .[0].packets_up == $n and .[0].bytes_down == 0 and
    .[0].active_minutes >= 1' <<<"$js" >/dev/null ||
	gk_fail "gkctl usage: $js"
got=$(gk_ctl usage 10.42.0.50 --from "$today" --to "$today" --csv |
    awk -F, 'NR == 1 && $1 != "day" { exit 1 } NR == 2 { print $1, $2, $4 }') ||
	gk_fail "gkctl usage --csv: no header"
[[ $got == "$today $want $N" ]] || gk_fail "gkctl usage --csv: $got"
out=$(gk_ctl usage 10.42.0.50 2027-02-30 2>&1) &&
	gk_fail "gkctl usage took 2027-02-30"
[[ $out == *"is not a date"* ]] || gk_fail "gkctl usage 2027-02-30: $out"

URL=http://10.42.0.1 J=$GK_TMP/jar
echo 'durable test password' | gk_ctl passwd >/dev/null
web() {
	ip netns exec "$C1" curl -s -b "$J" -c "$J" --max-time 10 "$@"
}
web -H 'Content-Type: application/json' \
    --data '{"password":"durable test password"}' "$URL/api/login" >/dev/null
q="client=10.42.0.50&remote=$REMOTE&from=$from&to=$to&step=100"
got=$(web "$URL/api/traffic?$q" | jq -r '.totals.bytes_up')
[[ $got == "$want" ]] || gk_fail "/api/traffic after the restart: $got"
got=$(web "$URL/api/traffic?$q&format=csv" |
    awk -F, 'NR > 1 { b += $2 } END { print b }')
[[ $got == "$want" ]] || gk_fail "/api/traffic CSV after the restart: $got"
web "$URL/api/usage?client=10.42.0.50&from=$today" | jq -e --arg d "$today" \
    --argjson b "$want" '.days[0].day == $d and .days[0].bytes_up == $b and
    .totals.bytes_up == $b' >/dev/null || gk_fail "/api/usage: $(web \
    "$URL/api/usage?client=10.42.0.50&from=$today")"
got=$(web "$URL/api/usage?client=10.42.0.50&format=csv" |
    awk -F, -v d="$today" '$1 == d { print $2 }')
[[ $got == "$want" ]] || gk_fail "/api/usage CSV: $got"
[[ $(web -o /dev/null -w '%{http_code}' \
    "$URL/api/usage?client=10.42.0.50&to=tomorrow") == 422 ]] ||
	gk_fail "/api/usage took to=tomorrow"
gk_log "usage: $want bytes on $today through gkctl and /api/usage"

# A damaged database: moved aside, logged, a new one; webd keeps going.
gk_stop
head -c 4096 /dev/urandom >"$DB"
rm -f "$DB-wal" "$DB-shm"
gk_start
for i in $(seq 1 50); do
	st=$(gk_status_json | jq -c '.daemons[] | select(.name == "webd") |
	    .detail.traffic.store // empty')
	[[ -n $st ]] && jq -e '.open and .moved_aside == 1' <<<"$st" \
	    >/dev/null && break
	sleep 0.1
done
jq -e '.open and .moved_aside == 1' <<<"$st" >/dev/null ||
	gk_fail "webd's store after a damaged history.db: $st"
ls "$DB".bad-* >/dev/null 2>&1 || gk_fail "the damaged file was not kept"
grep -q "history.db is damaged" "$GK_LOG" || gk_fail "no log line"
[[ $(gk_daemon_field "$(gk_status_json)" webd restarts) == 0 ]] ||
	gk_fail "webd restarted"
gk_log "a damaged history.db: moved aside, logged, webd runs on"
gk_stop
gk_log ok
