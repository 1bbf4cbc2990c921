#!/usr/bin/env bash
# Leases are durable: the lease table is the same before and after kill -9
# of dhcpd (every ACKed lease was committed before the ACK left), and
# after a full restart of gatekeeperd; reservations made with gkctl are
# kept across both; the clients renew their same addresses afterwards.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_dhcp_require udhcpc unshare
gk_topology_up dhcpdurable 3
gk_start

leases_now() {
	gk_ctl -j leases | jq -S '.leases | sort_by(.ip)'
}

dhcpd_pid() {
	gk_daemon_field "$(gk_status_json)" dhcpd pid
}

# A reservation by gkctl, refused ones explained.
gk_ctl lease add 02:6b:00:00:00:99 10.42.0.99 laserjet >/dev/null ||
	gk_fail "gkctl lease add failed"
out=$(gk_ctl lease add 02:6b:00:00:00:98 10.42.0.99 2>&1) &&
	gk_fail "a second reservation of 10.42.0.99 was accepted"
grep -q "already reserved" <<<"$out" || gk_fail "collision not explained: $out"
out=$(gk_ctl lease add 02:6b:00:00:00:98 192.168.5.5 2>&1) &&
	gk_fail "a reservation outside the LAN was accepted"
grep -q "not a host address of the LAN" <<<"$out" ||
	gk_fail "outside-LAN reservation not explained: $out"
gk_ctl lease add 02:6b:00:00:00:97 10.42.0.97 >/dev/null ||
	gk_fail "gkctl lease add failed"
gk_ctl lease del 02:6b:00:00:00:97 >/dev/null || gk_fail "gkctl lease del failed"

pids=()
for i in 1 2 3; do
	ns=GK_NS_LAN$i
	gk_udhcpc "${!ns}" c$i -x hostname:device$i
	pids+=("$GK_BG_PID")
done
for i in 1 2 3; do
	gk_dhcp_wait c$i "event=bound "
done
before=$(leases_now)
(($(jq '[.[] | select(.state == "bound")] | length' <<<"$before") == 3)) ||
	gk_fail "not three bound leases: $before"
jq -e '.[] | select(.ip == "10.42.0.99" and .state == "reserved" and
    .hostname == "laserjet")' <<<"$before" >/dev/null ||
	gk_fail "the reservation is not listed: $before"

# kill -9 dhcpd; the parent restarts it, and it reads the database.
old=$(dhcpd_pid)
[[ -n $old ]] || gk_fail "no dhcpd pid"
kill -KILL "$old"
for ((i = 0; i < 100; i++)); do
	new=$(dhcpd_pid)
	[[ -n $new && $new != "$old" ]] && gk_all_running "$(gk_status_json)" &&
		break
	sleep 0.1
done
[[ -n $new && $new != "$old" ]] || gk_fail "dhcpd was not restarted"
after=$(leases_now)
[[ $after == "$before" ]] || {
	diff <(echo "$before") <(echo "$after")
	gk_fail "leases differ after kill -9 of dhcpd"
}
gk_log "leases identical after kill -9 of dhcpd (pid $old -> $new)"

# The clients renew the same addresses with the restarted dhcpd.
for i in 1 2 3; do
	a=$(gk_dhcp_field c$i "event=bound " ip)
	kill -USR1 "${pids[i - 1]}"
	gk_dhcp_wait c$i "event=renew ip=$a "
done

# A full restart of the suite keeps leases and the reservation.
before=$(leases_now)
gk_stop
gk_start
after=$(leases_now)
[[ $after == "$before" ]] || {
	diff <(echo "$before") <(echo "$after")
	gk_fail "leases differ after a restart of gatekeeperd"
}
# Deleting the reservation is kept too.
gk_ctl lease del 02:6b:00:00:00:99 >/dev/null || gk_fail "lease del failed"
gk_stop
gk_start
gk_ctl -j leases | jq -e '[.leases[] | select(.ip == "10.42.0.99")] |
    length == 0' >/dev/null || gk_fail "a deleted reservation came back"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
