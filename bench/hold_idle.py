#!/usr/bin/env python3
"""Opens N keep-alive connections to 127.0.0.1:PORT, makes one request on each, then holds them
all open and idle until killed. Used by bench/idle.sh and bench/run.sh's *-idle1k scenario.

Usage: hold_idle.py PORT N MARKER [PATH]
Once every request was answered (or 60 s passed), writes the number answered to MARKER.
"""
import os
import selectors
import socket
import sys
import time


def main():
    port, n, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    path = sys.argv[4] if len(sys.argv) > 4 else "/hello"
    request = f"GET {path} HTTP/1.1\r\nHost: idle\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    socks, answered = [], 0

    def read_ready(timeout):
        nonlocal answered
        for key, _ in sel.select(timeout=timeout):
            if key.fileobj.recv(65536):
                answered += 1
            sel.unregister(key.fileobj)

    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
        read_ready(0)  # read answers as they come, so the proxy's write buffers empty
    deadline = time.time() + 60
    while answered < n and time.time() < deadline:
        read_ready(1)
    with open(marker + ".tmp", "w") as f:
        f.write(str(answered))
    os.rename(marker + ".tmp", marker)
    time.sleep(3600)  # hold every connection until killed


if __name__ == "__main__":
    main()
