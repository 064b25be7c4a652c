#!/usr/bin/env python3
"""Fresh-connection prober: every ~10 ms a NEW TCP connection sends one request to 127.0.0.1:PORT.
Bounded by a duration. Prints: attempts failures longest_gap_ms (the longest time without a successful answer)."""
import socket, sys, time

port, duration = int(sys.argv[1]), float(sys.argv[2])
attempts = failures = 0
start = last_ok = time.monotonic()
longest = 0.0
while time.monotonic() - start < duration:
    attempts += 1
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
            data = b""
            while not data.startswith(b"HTTP/1.1 200") and len(data) < 64:
                chunk = s.recv(64)
                if not chunk:
                    break
                data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                raise OSError("no 200: %r" % data[:20])
        now = time.monotonic()
        longest = max(longest, now - last_ok)
        last_ok = now
    except OSError:
        failures += 1
    time.sleep(0.01)
longest = max(longest, time.monotonic() - last_ok)
print(attempts, failures, round(longest * 1000))
