#!/usr/bin/env python3
"""Waits for the first HTTP 200 on 127.0.0.1:PORT and prints the wall-clock time it arrived.

bench/startup.sh starts this before it starts the server: it connects every millisecond (a
refused connection costs microseconds), sends GET PATH, and on a 200 prints the time.time_ns()
of the answer, then exits 0. Exits 1 after TIMEOUT seconds, or when PID (if given) has exited.

usage: first_answer.py PORT TIMEOUT_S [PATH] [PID_FILE]
"""
import os
import socket
import sys
import time


def answer_status(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(64)
        return head[9:12].decode("ascii", "replace") if head.startswith(b"HTTP/1.") else ""


def alive(pid_file):
    """False once the process named in pid_file has exited; True while the file is not there yet."""
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return True
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def main():
    port, timeout = int(sys.argv[1]), float(sys.argv[2])
    path = sys.argv[3] if len(sys.argv) > 3 else "/"
    pid_file = sys.argv[4] if len(sys.argv) > 4 else None
    deadline = time.monotonic() + timeout
    print("WAITING", flush=True)
    while time.monotonic() < deadline:
        try:
            if answer_status(port, path) == "200":
                print(time.time_ns(), flush=True)
                return 0
        except OSError:
            pass
        if pid_file and not alive(pid_file):
            break
        time.sleep(0.001)
    return 1


if __name__ == "__main__":
    sys.exit(main())
