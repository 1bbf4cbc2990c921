#!/usr/bin/env bash
# dnsd's output (docs/security.md, "dnsd's output"): a compromised dnsd
# may send only to the LAN and to its upstreams' port 53. Replayed with a
# process under dnsd's credentials (setpriv to gk-dnsd, no groups) in the
# router namespace, and with dnsd's own LAN socket taken from the running
# dnsd (pidfd_getfd): datagrams and connects to an internet host that is
# no upstream, to the upstream on another port, and to the router's
# loopback all fail at once (EPERM, a TCP reset) and nothing reaches the
# internet side, while the upstream's port 53 and the LAN still work and
# dig through the router resolves. The same process as root reaches
# everything (the rule is dnsd's alone). Then the upstreams change as a
# user changes them, and the rule follows: the config and a reload; with
# no `upstream`, /etc/resolv.conf rewritten as the WAN's DHCP client does
# on a new lease (a symlink, as under resolvconf or systemd-resolved, in
# an overlay of /etc for gatekeeperd only). `nft flush ruleset` and
# deleting the chain are refused or repaired; after gatekeeperd is
# killed the rule stays (persist) and the next start replaces it. Loads
# the kernel refuses for a while (simulated: GK_TEST_DNSOUT_FAIL) keep
# dnsd on what the rule allows, count nothing twice, log once, and the
# rule comes back when the kernel takes it again.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
command -v setpriv >/dev/null || gk_skip "setpriv is not installed (util-linux)"
getent passwd gk-dnsd >/dev/null || gk_skip "no user gk-dnsd"
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)

