#!/usr/bin/env python3
"""Correctness checks run by bench/web.sh before it measures a server.

  http_check.py HOST PORT WWW_DIR [--gzip]

Checks, over raw sockets so nothing is hidden by a client library:
  - GET /small.html, /medium.bin, /large.bin: status 200, Content-Length, body bytes equal the file
  - GET /missing: status 404
  - keep-alive: 3 requests one after the other on one connection
  - pipelining: 8 GETs of /small.html in one write, 8 whole responses back in order
  - HEAD /small.html: Content-Length of the file and no body
  - with --gzip: Accept-Encoding: gzip gives Content-Encoding: gzip whose inflated body is the file
Prints one line per check (`ok` / `FAIL`) and exits with the number of failures.
"""
import gzip
import os
import socket
import sys
import time

TIMEOUT = 10.0


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("connection closed by server")
        self.buf += data

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n\r\n")
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        self.buf = self.buf[end + 4:]
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if head_only:
            return status, headers, b""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                i = self.buf.index(b"\r\n")
                size = int(self.buf[:i].split(b";")[0], 16)
                while len(self.buf) < i + 2 + size + 2:
                    self._fill()
                body += self.buf[i + 2:i + 2 + size]
                self.buf = self.buf[i + 2 + size + 2:]
                if size == 0:
                    break
            return status, headers, body
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body


def req(host, port, path, method="GET", extra=""):
    return (f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}"
            f"User-Agent: portico-bench-check\r\n\r\n").encode()


def connect(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, www = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    want_gzip = "--gzip" in sys.argv[4:]
    files = {name: open(os.path.join(www, name), "rb").read()
             for name in ("small.html", "medium.bin", "large.bin")}
    failures = 0

    def check(name, fn):
        nonlocal failures
        t0 = time.monotonic()
        try:
            msg = fn()
            print(f"ok   {name}{': ' + msg if msg else ''} ({(time.monotonic() - t0) * 1000:.0f} ms)")
        except Exception as e:  # noqa: BLE001 - report anything
            failures += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")

    def get_file(name):
        def fn():
            with connect(host, port) as s:
                s.sendall(req(host, port, "/" + name))
                st, h, body = Reader(s).response()
                assert st == 200, f"status {st}"
                assert body == files[name], f"body differs ({len(body)} bytes, want {len(files[name])})"
                if "content-length" not in h:
                    return f"no Content-Length (transfer-encoding={h.get('transfer-encoding')})"
                return f"content-type={h.get('content-type')}"
        return fn

    for name in files:
        check(f"GET /{name}", get_file(name))

    def missing():
        with connect(host, port) as s:
            s.sendall(req(host, port, "/missing"))
            st, h, _ = Reader(s).response()
            assert st == 404, f"status {st}"
    check("GET /missing is 404", missing)

    def keepalive():
        with connect(host, port) as s:
            r = Reader(s)
            for i in range(3):
                s.sendall(req(host, port, "/small.html"))
                st, h, body = r.response()
                assert st == 200 and body == files["small.html"], f"request {i + 1}: status {st}"
                assert h.get("connection", "").lower() != "close", f"request {i + 1}: Connection: close"
    check("keep-alive, 3 requests on one connection", keepalive)

    def pipelined():
        with connect(host, port) as s:
            s.sendall(req(host, port, "/small.html") * 8)
            r = Reader(s)
            for i in range(8):
                st, h, body = r.response()
                assert st == 200 and body == files["small.html"], f"response {i + 1}: status {st}"
            assert r.buf == b"", f"{len(r.buf)} unexpected extra bytes"
    check("8 pipelined GETs in one write", pipelined)

    def mixed_pipeline():
        with connect(host, port) as s:
            s.sendall(req(host, port, "/small.html") + req(host, port, "/missing")
                      + req(host, port, "/medium.bin"))
            r = Reader(s)
            got = [r.response()[0] for _ in range(3)]
            assert got == [200, 404, 200], f"statuses {got}"
    check("pipelined 200 + 404 + 200", mixed_pipeline)

    def head():
        with connect(host, port) as s:
            s.sendall(req(host, port, "/small.html", method="HEAD") + req(host, port, "/small.html"))
            r = Reader(s)
            st, h, _ = r.response(head_only=True)
            assert st == 200, f"status {st}"
            assert h.get("content-length") == str(len(files["small.html"])), \
                f"Content-Length {h.get('content-length')}"
            st, h, body = r.response()
            assert st == 200 and body == files["small.html"], "HEAD response carried a body"
    check("HEAD /small.html, then GET on the same connection", head)

    if want_gzip:
        def gz(path):
            def fn():
                with connect(host, port) as s:
                    s.sendall(req(host, port, path, extra="Accept-Encoding: gzip\r\n"))
                    st, h, body = Reader(s).response()
                    assert st == 200, f"status {st}"
                    assert h.get("content-encoding", "").lower() == "gzip", \
                        f"Content-Encoding={h.get('content-encoding')!r}"
                    assert gzip.decompress(body) == files["small.html"], "inflated body differs"
                    return f"{len(body)} bytes gzipped, vary={h.get('vary')}"
            return fn
        check("Accept-Encoding: gzip, /small.html", gz("/small.html"))
        if os.path.exists(os.path.join(www, "pre", "small.html.gz")):
            check("Accept-Encoding: gzip, /pre/small.html (precompressed sibling)", gz("/pre/small.html"))

        def identity():
            with connect(host, port) as s:
                s.sendall(req(host, port, "/small.html"))
                st, h, body = Reader(s).response()
                assert "gzip" not in h.get("content-encoding", ""), "gzipped without Accept-Encoding"
                assert body == files["small.html"], "body differs"
        check("no Accept-Encoding: identity", identity)

    return failures


if __name__ == "__main__":
    sys.exit(main())
