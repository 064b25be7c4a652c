#!/usr/bin/env python3
"""The SSE benchmark's table from sse-streams.sh's raw rows: medians of the rounds and per-round gateway × YARP.
Usage: summary.py RAW.tsv STREAMS SECONDS ROUNDS LOAD_AT_START"""
import platform, statistics, subprocess, sys

raw, streams, secs, rounds, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = [l.rstrip("\n").split("\t") for l in open(raw) if l.strip()]
by = {}
for rnd, t, before, after, kib, cpu, summary, after_end in rows:
    by.setdefault(t, []).append(dict(round=int(rnd), before=int(before), after=int(after), kib=float(kib),
                                      cpu=float(cpu), summary=summary, after_end=int(after_end)))
med = lambda t, k: statistics.median(r[k] for r in by[t])
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"# {streams:,} concurrent SSE streams, 1 event/s each: gateway beside YARP\n")
print(f"Machine: {platform.node()}, {cpu_model}, {subprocess.getoutput('nproc')} cores, Linux {platform.release()}; "
      f"loopback only. Load at start: `{load.strip()}`.\n")
print(f"Command: `bench/sse/sse-streams.sh {streams} {secs} {rounds}` — upstream `bench/sse/sse_upstream.py` (python3 "
      f"asyncio, `text/event-stream`, chunked, one `data: tick N` event per second per stream), client "
      f"`bench/sse/sse_client.py` ({streams} HTTP/1.1 keep-alive streams); every round on freshly started proxies "
      f"warmed with 50 streams; RSS before the streams and with all open after 3 events; CPU = user+sys over the "
      f"{secs} measured seconds ÷ ({streams} × {secs}).\n")
print(f"| medians of {rounds} rounds | gateway | YARP | gateway × YARP |")
print("|---|---|---|---|")
ratio = lambda a, b: f"{a / b:.2f}×" if b else "—"
for label, k, fmt in [("RSS before the streams, KiB", "before", "{:,.0f}"), (f"RSS with {streams:,} streams open, KiB", "after", "{:,.0f}"),
                      ("**KiB of RSS per stream**", "kib", "{:.1f}"), ("**CPU ms per stream-second**", "cpu", "{:.4f}")]:
    g, y = med("gateway", k), med("yarp", k)
    print(f"| {label} | {fmt.format(g)} | {fmt.format(y)} | {ratio(g, y)} |")
print("\n| round | gateway KiB/stream | YARP KiB/stream | × | gateway CPU ms/stream-s | YARP CPU ms/stream-s | × |")
print("|---|---|---|---|---|---|---|")
for g, y in zip(by["gateway"], by["yarp"]):
    print(f"| {g['round']} | {g['kib']:.1f} | {y['kib']:.1f} | {ratio(g['kib'], y['kib'])} | {g['cpu']:.4f} | {y['cpu']:.4f} | {ratio(g['cpu'], y['cpu'])} |")
print(f"\nEvents in the measured window (each stream should get ≈ {secs}; `short`: streams with fewer than {secs - 2}):\n")
for t in ("gateway", "yarp"):
    for r in by[t]:
        print(f"- round {r['round']} {t}: {r['summary']}; RSS at the window's end {r['after_end']:,} KiB")
