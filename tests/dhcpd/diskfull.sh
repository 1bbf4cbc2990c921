#!/usr/bin/env bash
# The whole dhcpd on a full disk (docs/reliability.md, "Exhaustion"): its
# state dir on a 1 MB tmpfs, mounted in a mount namespace of this test's
# own (never the host's mounts; gatekeeperd inherits it through ip netns
# exec). Bursts of new clients (perfdhcp on a LAN port, each client its own
# MAC), a capture beside them, in three phases:
#
#   1. room on the disk: the clients are acknowledged;
#   2. the disk filled to ENOSPC, a burst of new clients: their commits
#      fail (the WAL must grow), dhcpd says so in its log and counts the
#      withheld ACKs (dropped.not_durable);
#   3. the filler removed: the same clients come back and are acknowledged.
#
# After each phase the database is copied as it is on disk (what a dhcpd
# restarted at that moment would read): every ACK seen on the wire so far
# must be there, the same address bound to the same MAC. An ACK for a
# lease that is not on disk fails the test.
set -u
if [[ ${GK_DISKFULL_NS:-} != 1 ]]; then
	[[ $(id -u) == 0 ]] || {
		echo "[diskfull] SKIP: needs root (mount namespace, netns)"
		exit 77
	}
	command -v unshare >/dev/null || {
		echo "[diskfull] SKIP: unshare (util-linux) is not installed"
		exit 77
	}
	GK_DISKFULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_dhcp_require perfdhcp dumpcap tshark sqlite3
gk_topology_up dhcpdiskfull 1
# perfdhcp's clients all come from the one port's MAC, each with its own
# chaddr: the per-device limit would stop them at 8.
echo "dhcp-mac-limit 0" >>"$GK_CONF"

state=$GK_TMP/state
mount -t tmpfs -o size=1m,mode=0755 gk-diskfull "$state" ||
	gk_fail "cannot mount a tmpfs on $state"
# Unmounted (lazily: gatekeeperd's namespace keeps its copy until it
# exits) before the teardown removes $GK_TMP.
diskfull_down() {
	local rc=$?
	umount -l "$state" 2>/dev/null
	(exit "$rc")
	gk_topology_down
}
trap diskfull_down EXIT
db=$state/dhcpd/leases.db
# perfdhcp -l needs an address on its interface (outside the pool); it
# still asks and is answered as clients without one (broadcast).
gk_must ip -n "$GK_NS_LAN1" addr add 10.42.0.2/24 dev eth0
LEASE_BOUND=2	# enum lease_state in dhcpd/server.h
gk_start

dhcpd_detail() {
	gk_dhcpd_detail
}

# burst PHASE BASEMAC N: N new clients (MACs from BASEMAC), one DORA each,
# captured; the ACKs seen go to $GK_TMP/acks.PHASE as "mac ip" lines.
burst() {
	local phase=$1 base=$2 n=$3 cap=$GK_TMP/cap.$1.pcap cpid i
	ip netns exec "$GK_NS_LAN1" dumpcap -q -P -i eth0 \
	    -f "udp and (port 67 or port 68)" -w "$cap" >/dev/null 2>&1 &
	cpid=$!
	GK_BG_PIDS+=("$cpid")
	# dumpcap writes the file's header once it captures (slow to start
	# on a loaded machine).
	for ((i = 0; i < 100; i++)); do
		[[ -s $cap ]] && break
		sleep 0.1
	done
	[[ -s $cap ]] || gk_fail "phase $phase: dumpcap did not start within 10 s"
	sleep 0.5
	# -R N: N clients, MACs BASEMAC + 0 .. N-1; -n N exchanges at most.
	ip netns exec "$GK_NS_LAN1" timeout 30 perfdhcp -4 -l eth0 \
	    -b "mac=$base" -R "$n" -n "$n" -r 200 -p 6 -W 2000000 \
	    >"$GK_TMP/perfdhcp.$phase" 2>&1	# not 0 when replies are missing
	sleep 1
	kill -INT "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	tshark -r "$cap" -Y "dhcp.option.dhcp == 5" -T fields \
	    -e dhcp.hw.mac_addr -e dhcp.ip.your 2>/dev/null | tr '\t' ' ' |
	    sort -u >"$GK_TMP/acks.$phase"
	# perfdhcp's two blocks: DISCOVER-OFFER, then REQUEST-ACK.
	gk_log "phase $phase: $(wc -l <"$GK_TMP/acks.$phase") ACKs on the wire;" \
	    "perfdhcp sent/received: $(awk '/^sent packets:/ { s = $3 }
	    /^received packets:/ { printf "%s%s/%s", sep, s, $3; sep = ", " }' \
	    "$GK_TMP/perfdhcp.$phase") (DISCOVER/OFFER, REQUEST/ACK)"
	grep -Eq '^sent packets: [1-9]' "$GK_TMP/perfdhcp.$phase" || {
		cat "$GK_TMP/perfdhcp.$phase"
		gk_fail "phase $phase: perfdhcp sent nothing"
	}
}

