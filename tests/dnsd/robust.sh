#!/usr/bin/env bash
# dnsd under less friendly conditions: the first upstream is silent
# (failover, by measured response time), TCP clients pipeline queries and
# leave idle connections, a burst of 1,200 queries finds dnsd waiting
# under load and all are answered (while pairs and single queries never
# make it wait), and a LAN device floods garbage: dropped or FORMERR,
# counted, never more bytes out than in, never a crash.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
gk_topology_up dnsrobust 1
dns_client 1
dns_upstream_start
# 198.51.100.1 exists in the internet namespace but serves no DNS
echo "upstream 198.51.100.1 $DNS_UP" >>"$GK_CONF"
gk_start
PY=/usr/bin/python3
C1=${GK_NS_LANS[0]}

# failover: every query is still answered, the silent one is penalized
for n in host www ns; do
	out=$(dns_dig 1 +time=4 +short $n.example.test A)
	[[ -n $out ]] || gk_fail "$n.example.test not answered with one silent upstream"
done
stats=$(gk_ctl -j dns stats)
jq -e '.upstreams[0].address == "198.51.100.1" and
    (.upstreams[0].timeouts + .upstreams[0].failures) >= 1 and
    .upstreams[1].answers >= 3 and
    .upstreams[1].srtt_ms < .upstreams[0].srtt_ms' <<<"$stats" >/dev/null ||
	gk_fail "failover not visible in dns stats: $stats"
# now the measured one is asked first: an answer well under the timeout
start=$EPOCHREALTIME
dns_dig 1 +short mail.example.test A | grep -q 203.0.113.25 ||
	gk_fail "mail.example.test not answered"
ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
((ms < 800)) || gk_fail "after failover a query still took $ms ms"
gk_log "ok: failover to the responsive upstream ($ms ms)"

# TCP: three queries in one segment, three answers
ip netns exec "$C1" $PY - <<'PY' || gk_fail "TCP pipelining failed"
import socket, struct, sys
def q(i, name):
    m = struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0)
    for l in name.split('.'):
        m += bytes([len(l)]) + l.encode()
    return m + b'\0\0\1\0\1'
s = socket.create_connection(('10.42.0.1', 53), timeout=5)
s.sendall(b''.join(struct.pack('>H', len(x)) + x for x in
    (q(1, 'host.example.test'), q(2, 'gatekeeper.lan'), q(3, 'nosuch.lan'))))
ids = set()
buf = b''
while len(ids) < 3:
    d = s.recv(65536)
    if not d:
        sys.exit('closed early')
    buf += d
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack('>H', buf[:2])[0]:
        n = struct.unpack('>H', buf[:2])[0]
        ids.add(struct.unpack('>H', buf[2:4])[0])
        buf = buf[2 + n:]
sys.exit(0 if ids == {1, 2, 3} else 'ids %r' % ids)
PY
gk_log "ok: TCP pipelining"

# an idle TCP connection is closed by the server (10 s)
ip netns exec "$C1" $PY - <<'PY' || gk_fail "idle TCP connection not closed"
import socket, sys, time
s = socket.create_connection(('10.42.0.1', 53), timeout=20)
t = time.time()
d = s.recv(10)
e = time.time() - t
sys.exit(0 if d == b'' and 5 < e < 16 else 'recv %r after %.1f s' % (d, e))
PY
[[ $(dns_stat tcp_idle_closed) -ge 1 ]] || gk_fail "tcp_idle_closed not counted"
gk_log "ok: idle TCP connection closed"

# load: under sustained load (four wakeups in a row with two queries or
# more, each less than a millisecond after the one before) dnsd answers,
# then waits a moment (udp_naps) so the next batch takes many at once.
# 1,200 queries arrive while dnsd is stopped: its first four wakeups take
# four full batches each, the fifth the rest and waits; every query is
# answered (the socket holds them all). A and AAAA pairs 50 ms apart, and
# one query at a time, never make it wait.
dnsd_pid=$(gk_daemon_field "$(gk_status_json)" dnsd pid)
naps=$(dns_stat udp_naps)
[[ $naps =~ ^[0-9]+$ ]] || gk_fail "no udp_naps in dnsd's stats"
cat >"$GK_TMP/load.py" <<'PY'
import select, socket, struct, sys, time
def q(i, name, qtype=1):
    m = struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0)
    for l in name.split('.'):
        m += bytes([len(l)]) + l.encode()
    return m + b'\0' + struct.pack('>HH', qtype, 1)
