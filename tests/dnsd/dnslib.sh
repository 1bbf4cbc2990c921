# shellcheck shell=bash
#
# Shared by dnsd's netns tests: a real DNS server (unbound, authoritative
# for example.test from a zone file written here) in the internet
# namespace at 203.0.113.1, and LAN clients with static addresses. Every
# file (config, zone, pid, log) lives in $GK_TMP; the server runs only
# inside the namespace and is stopped by pid at teardown (lib.sh).

DNS_UP=203.0.113.1

dns_require_tools() {
	local t
	for t in unbound dig kdig; do
		command -v "$t" >/dev/null ||
			gk_skip "$t is not installed (scripts/packages/dnsd.txt)"
	done
}

# dns_zone FILE: the test zone.
dns_zone() {
	local i big=""
	for ((i = 0; i < 15; i++)); do
		big+="big 300 IN TXT \"record $i $(printf 'x%.0s' {1..180})\""$'\n'
	done
	cat >"$1" <<ZONE
\$TTL 300
@	IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
@	IN NS ns.example.test.
@	IN MX 10 mail.example.test.
ns	IN A 203.0.113.1
mail	IN A 203.0.113.25
host	IN A 203.0.113.80
host	IN AAAA 2001:db8::80
www	IN CNAME web.example.test.
web	IN CNAME host.example.test.
txt	IN TXT "hello from the test zone"
cached	IN A 203.0.113.81
stale	IN A 203.0.113.82
short	1 IN A 203.0.113.83
rebind	IN A 192.168.1.1
rebind6	IN AAAA fd00::1
lanip	IN A 10.42.0.1
nas.home	IN A 192.168.1.10
*.rand	IN A 203.0.113.90
media.home	IN AAAA fd00::10
$big
ZONE
}

# dns_upstream_start: unbound in the internet namespace; waits until it
# answers.
dns_upstream_start() {
	local dir=$GK_TMP/unbound i
	mkdir -p "$dir"
	dns_zone "$dir/example.test.zone"
	cat >"$dir/unbound.conf" <<CONF
server:
	interface: $DNS_UP
	port: 53
	do-ip6: no
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	logfile: "$dir/unbound.log"
	use-syslog: no
	log-queries: yes
	verbosity: 1
	num-threads: 1
	access-control: 0.0.0.0/0 allow
	module-config: "iterator"
	# .test is a locally served zone by default (RFC 6761): serve ours
	local-zone: "test." nodefault
	edns-buffer-size: 1232
	${DNS_UNBOUND_EXTRA:-}
auth-zone:
	name: "example.test"
	zonefile: "$dir/example.test.zone"
	for-downstream: yes
	for-upstream: no
remote-control:
	control-enable: no
CONF
	unbound-checkconf "$dir/unbound.conf" >/dev/null ||
		gk_fail "unbound-checkconf rejects the test config"
	gk_bg "$GK_NS_INET" unbound -d -c "$dir/unbound.conf"
	DNS_UP_PID=$GK_BG_PID
	for ((i = 0; i < 50; i++)); do
		if ip netns exec "$GK_NS_INET" dig +short +time=1 +tries=1 \
		    @"$DNS_UP" host.example.test A 2>/dev/null | grep -q 203.0.113.80; then
			return 0
		fi
		sleep 0.1
	done
	cat "$dir/unbound.log" 2>/dev/null
	gk_fail "unbound did not start answering within 5 s"
}

dns_upstream_stop() {
	kill -TERM "$DNS_UP_PID" 2>/dev/null
	wait "$DNS_UP_PID" 2>/dev/null
	DNS_UP_PID=""
}

# How many queries for NAME (and TYPE) the upstream received.
dns_upstream_seen() {
	grep -ci "info: [0-9.]* $1\. $2 IN" "$GK_TMP/unbound/unbound.log" || true
}

# dns_client I: LAN client I gets 10.42.0.(10+I)/24, default via the router.
dns_client() {
	local ns=${GK_NS_LANS[$(($1 - 1))]}
	gk_must ip -n "$ns" addr add "10.42.0.$((10 + $1))/24" dev eth0
	gk_must ip -n "$ns" route add default via 10.42.0.1
}

# dns_dig I ARGS...: dig from LAN client I at the router.
dns_dig() {
	local ns=${GK_NS_LANS[$(($1 - 1))]}
	shift
	ip netns exec "$ns" dig @10.42.0.1 +time=3 +tries=1 "$@"
}

dns_kdig() {
	local ns=${GK_NS_LANS[$(($1 - 1))]}
	shift
	ip netns exec "$ns" kdig @10.42.0.1 +time=3 +retry=0 "$@"
}

# The config: the test upstream, before gk_start.
dns_config() {
	echo "upstream $DNS_UP" >>"$GK_CONF"
}

# dnsd's counters from the status detail.
dns_stat() {
	gk_status_json | jq -r --arg k "$1" \
	    '.daemons[] | select(.name == "dnsd") | .detail.stats[$k]'
}

dns_no_sigsys() {
	if grep -q "dnsd.*killed by signal 31" "$GK_LOG"; then
		gk_fail "dnsd was killed by seccomp (SIGSYS): a syscall is missing from SANDBOX_DNSD"
	fi
}
