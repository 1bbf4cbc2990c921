#!/usr/bin/python3
"""WebSocket client for tests/webd/http.sh (Debian's python3-websockets).

  wsclient.py recv URL ORIGIN COOKIE N   receive N frames, print each, exit 0
  wsclient.py refused URL ORIGIN COOKIE  exit 0 when the upgrade is refused,
                                         printing the HTTP status
  wsclient.py mute HOST PORT ORIGIN COOKIE SECS
        does the handshake by hand, then reads nothing; after SECS reads
        what came and exits 0 when the server closed the connection with
        1008 (or at all), 1 when it is still open
  wsclient.py live URL ORIGIN COOKIE SECS [MAC...]
        subscribes to the MACs (none: no message), then prints every
        message received for SECS seconds as "WALL_MS TEXT" lines
        (a wss:// URL: TLS, the router's self-signed certificate taken)
  wsclient.py slow HOST PORT ORIGIN COOKIE MAC STALL SECS
        a small receive buffer, a subscription, then STALL seconds of
        reading nothing; then reads (answering pings) until SECS and
        prints the messages as the live mode does
  wsclient.py flood HOST PORT ORIGIN COOKIE N SECS
        opens N WebSockets one after the other, prints how many upgrades
        got each status ("101:16 429:4"), then holds them SECS seconds
"""
import asyncio
import base64
import json
import os
import socket
import ssl
import sys
import time

import websockets


async def recv(url, origin, cookie, n):
    async with websockets.connect(url, origin=origin,
                                  extra_headers={"Cookie": cookie},
                                  open_timeout=5) as ws:
        for _ in range(n):
            print(await asyncio.wait_for(ws.recv(), 5), flush=True)


async def refused(url, origin, cookie):
    hdrs = {"Cookie": cookie} if cookie else {}
    try:
        async with websockets.connect(url, origin=origin or None,
                                      extra_headers=hdrs, open_timeout=5):
            print("accepted")
            return 1
    except websockets.exceptions.InvalidStatusCode as e:
        print("refused %d" % e.status_code)
        return 0


def upgrade(s, host, port, origin, cookie):
    """The handshake's request, by hand, on the connected socket s."""
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /api/live HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\nOrigin: %s\r\nCookie: %s\r\n\r\n"
               % (host if int(port) == 80 else "%s:%s" % (host, port), key,
                  origin, cookie)).encode())


def mute(host, port, origin, cookie, secs):
    s = socket.create_connection((host, int(port)), timeout=5)
    upgrade(s, host, port, origin, cookie)
    time.sleep(float(secs))
    # What the server sent meanwhile is in our buffer: read it, and the
    # end of the connection must be right behind it.
    deadline = time.monotonic() + 2
    data = b""
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = s.recv(65536)
            if not chunk:
                print("closed, %d bytes before" % len(data))
                return 0
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        print("reset")
        return 0
    print("still open after %d bytes" % len(data))
    return 1


def tls(url):
    """wss://: the router's certificate is its own, self-signed."""
    if not url.startswith("wss:"):
        return {}
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return {"ssl": ctx}


async def live(url, origin, cookie, secs, macs):
    async with websockets.connect(url, origin=origin,
                                  extra_headers={"Cookie": cookie},
                                  open_timeout=5, max_size=1 << 20,
                                  **tls(url)) as ws:
        if macs:
            await ws.send(json.dumps({"subscribe": macs}))
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                break
            print("%d %s" % (time.time() * 1000, msg), flush=True)


def flood(host, port, origin, cookie, n, secs):
    held, got = [], {}
    for _ in range(int(n)):
        s = socket.create_connection((host, int(port)), timeout=5)
        upgrade(s, host, port, origin, cookie)
        words = s.recv(4096).split(b"\r\n", 1)[0].split()
        code = words[1].decode() if len(words) > 1 else "none"
        got[code] = got.get(code, 0) + 1
        held.append(s)
    print(" ".join("%s:%d" % kv for kv in sorted(got.items())), flush=True)
    time.sleep(float(secs))
    return 0


def ws_send(s, opcode, payload):
    """One masked frame from the client (payloads under 126 bytes)."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body)


def slow(host, port, origin, cookie, mac, stall, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((host, int(port)))
    upgrade(s, host, port, origin, cookie)
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(1)
    if b" 101 " not in buf.split(b"\r\n")[0]:
        print("refused: %r" % buf)
        return 1
    ws_send(s, 1, json.dumps({"subscribe": [mac]}).encode())
    start = time.monotonic()
    time.sleep(float(stall))
    end = start + float(secs)
    buf = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            print("closed")
            return 1
        buf += chunk
        while len(buf) >= 2:
            op, n, at = buf[0] & 0x0f, buf[1] & 0x7f, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, at = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, at = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < at + n:
                break
            payload, buf = buf[at:at + n], buf[at + n:]
            if op == 9:
                ws_send(s, 10, payload)
            elif op == 1:
                print("%d %s" % (time.time() * 1000, payload.decode()),
                      flush=True)
            elif op == 8:
                print("closed by the server")
                return 1
    return 0


def main():
    mode = sys.argv[1]
    if mode == "recv":
        asyncio.run(recv(sys.argv[2], sys.argv[3], sys.argv[4],
                         int(sys.argv[5])))
        return 0
    if mode == "refused":
        return asyncio.run(refused(sys.argv[2], sys.argv[3], sys.argv[4]))
    if mode == "mute":
        return mute(*sys.argv[2:7])
    if mode == "live":
        asyncio.run(live(sys.argv[2], sys.argv[3], sys.argv[4],
                         float(sys.argv[5]), sys.argv[6:]))
        return 0
    if mode == "flood":
        return flood(*sys.argv[2:8])
    if mode == "slow":
        return slow(*sys.argv[2:9])
    return 2


sys.exit(main())
