"""Flows through the NAT for tests/netns/fdstore.sh (standard library).

  server ADDR TCPPORT UDPPORT   (internet side) TCP: greet each connection
                                with the "ip:port" it comes from, then echo;
                                UDP: answer each datagram with "ip:port" of
                                its sender. No idle timeout: a connection
                                waits as long as the router is down.
  client HOST TCPPORT UDPPORT SPORT DIR
                                (LAN side) one TCP connection and a UDP
                                socket bound to SPORT; prints "tcp IP:PORT"
                                and "udp IP:PORT" (the external addresses
                                the server saw) and an echo over the
                                connection, touches DIR/ready; then each
                                time DIR/go.N appears (N = 1, 2, ...), an
                                echo over the same connection and a UDP
                                question again: "tcp-echo N ok" or "tcp-echo
                                N failed", "udp N IP:PORT" or "udp N none";
                                then DIR/done.N. Ends at DIR/end.
"""
import os
import socket
import sys
import threading
import time


def serve_tcp(s):
    while True:
        c, a = s.accept()
        threading.Thread(target=echo, args=(c, a), daemon=True).start()


def echo(c, a):
    c.sendall(("%s:%d" % a).encode())
    while True:
        d = c.recv(65536)
        if not d:
            return
        c.sendall(d)


def server(addr, tport, uport):
    t = socket.socket()
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, int(tport)))
    t.listen(8)
    threading.Thread(target=serve_tcp, args=(t,), daemon=True).start()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, int(uport)))
    while True:
        d, a = u.recvfrom(2048)
        u.sendto(("%s:%d" % a).encode(), a)


def ask_udp(u, dest, tries=10):
    for _ in range(tries):
        u.sendto(b"where am I", dest)
        try:
            return u.recv(100).decode()
        except socket.timeout:
            continue
    return "none"


def tcp_echo(t, payload, secs):
    t.settimeout(secs)
    try:
        t.sendall(payload)
        got = b""
        while len(got) < len(payload):
            d = t.recv(len(payload) - len(got))
            if not d:
                break
            got += d
        return got == payload
    except OSError:
        return False


def client(host, tport, uport, sport, d):
    t = socket.create_connection((host, int(tport)), timeout=5)
    greet = t.recv(100).decode()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", int(sport)))
    u.settimeout(1)
    print("tcp", greet, flush=True)
    print("udp", ask_udp(u, (host, int(uport))), flush=True)
    print("tcp-echo 0", "ok" if tcp_echo(t, b"before", 5) else "failed",
          flush=True)
    open(os.path.join(d, "ready"), "w").close()
    n = 1
    while not os.path.exists(os.path.join(d, "end")):
        if not os.path.exists(os.path.join(d, "go.%d" % n)):
            time.sleep(0.05)
            continue
        # TCP retransmits with backoff: the go file says how long to
        # wait for the echo (20 s when empty).
        with open(os.path.join(d, "go.%d" % n)) as f:
            secs = float(f.read().strip() or 20)
        ok = tcp_echo(t, b"after restart %d" % n, secs)
        print("tcp-echo", n, "ok" if ok else "failed", flush=True)
        print("udp", n, ask_udp(u, (host, int(uport))), flush=True)
        open(os.path.join(d, "done.%d" % n), "w").close()
        n += 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"] and len(sys.argv) == 5:
        server(*sys.argv[2:])
    elif sys.argv[1:2] == ["client"] and len(sys.argv) == 7:
        client(*sys.argv[2:])
    else:
        sys.exit(__doc__)
