#!/usr/bin/env python3
"""Load for bench/tcp/tcp-passthrough.sh, on 127.0.0.1 only, bounded in size, count and time.

  tcpload.py upstream PORT            a sink: reads to the client's FIN, answers the byte count (8 bytes), closes
  tcpload.py large PORT MIB           one connection sends MIB MiB, FIN, waits for the count: prints MiB/s
  tcpload.py small PORT SECONDS CONC  CONC workers open a connection, send 16 bytes, FIN, read the count, close,
                                      until SECONDS pass (at most 1,000,000 connections): prints connections/s
"""
import asyncio, socket, struct, sys, time

async def serve(port):
    async def one(reader, writer):
        total = 0
        try:
            while chunk := await reader.read(1 << 20):
                total += len(chunk)
            writer.write(struct.pack("!Q", total))
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
    server = await asyncio.start_server(one, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()

def large(port, mib):
    block = memoryview(bytes(range(256)) * 4096)  # 1 MiB
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    start = time.perf_counter()
    for _ in range(mib):
        s.sendall(block)
    s.shutdown(socket.SHUT_WR)
    answer = b""
    while len(answer) < 8 and (part := s.recv(8 - len(answer))):
        answer += part
    elapsed = time.perf_counter() - start
    s.close()
    count = struct.unpack("!Q", answer)[0] if len(answer) == 8 else -1
    ok = count == mib << 20
    print(f"{mib / elapsed:.0f} {'ok' if ok else f'BAD count {count}'}")

async def small(port, seconds, concurrency):
    deadline = time.perf_counter() + seconds
    done, failed, limit = 0, 0, 1_000_000
    async def worker():
        nonlocal done, failed
        while time.perf_counter() < deadline and done + failed < limit:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
                writer.write(b"0123456789abcdef")
                writer.write_eof()
                answer = await asyncio.wait_for(reader.readexactly(8), 5)
                writer.close()
                if struct.unpack("!Q", answer)[0] == 16: done += 1
                else: failed += 1
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                failed += 1
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(f"{done / (time.perf_counter() - start):.0f} {failed}")

if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "upstream": asyncio.run(serve(port))
    elif mode == "large": large(port, int(sys.argv[3]))
    else: asyncio.run(small(port, float(sys.argv[3]), int(sys.argv[4])))