UP2=198.51.100.1	# the second upstream (unbound listens there too)
OTHER=198.51.100.2	# an internet host that is no upstream
DNS_UNBOUND_EXTRA="interface: $UP2"
gk_topology_up dnsd-output 1
R=$GK_NS_ROUTER
cp "$(dirname "$0")/outattack.py" "$GK_SRC/tests/netns/nfattack.py" "$GK_TMP/"
chmod 0755 "$GK_TMP"/*.py
gk_must ip -n "$GK_NS_INET" addr add "$OTHER/32" dev lo
dns_upstream_start
dns_client 1

# The internet side listens on OTHER:53 and on the upstream's port 5353,
# UDP and TCP, and writes down whatever reaches it.
SINK=$GK_TMP/sink.log
: >"$SINK"
gk_bg "$GK_NS_INET" "$PY" "$GK_TMP/outattack.py" sink "$SINK" \
    "$OTHER:53" "$DNS_UP:5353"
for ((i = 0; i < 50; i++)); do
	grep -q ready "$SINK" && break
	sleep 0.1
done
grep -q ready "$SINK" || gk_fail "the sink did not start"

dnsd_uid=$(id -u gk-dnsd)
dnsd_gid=$(id -g gk-dnsd)
# try_as WHO TRY...: outattack.py try in the router namespace, as root or
# as gk-dnsd (setpriv: its uid and gid, no supplementary groups); with
# WHO=dnsd-fd, as gk-dnsd holding the running dnsd's LAN socket as fd 3.
try_as() {
	local who=$1 pid
	shift
	case $who in
	root)
		ip netns exec "$R" "$PY" "$GK_TMP/outattack.py" try "$@" ;;
	dnsd)
		ip netns exec "$R" setpriv --reuid="$dnsd_uid" \
		    --regid="$dnsd_gid" --clear-groups \
		    "$PY" "$GK_TMP/outattack.py" try "$@" ;;
	dnsd-fd)
		pid=$(gk_daemon_field "$(gk_status_json)" dnsd pid)
		ip netns exec "$R" "$PY" "$GK_TMP/nfattack.py" steal "$pid" 4 -- \
		    setpriv --reuid="$dnsd_uid" --regid="$dnsd_gid" \
		    --clear-groups "$PY" "$GK_TMP/outattack.py" try "$@" ;;
	esac
}
# expect OUTPUT TRY RESULT...: each TRY gave one of its RESULTs (a|b).
expect() {
	local out=$1 t r got
	shift
	while (($#)); do
		t=$1 r=$2
		shift 2
		got=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$out")
		[[ $got =~ ^($r)$ ]] ||
			gk_fail "$t: got '${got:-nothing}', want $r"$'\n'"$out"
	done
}
sink_count() { grep -c "from" "$SINK" || true; }
sink_at_least() { (($(sink_count) >= $1)); }
dnsout() { gk_status_json | jq -c '.dnsd_output'; }
allowed_upstreams() { [[ $(dnsout | jq -c '.upstreams') == "$1" ]]; }
resolves() {	# resolves NAME ADDR: dig from the LAN client, over UDP
	dns_dig 1 +short "$1" A | grep -qx "$2"
}
refused=ECONNREFUSED
# The attack: what must fail, and what must work, with upstream UP.
attack() {
	local up=$1 no=$2 out before
	before=$(sink_count)
	out=$(try_as dnsd "udp:$OTHER:53" "tcp:$OTHER:53" "udp:$up:5353" \
	    "tcp:$up:5353" "udp:$no:53" "tcp:$no:53" "udp:127.0.0.1:53" \
	    "udp:$up:53" "tcp:$up:53" "udp:10.42.0.11:9" "tcp:10.42.0.1:53")
	echo "$out" | sed 's/^/  as gk-dnsd: /'
	grep -q "^uid $dnsd_uid gid $dnsd_gid groups -$" <<<"$out" ||
		gk_fail "the attacker did not run as gk-dnsd without groups"
	expect "$out" "udp:$OTHER:53" EPERM "tcp:$OTHER:53" "$refused" \
	    "udp:$up:5353" EPERM "tcp:$up:5353" "$refused" \
	    "udp:$no:53" EPERM "tcp:$no:53" "$refused" \
	    "udp:127.0.0.1:53" EPERM \
	    "udp:$up:53" ok "tcp:$up:53" ok "udp:10.42.0.11:9" ok \
	    "tcp:10.42.0.1:53" ok
	out=$(try_as dnsd-fd "fd3:$OTHER:53" "fd3:$up:5353" "fd3:10.42.0.11:9")
	echo "$out" | sed 's/^/  gk-dnsd with dnsd'"'"'s LAN socket: /'
	expect "$out" "fd3:$OTHER:53" EPERM "fd3:$up:5353" EPERM \
	    "fd3:10.42.0.11:9" ok
	sleep 0.3
	(($(sink_count) == before)) ||
		gk_fail "the internet side got dnsd's packets: $(tail -n +2 "$SINK")"
}

# ---- 1. upstream from the config
dns_config
gk_start
json=$(dnsout)
gk_log "dnsd_output: $json"
mode=$(jq -r .mode <<<"$json")
[[ $mode == reject || $mode == drop ]] || gk_fail "dnsd output rule not loaded: $json"
# Without nft reject a TCP connect times out instead of being refused.
[[ $mode == drop ]] && refused="EPERM|timeout"
jq -e --argjson u "$dnsd_uid" '.uid == $u and .lan == "10.42.0.0/24" and
    .upstreams == ["203.0.113.1"] and .error == null' <<<"$json" >/dev/null ||
	gk_fail "unexpected dnsd_output in status: $json"
gk_ctl status | grep -q "^dnsd output $mode: LAN 10.42.0.0/24, port 53 of 203.0.113.1; 0 refused$" ||
	gk_fail "gkctl status does not show the rule: $(gk_ctl status)"
resolves host.example.test 203.0.113.80 || gk_fail "dig through the router fails"
attack "$DNS_UP" "$UP2"
nref=$(dnsout | jq .refused)
((nref >= 9)) || gk_fail "the rule counted $nref refused packets, want 9 at least"
# The same as root: the rule is dnsd's, the paths are there.
out=$(try_as root "udp:$OTHER:53" "tcp:$OTHER:53" "udp:$DNS_UP:5353" \
    "tcp:$DNS_UP:5353")
expect "$out" "udp:$OTHER:53" ok "tcp:$OTHER:53" ok "udp:$DNS_UP:5353" ok \
    "tcp:$DNS_UP:5353" ok
gk_wait_for 2 sink_at_least 4 ||
	gk_fail "root's packets did not reach the internet side: $(cat "$SINK")"
gk_log "as gk-dnsd: no upstream, other ports, loopback refused; as root all reach"

# ---- 2. the user changes the upstream and reloads
sed -i "s/^upstream .*/upstream $UP2/" "$GK_CONF"
kill -HUP "$GK_PID"
gk_wait_for 5 allowed_upstreams "[\"$UP2\"]" ||
	gk_fail "the rule did not follow the reload: $(dnsout)"
resolves a1.rand.example.test 203.0.113.90 ||
	gk_fail "dig fails after the upstream changed"
