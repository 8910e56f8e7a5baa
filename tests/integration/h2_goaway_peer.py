#!/usr/bin/python3
"""An HTTP/2 (h2c, prior knowledge) server that retires every connection after one request,
the graceful way: it answers the first stream of a connection ("ok\\n", status 200), and
when a second stream opens it sends GOAWAY(NO_ERROR) with the first one as last-stream-id,
so the client must take that stream, unprocessed, elsewhere. Frames are written by hand
(the response head is the static HPACK entry for ":status: 200"), so nothing beyond
python3 is needed.

  h2_goaway_peer.py PORTFILE HITSFILE
      serves on 127.0.0.1:0, writes the port to PORTFILE, and after each answer the number
      of requests answered so far to HITSFILE
"""
import os
import socket
import struct
import sys
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0, 1, 3, 4, 6, 7
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
lock = threading.Lock()
answered = [0]


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(
        ">I", stream) + payload


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn, hits_file):
    served = None  # the stream this connection answers
    gone = False   # GOAWAY sent: nothing more is taken
    try:
        read_exactly(conn, len(PREFACE))
        conn.sendall(frame(SETTINGS, 0, 0))
        while True:
            head = read_exactly(conn, 9)
            length = struct.unpack(">I", b"\0" + head[:3])[0]
            kind, flags = head[3], head[4]
            stream = struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
            payload = read_exactly(conn, length)
            if kind == SETTINGS and not flags & ACK:
                conn.sendall(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                conn.sendall(frame(PING, ACK, 0, payload))
            elif kind == HEADERS and not gone and served is None:
                served = stream
            elif kind == HEADERS and not gone:
                # A second stream: retire the connection; `stream` is above last-stream-id.
                conn.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", served, 0)))
                gone = True
            if kind in (HEADERS, DATA) and stream == served and flags & END_STREAM:
                conn.sendall(frame(HEADERS, END_HEADERS, stream, b"\x88") +
                             frame(DATA, END_STREAM, stream, b"ok\n"))
                with lock:
                    answered[0] += 1
                    with open(hits_file, "w") as f:
                        f.write(str(answered[0]))
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    port_file, hits_file = sys.argv[1], sys.argv[2]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))

    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, hits_file), daemon=True).start()


if __name__ == "__main__":
    main()
