#!/usr/bin/python3
"""Traffic of a simulated home device, for the dashboard's tests and the
demo: traffic.py MODE ADDR [SECONDS]
  sink     ADDR: receives UDP on port 7000 and 7001 and echoes a small ack
  stream   ADDR: a video stream: asks the sink for ~1 Mbit/s down
  upload   ADDR: sends ~2 Mbit/s up for SECONDS (default 5)
  browse   ADDR: bursts of a few hundred kB down every few seconds
  chatter  ADDR: one small datagram every 2 s (an idle sensor)
Every mode runs until killed, or for SECONDS."""
import random
import socket
import sys
import time

PORT = 7000
CHUNK = 1200


def sink(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, PORT))
    while True:
        data, peer = s.recvfrom(65536)
        # "want N": send N datagrams back (the download of a stream or page)
        if data.startswith(b"want "):
            try:
                n = min(int(data[5:].split()[0]), 2000)
            except ValueError:
                continue
            for _ in range(n):
                s.sendto(b"d" * CHUNK, peer)


def until(seconds):
    return time.monotonic() + seconds if seconds else float("inf")


def main():
    mode, addr = sys.argv[1], sys.argv[2]
    end = until(float(sys.argv[3]) if len(sys.argv) > 3 else 0)
    if mode == "sink":
        sink(addr)
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    dest = (addr, PORT)

    def drain():
        try:
            while True:
                s.recv(65536)
        except BlockingIOError:
            pass

    if mode == "upload" and not end < float("inf"):
        end = until(5)
    while time.monotonic() < end:
        if mode == "stream":        # 10 x 1200 B every 100 ms: ~1 Mbit/s
            s.sendto(b"want 10", dest)
            time.sleep(0.1)
        elif mode == "upload":      # ~2 Mbit/s up
            for _ in range(20):
                s.sendto(b"u" * CHUNK, dest)
            time.sleep(0.1)
        elif mode == "browse":      # a page: 100-400 kB, then reading
            s.sendto(b"want %d" % random.randint(80, 330), dest)
            time.sleep(random.uniform(2, 6))
        elif mode == "chatter":
            s.sendto(b"ping", dest)
            time.sleep(2)
        else:
            sys.exit("traffic.py: unknown mode " + mode)
        drain()


main()
