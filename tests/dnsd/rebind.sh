#!/usr/bin/env bash
# rebind-allow: a public name that answers a private address is REFUSED by
# default (DNS rebinding protection) and resolves once its domain is in
# rebind-allow; a reload (SIGHUP) adds and removes domains, and a domain
# taken off the list stops resolving at once (not served from the cache).
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
gk_topology_up dnsrebind 1
dns_client 1
dns_upstream_start
dns_config
gk_start

# status NAME TYPE: the rcode dig shows
status() {
	dns_dig 1 +noall +comments "$1" "$2" 2>&1 |
	    sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}

# expect_status NAME TYPE RCODE WHAT
expect_status() {
	local got
	got=$(status "$1" "$2")
	[[ $got == "$3" ]] || gk_fail "$4: $1 $2 got '${got:-no answer}', want $3"
	gk_log "ok: $4"
}

# reload_gen N: SIGHUP, then wait until dnsd has configuration N
reload_gen() {
	local i
	kill -HUP "$GK_PID"
	for ((i = 0; i < 50; i++)); do
		grep -q "dnsd.*configuration $1 received" "$GK_LOG" && return 0
		sleep 0.1
	done
	gk_fail "dnsd never received configuration $1"
}

# By default: refused, both families, and counted.
expect_status nas.home.example.test A REFUSED "private A under a public name refused"
expect_status media.home.example.test AAAA REFUSED "private AAAA refused"
[[ $(dns_stat rebind_refused) -ge 2 ]] || gk_fail "rebind_refused not counted"

# Allowed: the domain and everything under it resolves; other names
# are still protected.
cp "$GK_CONF" "$GK_TMP/base.conf"
echo "rebind-allow Home.Example.Test plex.direct" >>"$GK_CONF"
ip netns exec "$GK_NS_ROUTER" "$GK_GATEKEEPERD" -nv -f "$GK_CONF" |
    grep -qx "rebind-allow home.example.test plex.direct" ||
	gk_fail "gatekeeperd -nv does not show the rebind-allow statement"
reload_gen 2
out=$(dns_dig 1 +short nas.home.example.test A)
[[ $out == 192.168.1.10 ]] || gk_fail "allowed name: got '$out', want 192.168.1.10"
gk_log "ok: nas.home.example.test resolves to 192.168.1.10 once allowed"
out=$(dns_dig 1 +short media.home.example.test AAAA)
[[ $out == fd00::10 ]] || gk_fail "allowed AAAA: got '$out', want fd00::10"
expect_status rebind.example.test A REFUSED "a name outside the allowed domain still refused"
# the answer is cached like any other: asked again, upstream saw one
dns_dig 1 +short nas.home.example.test A >/dev/null
seen=$(dns_upstream_seen nas.home.example.test A)
[[ $seen == 2 ]] || gk_fail "upstream saw $seen queries for nas.home (1 refused + 1 cached), want 2"

# A bad domain on reload: reported with its line, nothing changes.
echo "rebind-allow bad..domain" >>"$GK_CONF"
kill -HUP "$GK_PID"
for ((i = 0; i < 50; i++)); do
	grep -q "gatekeeper.conf:[0-9]*: rebind-allow: expected a domain name" "$GK_LOG" && break
	sleep 0.1
done
grep -q "gatekeeper.conf:[0-9]*: rebind-allow: expected a domain name" "$GK_LOG" ||
	gk_fail "a bad rebind-allow domain was not reported with file:line"
out=$(dns_dig 1 +short nas.home.example.test A)
[[ $out == 192.168.1.10 ]] || gk_fail "a bad reload changed the allowlist: '$out'"
gk_log "ok: a bad domain is reported with file:line and changes nothing"

# Taken off the list: refused again at once, not answered from the cache.
cp "$GK_TMP/base.conf" "$GK_CONF"
reload_gen 3
expect_status nas.home.example.test A REFUSED "refused again after the domain was removed"
dns_no_sigsys
gk_log "pass"
