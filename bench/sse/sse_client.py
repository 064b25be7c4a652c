#!/usr/bin/env python3
"""Opens N HTTP/1.1 keep-alive SSE streams (GET /sse) to HOST:PORT and counts the events each receives.
Prints `open N in S s` once every stream has its first event, waits WARM seconds, prints `measuring`, counts the
events of the next SECONDS seconds, prints `measured`, then a summary: streams, events in the window (total, min,
max), the streams that got fewer than SECONDS-2, and the streams that failed; exits 1 if any stream failed or fell short.
Bounded: N sockets, 30 s to open each, the whole run within WARM + SECONDS + 90 s.
Usage: sse_client.py HOST PORT N SECONDS [WARM, default 3]"""
import asyncio, sys, time

host, port, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
warm = float(sys.argv[5]) if len(sys.argv) > 5 else 3.0
counts = [0] * n
failed = {}

async def stream(i, first, gate):
    try:
        async with gate:  # at most 100 connects in flight: the listen backlogs stay short
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
            writer.write(b"GET /sse HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.startswith(b"HTTP/1.1 200") or b"text/event-stream" not in head.lower():
            raise ValueError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                raise EOFError("closed by the proxy")
            counts[i] += chunk.count(b"data: tick")
            if counts[i] and not first[i].done():
                first[i].set_result(None)
    except asyncio.CancelledError:
        raise
    except Exception as e:
        failed[i] = f"{type(e).__name__}: {e}"
        if not first[i].done():
            first[i].set_result(None)

async def main():
    loop = asyncio.get_running_loop()
    first = [loop.create_future() for _ in range(n)]
    gate = asyncio.Semaphore(100)
    began = time.monotonic()
    tasks = [asyncio.create_task(stream(i, first, gate)) for i in range(n)]
    await asyncio.wait_for(asyncio.gather(*first), 60)
    print(f"open {n - len(failed)} in {time.monotonic() - began:.1f} s", flush=True)
    await asyncio.sleep(warm)
    before = list(counts)
    print("measuring", flush=True)
    await asyncio.sleep(seconds)
    after = list(counts)
    print("measured", flush=True)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    window = [a - b for a, b in zip(after, before)]
    short = [i for i, w in enumerate(window) if w < seconds - 2 and i not in failed]
    print(f"streams {n} events {sum(window)} min {min(window)} max {max(window)} short {len(short)} failed {len(failed)}")
    for i in short[:10]:
        print(f"short stream {i}: {window[i]} events in {seconds} s")
    for i, why in list(failed.items())[:10]:
        print(f"failed stream {i}: {why}")
    return 1 if short or failed else 0

sys.exit(asyncio.run(asyncio.wait_for(main(), warm + seconds + 90)))
