#!/bin/bash
# The traffic history end to end: a LAN client sends N UDP datagrams of a
# known size (offloads off) through the router to the internet; natd's
# summaries, drained by webd, land in the history with exactly N x the IP
# length up and nothing down, inside the sending window, and the same
# figures come back through gkctl traffic (JSON and CSV), /api/traffic
# (JSON and CSV) and /api/remotes, and at N points (--points, the
# dashboard's zoom) alike; webd killed -9 loses none of it.
set -euo pipefail
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/udplib.sh"

gk_require_root
command -v curl >/dev/null || gk_skip "curl is not installed"
command -v jq >/dev/null || gk_skip "jq is not installed"
gk_topology_up webd-traffic 1
gk_start
C1=$GK_NS_LAN1 I=$GK_NS_INET
udp_client "$C1" 10.42.0.50
N=50 PAYLOAD=972 IPLEN=1000	# 20 (IP) + 8 (UDP) + 972
REMOTE=203.0.113.1

udp_sink "$I" 7000
udp_burst "$C1" "$N" "$PAYLOAD" "$REMOTE" 7000
sleep 1.5	# the drain's turn, and the second closed

# check WHAT JSON: the totals and the rows of a traffic reply
check() {
	local what=$1 js=$2 up pu down
	up=$(jq -r '.totals.bytes_up' <<<"$js")
	pu=$(jq -r '.totals.packets_up' <<<"$js")
	down=$(jq -r '.totals.bytes_down' <<<"$js")
	[[ $up == $((N * IPLEN)) && $pu == "$N" && $down == 0 ]] ||
	    gk_fail "$what: up $up bytes $pu packets, down $down; want $((N * IPLEN)) $N 0"
	# every row with traffic lies in the sending window (100 ms slack)
	jq -e --argjson a "$((t0 - 100))" --argjson b "$((t1 + 100))" \
	    '[.rows[] | select(.[1] > 0) | .[0]] |
	    length > 0 and all(. >= $a and . <= $b)' <<<"$js" >/dev/null ||
	    gk_fail "$what: rows outside the sending window $t0..$t1"
	jq -e '[.rows[] | .[1] % '"$IPLEN"'] | all(. == 0)' <<<"$js" \
	    >/dev/null || gk_fail "$what: a 100 ms bucket holds part of a packet"
}
# csvsum CSV: bytes up and packets up summed from the CSV rows
csvsum() {
	awk -F, 'NR == 1 { if ($2 != "bytes_up") exit 1; next }
	    { b += $2; p += $4; d += $3 } END { print b, p, d }'
}
from=$((t0 - 1000)) to=$((t1 + 1000))
js=$(gk_ctl -j traffic 10.42.0.50 --remote "$REMOTE" --from "$from" \
    --to "$to" --step 100) || gk_fail "gkctl traffic failed"
check "gkctl traffic" "$js"
got=$(gk_ctl traffic 10.42.0.50 --from "$from" --to "$to" --step 100 --csv |
    csvsum) || gk_fail "gkctl traffic --csv: no CSV header"
[[ $got == "$((N * IPLEN)) $N 0" ]] || gk_fail "gkctl traffic --csv sums $got"
gk_log "gkctl: $N datagrams, $((N * IPLEN)) bytes up, in the window"

# The web API, the same figures.
URL=http://10.42.0.1 J=$GK_TMP/jar
echo 'traffic test password' | gk_ctl passwd >/dev/null
web() {
	ip netns exec "$C1" curl -s -b "$J" -c "$J" --max-time 10 "$@"
}
web -H 'Content-Type: application/json' \
    --data '{"password":"traffic test password"}' "$URL/api/login" >/dev/null
q="client=10.42.0.50&remote=$REMOTE&from=$from&to=$to&step=100"
check "/api/traffic" "$(web "$URL/api/traffic?$q")"
got=$(web "$URL/api/traffic?$q&format=csv" | csvsum) ||
	gk_fail "/api/traffic?format=csv: no CSV header"
[[ $got == "$((N * IPLEN)) $N 0" ]] || gk_fail "/api/traffic CSV sums $got"
web "$URL/api/remotes?client=10.42.0.50" | jq -e --arg r "$REMOTE" \
    --argjson b "$((N * IPLEN))" '.remotes[0] | .addr == $r and
    .bytes_up == $b and .ports[0].proto == "udp" and .ports[0].port == 7000' \
    >/dev/null || gk_fail "/api/remotes does not list $REMOTE first"
[[ $(ip netns exec "$C1" curl -s -o /dev/null -w '%{http_code}' \
    --max-time 10 "$URL/api/traffic?$q") == 401 ]] ||
	gk_fail "/api/traffic without a session"
gk_log "web API: the same figures, JSON and CSV"

# --points N: the dashboard's zoom through gkctl, the very answer of
# /api/traffic?points=N; with --step too, webd's refusal.
js=$(gk_ctl -j traffic 10.42.0.50 --remote "$REMOTE" --from "$from" \
    --to "$to" --points 7) || gk_fail "gkctl traffic --points failed"
jq -e --argjson b "$((N * IPLEN))" --argjson n "$N" '.totals |
    .bytes_up == $b and .packets_up == $n and .bytes_down == 0' \
    <<<"$js" >/dev/null || gk_fail "gkctl traffic --points 7: totals $(jq -c \
    .totals <<<"$js")"
jq -e --argjson b "$((N * IPLEN))" '[.rows[] | .[1]] | add == $b' \
    <<<"$js" >/dev/null || gk_fail "gkctl traffic --points 7: rows do not sum"
jq -e '(.rows | length) <= 7 and .step > 100' <<<"$js" >/dev/null ||
	gk_fail "gkctl traffic --points 7: $(jq -c '[(.rows | length), .step]' \
	    <<<"$js") (rows, step)"
a=$(jq -c '[.totals, .rows, .step]' <<<"$js")
b=$(web "$URL/api/traffic?client=10.42.0.50&remote=$REMOTE&from=$from&to=$to&points=7" |
    jq -c '[.totals, .rows, .step]')
[[ $a == "$b" ]] ||
	gk_fail "gkctl traffic --points and /api/traffic?points differ:"$'\n'"$a"$'\n'"$b"
err=$(gk_ctl traffic 10.42.0.50 --from "$from" --to "$to" --points 7 \
    --step 100 2>&1) &&
	gk_fail "gkctl traffic --points --step was taken"
[[ $err == *"one or the other"* ]] ||
	gk_fail "gkctl traffic --points --step: $err"
gk_log "gkctl traffic --points 7: $(jq '.rows | length' <<<"$js") rows, the web API's"

# webd killed -9: the history is the parent's memory, nothing is lost.
pid=$(gk_daemon_field "$(gk_status_json)" webd pid)
kill -KILL "$pid"
for i in $(seq 1 40); do
	sleep 0.1
	js=$(gk_ctl -j traffic 10.42.0.50 --remote "$REMOTE" --from "$from" \
	    --to "$to" --step 100 2>/dev/null) && break
done
check "after kill -9 of webd" "$js"
gk_status_json | jq -e '.daemons[] | select(.name == "webd") |
    .detail.traffic | .resets == 0 and .pairs >= 1 and .records >= '"$N" \
    >/dev/null || gk_fail "webd's status after kill -9: $(gk_status_json |
    jq -c '.daemons[] | select(.name == "webd") | .detail.traffic')"
gk_log "kill -9 of webd: nothing lost"
gk_stop
gk_log ok
