#!/usr/bin/env python3
"""The soak's stream upstream on 127.0.0.1:PORT: GET /stream/sse (an event every 200 ms, endless) and
GET /stream/ws (WebSocket echo). Runs until killed."""
import asyncio, base64, hashlib, sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if path.startswith("/stream/ws") and "sec-websocket-key" in headers:
            accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest())
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            await writer.drain()
            while True:
                b0, b1 = await reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126: n = int.from_bytes(await reader.readexactly(2), "big")
                elif n == 127: n = int.from_bytes(await reader.readexactly(8), "big")
                mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(await reader.readexactly(n)))
                opcode = b0 & 0x0F
                if opcode == 8:
                    writer.write(bytes([0x88, len(data)]) + data); await writer.drain(); return
                if opcode in (1, 2):
                    writer.write(bytes([0x80 | opcode, len(data)]) + data); await writer.drain()
        elif path.startswith("/stream/sse"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            n = 0
            while True:
                event = b"id: %d\ndata: tick %d\n\n" % (n, n)
                writer.write(b"%x\r\n%s\r\n" % (len(event), event)); await writer.drain()
                n += 1
                await asyncio.sleep(0.2)
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"); await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()

asyncio.run(main())
