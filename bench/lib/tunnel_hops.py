#!/usr/bin/env python3
"""Where a ping's time goes through a tunnel, from the kernel's own timestamps.

  tunnel_hops.py capture OUT     (run inside a namespace, e.g. with ip netns exec) records every
                                 ICMP and UDP packet on each device of the namespace but lo, with
                                 the kernel's receive/transmit timestamp (AF_PACKET, SO_TIMESTAMPNS),
                                 until SIGTERM: lines "ns device tun|eth in|out icmpT:ID:SEQ|udp".
  tunnel_hops.py report A B      splits each ping whose request and reply were seen on both tunnel
                                 devices into its hops, and prints the medians in microseconds.

A is the side that pings, B the side that answers. Both captures read CLOCK_REALTIME, one clock for
every namespace. The UDP packet that carried a request is the first one A sent after the request
reached its tunnel device, and the one B took it from is the last B received before writing it to
its device (the same for the reply), so the pings must be far enough apart that nothing else is
sent in between (ping -i 0.1 on an otherwise idle tunnel).
"""
import bisect
import os
import select
import signal
import socket
import statistics
import struct
import sys

SO_TIMESTAMPNS = 35
ETH_P_ALL = 3
PACKET_OUTGOING = 4
ARPHRD_NONE = 65534


def capture(out_path):
    devices = [d for d in os.listdir("/sys/class/net") if d != "lo"]
    socks = {}
    for dev in devices:
        with open("/sys/class/net/%s/type" % dev) as f:
            kind = "tun" if int(f.read()) == ARPHRD_NONE else "eth"
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((dev, 0))
        socks[s.fileno()] = (s, dev, kind)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN)
    with open(out_path, "w", buffering=1) as out:
        while not stop:
            try:
                events = poller.poll(200)
            except InterruptedError:
                continue
            for fd, _ in events:
                s, dev, kind = socks[fd]
                while True:
                    try:
                        data, anc, _, addr = s.recvmsg(128, socket.CMSG_SPACE(16), socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    line = describe(data, anc, addr, dev, kind)
                    if line:
                        out.write(line)


def describe(data, anc, addr, dev, kind):
    ts = 0
    for level, typ, d in anc:
        if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", d[:16])
            ts = sec * 1_000_000_000 + nsec
    ip = data
    if kind == "eth":
        if data[12:14] != b"\x08\x00":
            return None
        ip = data[14:]
    if len(ip) < 28 or ip[0] >> 4 != 4:
        return None
    ihl = (ip[0] & 15) * 4
    if ip[9] == 1:
        ident, seq = struct.unpack("!HH", ip[ihl + 4:ihl + 8])
        what = "icmp%d:%d:%d" % (ip[ihl], ident, seq)
    elif ip[9] == 17:
        what = "udp"
    else:
        return None
    return "%d %s %s %s %s\n" % (ts, dev, kind, "out" if addr[2] == PACKET_OUTGOING else "in", what)


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 5:
                rows.append((int(p[0]), p[2], p[3], p[4]))
    rows.sort()
    return rows


def report(path_a, path_b):
    a, b = load(path_a), load(path_b)

    def udp(rows, direction):
        return [r[0] for r in rows if r[1] == "eth" and r[2] == direction and r[3] == "udp"]

    def icmp(rows, direction, typ):
        seen = {}
        for t, kind, d, what in rows:
            if kind == "tun" and d == direction and what.startswith("icmp%d:" % typ):
                seen.setdefault(int(what.rsplit(":", 1)[1]), t)
        return seen

    a_out, a_in, b_out, b_in = udp(a, "out"), udp(a, "in"), udp(b, "out"), udp(b, "in")
    req_a, rep_a = icmp(a, "out", 8), icmp(a, "in", 0)
    req_b, rep_b = icmp(b, "in", 8), icmp(b, "out", 0)

    def after(s, t):
        i = bisect.bisect_left(s, t)
        return s[i] if i < len(s) else None

    def before(s, t):
        i = bisect.bisect_right(s, t)
        return s[i - 1] if i else None

    names = ["A: request on the device to UDP out", "B: UDP in to request on the device",
             "B: the kernel's echo reply", "B: reply on the device to UDP out",
             "A: UDP in to reply on the device", "the four tunnel hops", "round trip, device to device"]
    hops = [[] for _ in names]
    for seq, t0 in sorted(req_a.items()):
        if seq not in rep_a or seq not in req_b or seq not in rep_b:
            continue
        t3, t4, t7 = req_b[seq], rep_b[seq], rep_a[seq]
        t1, t2, t5, t6 = after(a_out, t0), before(b_in, t3), after(b_out, t4), before(a_in, t7)
        if None in (t1, t2, t5, t6):
            continue
        four = [t1 - t0, t3 - t2, t5 - t4, t7 - t6]
        for i, v in enumerate([t1 - t0, t3 - t2, t4 - t3, t5 - t4, t7 - t6, sum(four), t7 - t0]):
            hops[i].append(v / 1e3)
    if not hops[0]:
        print("no ping was seen on both tunnel devices")
        return
    print("%d pings; microseconds, median (10th-90th percentile):" % len(hops[0]))
    for name, v in zip(names, hops):
        v = sorted(v)
        print("  %-40s %8.0f (%.0f-%.0f)" % (name, statistics.median(v), v[len(v) // 10], v[len(v) * 9 // 10]))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "capture":
        capture(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
