#!/usr/bin/env bash
# dnsd's TCP slots are shared (issue 16 item 5): one LAN device opening
# 40 connections holds 4 (tcp_client_limit counts the rest) while another
# device still gets answers over TCP, and a connection kept busy by a
# byte every few seconds (never idle) is closed at its 30 s lifetime
# (tcp_lifetime_closed). Before, the first device took all 32 slots.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
gk_topology_up dnstcp 2
dns_client 1
dns_client 2
dns_upstream_start
dns_config
gk_start
PY=/usr/bin/python3
C1=${GK_NS_LANS[0]}

# Device 1: 40 connections, each trickling one byte of a query every 3 s
# (so no idle timeout applies); reports how many dnsd kept after 2 s and
# when each of the kept ones was closed.
ip netns exec "$C1" $PY - >"$GK_TMP/hog" <<'PY' &
import socket, time
conns = []
for i in range(40):
    s = socket.create_connection(('10.42.0.1', 53), timeout=5)
    s.setblocking(False)
    conns.append(s)
def alive(s):
    try:
        return s.recv(1) != b''
    except BlockingIOError:
        return True
    except OSError:
        return False
time.sleep(2)
kept = [s for s in conns if alive(s)]
print('kept', len(kept), flush=True)
start = time.time()
closed = []
query = b'\x00\x1d' + b'\x12\x34\x01\x00\x00\x01' + b'\x00' * 23
n = 0
while kept and time.time() - start < 50:
    for s in list(kept):
        try:
            s.send(query[n:n + 1])
        except OSError:
            pass
        if not alive(s):
            closed.append(time.time() - start + 2)
            kept.remove(s)
    n = (n + 1) % 20
    time.sleep(3)
print('closed', len(closed), 'at', ' '.join('%.0f' % t for t in closed),
      'open', len(kept), flush=True)
PY
hog=$!
sleep 3
got=$(head -1 "$GK_TMP/hog")
gk_log "device 1, 40 connections: $got"
[[ $got == "kept 4" ]] || gk_fail "device 1 holds '$got' connections, want 4"
lim=$(dns_stat tcp_client_limit)
[[ $lim -ge 36 ]] || gk_fail "tcp_client_limit is $lim, want 36 at least"
for i in 1 2 3; do
	out=$(dns_dig 2 +tcp +short host.example.test A)
	[[ -n $out ]] || gk_fail "device 2 gets no TCP answer while device 1 hogs"
done
gk_log "device 2 answered over TCP: $out"
wait "$hog"
# Said in dnsd's log, once: the refusals came within a minute.
n=$(grep -c "TCP connections refused: their device holds its 4" "$GK_LOG")
((n == 1)) || gk_fail "the TCP refusals are said $n times in the log, want once"
got=$(tail -1 "$GK_TMP/hog")
gk_log "device 1's kept connections: $got"
[[ $got == "closed 4 at "*" open 0" ]] || gk_fail "not all closed: $got"
for t in $(sed 's/.* at \(.*\) open.*/\1/' <<<"$got"); do
	((t >= 29 && t <= 45)) || gk_fail "a connection lived $t s, want 30-45"
done
[[ $(dns_stat tcp_lifetime_closed) -ge 4 ]] ||
	gk_fail "tcp_lifetime_closed: $(dns_stat tcp_lifetime_closed)"
dns_no_sigsys
gk_log "ok"
