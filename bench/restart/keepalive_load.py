#!/usr/bin/env python3
"""Keep-alive load that tells how every connection ended. LOOPS threads, each on one HTTP/1.1 keep-alive connection
at a time, send GET / back to back (no client-side retry of a request that was sent) to the first of ENDPOINTS that
accepts (a refused connect moves on to the next: nothing was sent, a load balancer would do the same).
Runs until SECONDS have passed, MAX requests were answered, or the file STOP exists.

Every connection the server closes is classified:
  announced   the last response said `Connection: close`, then EOF (the rule)
  idle        closed without a word, but only after the client left it quiet for >= IDLE_OK seconds (allowed: FIN
              first when quiet); this client never pauses, so any such close is counted apart
  silent      closed right after a response that did NOT say `Connection: close`: the next request fails (the bug)
A failed request is one that was sent and got no complete response (silent close, reset, timeout, bad status).
Prints one JSON object: requests, failures, closes by kind, and the first failures with their time and connection.
Usage: keepalive_load.py LOOPS SECONDS MAX host:port[,host:port...] [STOP]"""
import json, os, socket, sys, threading, time

loops, seconds, max_requests = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
endpoints = [(h, int(p)) for h, p in (e.rsplit(":", 1) for e in sys.argv[4].split(","))]
stop_file = sys.argv[5] if len(sys.argv) > 5 else None
IDLE_OK = 0.2
REQUEST = b"GET / HTTP/1.1\r\nHost: load\r\n\r\n"
lock = threading.Lock()
stats = {"requests": 0, "failed": 0, "announced": 0, "idle": 0, "silent": 0, "refused_connects": 0,
         "connections": 0, "by_generation": {}}
failures = []
start = time.monotonic()
deadline = start + seconds


def add(key, n=1):
    with lock:
        stats[key] += n


def fail(kind, detail):
    with lock:
        stats["failed"] += 1
        if len(failures) < 20:
            failures.append("%.3fs %s: %s" % (time.monotonic() - start, kind, detail))


def running():
    if time.monotonic() >= deadline or stats["requests"] >= max_requests:
        return False
    return stop_file is None or not os.path.exists(stop_file)


def connect():
    while running():
        for endpoint in endpoints:
            try:
                s = socket.create_connection(endpoint, timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                add("connections")
                return s, endpoint
            except ConnectionRefusedError:
                add("refused_connects")
            except OSError as e:
                fail("connect", "%s %s" % (endpoint, e))
        time.sleep(0.01)
    return None, None


def read_response(s, buf):
    """One response: (status, headers dict, rest of buffer); raises EOFError when the peer closed first."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError(len(buf))
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(buf) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("body")
        buf += chunk
    return status, headers, buf[length:]


def loop(index):
    while running():
        s, endpoint = connect()
        if s is None:
            return
        served = 0
        last = time.monotonic()
        buf = b""
        try:
            while running():
                quiet = time.monotonic() - last
                try:
                    s.sendall(REQUEST)
                    status, headers, buf = read_response(s, buf)
                except (EOFError, ConnectionResetError, BrokenPipeError) as e:
                    if served > 0 and quiet >= IDLE_OK:
                        add("idle")
                    else:
                        add("silent")
                        fail("silent close", "%s after %d response(s) without Connection: close (%s)"
                             % (endpoint, served, type(e).__name__))
                    break
                except socket.timeout:
                    fail("timeout", "%s after %d response(s)" % (endpoint, served))
                    break
                last = time.monotonic()
                served += 1
                if status != 200:
                    fail("status", "%d from %s" % (status, endpoint))
                else:
                    add("requests")
                    gen = headers.get("gateway-generation", "?")
                    with lock:
                        stats["by_generation"][gen] = stats["by_generation"].get(gen, 0) + 1
                if "close" in headers.get("connection", "").lower():
                    # The rule: the server said so; it closes now (EOF, never a reset of what we read).
                    try:
                        s.settimeout(5)
                        rest = s.recv(1)
                        if rest:
                            fail("after close", "%s sent bytes after Connection: close" % (endpoint,))
                    except OSError:
                        pass
                    add("announced")
                    break
        finally:
            s.close()


threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(loops)]
for t in threads:
    t.start()
for t in threads:
    t.join(seconds + 30)
stats["seconds"] = round(time.monotonic() - start, 2)
stats["failures"] = failures
print(json.dumps(stats))
