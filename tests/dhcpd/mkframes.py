#!/usr/bin/python3
"""Seeds for fuzz_dhcp_frame (tests/dhcpd/corpus/frame): the DHCP messages
of corpus/dhcp that are real clients' (dhclient, udhcpc, dhcpcd: they
carry the magic cookie and a message type), each in an Ethernet, IPv4 and
UDP frame as the LAN's frame socket reads it, with right checksums; and
frames that each break one header rule the parser checks (short, not
IPv4, group source MAC, IP options, bad checksums, fragments, not to us,
UDP lengths), plus one source MAC carrying many chaddrs (dhcp-mac-limit).

Usage: tests/dhcpd/mkframes.py  (rewrites corpus/frame; stdlib only)
"""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "corpus", "dhcp")
OUT = os.path.join(HERE, "corpus", "frame")
COOKIE = b"\x63\x82\x53\x63"
SERVER = bytes([10, 42, 0, 1])
BCAST = b"\xff\xff\xff\xff"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(payload, src_mac=b"\x02\x00\x00\x00\x00\x07", src=b"\0\0\0\0",
          dst=BCAST, sport=68, dport=67, options=b"", frag=0,
          proto=17, ip_csum_ok=True, udp_csum=True, udp_len=None,
          ethertype=0x0800, pad=0, cut=0):
    ulen = 8 + len(payload) if udp_len is None else udp_len
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    if udp_csum:
        pseudo = src + dst + struct.pack("!BBH", 0, 17, len(udp))
        c = csum(pseudo + udp) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ihl = 5 + len(options) // 4
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(udp),
                     0x1234, frag, 64, proto, 0, src, dst) + options
    c = csum(ip) if ip_csum_ok else 0xBEEF
    ip = ip[:10] + struct.pack("!H", c) + ip[12:]
    eth = BCAST + b"\xff\xff" + src_mac + struct.pack("!H", ethertype)
    f = eth + ip + udp + b"\0" * pad
    return f[:len(f) - cut] if cut else f


def write(data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(OUT, name), "wb") as fp:
        fp.write(data)


def client_messages():
    msgs = []
    for name in sorted(os.listdir(SRC)):
        with open(os.path.join(SRC, name), "rb") as fp:
            m = fp.read()
        if len(m) >= 243 and m[0] == 1 and m[236:240] == COOKIE and \
                m[240] == 53:
            msgs.append(m)
    return msgs


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.unlink(os.path.join(OUT, name))
    msgs = client_messages()
    for m in msgs[:24]:
        write(frame(m))                       # as a client sends it
        write(frame(m, pad=1) + b"\0")        # odd length: csum trusted
    m = msgs[0]
    write(frame(m, src=bytes([10, 42, 0, 9]), dst=SERVER))   # unicast
    write(frame(m, src=bytes([10, 42, 0, 2]), dst=SERVER, sport=67))
    write(frame(m, dst=bytes([10, 42, 0, 255])))             # subnet bcast
    write(frame(m, options=b"\x94\x04\x00\x00"))             # router alert
    write(frame(m, udp_csum=False))                          # no checksum
    write(frame(m, pad=18))                                  # padded
    # Each breaks one rule.
    write(frame(m)[:40])                                     # short
    write(frame(m, ethertype=0x86DD))                        # not IPv4
    write(frame(m, src_mac=b"\x03\x00\x00\x00\x00\x07"))     # group MAC
    write(frame(m, src_mac=b"\0" * 6))                       # zero MAC
    write(frame(m, ip_csum_ok=False))
    write(frame(m, frag=0x2000))                             # MF
    write(frame(m, frag=0x0010))                             # offset
    write(frame(m, proto=6))                                 # TCP
    write(frame(m, dst=bytes([192, 0, 2, 1])))               # not ours
    write(frame(m, dport=68))
    write(frame(m, udp_len=4))
    write(frame(m, udp_len=8 + len(m) + 40))
    write(frame(m, cut=30))                                  # cut frame
    bad = bytearray(frame(m))
    bad[14] = 0x46                                           # ihl past
    write(bytes(bad))
    bad = bytearray(frame(m))
    bad[-1] ^= 0xFF                                          # UDP csum
    write(bytes(bad))
    # One host, many invented chaddrs: what dhcp-mac-limit refuses.
    for i in range(6):
        d = bytearray(m)
        d[28:34] = bytes([2, 0xBA, 0xD0, 0, 0, i])
        write(frame(bytes(d)))


if __name__ == "__main__":
    main()
