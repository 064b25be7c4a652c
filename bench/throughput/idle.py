#!/usr/bin/env python3
"""Opens N idle HTTP/1.1 keep-alive connections (one GET each), reports when ready, holds them until stdin closes or
the peer closes them; then says how each one ended: `fin` (the peer closed cleanly), `reset`, or `open` (still open).
Bounded: at most N sockets, each with a 30 s timeout while opening.
Usage: idle.py HOST PORT N"""
import errno, socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conns = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(f"connection {i} closed during its request")
        data += chunk
    conns.append(s)
print(f"ready {len(conns)}", flush=True)
sys.stdin.read()  # hold until the driver closes our stdin
ended = {"fin": 0, "reset": 0, "open": 0}
for s in conns:
    try:
        ended["fin" if s.recv(4096, socket.MSG_DONTWAIT) == b"" else "open"] += 1
    except BlockingIOError:
        ended["open"] += 1
    except ConnectionResetError:
        ended["reset"] += 1
print("ended " + " ".join(f"{k} {v}" for k, v in ended.items()), flush=True)