# on_disk PHASE: the leases bound on disk now ("mac ip"), from a copy of
# the database and its WAL, as a dhcpd restarted now would read them
# (SQLite recovers the committed frames of the WAL only).
on_disk() {
	local d=$GK_TMP/disk.$1
	mkdir -p "$d"
	cp "$db" "$d/leases.db" || gk_fail "cannot copy $db"
	[[ -f $db-wal ]] && cp "$db-wal" "$d/leases.db-wal"
	# ip in host order; state LEASE_BOUND (dhcpd/server.h).
	sqlite3 -separator ' ' "$d/leases.db" "SELECT lower(mac),
	    ((ip >> 24) & 255) || '.' || ((ip >> 16) & 255) || '.' ||
	    ((ip >> 8) & 255) || '.' || (ip & 255)
	    FROM leases WHERE state = $LEASE_BOUND" >"$d/bound" ||
		gk_fail "the database copy of phase $1 cannot be read"
	sort -u "$d/bound" >"$GK_TMP/disk.$1.txt"
}

# check PHASE: every ACK seen in phases up to PHASE is on disk.
check_acks_on_disk() {
	local phase=$1 missing
	on_disk "$phase"
	missing=$(sort -u "$GK_TMP"/acks.[1-"$phase"] |
	    comm -23 - "$GK_TMP/disk.$phase.txt")
	[[ -z $missing ]] || {
		echo "---- ACKed, not on disk ----"
		echo "$missing"
		echo "---- on disk ----"
		cat "$GK_TMP/disk.$phase.txt"
		gk_fail "phase $phase: $(wc -l <<<"$missing") lease(s) acknowledged" \
		    "on the wire but not in leases.db"
	}
	gk_log "phase $phase: the $(sort -u "$GK_TMP"/acks.[1-"$phase"] |
	    wc -l) ACKed leases are all in leases.db ($(wc -l \
	    <"$GK_TMP/disk.$phase.txt") rows)"
}

# 1. Room on the disk: acknowledged and durable.
burst 1 02:10:00:00:00:00 20
(($(wc -l <"$GK_TMP/acks.1") >= 10)) ||
	gk_fail "phase 1: only $(wc -l <"$GK_TMP/acks.1") of 20 clients acknowledged"
check_acks_on_disk 1
withheld0=$(dhcpd_detail | jq '.dropped.not_durable')

# 2. The disk full.
dd if=/dev/zero of="$state/filler" bs=4k 2>/dev/null
[[ $(df --output=avail -B1 "$state" | tail -n 1 | tr -d ' ') -lt 4096 ]] ||
	gk_fail "the tmpfs is not full: $(df -h "$state" | tail -n 1)"
burst 2 02:20:00:00:00:00 100
check_acks_on_disk 2
withheld=$(($(dhcpd_detail | jq '.dropped.not_durable') - withheld0))
((withheld > 0)) || gk_fail "phase 2: no ACK withheld (dropped.not_durable" \
    "did not rise) though the disk is full: the test did not fill it"
grep -qE "lease database: database or disk is full; the ACKs of [0-9]+ failed commit\(s\) are withheld" \
    "$GK_LOG" || gk_fail "phase 2: the full disk is not said in the log"
gk_log "phase 2: $withheld ACK(s) withheld (dropped.not_durable)," \
    "$(wc -l <"$GK_TMP/acks.2") sent (their commits fitted in the WAL)"
gk_all_running "$(gk_status_json)" || gk_fail "a daemon is not running"

# 3. Room again: the same clients come back and are acknowledged.
rm -f "$state/filler"
burst 3 02:20:00:00:00:00 100
(($(wc -l <"$GK_TMP/acks.3") >= 50)) ||
	gk_fail "phase 3: only $(wc -l <"$GK_TMP/acks.3") of 100 clients" \
	    "acknowledged once the disk had room"
check_acks_on_disk 3
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
