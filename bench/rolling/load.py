#!/usr/bin/env python3
"""Keep-alive clients for the rolling-restart benchmark: each sends GET /hello?id=… and POST /echo?id=… (a body that
must come back) in turn, with ids unique over the run, until the stop file appears (bounded in count too).
Usage: load.py HOST PORT CLIENTS STOPFILE OUT.json — writes requests, ok, failures and the POST ids answered."""
import http.client
import json
import os
import sys
import threading
import time

host, port, clients, stopfile, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
lock = threading.Lock()
results = {"requests": 0, "ok": 0, "failures": [], "posts": []}


def client(c):
    conn = None
    for n in range(200_000):
        if os.path.exists(stopfile):
            break
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
        rid, post = f"{c}-{n}", n % 2 == 1
        what = f"{'POST' if post else 'GET'} {rid}"
        try:
            if post:
                conn.request("POST", f"/echo?id={rid}", body=f"order {rid}", headers={"Content-Type": "text/plain"})
            else:
                conn.request("GET", f"/hello?id={rid}")
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and (not post or body == f"order {rid}".encode())
            if (response.getheader("Connection") or "").lower() == "close":
                conn.close()
                conn = None
            with lock:
                results["requests"] += 1
                if ok:
                    results["ok"] += 1
                    if post:
                        results["posts"].append(rid)
                else:
                    results["failures"].append(f"{time.time():.3f} {what}: {response.status} {body[:120]!r}")
        except Exception as e:  # a reset, a refused connection, a truncated answer: a failed request
            with lock:
                results["requests"] += 1
                results["failures"].append(f"{time.time():.3f} {what}: {type(e).__name__}: {e}")
            try:
                conn.close()
            except Exception:
                pass
            conn = None


threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out, "w") as f:
    json.dump(results, f)
