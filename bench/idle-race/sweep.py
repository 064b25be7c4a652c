#!/usr/bin/env python3
"""Idle-close race sweep against one proxy: N idle keep-alive connections (each served once), then the proxy is told
to stop gracefully at t=0 and every connection sends one more request at its offset from t=0. Each outcome is
classified from the client's side: served (a complete response), closed-before (FIN, or the send found the connection
closed: safe to retry), reset (RST after the request was sent, no response: unknowable), truncated (part of a response).
Bounded: every socket has a 10 s timeout; the sweep ends when every connection has its outcome.
Usage: sweep.py HOST PORT PID SIGNAL OFFSETS_MS PER_OFFSET   (OFFSETS_MS: comma list, e.g. 0,1,2,5,10,20,50,100)"""
import os, signal, socket, sys, threading, time, json

host, port, pid, signame = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
offsets = [int(x) for x in sys.argv[5].split(",")]
per_offset = int(sys.argv[6])
REQUEST = b"GET /idle HTTP/1.1\r\nHost: sweep.test\r\n\r\n"

def request(sock):
    try:
        sock.sendall(REQUEST)
    except OSError:
        return "closed-before"
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return "closed-before" if not data else "truncated"
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    return "served"
    except ConnectionResetError:
        return "reset" if not data else "truncated"
    except OSError:
        return "reset" if not data else "truncated"

conns = []
for offset in offsets:
    for _ in range(per_offset):
        s = socket.create_connection((host, port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if request(s) != "served":
            sys.exit("warm-up request failed")
        conns.append((offset, s))

results = []
lock = threading.Lock()
moment = time.monotonic() + 0.3
def fire(offset, s):
    delay = moment + offset / 1000 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    outcome = request(s)
    s.close()
    with lock:
        results.append((offset, outcome))
threads = [threading.Thread(target=fire, args=c) for c in conns]
for t in threads:
    t.start()
time.sleep(max(0, moment - time.monotonic()))
os.kill(pid, getattr(signal, signame))
for t in threads:
    t.join(15)

by = {}
for offset, outcome in results:
    by.setdefault(outcome, 0)
    by[outcome] = by.get(outcome, 0) + 1
print(json.dumps({"total": len(results), **{k: by.get(k, 0) for k in ("served", "closed-before", "reset", "truncated")}}, separators=(",", ":")))
