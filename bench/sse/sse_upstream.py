#!/usr/bin/env python3
"""The SSE upstream on 127.0.0.1:PORT: GET /sse answers `Content-Type: text/event-stream` (chunked) and sends one
`data: tick N` event per second until the client goes away; any other path answers a short 200 (readiness probes).
Usage: sse_upstream.py PORT"""
import asyncio, sys, time

async def serve(reader, writer):
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.split(b" ", 2)[1].startswith(b"/sse"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        # Each stream ticks on its own schedule from its start, so 1,000 streams spread over the second.
        start, n = time.monotonic(), 0
        while True:
            event = b"data: tick %d\n\n" % n
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
            n += 1
            await asyncio.sleep(max(0, start + n - time.monotonic()))
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with server:
        await server.serve_forever()

asyncio.run(main())
