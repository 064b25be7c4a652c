#!/usr/bin/env python3
"""Reads the runs of bench/rolling/rolling-restart.sh and prints the markdown table.
Usage: report.py WORK GAP — WORK holds one folder per run: load.json, backend-N.log, events."""
import collections
import glob
import json
import os
import statistics
import sys

work, gap = sys.argv[1], int(sys.argv[2])
rows = []
for run in sorted(glob.glob(os.path.join(work, "run-*"))):
    target, lead = open(os.path.join(run, "name")).read().split()
    load = json.load(open(os.path.join(run, "load.json")))
    served = [l.split() for log in glob.glob(os.path.join(run, "backend-*.log")) for l in open(log) if len(l.split()) == 4]
    posts = collections.Counter(s[3] for s in served if s[2] == "POST")
    twice = sum(1 for n in posts.values() if n > 1)
    lost = len(set(load["posts"]) - set(posts))
    events = [l.split() for l in open(os.path.join(run, "events"))]
    # The share of requests each endpoint got in each second after it came back, median over the three.
    shares = []
    for at, what, endpoint in events:
        if what != "back":
            continue
        t0, per = int(at), []
        for k in range(gap):
            window = [s for s in served if t0 + k * 1000 <= int(s[0]) < t0 + (k + 1) * 1000]
            per.append(100 * sum(1 for s in window if s[1] == f"b{endpoint}") / len(window) if window else 0)
        shares.append(per)
    median = [statistics.median(s[k] for s in shares) for k in range(gap)] if shares else []
    rows.append((target, lead, load["requests"], len(load["failures"]), twice, lost, median, load["failures"][:5]))

print("| target | readiness lead | requests | failed | POSTs delivered twice | POSTs answered but never delivered | share of the returning endpoint, second by second after it came back (median of 3, even share 33%) |")
print("|---|---|---|---|---|---|---|")
for target, lead, requests, failed, twice, lost, median, _ in rows:
    print(f"| {target} | {lead} | {requests} | {failed} | {twice} | {lost} | {' '.join(f'{m:.0f}%' for m in median)} |")
failures = [(t, l, f) for t, l, _, _, _, _, _, fs in rows for f in fs]
if failures:
    print("\nFirst failures of each run (client time, request, what the client saw):\n")
    for target, lead, failure in failures:
        print(f"- {target}, lead {lead}: `{failure}`")
