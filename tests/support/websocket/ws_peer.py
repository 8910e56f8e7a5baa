#!/usr/bin/python3
"""WebSocket peers for outrigger's integration tests (python3-websockets).

  ws_peer.py server PORT_FILE   an echo server on 127.0.0.1:0; its port goes to PORT_FILE.
                                GET /headers (no upgrade) answers the request's headers as JSON.
  ws_peer.py client URL         text, binary, ping, a 10 MB message and close code 4001;
                                prints one line per check.
  ws_peer.py handshake URL      prints "opened", or "status N" when the handshake was refused.
"""
import asyncio
import http
import json
import os
import sys

import websockets


async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)


async def process_request(path, headers):
    if path == "/headers":
        body = json.dumps({k.lower(): v for k, v in headers.raw_items()}).encode()
        return http.HTTPStatus.OK, [("Content-Type", "application/json")], body
    return None


async def serve(port_file):
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None,
                                process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(port_file + ".tmp", port_file)
        await asyncio.Future()


async def client(url):
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
        await ws.send("hello")
        print("text", await ws.recv(), flush=True)
        await ws.send(b"\x00\x01\xff")
        print("binary", (await ws.recv()).hex(), flush=True)
        pong = await ws.ping(b"are-you-there")
        await asyncio.wait_for(pong, 5)
        print("pong", flush=True)
        big = os.urandom(10 * 1024 * 1024)  # incompressible: permessage-deflate is on
        await ws.send(big)
        back = await ws.recv()
        print("big", len(back), back == big, flush=True)
        await ws.close(code=4001, reason="bye")
        print("close", ws.close_code, ws.close_reason, flush=True)


async def handshake(url):
    try:
        async with websockets.connect(url, ping_interval=None):
            print("opened", flush=True)
    except websockets.exceptions.InvalidStatusCode as e:
        print("status", e.status_code, flush=True)


def main():
    mode, arg = sys.argv[1], sys.argv[2]
    run = {"server": serve, "client": client, "handshake": handshake}[mode]
    asyncio.run(asyncio.wait_for(run(arg), None if mode == "server" else 60))


if __name__ == "__main__":
    main()
