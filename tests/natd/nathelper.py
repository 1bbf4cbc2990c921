"""Small network tools for natd's netns tests (standard library only).

  udp-server PORT [ADDR]       answer every datagram with "ip:port" of its sender
  tcp-server PORT [ADDR]       answer every connection with "ip:port", then echo
  udp-ask HOST PORT [SPORT] [TIMEOUT] [SRC]  print the answer, or "none"
  tcp-ask HOST PORT [SPORT] [TIMEOUT] [SRC]  print the answer, or "none"
  tcp-bulk HOST PORT BYTES     send BYTES to an echoing tcp-server, check them
  udp-bad HOST PORT SPORT      send a datagram with a corrupt UDP checksum (raw)
  udp-listen PORT TIMEOUT      print "ip:port" of the first datagram, or "none"
  raw-echo PROTO LOG           send every packet of IP protocol PROTO back to
                               its source; append each source to LOG
  raw-ask PROTO HOST COUNT TIMEOUT  send COUNT packets of protocol PROTO (a
                               GRE header and a tag), print "sent N got M"
                               (M: the tags HOST sent back)
  udp-spoof SRC DST DPORT SPORT  send one UDP datagram from a forged SRC (raw)
  tcp-flood SRC NADDRS NPORTS DST DPORT FLAGS  send a bare TCP segment with
                               FLAGS (e.g. 0x02) from each of NPORTS ports
                               (from 10000) of each of NADDRS addresses
                               from SRC on (raw; forged sources)
  icmp-unreach DST QDST QSPORT QDPORT  send DST an ICMP port unreachable
                               quoting a UDP datagram DST:QSPORT -> QDST:QDPORT
  tcp-scan HOST PORTS TIMEOUT  connect to every port of PORTS (e.g.
                               "1-1024,8080") at once; print the ports per
                               outcome ("open N...; refused N...": a
                               reset; an ICMP error by its errno) or
                               "silent" when no port answered at all
  udp-scan HOST PORTS TIMEOUT  the same with a datagram to each port:
                               "answered", "refused" (ICMP port
                               unreachable), or "silent"

Raw sockets stand in for scapy: they make the same packets with the
standard library alone.
"""
import socket
import struct
import sys


