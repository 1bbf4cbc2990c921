#!/usr/bin/env bash
# dnsd tells webd which names each LAN device resolved to which addresses
# (MSG_DNS_OBS), and webd keeps them: after two devices dig a few names
# through the router, `gkctl names` (webd) lists, per device, each
# address with the name that device asked for; answers from the cache
# count too; repeats are suppressed in dnsd, not sent again; NXDOMAIN and
# refused answers add nothing. With webd stopped (SIGSTOP), its channel
# fills: dnsd drops and counts what does not fit, keeps answering, and
# once webd runs again it gets the observations that went out.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
gk_topology_up dnsobservations 2
dns_client 1
dns_client 2
dns_upstream_start
dns_config
gk_start

C1=10.42.0.11 C2=10.42.0.12

dig_ok() {	# dig_ok CLIENT NAME TYPE WANT
	local out
	out=$(dns_dig "$1" +short "$2" "$3")
	grep -qx "$4" <<<"$out" || gk_fail "$2 $3 from client $1: '$out', want $4"
}

webd_stat() {
	gk_status_json | jq -r --arg k "$1" \
	    '.daemons[] | select(.name == "webd") | .detail.names[$k]'
}

# names_of CLIENT: "address name" lines webd holds for it, sorted
names_of() {
	gk_ctl -j names "$1" | jq -r '.names[] | "\(.address) \(.name)"' | sort
}

# wait_webd KEY N: until webd's names counter KEY reaches N
wait_webd() {
	local i v
	for ((i = 0; i < 50; i++)); do
		v=$(webd_stat "$1")
		[[ $v =~ ^[0-9]+$ ]] && ((v >= $2)) && return 0
		sleep 0.1
	done
	gk_fail "webd's $1 is ${v:-?}, want $2"
}

dig_ok 1 host.example.test A 203.0.113.80
dig_ok 1 host.example.test AAAA 2001:db8::80
dig_ok 1 mail.example.test A 203.0.113.25
dig_ok 2 www.example.test A 203.0.113.80	# a CNAME chain: the name asked counts
dig_ok 2 cached.example.test A 203.0.113.81
# nothing to observe: NXDOMAIN, a refused rebinding answer, a local name
dns_dig 1 nosuch.example.test A >/dev/null
dns_dig 1 rebind.example.test A >/dev/null
dig_ok 1 gatekeeper.lan A 10.42.0.1
wait_webd entries 5

want1=$'2001:db8::80 host.example.test.\n203.0.113.25 mail.example.test.\n203.0.113.80 host.example.test.'
want2=$'203.0.113.80 www.example.test.\n203.0.113.81 cached.example.test.'
got1=$(names_of $C1)
[[ $got1 == "$want1" ]] || gk_fail "webd's names for $C1:"$'\n'"$got1"$'\n'"want:"$'\n'"$want1"
got2=$(names_of $C2)
[[ $got2 == "$want2" ]] || gk_fail "webd's names for $C2:"$'\n'"$got2"$'\n'"want:"$'\n'"$want2"
gk_log "ok: webd holds each device's names: $C1 3, $C2 2"
gk_ctl names $C1 | grep -q "mail.example.test." || gk_fail "gkctl names (table) lacks mail.example.test."
[[ $(dns_stat observations_sent) == 5 ]] ||
	gk_fail "dnsd observations_sent $(dns_stat observations_sent), want 5"

# From the cache: another device's first answer is news, a repeat is not.
dig_ok 1 cached.example.test A 203.0.113.81
for ((i = 0; i < 20; i++)); do
	dig_ok 1 host.example.test A 203.0.113.80
done
wait_webd entries 6
names_of $C1 | grep -qx "203.0.113.81 cached.example.test." ||
	gk_fail "a cached answer was not observed for $C1"
sleep 0.3
[[ $(dns_stat observations_sent) == 6 ]] ||
	gk_fail "repeats were sent: observations_sent $(dns_stat observations_sent), want 6"
(($(dns_stat observations_suppressed) >= 20)) ||
	gk_fail "observations_suppressed $(dns_stat observations_suppressed), want >= 20"
[[ $(webd_stat observations) == 6 ]] ||
	gk_fail "webd took in $(webd_stat observations) observations, want 6"
gk_log "ok: cached answers observed, 20 repeats suppressed in dnsd"

# webd stopped: its channel fills, dnsd drops and counts, still answers.
webd_pid=$(gk_daemon_field "$(gk_status_json)" webd pid)
[[ $webd_pid =~ ^[0-9]+$ ]] || gk_fail "no webd pid"
kill -STOP "$webd_pid"
for ((i = 1; i <= 1500; i++)); do
	echo "f$i.rand.example.test A"
done >"$GK_TMP/names"
ip netns exec "${GK_NS_LANS[0]}" dig @10.42.0.1 +time=3 +tries=1 +short \
    -f "$GK_TMP/names" >"$GK_TMP/answers" 2>&1
kill -CONT "$webd_pid"
n=$(grep -c '^203\.0\.113\.90$' "$GK_TMP/answers")
((n == 1500)) || gk_fail "$n of 1500 answered while webd was stopped"
sent=$(dns_stat observations_sent)
dropped=$(dns_stat observations_dropped)
((dropped > 0)) || gk_fail "webd stopped for 1500 names, yet nothing dropped (sent $sent)"
((sent + dropped == 1506)) || gk_fail "sent $sent + dropped $dropped != 1506"
wait_webd observations "$sent"
[[ $(webd_stat observations) == "$sent" ]] ||
	gk_fail "webd took in $(webd_stat observations), dnsd sent $sent"
gk_log "ok: with webd stopped, $dropped dropped and counted; webd got the $sent sent"
[[ $(gk_daemon_field "$(gk_status_json)" dnsd restarts) == 0 &&
   $(gk_daemon_field "$(gk_status_json)" webd restarts) == 0 ]] ||
	gk_fail "a daemon restarted"
dns_no_sigsys
gk_log "pass"
