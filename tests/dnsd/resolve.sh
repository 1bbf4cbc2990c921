#!/usr/bin/env bash
# dnsd end to end, with unbound as the real upstream in the internet
# namespace: dig and kdig from LAN devices get A, AAAA, MX, TXT, CNAME
# chains and NXDOMAIN right; a large answer is truncated over UDP and
# complete over TCP; a second identical query comes from the cache (the
# upstream sees one); a rebinding answer is refused; queries to the WAN
# address, or from outside the LAN, get nothing; non-QUERY gets NOTIMP;
# with the upstream stopped, cached names are still served (and expired
# ones served stale).
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
gk_topology_up dnsresolve 2
dns_client 1
dns_client 2
dns_upstream_start
dns_config
gk_start

# answer ANSWER-LINES-REGEX ARGS...: dig +noall +answer, and the status
expect() {
	local what=$1 re=$2 out
	shift 2
	out=$(dns_dig 1 +noall +answer +comments "$@" 2>&1) ||
		gk_fail "$what: dig failed: $out"
	grep -qE "$re" <<<"$out" || gk_fail "$what: expected /$re/ in: $out"
	gk_log "ok: $what"
}

expect "A" 'host\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+203\.0\.113\.80' host.example.test A
expect "AAAA" 'IN[[:space:]]+AAAA[[:space:]]+2001:db8::80' host.example.test AAAA
expect "MX" 'IN[[:space:]]+MX[[:space:]]+10 mail\.example\.test\.' example.test MX
expect "TXT" 'IN[[:space:]]+TXT[[:space:]]+"hello from the test zone"' txt.example.test TXT
out=$(dns_dig 1 +noall +answer www.example.test A)
[[ $(grep -c CNAME <<<"$out") == 2 ]] && grep -q '203\.0\.113\.80' <<<"$out" ||
	gk_fail "CNAME chain: $out"
gk_log "ok: CNAME chain"
expect "NXDOMAIN" 'status: NXDOMAIN' nosuch.example.test A
expect "NXDOMAIN has the SOA" 'status: NXDOMAIN' nosuch2.example.test A +authority
out=$(dns_dig 1 +noall +authority nosuch3.example.test A)
grep -q 'IN[[:space:]]*SOA' <<<"$out" || gk_fail "no SOA with NXDOMAIN: $out"

# kdig too, UDP and TCP
out=$(dns_kdig 2 host.example.test A) || gk_fail "kdig: $out"
grep -qE 'status: NOERROR' <<<"$out" && grep -q '203.0.113.80' <<<"$out" ||
	gk_fail "kdig A: $out"
out=$(dns_kdig 2 +tcp www.example.test A) || gk_fail "kdig +tcp: $out"
grep -q '203.0.113.80' <<<"$out" || gk_fail "kdig +tcp CNAME chain: $out"
out=$(dns_kdig 2 nosuch.example.test AAAA) || true
grep -q 'status: NXDOMAIN' <<<"$out" || gk_fail "kdig NXDOMAIN: $out"
out=$(dns_kdig 2 +edns host.example.test MX) || true
grep -q 'EDNS PSEUDOSECTION' <<<"$out" && grep -q 'UDP size: 1232' <<<"$out" ||
	gk_fail "EDNS 1232 not advertised: $out"
gk_log "ok: kdig UDP, TCP, NXDOMAIN, EDNS 1232"

# a large answer: TC over UDP, complete over TCP
out=$(dns_dig 1 +ignore +noall +comments big.example.test TXT)
grep -qE 'flags:[^;]* tc' <<<"$out" || gk_fail "big answer not truncated over UDP: $out"
out=$(dns_dig 1 +tcp +noall +answer big.example.test TXT)
[[ $(grep -c 'IN[[:space:]]*TXT' <<<"$out") == 15 ]] ||
	gk_fail "big answer over TCP has $(grep -c TXT <<<"$out") of 15 records"
out=$(dns_dig 1 +noall +answer big.example.test TXT)
[[ $(grep -c 'IN[[:space:]]*TXT' <<<"$out") == 15 ]] ||
	gk_fail "dig's own TCP retry after TC did not get 15 records"
gk_log "ok: TC over UDP, complete over TCP"

# the cache: the upstream sees one query; the TTL counts down
dns_dig 1 +short cached.example.test A | grep -q 203.0.113.81 ||
	gk_fail "cached.example.test did not resolve"
sleep 1.2
out=$(dns_dig 2 +noall +answer cached.example.test A)
grep -q 203.0.113.81 <<<"$out" || gk_fail "second query failed: $out"
ttl=$(awk '{print $2; exit}' <<<"$out")
((ttl < 300)) || gk_fail "TTL from the cache did not count down: $ttl"
seen=$(dns_upstream_seen cached.example.test A)
[[ $seen == 1 ]] || gk_fail "upstream saw $seen queries for cached.example.test, not 1"
gk_log "ok: second query from the cache (upstream saw 1, TTL $ttl)"

# identical queries in flight go upstream once
pids=()
for i in 1 2 3 4 5; do
	dns_dig $((i % 2 + 1)) +short burst.example.test A >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
seen=$(dns_upstream_seen burst.example.test A)
[[ $seen == 1 ]] || gk_fail "5 concurrent identical queries: upstream saw $seen"
gk_log "ok: identical queries in flight sent once"

