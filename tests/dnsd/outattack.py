#!/usr/bin/env python3
"""dnsd's output, replayed (tests/dnsd/output.sh).

  outattack.py try TRY...    prints "uid U gid G groups G" and then, for
      each TRY, one line "TRY RESULT" (RESULT: ok, the errno name such as
      EPERM or ECONNREFUSED, or timeout):
        udp:HOST:PORT   a datagram from a new UDP socket
        tcp:HOST:PORT   connect() from a new TCP socket (3 s at most)
        fd3:HOST:PORT   a datagram on fd 3 (dnsd's own LAN socket, taken
                        from the running dnsd by nfattack.py steal)
  outattack.py sink LOG HOST:PORT...   (internet side) listens on each
      HOST:PORT, UDP and TCP, and writes one line a datagram or a
      connection to LOG: "udp HOST:PORT from SRC".

Standard library only.
"""
import errno
import os
import selectors
import socket
import sys


def attempt(t):
    kind, host, port = t.split(":")
    s = None
    try:
        if kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect((host, int(port)))
        else:
            if kind == "fd3":
                s = socket.socket(fileno=os.dup(3))
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"dnsd output test", (host, int(port)))
        return "ok"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    finally:
        if s is not None:
            s.close()


def sink(log, addrs):
    out = open(log, "a", buffering=1)
    sel = selectors.DefaultSelector()
    for hp in addrs:
        host, port = hp.rsplit(":", 1)
        for kind, typ in (("udp", socket.SOCK_DGRAM),
                          ("tcp", socket.SOCK_STREAM)):
            s = socket.socket(socket.AF_INET, typ)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, int(port)))
            if kind == "tcp":
                s.listen(16)
            sel.register(s, selectors.EVENT_READ, (kind, hp))
    out.write("ready\n")
    while True:
        for key, _ in sel.select():
            kind, hp = key.data
            if kind == "udp":
                _, peer = key.fileobj.recvfrom(2048)
            else:
                c, peer = key.fileobj.accept()
                c.close()
            out.write("%s %s from %s\n" % (kind, hp, peer[0]))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "try":
        print("uid %d gid %d groups %s" % (
            os.getuid(), os.getgid(),
            ",".join(str(g) for g in os.getgroups()) or "-"), flush=True)
        for t in sys.argv[2:]:
            print(t, attempt(t), flush=True)
    elif len(sys.argv) >= 4 and sys.argv[1] == "sink":
        sink(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
