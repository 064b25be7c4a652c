#!/usr/bin/env python3
"""The result table of bench/throughput/throughput.sh: medians of the rounds and, per round, the gateway's ratios to
HAProxy and YARP (one round's targets ran back to back, so a round's ratio is the least noisy number here).
Usage: summary.py RAW H2 MEM ROUNDS SECS IDLE (the .tsv files the script writes)"""
import sys, statistics, subprocess, datetime, os

raw, h2, mem, rounds, secs, idle = sys.argv[1:7]
TARGETS = ("direct", "gateway", "yarp", "nginx", "haproxy")
PROXIES = TARGETS[1:]


def rows_of(path):
    return [l.split("\t") for l in open(path).read().split("\n") if l] if os.path.exists(path) else []


def sh(cmd):
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


def per_round(rows, key, target, other, col, round_col):
    """Per round, target ÷ other in column col of the HTTP/1.1 rows that key selects."""
    by = {(r[1], r[round_col]): float(r[col]) for r in rows if key(r)}
    out = []
    for rnd in sorted({r[round_col] for r in rows if key(r)}, key=int):
        a, b = by.get((target, rnd)), by.get((other, rnd))
        out.append(f"{a / b:.2f}" if a and b else "—")
    return ", ".join(out)


print(f"# Data path — {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n")
print(f"Machine: {os.cpu_count()} cores, {sh('uname -r')}; {sh('dotnet --version')} SDK; {sh('nginx -v')}; {sh('haproxy -v | head -1')}; {sh('wrk -v | head -1')}.")
print(f"Command: `bench/throughput/throughput.sh {rounds} {secs}` — wrk -t1, {secs}s per run, targets interleaved, medians of {rounds} rounds;")
print("load generator, proxies and upstream (nginx, ~100-byte answers) share the cores. CPU µs/request: user+sys of the proxy's processes ÷ requests.\n")

rows = rows_of(raw)  # conns, target, rps, p50, p99, cpu, round
med = {}
for c in ("32", "128"):
    for t in TARGETS:
        rs = [r for r in rows if r[0] == c and r[1] == t]
        if rs: med[c, t] = [statistics.median(float(r[i]) for r in rs) for i in (2, 3, 4, 5)]
print("| conns | target | req/s | × direct | × YARP | × HAProxy | p50 ms | p99 ms | CPU µs/req | CPU × YARP | CPU × HAProxy |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for c in ("32", "128"):
    d, y, h = med[c, "direct"], med[c, "yarp"], med[c, "haproxy"]
    for t in TARGETS:
        m = med[c, t]
        cpu = "—" if t == "direct" else f"{m[3]:.1f}"
        cpuy = "—" if t == "direct" else f"{m[3] / y[3]:.2f}"
        cpuh = "—" if t == "direct" else f"{m[3] / h[3]:.2f}"
        print(f"| {c} | {t} | {m[0]:.0f} | {m[0] / d[0]:.2f} | {m[0] / y[0]:.2f} | {m[0] / h[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} | {cpu} | {cpuy} | {cpuh} |")
print("\nPer round, gateway × HAProxy (× YARP): ", end="")
parts = []
for c in ("32", "128"):
    sel = lambda r, c=c: r[0] == c
    parts.append(f"{c} connections req/s {per_round(rows, sel, 'gateway', 'haproxy', 2, 6)} ({per_round(rows, sel, 'gateway', 'yarp', 2, 6)}), "
                 f"CPU per request {per_round(rows, sel, 'gateway', 'haproxy', 5, 6)} ({per_round(rows, sel, 'gateway', 'yarp', 5, 6)}), "
                 f"p99 {per_round(rows, sel, 'gateway', 'haproxy', 4, 6)}")
print("; ".join(parts) + ".")

h = rows_of(h2)  # target, rps, failed, load, round
if h:
    for load in dict.fromkeys(r[3] for r in h):
        hs = [r for r in h if r[3] == load]
        print(f"\nHTTP/2 (h2load {load}, h2c prior knowledge), medians of {rounds} rounds:\n")
        print("| target | req/s | × YARP | × HAProxy | failed (all rounds) |\n|---|---|---|---|---|")
        hm = {t: statistics.median(float(r[1]) for r in hs if r[0] == t) for t in PROXIES}
        for t, v in hm.items():
            failed = sum(int(r[2]) for r in hs if r[0] == t and r[2].isdigit())
            xy = f"{v / hm['yarp']:.2f}" if hm["yarp"] else "—"
            xh = f"{v / hm['haproxy']:.2f}" if hm["haproxy"] else "—"
            print(f"| {t} | {v:.0f} | {xy} | {xh} | {failed} |")
        by = {(r[0], r[4]): float(r[1]) for r in hs}
        rnds = sorted({r[4] for r in hs}, key=int)
        ratio = lambda o: ", ".join(f"{by[('gateway', n)] / by[(o, n)]:.2f}" if by.get((o, n)) else "—" for n in rnds)
        print(f"\nPer round, gateway × HAProxy: {ratio('haproxy')}; × YARP: {ratio('yarp')}.")

m = rows_of(mem)  # target, before, after, per, stop ms, n, stop cpu ms, round
if m:
    print(f"\nIdle keep-alive connections ({int(idle):,}; HAProxy fewer if its descriptors do not fit): RSS and graceful stop "
          f"(gateway SIGTERM, YARP SIGTERM, nginx SIGQUIT, HAProxy SIGUSR1), medians of {rounds} rounds (each round starts the targets afresh). "
          "Stop CPU: the processes' user+sys from the signal to their last sample before exit (10 ms samples, so a lower bound):\n")
    print("| target | idle connections | RSS before (KiB) | RSS with them | KiB per connection | × YARP | stop → exit (ms) | × YARP | × HAProxy | stops (ms) | stop CPU (ms) | CPU × YARP |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    mm = {}
    for t in PROXIES:
        rs = [r for r in m if r[0] == t]
        if rs: mm[t] = (rs, [statistics.median(float(r[i]) for r in rs) for i in (1, 2, 3, 4, 6)])
    y = mm.get("yarp", (None, [1, 1, 1, 1, 1]))[1]
    hp = mm.get("haproxy", (None, [1, 1, 1, 1, 1]))[1]
    for t, (rs, (b, a, per, stop, cpu)) in mm.items():
        cy = f"{cpu / y[4]:.2f}" if y[4] else "—"
        print(f"| {t} | {int(rs[0][5]):,} | {b:.0f} | {a:.0f} | {per:.2f} | {per / y[2]:.2f} | {stop:.0f} | {stop / y[3]:.2f} | {stop / hp[3]:.2f} | "
              f"{', '.join(r[4] for r in rs)} | {cpu:.0f} | {cy} |")
    by = {(r[0], r[7]): float(r[4]) for r in m}
    rnds = sorted({r[7] for r in m}, key=int)
    ratio = lambda o: ", ".join(f"{by[('gateway', n)] / by[(o, n)]:.2f}" if by.get((o, n)) else "—" for n in rnds)
    print(f"\nPer round, the gateway's stop → exit × YARP: {ratio('yarp')}; × HAProxy: {ratio('haproxy')}.")
