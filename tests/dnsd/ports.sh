#!/usr/bin/env bash
# dnsd's upstream queries are hard to spoof (RFC 5452): captured on the
# upstream's side of the wire (tshark in the internet namespace), 50
# uncached queries come from source ports that are nearly all distinct,
# inside the local port range the router has (set here to 20000-59999,
# which gatekeeperd passes to dnsd) and spread across it, with IDs that
# are nearly all distinct and spread across 0-65535. Nothing is asked of
# dnsd itself: only what anyone can see on the wire.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
command -v tshark >/dev/null || gk_skip "tshark is not installed"
gk_topology_up dnsports 1
dns_client 1
LO=20000 HI=59999
gk_must ip netns exec "$GK_NS_ROUTER" sysctl -qw \
    net.ipv4.ip_local_port_range="$LO $HI"
dns_upstream_start
dns_config
gk_start

# Capture what reaches the upstream from the router.
pcap=$GK_TMP/upstream.pcap
gk_bg "$GK_NS_INET" tshark -q -i eth0 -w "$pcap" \
    -f "udp dst port 53 and src host 203.0.113.2" 2>"$GK_TMP/tshark.err"
cap=$GK_BG_PID
for ((i = 0; i < 100; i++)); do
	grep -q "Capturing on" "$GK_TMP/tshark.err" && break
	sleep 0.1
done
grep -q "Capturing on" "$GK_TMP/tshark.err" ||
	gk_fail "tshark did not start: $(cat "$GK_TMP/tshark.err")"

# 50 names nobody asked before (a wildcard in the test zone answers).
for ((i = 1; i <= 50; i++)); do
	echo "q$i-$RANDOM.rand.example.test A"
done >"$GK_TMP/names"
ip netns exec "${GK_NS_LANS[0]}" dig @10.42.0.1 +time=3 +tries=1 +short \
    -f "$GK_TMP/names" >"$GK_TMP/answers" 2>&1
n=$(grep -c '^203\.0\.113\.90$' "$GK_TMP/answers")
((n == 50)) || gk_fail "$n of 50 queries answered: $(head "$GK_TMP/answers")"
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null

tshark -r "$pcap" -T fields -e udp.srcport -e dns.id -e dns.qry.name \
    -Y "dns.flags.response == 0" 2>/dev/null >"$GK_TMP/queries"
/usr/bin/python3 - "$GK_TMP/queries" "$LO" "$HI" <<'PY' || gk_fail "upstream queries are not random enough (above)"
import sys
rows = [l.split('\t') for l in open(sys.argv[1]) if l.strip()]
lo, hi = int(sys.argv[2]), int(sys.argv[3])
first = {}
for port, qid, name in rows:
    if 'rand.example.test' in name and name not in first:
        first[name] = (int(port), int(qid, 0))
ports = [p for p, _ in first.values()]
ids = [q for _, q in first.values()]
print(f"{len(rows)} upstream queries captured, {len(first)} names")
print(f"ports: {len(set(ports))} distinct, {min(ports)}..{max(ports)} "
      f"(range {lo}..{hi})")
print(f"ids:   {len(set(ids))} distinct, {min(ids)}..{max(ids)}")
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("FAIL:", what)
        ok = False
need(len(first) == 50, "the upstream did not see all 50 names")
need(all(lo <= p <= hi for p in ports), "a source port outside the local port range")
# 50 draws from 40000 ports (or 65536 ids): two or more collisions happen
# well under once in a thousand runs
need(len(set(ports)) >= 48, "source ports repeat")
need(len(set(ids)) >= 48, "query IDs repeat")
need(max(ports) - min(ports) >= (hi - lo) // 2, "source ports bunched in part of the range")
need(max(ids) - min(ids) >= 32768, "IDs bunched in part of 0..65535")
# not a counter: in sending order, about half the steps go up
seq = [first[n] for n in sorted(first, key=lambda n: int(n[1:n.index('-')]))]
for k, what in ((0, "ports"), (1, "ids")):
    v = [x[k] for x in seq]
    ups = sum(b > a for a, b in zip(v, v[1:]))
    near = sum(abs(b - a) <= 16 for a, b in zip(v, v[1:]))
    print(f"{what}: {ups} of {len(v) - 1} steps up, {near} within 16 of the last")
    need(10 <= ups <= 39, f"{what} move like a counter")
    need(near <= 2, f"{what} follow each other closely")
sys.exit(0 if ok else 1)
PY
gk_log "ok: 50 upstream queries from random ports in $LO..$HI with random IDs"
dns_no_sigsys
gk_log "pass"
