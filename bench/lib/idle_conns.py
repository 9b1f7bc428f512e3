#!/usr/bin/env python3
"""Open N idle HTTP/1.1 keep-alive connections to a server and hold them.

Each connection sends one `GET PATH` with `Connection: keep-alive`, reads the whole
response (Content-Length or chunked), and is then left idle. When all are open the
script prints one line `READY opened=N failed=F seconds=S` to stdout and holds the
connections until it gets SIGTERM/SIGINT (or --hold seconds pass, a safety bound).
Before exiting it checks how many connections the server closed meanwhile and prints
`DONE open=N closed_by_server=C`.

Used by bench/web.sh to read the server's RSS with 10,000 idle connections open.
Only meant for loopback targets. Needs `ulimit -n` above N.
"""
import argparse
import selectors
import signal
import socket
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--path", default="/small.html")
    p.add_argument("--hold", type=float, default=300.0,
                   help="safety bound: exit after this many seconds even without a signal")
    p.add_argument("--batch", type=int, default=200,
                   help="connections in flight at once while opening")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds allowed for one connection's response")
    return p.parse_args()


class Conn:
    __slots__ = ("sock", "buf", "need", "deadline", "done", "ok")

    def __init__(self, sock, deadline):
        self.sock = sock
        self.buf = b""
        self.need = None      # total bytes of the response once the head is parsed
        self.deadline = deadline
        self.done = False
        self.ok = False


def response_complete(c):
    """True when c.buf holds one whole response; sets c.ok."""
    if c.need is None:
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = c.buf[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            c.need = end + 4 + int(headers["content-length"])
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            c.need = -1
        else:
            c.need = end + 4      # no body we can delimit; count the head only
        c.ok = head[0].split(" ")[1:2] in (["200"], ["304"])
    if c.need == -1:
        return c.buf.endswith(b"0\r\n\r\n")
    return len(c.buf) >= c.need


def main():
    a = parse_args()
    req = (f"GET {a.path} HTTP/1.1\r\nHost: {a.host}:{a.port}\r\n"
           f"Connection: keep-alive\r\nUser-Agent: portico-bench-idle\r\n\r\n").encode()
    stop = {"flag": False}

    def on_signal(_signo, _frame):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t0 = time.monotonic()
    sel = selectors.DefaultSelector()
    opened, failed, started = [], 0, 0
    inflight = 0
    while (started < a.count or inflight) and not stop["flag"]:
        while started < a.count and inflight < a.batch:
            started += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.settimeout(a.timeout)
                s.connect((a.host, a.port))
                s.sendall(req)
                s.setblocking(False)
            except OSError as e:
                failed += 1
                s.close()
                if failed <= 5:
                    print(f"connect/send failed: {e}", file=sys.stderr)
                continue
            c = Conn(s, time.monotonic() + a.timeout)
            sel.register(s, selectors.EVENT_READ, c)
            inflight += 1
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                c.buf += data
                if not response_complete(c):
                    continue
            sel.unregister(c.sock)
            inflight -= 1
            if data and c.ok:
                c.buf = b""
                opened.append(c.sock)
            else:
                failed += 1
                c.sock.close()
        now = time.monotonic()
        for key in list(sel.get_map().values()):
            c = key.data
            if now > c.deadline:
                sel.unregister(c.sock)
                c.sock.close()
                inflight -= 1
                failed += 1
    print(f"READY opened={len(opened)} failed={failed} seconds={time.monotonic() - t0:.1f}",
          flush=True)

    end = time.monotonic() + a.hold
    while not stop["flag"] and time.monotonic() < end:
        time.sleep(0.1)

    closed = 0
    for s in opened:
        try:
            if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                closed += 1
        except BlockingIOError:
            pass                      # still open, nothing to read: as expected
        except OSError:
            closed += 1
    print(f"DONE open={len(opened) - closed} closed_by_server={closed}", flush=True)
    for s in opened:
        s.close()


if __name__ == "__main__":
    main()
