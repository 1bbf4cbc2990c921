#!/usr/bin/env python3
"""bench/scale/dashboards.py URL SECONDS N COOKIE [live] — N dashboards
for SECONDS: each polls URL's /api/clients every 2 s (a new connection
each time, as a browser's fetch may) and, with "live", holds a WebSocket
on /api/live subscribed to every device it saw in the first poll. The
dashboards take source addresses 10.42.0.61.. in turn (webd takes 16
connections per source). Prints one line:

  polls=N failed=N poll_p50_ms=X poll_p99_ms=X frames=N ws_failed=N

Standard library for the polls; websockets (Debian's, /usr/bin/python3)
for the WebSocket.
"""
import asyncio
import json
import sys
import time

URL, SECS, N, COOKIE = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
LIVE = len(sys.argv) > 5 and sys.argv[5] == "live"
HOST, _, PORT = URL.split("//")[1].partition(":")
PORT = int(PORT or 80)
PATH = "/api/clients"
times, fails, frames, ws_fails, macs = [], [0], [0], [0], []


def source(i):
    return "10.42.0.%d" % (61 + i % 4)


async def poll(i):
    t0 = time.monotonic()
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            HOST, PORT, local_addr=(source(i), 0)), 5)
        w.write(("GET %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n"
                 "Connection: close\r\n\r\n" % (PATH, HOST, COOKIE)).encode())
        data = await asyncio.wait_for(r.read(), 5)
        w.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            fails[0] += 1
            return None
        times.append(time.monotonic() - t0)
        return body
    except (OSError, asyncio.TimeoutError):
        fails[0] += 1
        return None


async def live(i, end):
    import websockets
    try:
        async with websockets.connect(
                "ws://%s/api/live" % HOST, origin="http://%s" % HOST,
                extra_headers={"Cookie": COOKIE},
                local_addr=(source(i), 0)) as ws:
            if macs:
                await ws.send(json.dumps({"subscribe": macs[:16]}))
            while time.monotonic() < end:
                try:
                    await asyncio.wait_for(ws.recv(), end - time.monotonic())
                    frames[0] += 1
                except asyncio.TimeoutError:
                    break
    except Exception:
        ws_fails[0] += 1


async def dashboard(i, end):
    tasks = [asyncio.ensure_future(live(i, end))] if LIVE else []
    await asyncio.sleep(2.0 * i / N)	# spread the polls
    while time.monotonic() < end:
        await poll(i)
        await asyncio.sleep(2)
    await asyncio.gather(*tasks)


async def main():
    body = await poll(0)
    try:
        for c in json.loads(body or b"{}").get("clients", []):
            if c.get("mac"):
                macs.append(c["mac"])
    except ValueError:
        pass
    end = time.monotonic() + SECS
    await asyncio.gather(*(dashboard(i, end) for i in range(N)))
    t = sorted(times) or [0]
    print("polls=%d failed=%d poll_p50_ms=%.1f poll_p99_ms=%.1f frames=%d ws_failed=%d"
          % (len(times), fails[0], 1000 * t[len(t) // 2],
             1000 * t[min(len(t) - 1, int(len(t) * 0.99))], frames[0], ws_fails[0]))


asyncio.run(main())
