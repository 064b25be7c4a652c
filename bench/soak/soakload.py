#!/usr/bin/env python3
"""The soak's client side beside wrk: new-connection requests, server-sent event streams and WebSockets against
127.0.0.1:PORT for SECONDS. A stream the gateway ends cleanly (the SSE goodbye: a complete chunked response; a
WebSocket close 1001) is reopened and is not a failure; a refused, reset or cut connection, or a non-200, is.
Prints one JSON object: counts and the first failures."""
import asyncio, base64, json, os, sys, time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
NEW_CONN_LOOPS, SSE_STREAMS, WS_STREAMS = 4, 3, 3
stats = {"new_connection_requests": 0, "sse_events": 0, "sse_clean_ends": 0, "ws_echoes": 0, "ws_clean_closes": 0, "failures": 0}
failures = []
deadline = time.monotonic() + seconds

def fail(what):
    stats["failures"] += 1
    if len(failures) < 20:
        failures.append("%.1fs %s" % (seconds - (deadline - time.monotonic()), what))

async def new_connections():
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            writer.write(b"GET /hello HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            if data.startswith(b"HTTP/1.1 200"): stats["new_connection_requests"] += 1
            else: fail("new connection: %r" % data[:40])
        except (OSError, asyncio.TimeoutError) as e:
            fail("new connection: %s" % type(e).__name__)
        await asyncio.sleep(0.01)

async def sse():
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            writer.write(b"GET /stream/sse HTTP/1.1\r\nHost: soak\r\nAccept: text/event-stream\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            if not head.startswith(b"HTTP/1.1 200"):
                fail("sse: %r" % head[:40]); writer.close(); continue
            while time.monotonic() < deadline:
                size = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)).strip(), 16)
                if size == 0:
                    stats["sse_clean_ends"] += 1
                    break
                chunk = await reader.readexactly(size + 2)
                stats["sse_events"] += chunk.count(b"data: ")
            writer.close()
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            if time.monotonic() < deadline: fail("sse: %s" % type(e).__name__)

def frame(opcode, payload):
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))

async def ws():
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            key = base64.b64encode(os.urandom(16))
            writer.write(b"GET /stream/ws HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            if not head.startswith(b"HTTP/1.1 101"):
                fail("ws: %r" % head[:40]); writer.close(); continue
            n = 0
            while time.monotonic() < deadline:
                writer.write(frame(1, b"ping %d" % n)); await writer.drain()
                b0, b1 = await asyncio.wait_for(reader.readexactly(2), 10)
                payload = await reader.readexactly(b1 & 0x7F)
                if b0 & 0x0F == 8:
                    writer.write(frame(8, payload[:2])); await writer.drain()
                    stats["ws_clean_closes"] += 1
                    break
                stats["ws_echoes"] += 1
                n += 1
                await asyncio.sleep(0.3)
            writer.close()
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            if time.monotonic() < deadline: fail("ws: %s" % type(e).__name__)

async def main():
    await asyncio.gather(*[new_connections() for _ in range(NEW_CONN_LOOPS)], *[sse() for _ in range(SSE_STREAMS)], *[ws() for _ in range(WS_STREAMS)])
    print(json.dumps({**stats, "first_failures": failures}))

asyncio.run(main())