attack "$UP2" "$DNS_UP"
n=$(dnsout | jq .refused)
((n >= nref + 9)) || gk_fail "refused packets not kept across the reload: $nref, then $n"
gk_log "reload: the rule follows the new upstream; $n packets refused so far"

# ---- 3. others' changes: refused (owned table) or repaired
chain_there() {
	ip netns exec "$R" nft list chain ip gatekeeper dnsd_output 2>/dev/null |
	    grep -q "meta skuid $dnsd_uid jump dnsd_out" &&
	ip netns exec "$R" nft list chain ip gatekeeper dnsd_out 2>/dev/null |
	    grep -q "counter packets [0-9]* bytes [0-9]* drop"
}
# Empties the list of what dnsd may do, then deletes the hook chain.
undo_rule() {
	ip netns exec "$R" nft -f - 2>&1 <<'NFT'
flush chain ip gatekeeper dnsd_out
flush chain ip gatekeeper dnsd_output
delete chain ip gatekeeper dnsd_output
NFT
}
ip netns exec "$R" nft flush ruleset
gk_wait_for 1 chain_there || gk_fail "dnsd's output chain gone after nft flush ruleset"
undo_rule >/dev/null && gk_log "note: the owned table took another's change"
gk_wait_for 1 chain_there || gk_fail "dnsd's output chain not there after its deletion"
attack "$UP2" "$DNS_UP"

# ---- 4. killed: the rule stays; the next start replaces it
gk_crash
chain_there || gk_fail "dnsd's output chain went with gatekeeperd"
out=$(try_as dnsd "udp:$OTHER:53")
expect "$out" "udp:$OTHER:53" EPERM
gk_log "gatekeeperd killed: the rule stays"

# ---- 5. no `upstream`: /etc/resolv.conf, rewritten by a WAN lease.
# Unowned table (as before Linux 6.9): the monitor repairs what others do.
# /etc/resolv.conf is a symlink to $RESOLV, as resolvconf and
# systemd-resolved make it: an overlay of /etc seen by gatekeeperd alone.
sed -i "/^upstream /d" "$GK_CONF"
RESOLV=$GK_TMP/resolv.conf
FAIL=$GK_TMP/dnsout-fail	# while it exists, loads of the rule fail
printf 'search example.net\nnameserver 127.0.0.53\nnameserver %s\n' \
    "$DNS_UP" >"$RESOLV"
# The lease as resolvconf writes it: a new file renamed over the target.
lease() {
	printf 'nameserver %s\n' "$1" >"$RESOLV.new" && mv "$RESOLV.new" "$RESOLV"
}
mkdir -p "$GK_TMP/etc-up" "$GK_TMP/etc-work"
GK_TEST_NO_PERSIST=1 GK_TEST_DNSOUT_FAIL=$FAIL ip netns exec "$R" \
    unshare -m --propagation private sh -c 'mount -t overlay overlay \
    -o "lowerdir=/etc,upperdir=$0/etc-up,workdir=$0/etc-work" /etc &&
    ln -sfn "$0/resolv.conf" /etc/resolv.conf && exec "$@"' "$GK_TMP" \
    "$GK_GATEKEEPERD" -d -f "$GK_CONF" -L "$GK_TMP/libexec" -v \
    >>"$GK_LOG" 2>&1 </dev/null &
GK_PID=$!
gk_wait_running 15 || gk_fail "gatekeeperd did not start again"
gk_wait_for 2 allowed_upstreams '["203.0.113.1"]' ||
	gk_fail "resolv.conf's upstream not in the rule: $(dnsout)"
resolves a2.rand.example.test 203.0.113.90 || gk_fail "dig fails (resolv.conf)"
attack "$DNS_UP" "$UP2"
# The DHCP client writes the new lease's nameservers.
lease "$UP2"
gk_now_ms t0
gk_wait_for 6 allowed_upstreams "[\"$UP2\"]" ||
	gk_fail "the rule did not follow resolv.conf: $(dnsout)"
gk_now_ms t1
gk_wait_for 3 grep -q "resolv.conf: 1 upstream now" "$GK_LOG" ||
	gk_fail "gatekeeperd did not log the new upstreams"
resolves a3.rand.example.test 203.0.113.90 ||
	gk_fail "dig fails after the lease changed the upstream"
attack "$UP2" "$DNS_UP"
gk_log "resolv.conf rewritten: the rule followed within $((t1 - t0)) ms"
undo_rule || gk_fail "the unowned table refused the deletion"
gk_wait_for 1 chain_there || gk_fail "dnsd's output chain not repaired (unowned table)"
ip netns exec "$R" nft flush ruleset
gk_wait_for 1 chain_there || gk_fail "dnsd's output chain not repaired after nft flush ruleset (unowned table)"
attack "$UP2" "$DNS_UP"

