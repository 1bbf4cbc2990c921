#!/usr/bin/python3
"""WebSocket client for tests/webd/http.sh (Debian's python3-websockets).

  wsclient.py recv URL ORIGIN COOKIE N   receive N frames, print each, exit 0
  wsclient.py refused URL ORIGIN COOKIE  exit 0 when the upgrade is refused,
                                         printing the HTTP status
  wsclient.py mute HOST PORT ORIGIN COOKIE SECS
        does the handshake by hand, then reads nothing; after SECS reads
        what came and exits 0 when the server closed the connection with
        1008 (or at all), 1 when it is still open
"""
import asyncio
import base64
import os
import socket
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


def mute(host, port, origin, cookie, secs):
    s = socket.create_connection((host, int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /api/live HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\nOrigin: %s\r\nCookie: %s\r\n\r\n"
               % (host if int(port) == 80 else "%s:%s" % (host, port), key,
                  origin, cookie)).encode())
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
    return 2


sys.exit(main())
