#!/usr/bin/env python3
"""Load for tests/netns/chaos.sh (standard library only).

  chaos.py send HOST PORT STOP RATE RESULT   connect, send a known stream
  chaos.py serve-send PORT STOP RATE RESULT  accept one, send the stream
  chaos.py recv HOST PORT RESULT             connect, check what arrives
  chaos.py serve-recv PORT RESULT            accept one, check it
  chaos.py dns SERVER NAME STOP LOG          query NAME every 20 ms
  chaos.py resume KILLS LOG DAEMON           after each kill of DAEMON,
                                             ms until the next answer

Senders and the DNS probe run until the file STOP exists. The stream is
random.Random(SEED)'s bytes in 16 KiB chunks, paced to RATE bytes/s: the receiver regenerates it and compares every
byte, so a lost, duplicated or rewritten byte anywhere fails, as does a
reset or a close before the end (the sender ends with a trailer that
gives the length). RESULT gets "ok BYTES" or "FAIL why".
"""
import os
import random
import socket
import struct
import sys
import time

SEED = 1717
CHUNK = 16384
MAGIC = b"CHAOS-END"


def stream(stop, rate, sock):
    rng = random.Random(SEED)
    sent = 0
    start = time.monotonic()
    while not os.path.exists(stop):
        sock.sendall(rng.randbytes(CHUNK))
        sent += CHUNK
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    sock.sendall(MAGIC + struct.pack("!Q", sent))
    sock.shutdown(socket.SHUT_WR)
    sock.recv(1)            # until the receiver closes: all acknowledged
    return sent


def check(sock):
    rng = random.Random(SEED)
    tail = len(MAGIC) + 8   # held back: it may be the trailer
    want = b""
    buf = b""
    got = 0
    while True:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
        n = len(buf) - tail
        while n > 0:
            if not want:
                want = rng.randbytes(CHUNK)
            k = min(n, len(want))
            if buf[:k] != want[:k]:
                return "FAIL bytes differ at offset %d" % got
            got += k
            buf = buf[k:]
            want = want[k:]
            n -= k
    sock.close()
    if len(buf) != tail or not buf.startswith(MAGIC):
        return "FAIL stream ended without its trailer after %d bytes" % got
    (sent,) = struct.unpack("!Q", buf[len(MAGIC):])
    if sent != got or want:
        return "FAIL %d bytes sent, %d received" % (sent, got)
    return "ok %d" % got


def result(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")


def accept(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    s, _ = ls.accept()
    ls.close()
    return s


def connect(host, port):
    # The server may still be starting (a loaded machine): 10 s to listen.
    for _ in range(100):
        try:
            return socket.create_connection((host, port), timeout=None)
        except ConnectionRefusedError:
            time.sleep(0.1)
    return socket.create_connection((host, port), timeout=None)


def run_guarded(path, fn):
    try:
        result(path, fn())
    except OSError as e:
        result(path, "FAIL %s" % e)


def dns_query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def dns_probe(server, name, stop, log):
    """Every 20 ms a query (50 ms to answer); the time of each answer
    with at least one record goes to LOG, one a line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    qid = 0
    with open(log, "w", buffering=1) as out:
        while not os.path.exists(stop):
            qid = (qid + 1) & 0xffff
            try:
                s.sendto(dns_query(name, qid), (server, 53))
                while True:
                    data, _ = s.recvfrom(4096)
                    if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                        break
                rcode = data[3] & 0xf
                ancount = struct.unpack("!H", data[6:8])[0]
                if rcode == 0 and ancount > 0:
                    out.write("%.3f\n" % time.time())
            except OSError:
                pass
            time.sleep(0.02)


def resume(kills, log, daemon):
    answers = [float(x) for x in open(log) if x.strip()]
    worst = 0
    for line in open(kills):
        t, d = line.split()[:2]
        if d != daemon:
            continue
        t = float(t)
        after = [a for a in answers if a > t]
        if not after:
            print("%s killed at %.3f: no answer after it" % (daemon, t))
            return 1
        ms = int((after[0] - t) * 1000)
        worst = max(worst, ms)
        print("%s killed at %.3f: answers again after %d ms" % (daemon, t, ms))
    print("worst %d" % worst)
    return 0


def main(a):
    if a[0] == "send":
        run_guarded(a[5], lambda: "ok %d" % stream(
            a[3], float(a[4]), connect(a[1], int(a[2]))))
    elif a[0] == "serve-send":
        s = accept(int(a[1]))
        run_guarded(a[4], lambda: "ok %d" % stream(a[2], float(a[3]), s))
    elif a[0] == "recv":
        run_guarded(a[3], lambda: check(connect(a[1], int(a[2]))))
    elif a[0] == "serve-recv":
        s = accept(int(a[1]))
        run_guarded(a[2], lambda: check(s))
    elif a[0] == "dns":
        dns_probe(a[1], a[2], a[3], a[4])
    elif a[0] == "resume":
        return resume(a[1], a[2], a[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