# A lease whose new upstream the kernel will not load for a while: dnsd
# stays on the old one (the rule allows only it), the refused counter
# does not count the failed loads' packets again, one log line for
# several failed polls; then the kernel takes it and both follow.
nref=$(dnsout | jq .refused)
touch "$FAIL"
lease "$DNS_UP"
gk_wait_for 6 grep -q "dnsd output: loading the new upstreams" "$GK_LOG" ||
	gk_fail "no log line for the refused update"
sleep 4.5	# two more polls, each failing
allowed_upstreams "[\"$UP2\"]" || gk_fail "the rule changed though its load failed: $(dnsout)"
resolves a5.rand.example.test 203.0.113.90 ||
	gk_fail "dig fails while the rule cannot follow: dnsd got an upstream the rule refuses"
n=$(dnsout | jq .refused)
((n == nref)) || gk_fail "failed loads changed the refused count: $nref, then $n"
k=$(grep -c "dnsd output: loading the new upstreams" "$GK_LOG")
((k == 1)) || gk_fail "$k log lines for the failed updates, want 1 (rate-limited)"
rm -f "$FAIL"
gk_wait_for 6 allowed_upstreams "[\"$DNS_UP\"]" ||
	gk_fail "the rule did not follow once the kernel took it: $(dnsout)"
resolves a6.rand.example.test 203.0.113.90 || gk_fail "dig fails after the retried update"
n=$(dnsout | jq .refused)
((n == nref)) || gk_fail "the refused count after the retried update: $nref, then $n"
attack "$DNS_UP" "$UP2"
gk_log "failed updates: dnsd kept the allowed upstream, $nref refused kept, one log line"
dns_no_sigsys
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"

# ---- 6. a kernel that refuses the rule (simulated: GK_TEST_NO_DNSOUT):
# the NAT's rules go in all the same, the log and the status say so.
echo "upstream $DNS_UP" >>"$GK_CONF"
GK_TEST_NO_DNSOUT=1 gk_start
json=$(dnsout)
jq -e '.mode == "off" and (.error | test("refused"))' <<<"$json" >/dev/null ||
	gk_fail "a refused rule is not shown as off: $json"
gk_ctl status | grep -q "^dnsd output off: the kernel refused the rule" ||
	gk_fail "gkctl status does not say the rule is off: $(gk_ctl status)"
grep -q "dnsd output: the kernel refused the rule .*dnsd may send to any address" "$GK_LOG" ||
	gk_fail "no log line for the refused rule"
q=$(ip netns exec "$R" nft list table ip gatekeeper | grep -Eic "nfqueue|queue num")
((q == 4)) || gk_fail "$q queue rules without dnsd's rule, want 4"
resolves a4.rand.example.test 203.0.113.90 || gk_fail "dig fails without the rule"
gk_stop
gk_log "a refused rule: logged, shown as off, the queue rules in place"

# ---- 7. the install's load fails for a while (the probe took the rule):
# off and shown so, retried from the poll, loaded when the kernel takes it.
touch "$FAIL"
GK_TEST_DNSOUT_FAIL=$FAIL gk_start
json=$(dnsout)
jq -e '.mode == "off" and (.error | test("No buffer space"))' <<<"$json" >/dev/null ||
	gk_fail "a failed install is not shown as off: $json"
sleep 4.5	# two polls, each failing
k=$(grep -c "dnsd output: installing the rule again" "$GK_LOG")
((k == 1)) || gk_fail "$k log lines for the failed retries, want 1 (rate-limited)"
rm -f "$FAIL"
dnsout_mode_is() { [[ $(dnsout | jq -r .mode) == "$1" ]]; }
gk_wait_for 6 dnsout_mode_is "$mode" ||
	gk_fail "the rule did not come back once the kernel took it: $(dnsout)"
jq -e '.error == null and .upstreams == ["203.0.113.1"]' <<<"$(dnsout)" >/dev/null ||
	gk_fail "unexpected dnsd_output after the retry: $(dnsout)"
attack "$DNS_UP" "$UP2"
resolves a7.rand.example.test 203.0.113.90 || gk_fail "dig fails after the retried install"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "a failed install: retried from the poll, the rule back"
gk_log "PASS"
