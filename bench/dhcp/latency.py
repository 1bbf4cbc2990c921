#!/usr/bin/env python3
"""bench/dhcp/latency.py PCAP SECONDS — what the client side of a DHCP
bench saw, from a capture on its interface (classic pcap, Ethernet):
each DISCOVER paired with the first OFFER of the same xid, each REQUEST
with the first ACK or NAK. Prints one line:

  exchanges=N rate=N/s lost=P% offer_p50=MS offer_p99=MS ack_p50=MS ack_p99=MS

exchanges: ACKs; lost: the server's silences, DISCOVERs without an OFFER
and REQUESTs without an ACK or NAK, as a share of the DISCOVERs (an OFFER
the load generator did not follow up, e.g. because its own socket had no
room for it, is not the server's loss; perfdhcp's own count of drops is
printed beside). Latencies are
the capture's timestamps, so the server's and the network's time, not the
load generator's scheduling. Standard library only.
"""
import struct
import sys

DISCOVER, OFFER, REQUEST, ACK, NAK = 1, 2, 3, 5, 6


def packets(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = "<"
        else:
            end = ">"
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(end + "IIII", rec)
            data = f.read(incl)
            yield sec + frac / (1e9 if nano else 1e6), data


def dhcp(frame):
    """(xid, message type, chaddr) of a DHCP message in an Ethernet frame."""
    if len(frame) < 14 + 20 + 8 + 240:
        return None
    if frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0xf) * 4
    if frame[14 + 9] != 17:
        return None
    bootp = frame[14 + ihl + 8:]
    if len(bootp) < 240 or bootp[236:240] != b"\x63\x82\x53\x63":
        return None
    xid = bootp[4:8]
    chaddr = bootp[28:34]
    i = 240
    while i < len(bootp):
        code = bootp[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(bootp):
            break
        ln = bootp[i + 1]
        if code == 53 and ln == 1 and i + 2 < len(bootp):
            return xid, bootp[i + 2], chaddr
        i += 2 + ln
    return None


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000


def main(path, secs):
    disc, req = {}, {}
    offer_ms, ack_ms = [], []
    offered, acked = set(), set()
    ndisc = 0
    for t, frame in packets(path):
        m = dhcp(frame)
        if m is None:
            continue
        xid, kind, chaddr = m
        key = (xid, chaddr)
        if kind == DISCOVER:
            ndisc += 1
            disc.setdefault(key, t)
        elif kind == OFFER and key in disc and key not in offered:
            offered.add(key)
            offer_ms.append(t - disc[key])
        elif kind == REQUEST:
            req.setdefault(key, t)
        elif kind in (ACK, NAK) and key in req and key not in acked:
            acked.add(key)
            if kind == ACK:
                ack_ms.append(t - req[key])
    n = len(ack_ms)
    no_offer = len(disc) - len(offered)
    no_reply = len(req) - len(acked)
    lost = 100.0 * (no_offer + no_reply) / len(disc) if disc else 100.0
    print("exchanges=%d rate=%d/s lost=%.3f%% offer_p50=%.2f offer_p99=%.2f "
          "ack_p50=%.2f ack_p99=%.2f no_offer=%d no_ack=%d naks=%d" % (
              n, n / secs, lost, pct(offer_ms, 50), pct(offer_ms, 99),
              pct(ack_ms, 50), pct(ack_ms, 99), no_offer, no_reply,
              len(acked) - n))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