names = ('host.example.test', 'mail.example.test', 'gatekeeper.lan')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)	# SO_RCVBUFFORCE: all answers
def send(i, qtype=1):
    s.sendto(q(i, names[i % 3], qtype), ('10.42.0.1', 53))
def answered(ids):
    got = set()
    end = time.time() + 5
    while got != ids and time.time() < end:
        if select.select([s], [], [], 0.5)[0]:
            d = s.recv(4096)
            if d[3] & 0x0f in (0, 3):
                got.add(struct.unpack('>H', d[:2])[0])
    return got == ids or sys.exit('%d of %d answered' % (len(got), len(ids)))
if sys.argv[1] == 'burst':	# burst FILE: FILE made once all are sent
    for i in range(1200):
        send(i)
    open(sys.argv[2], 'w').close()
    answered(set(range(1200)))
elif sys.argv[1] == 'pairs':
    for i in range(0, 40, 2):
        send(i)
        send(i + 1, 28)
        answered({i, i + 1})
        time.sleep(0.05)
else:
    for i in range(30):
        send(i)
        answered({i})
PY
# (Up to three bursts: a machine busy enough to keep dnsd off the CPU for
# a millisecond between two of its wakeups makes them no sustained load.)
for burst in 1 2 3; do
	rm -f "$GK_TMP/burst.sent"
	kill -STOP "$dnsd_pid"
	ip netns exec "$C1" $PY "$GK_TMP/load.py" burst "$GK_TMP/burst.sent" \
	    >"$GK_TMP/burst.out" 2>&1 &
	bpid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -e $GK_TMP/burst.sent ]] && break
		sleep 0.1
	done
	kill -CONT "$dnsd_pid"
	[[ -e $GK_TMP/burst.sent ]] ||
		gk_fail "burst not sent: $(cat "$GK_TMP/burst.out")"
	wait "$bpid" ||
		gk_fail "burst of 1,200 queries: $(cat "$GK_TMP/burst.out")"
	after=$(dns_stat udp_naps)
	((after > naps)) && break
done
((after > naps)) ||
	gk_fail "1,200 queries at once, three times, no wait (udp_naps $naps -> $after)"
for mode in pairs trickle; do
	ip netns exec "$C1" $PY "$GK_TMP/load.py" $mode ||
		gk_fail "$mode: not all answered"
	[[ $(dns_stat udp_naps) == "$after" ]] ||
		gk_fail "$mode made dnsd wait (udp_naps $after -> $(dns_stat udp_naps))"
done
gk_log "ok: 1,200 queries at once all answered, $((after - naps)) waits (burst $burst); none for pairs or one at a time"

# garbage: random bytes, truncated queries, lying counts, pointer loops
before_drop=$(dns_stat dropped_malformed)
before_ferr=$(dns_stat formerr)
ip netns exec "$C1" $PY - <<'PY' || gk_fail "garbage flood"
import os, random, socket, struct, sys
random.seed(4)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
good = struct.pack('>HHHHHH', 7, 0x0100, 1, 0, 0, 0) + b'\4host\7example\4test\0\0\1\0\1'
sent = 0
for i in range(3000):
    k = i % 5
    if k == 0:
        m = os.urandom(random.randint(0, 600))
    elif k == 1:
        m = good[:random.randint(0, len(good) - 1)]
    elif k == 2:
        m = good[:11] + bytes([random.randint(2, 255)]) + good[12:]
    elif k == 3:
        m = good[:12] + b'\xc0\x0c\0\1\0\1'
    else:
        m = bytearray(good)
        m[random.randrange(len(m))] ^= 1 << random.randrange(8)
        m = bytes(m)
    try:
        s.sendto(m, ('10.42.0.1', 53))
        sent += len(m)
    except BlockingIOError:
        pass
import time
time.sleep(1)
got = 0
while True:
    try:
        got += len(s.recv(65536))
    except BlockingIOError:
        break
print('sent %d bytes, got %d' % (sent, got))
sys.exit(0 if got <= sent else 'amplification')
PY
[[ $(dns_stat dropped_malformed) -gt $before_drop ]] || gk_fail "dropped input not counted"
[[ $(dns_stat formerr) -gt $before_ferr ]] || gk_fail "FORMERR not counted"
dns_dig 1 +short host.example.test A | grep -q 203.0.113.80 ||
	gk_fail "dnsd does not answer after the garbage"
json=$(gk_status_json)
[[ $(gk_daemon_field "$json" dnsd restarts) == 0 ]] || gk_fail "dnsd restarted"
gk_log "ok: garbage dropped or FORMERR, counted, no amplification"

dns_no_sigsys
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
