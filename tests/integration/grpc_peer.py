#!/usr/bin/python3
"""A real gRPC server and client (python3-grpcio) for the integration tests, with no
generated code: methods take and return raw bytes.

  grpc_peer.py serve PORTFILE [MAX_AGE_MS]
                                       serves on 127.0.0.1:0, writes the port to PORTFILE;
                                       with MAX_AGE_MS, each connection gets a GOAWAY that old
  grpc_peer.py load ADDR CALLS         CALLS Echo calls, 20 at a time on one channel; prints
                                       "ok N failed M" and the first failures
  grpc_peer.py call ADDR METHOD [ARG] [--timeout S] [--messages N]
                                       calls through ADDR and prints one line per event:
                                       "msg <elapsed_ms> <payload>" and "status <CODE> <details>"

Server methods (service "test.Peer"):
  Echo          unary: answers its request
  FailTwice     unary: UNAVAILABLE for the first two calls of a key (the request), then OK
  Invalid       unary: INVALID_ARGUMENT
  Slow          unary: sleeps ARG ms, then answers; reports the deadline grpc-timeout set
  Count         unary: how many calls each method had, "Echo=3,FailTwice=3"
  Ticks         server streaming: N messages (N = request), 100 ms apart
  Sum           client streaming: the total length of the messages, once they all came
  Chat          bidirectional: echoes each message as it comes
  SetHealth     unary: "SERVICE=STATUS" sets what the health service answers for SERVICE
                (STATUS a number: 1 SERVING, 2 NOT_SERVING)

It also serves gRPC's standard health check, grpc.health.v1.Health/Check, hand-encoded:
"" and "test.Peer" are SERVING until SetHealth says otherwise; any other service is
NOT_FOUND, as the reference servicer answers.
"""
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "test.Peer"
counts = {}
fail_keys = {}
lock = threading.Lock()


def count(method):
    with lock:
        counts[method] = counts.get(method, 0) + 1


def echo(request, context):
    count("Echo")
    return request


def fail_twice(request, context):
    count("FailTwice")
    with lock:
        seen = fail_keys.get(request, 0)
        fail_keys[request] = seen + 1
    if seen < 2:
        context.abort(grpc.StatusCode.UNAVAILABLE, "not yet (%d)" % (seen + 1))
    return b"ok after " + str(seen + 1).encode()


def invalid(request, context):
    count("Invalid")
    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad argument")


def slow(request, context):
    count("Slow")
    # grpc-timeout is no metadata: the library turns it into the call's deadline.
    left = context.time_remaining()
    deadline = "none" if left is None else "%dms" % (left * 1000)
    time.sleep(int(request or b"0") / 1000.0)
    return b"slept, deadline=" + deadline.encode()


def report(request, context):
    with lock:
        return ",".join("%s=%d" % kv for kv in sorted(counts.items())).encode()


def ticks(request, context):
    count("Ticks")
    for i in range(int(request or b"3")):
        if i:
            time.sleep(0.1)
        yield b"tick %d" % i


def total(request_iterator, context):
    count("Sum")
    return str(sum(len(m) for m in request_iterator)).encode()


def chat(request_iterator, context):
    count("Chat")
    for message in request_iterator:
        yield message


health = {"": 1, SERVICE: 1}


def set_health(request, context):
    service, status = request.decode().rsplit("=", 1)
    with lock:
        health[service] = int(status)
    return b"ok"


def health_check(request, context):
    count("Health")
    service = ""
    if request:  # HealthCheckRequest: field 1 (0x0a), a one-byte length, the name
        service = request[2:2 + request[1]].decode()
    with lock:
        status = health.get(service)
    if status is None:
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service " + service)
    return bytes([0x08, status])  # HealthCheckResponse: field 1, varint


def serve(port_file, max_age_ms=None):
    options = []
    if max_age_ms:
        options = [("grpc.max_connection_age_ms", max_age_ms),
                   ("grpc.max_connection_age_grace_ms", 5000)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=options)
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(echo),
        "FailTwice": grpc.unary_unary_rpc_method_handler(fail_twice),
        "Invalid": grpc.unary_unary_rpc_method_handler(invalid),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
        "Count": grpc.unary_unary_rpc_method_handler(report),
        "Ticks": grpc.unary_stream_rpc_method_handler(ticks),
        "Sum": grpc.stream_unary_rpc_method_handler(total),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
        "SetHealth": grpc.unary_unary_rpc_method_handler(set_health),
    }
    health_handlers = {"Check": grpc.unary_unary_rpc_method_handler(health_check)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),
                                     grpc.method_handlers_generic_handler("grpc.health.v1.Health",
                                                                          health_handlers)))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    import os
    os.rename(port_file + ".tmp", port_file)
    server.wait_for_termination()


def paced(messages, start):
    for i, m in enumerate(messages):
        if i:
            time.sleep(0.1)
        yield m


def call(addr, method, arg, timeout, messages):
    start = time.monotonic()
    path = "/%s/%s" % (SERVICE, method)

    def out(payload):
        print("msg %d %s" % ((time.monotonic() - start) * 1000, payload.decode()), flush=True)

    with grpc.insecure_channel(addr) as channel:
        try:
            if method == "Ticks":
                for m in channel.unary_stream(path)(arg, timeout=timeout):
                    out(m)
            elif method == "Sum":
                out(channel.stream_unary(path)(paced([arg] * messages, start), timeout=timeout))
            elif method == "Chat":
                for m in channel.stream_stream(path)(paced([arg] * messages, start), timeout=timeout):
                    out(m)
            else:
                out(channel.unary_unary(path)(arg, timeout=timeout))
            print("status OK", flush=True)
        except grpc.RpcError as e:
            print("status %s %s" % (e.code().name, e.details()), flush=True)
    print("elapsed_ms %d" % ((time.monotonic() - start) * 1000), flush=True)


def load(addr, calls):
    start = time.monotonic()
    ok, failures = 0, []
    with grpc.insecure_channel(addr) as channel:
        echo = channel.unary_unary("/%s/Echo" % SERVICE)
        pending = []
        for i in range(calls):
            pending.append(echo.future(b"n%d" % i, timeout=10))
            if len(pending) == 20 or i == calls - 1:
                for f in pending:
                    try:
                        f.result()
                        ok += 1
                    except grpc.RpcError as e:
                        failures.append("%s %s" % (e.code().name, e.details()))
                pending = []
    print("ok %d failed %d" % (ok, len(failures)), flush=True)
    print("elapsed_ms %d" % ((time.monotonic() - start) * 1000), flush=True)
    for f in failures[:5]:
        print("failure " + f, flush=True)


def main(argv):
    if argv[1] == "serve":
        serve(argv[2], int(argv[3]) if len(argv) > 3 else None)
        return
    if argv[1] == "load":
        load(argv[2], int(argv[3]))
        return
    addr, method = argv[2], argv[3]
    rest = argv[4:]
    timeout, messages, arg = None, 3, b""
    while rest:
        item = rest.pop(0)
        if item == "--timeout":
            timeout = float(rest.pop(0))
        elif item == "--messages":
            messages = int(rest.pop(0))
        else:
            arg = item.encode()
    call(addr, method, arg, timeout, messages)


if __name__ == "__main__":
    main(sys.argv)
