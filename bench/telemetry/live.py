#!/usr/bin/python3
"""bench/telemetry's /api/live clients (Debian's python3-websockets).

  live.py clients COOKIE N SECS DIR MAC...
      N WebSockets on ws://10.42.0.1/api/live from 10.42.0.61 and .62
      by turns (webd takes 16 connections per source), each subscribed
      to the MACs. Writes DIR/ready once every one has had a frame, then
      reads frames until SECS have passed or DIR/stop exists; prints the
      frames received and how many a second each.

  live.py marker COOKIE SECS MAC DST PORT SIZE
      one WebSocket subscribed to MAC (the device this process sends
      from), and every 200 to 300 ms a UDP datagram of SIZE bytes of
      payload to DST, marker k to port PORT + k % 200, its time taken
      just before it is sent. A marker is seen in the first frame whose
      remotes of MAC have DST and its port with bytes up. Prints a line
      "k port SENT SEEN LAG" per marker (CLOCK_MONOTONIC seconds; SEEN is
      the frame's arrival here, -1 if none came; LAG the frame's own "t"
      minus the send's wall clock, in ms), then a summary line "# ...".

  live.py sink PORT
      binds PORT .. PORT + 199 (UDP) and prints "port ARRIVED" per
      datagram (CLOCK_MONOTONIC seconds: one clock for every namespace).

  live.py split MARKERS SINK
      joins the two: per marker seen, "LATENCY TRANSIT REST" in ms: the
      latency at the client, how much of it the datagram took to cross
      the router (send to arrival at the internet host: the NAT's own
      queue), and the rest, the telemetry's part (nan: no arrival).
"""
import asyncio
import json
import os
import random
import select
import socket
import sys
import time

import websockets

URL = "ws://10.42.0.1/api/live"
ORIGIN = "http://10.42.0.1"


def connect(cookie, src=None):
    kw = {"origin": ORIGIN, "extra_headers": {"Cookie": cookie},
          "open_timeout": 10, "max_queue": None}
    if src:
        kw["local_addr"] = (src, 0)
    return websockets.connect(URL, **kw)


async def one_client(i, cookie, macs, end, stopfile, counts, ready):
    async with connect(cookie, "10.42.0.%d" % (61 + i % 2)) as ws:
        await ws.send(json.dumps({"subscribe": macs}))
        while time.monotonic() < end and not os.path.exists(stopfile):
            try:
                await asyncio.wait_for(ws.recv(), 1)
            except asyncio.TimeoutError:
                continue
            counts[i] += 1
            ready[i] = True


async def clients(cookie, n, secs, d, macs):
    counts, ready = [0] * n, [False] * n
    start = time.monotonic()
    end = start + secs
    stopfile = os.path.join(d, "stop")

    async def watch():
        while not all(ready) and time.monotonic() < end:
            await asyncio.sleep(0.05)
        if all(ready):
            open(os.path.join(d, "ready"), "w").close()

    await asyncio.gather(watch(), *(one_client(i, cookie, macs, end,
                                               stopfile, counts, ready)
                                    for i in range(n)))
    took = time.monotonic() - start
    print("%d clients: %d frames in %.1f s (%.1f a second each)" %
          (n, sum(counts), took, sum(counts) / n / took))


async def marker(cookie, secs, mac, dst, port, size):
    sent = []		# [port, monotonic, wall ms, seen, lag] per marker
    frames = 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    payload = b"M" * size
    async with connect(cookie) as ws:
        await ws.send(json.dumps({"subscribe": [mac]}))
        await asyncio.wait_for(ws.recv(), 5)
        end = time.monotonic() + secs

        async def send():
            k = 0
            while time.monotonic() < end:
                p = port + k % 200
                sent.append([p, time.monotonic(), time.time() * 1000, -1, 0])
                s.sendto(payload, (dst, p))
                k += 1
                await asyncio.sleep(random.uniform(0.2, 0.3))

        def unseen():
            return [m for m in sent if m[3] < 0]

        async def recv():
            nonlocal frames
            # frames until every marker sent has been seen, or 3 s after
            # the last one was sent
            while time.monotonic() < end + 3 and \
                    (time.monotonic() < end or unseen()):
                try:
                    m = await asyncio.wait_for(ws.recv(), 1)
                except asyncio.TimeoutError:
                    continue
                now = time.monotonic()
                frames += 1
                f = json.loads(m)
                for r in f.get("remotes", {}).get(mac, []):
                    if r.get("addr") != dst or not r.get("up"):
                        continue
                    for x in sent:
                        if x[3] < 0 and x[0] == r.get("port"):
                            x[3] = now
                            x[4] = f.get("t", 0) - x[2]
                            break

        await asyncio.gather(send(), recv())
    for k, x in enumerate(sent):
        print("%d %d %.6f %.6f %.1f" % (k, x[0], x[1], x[3], x[4]))
    print("# %d markers sent, %d seen in %d frames" %
          (len(sent), len(sent) - len(unseen()), frames))


def sink(port):
    socks = []
    for p in range(port, port + 200):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", p))
        socks.append(u)
    while True:
        ready, _, _ = select.select(socks, [], [])
        now = time.monotonic()
        for u in ready:
            u.recv(65536)
            print("%d %.6f" % (u.getsockname()[1], now), flush=True)


def split(markers, sinkfile):
    arrived = {}		# port -> arrival times, oldest first
    for line in open(sinkfile):
        p, t = line.split()
        arrived.setdefault(int(p), []).append(float(t))
    for line in open(markers):
        if line.startswith("#"):
            continue
        k, p, t, seen, lag = line.split()
        t, seen = float(t), float(seen)
        # the first arrival on the port after the send
        a = [x for x in arrived.get(int(p), []) if x >= t]
        if seen < 0:
            continue
        lat = (seen - t) * 1000
        if a:
            transit = (a[0] - t) * 1000
            print("%.1f %.1f %.1f" % (lat, transit, lat - transit))
        else:
            print("%.1f nan nan" % lat)


def main():
    mode, cookie = sys.argv[1], sys.argv[2]
    if mode == "clients" and len(sys.argv) < 7:
        sys.exit("usage: live.py clients COOKIE N SECS DIR MAC...")
    if mode == "clients":
        asyncio.run(clients(cookie, int(sys.argv[3]), float(sys.argv[4]),
                            sys.argv[5], sys.argv[6:]))
    elif mode == "marker":
        asyncio.run(marker(cookie, float(sys.argv[3]), sys.argv[4],
                           sys.argv[5], int(sys.argv[6]),
                           int(sys.argv[7])))
    elif mode == "sink":
        sink(int(sys.argv[2]))
    elif mode == "split":
        split(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: live.py clients|marker|sink|split ...")


if __name__ == "__main__":
    main()