def udp_server(port, addr="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        d, a = s.recvfrom(65535)
        s.sendto(("%s:%d" % a).encode(), a)


def tcp_server(port, addr="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, a = s.accept()
        try:
            c.sendall(("%s:%d" % a).encode())
            c.settimeout(5)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()


def udp_ask(host, port, sport=0, timeout=1.0, src="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(timeout)
    s.sendto(b"hello", (host, port))
    try:
        print(s.recvfrom(2048)[0].decode())
    except OSError:
        print("none")


def tcp_ask(host, port, sport=0, timeout=2.0, src="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        print(s.recv(2048).decode())
    except OSError:
        print("none")


def tcp_bulk(host, port, nbytes):
    import os
    import select
    import time
    data = os.urandom(nbytes)
    s = socket.create_connection((host, port), timeout=10)
    s.recv(64)
    s.setblocking(False)
    got = bytearray()
    off = 0
    deadline = time.time() + 20
    while len(got) < nbytes and time.time() < deadline:
        w = [s] if off < nbytes else []
        r, w, _ = select.select([s], w, [], 1)
        if w:
            try:
                off += s.send(data[off:off + 262144])
            except BlockingIOError:
                pass
        if r:
            try:
                d = s.recv(1 << 20)
            except BlockingIOError:
                continue
            if not d:
                break
            got += d
    print("ok %d" % len(got) if bytes(got) == data else "mismatch %d" % len(got))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def udp_bad(host, port, sport):
    src = socket.inet_aton(srcaddr(host))
    dst = socket.inet_aton(host)
    data = b"corrupt"
    udp = struct.pack("!HHHH", sport, port, 8 + len(data), 0) + data
    c = csum(src + dst + struct.pack("!BBH", 0, 17, len(udp)) + udp)
    c ^= 0x0101		# wrong on purpose
    udp = udp[:6] + struct.pack("!H", c or 1) + udp[8:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.sendto(udp, (host, 0))


def srcaddr(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, 9))
    return s.getsockname()[0]


def udp_listen(port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.settimeout(timeout)
    try:
        print("%s:%d" % s.recvfrom(2048)[1])
    except OSError:
        print("none")


def raw_echo(proto, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    with open(log, "a") as f:
        while True:
            d, a = s.recvfrom(65535)
            f.write(a[0] + "\n")
            f.flush()
            s.sendto(d[(d[0] & 15) * 4:], (a[0], 0))


def raw_ask(proto, host, count, timeout):
    import time
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    # GRE header (no flags, IPv4 inside), then a tag per packet.
    tags = [b"gk-%d-%d" % (time.time_ns() % 1000000, i) for i in range(count)]
    for t in tags:
        s.sendto(struct.pack("!HH", 0, 0x0800) + t, (host, 0))
        time.sleep(0.05)
    got = set()
    deadline = time.time() + timeout
    while len(got) < count and time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            d, a = s.recvfrom(65535)
        except OSError:
            break
        body = d[(d[0] & 15) * 4 + 4:]
        if a[0] == host and body in tags:
            got.add(body)
    print("sent %d got %d" % (count, len(got)))


def udp_spoof(src, dst, dport, sport):
    data = b"spoofed"
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(socket.inet_aton(src) + socket.inet_aton(dst) +
             struct.pack("!BBH", 0, 17, len(udp)) + udp)
    udp = udp[:6] + struct.pack("!H", c or 0xffff) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, socket.inet_aton(src), socket.inet_aton(dst))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip + udp, (dst, 0))


def tcp_flood(src, naddrs, nports, dst, dport, flags):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    base = struct.unpack("!I", socket.inet_aton(src))[0]
    d = socket.inet_aton(dst)
    for a in range(naddrs):
        sa = struct.pack("!I", base + a)
        for sport in range(10000, 10000 + nports):
            tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4,
                              flags, 64240, 0, 0)
            c = csum(sa + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
            tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0,
                             sa, d)
            while True:
                try:
                    s.sendto(ip + tcp, (dst, 0))
                    break
                except BlockingIOError:
                    pass
                except OSError as e:
                    if e.errno != 105:      # ENOBUFS: the queue is full
                        raise


def icmp_unreach(dst, qdst, qsport, qdport):
    udp = struct.pack("!HHHH", qsport, qdport, 8 + 8, 0)
    inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 36, 0, 0, 64, 17, 0,
                        socket.inet_aton(dst), socket.inet_aton(qdst))
    inner = inner[:10] + struct.pack("!H", csum(inner)) + inner[12:]
    body = inner + udp
    icmp = struct.pack("!BBHI", 3, 3, 0, 0) + body
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(icmp, (dst, 0))


def ports_of(spec):
    ports = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        ports.extend(range(int(lo), int(hi or lo) + 1))
    return sorted(set(ports))


def scan(host, spec, timeout, kind, start, finish):
    """Probes every port of spec at once, so a silent drop costs one
    timeout for the whole range, not one per port. start(sock, err),
    with connect's error, sends the probe and returns an outcome when it
    has one at once;
    finish(sock) gives the outcome once the socket is ready. Prints the
    ports per outcome ("open 8080; refused 53"), or "silent" when no
    port answered at all."""
    import resource
    import select
    import time
    # a socket per port: more than the usual 1024 descriptors
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    found, pending = {}, {}
    poll = select.poll()
    for port in ports_of(spec):
        s = socket.socket(socket.AF_INET, kind)
        s.setblocking(False)
        what = start(s, s.connect_ex((host, port)))
        if what:
            found.setdefault(what, []).append(port)
            s.close()
        else:
            pending[s.fileno()] = (s, port)
            poll.register(s, select.POLLOUT if kind == socket.SOCK_STREAM
                          else select.POLLIN)
    end = time.monotonic() + timeout
    while pending and time.monotonic() < end:
        for fd, _ in poll.poll(100):
            s, port = pending.pop(fd)
            poll.unregister(fd)
            found.setdefault(finish(s), []).append(port)
            s.close()
    for s, _ in pending.values():
        s.close()
    print("; ".join("%s %s" % (k, " ".join(map(str, sorted(v))))
                    for k, v in sorted(found.items())) or "silent")


def errname(err):
    import errno
    return {0: "open", errno.ECONNREFUSED: "refused"}.get(
        err, errno.errorcode.get(err, str(err)).lower())


def tcp_scan(host, spec, timeout):
    """A SYN-ACK is "open", a reset "refused", an ICMP error its errno."""
    import errno

    def start(s, err):
        return None if err == errno.EINPROGRESS else errname(err)

    def finish(s):
        return errname(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
    scan(host, spec, timeout, socket.SOCK_STREAM, start, finish)


def udp_scan(host, spec, timeout):
    """A datagram back is "answered", an ICMP port unreachable
    "refused" (connected sockets hear ICMP errors), another its errno."""
    def start(s, err):
        s.send(b"hello")
        return None

    def finish(s):
        try:
            s.recv(2048)
            return "answered"
        except OSError as e:
            return errname(e.errno)
    scan(host, spec, timeout, socket.SOCK_DGRAM, start, finish)


def main(a):
    cmd = a[0]
    if cmd == "udp-server":
        udp_server(int(a[1]), *a[2:3])
    elif cmd == "tcp-server":
        tcp_server(int(a[1]), *a[2:3])
    elif cmd == "udp-ask":
        udp_ask(a[1], int(a[2]), int(a[3]) if len(a) > 3 else 0,
                float(a[4]) if len(a) > 4 else 1.0, *a[5:6])
    elif cmd == "tcp-ask":
        tcp_ask(a[1], int(a[2]), int(a[3]) if len(a) > 3 else 0,
                float(a[4]) if len(a) > 4 else 2.0, *a[5:6])
    elif cmd == "tcp-bulk":
        tcp_bulk(a[1], int(a[2]), int(a[3]))
    elif cmd == "udp-bad":
        udp_bad(a[1], int(a[2]), int(a[3]))
    elif cmd == "udp-listen":
        udp_listen(int(a[1]), float(a[2]))
    elif cmd == "raw-echo":
        raw_echo(int(a[1]), a[2])
    elif cmd == "raw-ask":
        raw_ask(int(a[1]), a[2], int(a[3]), float(a[4]))
    elif cmd == "udp-spoof":
        udp_spoof(a[1], a[2], int(a[3]), int(a[4]))
    elif cmd == "tcp-flood":
        tcp_flood(a[1], int(a[2]), int(a[3]), a[4], int(a[5]), int(a[6], 0))
    elif cmd == "icmp-unreach":
        icmp_unreach(a[1], a[2], int(a[3]), int(a[4]))
    elif cmd == "tcp-scan":
        tcp_scan(a[1], a[2], float(a[3]))
    elif cmd == "udp-scan":
        udp_scan(a[1], a[2], float(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