# rebinding: private addresses under a public name are refused
expect "rebinding A refused" 'status: REFUSED' rebind.example.test A
expect "rebinding AAAA refused" 'status: REFUSED' rebind6.example.test AAAA
expect "LAN address under a public name refused" 'status: REFUSED' lanip.example.test A
[[ $(dns_stat rebind_refused) -ge 3 ]] || gk_fail "rebind_refused not counted"

# non-QUERY opcode: NOTIMP; a query with two questions: FORMERR
out=$(dns_dig 1 +opcode=status example.test 2>&1) || true
grep -q 'status: NOTIMP' <<<"$out" || gk_fail "opcode STATUS: $out"
gk_log "ok: NOTIMP"
before=$(dns_stat formerr)
ip netns exec "${GK_NS_LANS[0]}" /usr/bin/python3 - <<'PY' || gk_fail "FORMERR probe failed"
import socket, struct, sys
q = struct.pack('>HHHHHH', 0x4242, 0x0100, 2, 0, 0, 0)
q += b'\1a\4test\0\0\1\0\1' * 2
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ('10.42.0.1', 53))
r = s.recv(4096)
sys.exit(0 if r[:2] == b'\x42\x42' and (r[3] & 0xf) == 1 else 1)
PY
[[ $(dns_stat formerr) -gt $before ]] || gk_fail "FORMERR not counted"
gk_log "ok: FORMERR for QDCOUNT 2"

# local names: the router's own name, its PTR; NXDOMAIN, not forwarded
expect "router name" '10\.42\.0\.1' gatekeeper.lan A
expect "router PTR" 'gatekeeper\.lan\.' -x 10.42.0.1
expect "unknown local name" 'status: NXDOMAIN' nosuch.lan A
expect "unknown LAN PTR" 'status: NXDOMAIN' -x 10.42.0.99
grep -qi 'nosuch\.lan\|0\.42\.10\.in-addr' "$GK_TMP/unbound/unbound.log" &&
	gk_fail "a local name was forwarded upstream"

# the WAN address gets nothing, from outside; the LAN address from the
# internet gets nothing either
if ip netns exec "$GK_NS_INET" dig @203.0.113.2 +time=1 +tries=1 \
    host.example.test A >/dev/null 2>&1; then
	gk_fail "a query to the WAN address was answered"
fi
ip -n "$GK_NS_INET" route add 10.42.0.0/24 via 203.0.113.2
if ip netns exec "$GK_NS_INET" dig @10.42.0.1 +time=1 +tries=1 \
    host.example.test A >/dev/null 2>&1; then
	gk_fail "a query from the internet to the LAN address was answered"
fi
gk_log "ok: nothing answered from outside"

# query log per device, stats, flush
log=$(gk_ctl -j dns log 10.42.0.11) || gk_fail "dns log failed"
jq -e '.log | any(.name == "cached.example.test." and .answers == "203.0.113.81")' \
    <<<"$log" >/dev/null || gk_fail "dns log lacks cached.example.test: $log"
jq -e '.log | all(.client == "10.42.0.11")' <<<"$log" >/dev/null ||
	gk_fail "dns log 10.42.0.11 shows other clients"
stats=$(gk_ctl -j dns stats) || gk_fail "dns stats failed"
jq -e '.stats.cache_hits > 0 and .stats.cache_entries > 0 and
    (.upstreams[0].address == "203.0.113.1") and .upstreams[0].srtt_ms > 0' \
    <<<"$stats" >/dev/null || gk_fail "dns stats: $stats"
gk_ctl dns stats >/dev/null || gk_fail "dns stats as a table failed"
gk_log "ok: dns log, dns stats"

# the upstream stops: cached names are still served, expired ones stale
dns_dig 1 +short stale.example.test A | grep -q 203.0.113.82 ||
	gk_fail "stale.example.test did not resolve"
dns_dig 1 +short short.example.test A | grep -q 203.0.113.83 ||
	gk_fail "short.example.test did not resolve"
dns_upstream_stop
out=$(dns_dig 2 +short stale.example.test A)
grep -q 203.0.113.82 <<<"$out" || gk_fail "cached name not served without upstream: $out"
sleep 6		# short's TTL (1 s, clamped to 5 s) runs out
out=$(dns_dig 2 +time=5 +noall +answer short.example.test A)
grep -q 203.0.113.83 <<<"$out" || gk_fail "expired name not served stale: $out"
[[ $(awk '{print $2; exit}' <<<"$out") == 30 ]] ||
	gk_fail "a stale answer must carry TTL 30 (RFC 8767): $out"
out=$(dns_dig 2 +time=5 never.example.test A 2>&1) || true
grep -q 'status: SERVFAIL' <<<"$out" || gk_fail "uncached name without upstream: $out"
[[ $(dns_stat stale_served) -ge 1 ]] || gk_fail "stale_served not counted"
gk_log "ok: served from cache and stale with the upstream down"

out=$(gk_ctl -j dns flush) || gk_fail "dns flush failed"
jq -e '.flushed > 0' <<<"$out" >/dev/null || gk_fail "dns flush: $out"
[[ $(dns_stat cache_entries) == 0 ]] || gk_fail "cache not empty after flush"

dns_no_sigsys
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
