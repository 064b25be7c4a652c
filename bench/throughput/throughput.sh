#!/usr/bin/env bash
# Data-path benchmark, one interleaved run on this machine: the gateway beside a minimal YARP 2.3.0 app, nginx
# (upstream keep-alive) and HAProxy, with the upstream (nginx, ~100-byte answers) reached directly as the baseline.
#  - HTTP/1.1: wrk -t1 at 32 and 128 connections, targets interleaved (A B C D E, A B C D E, …), ROUNDS rounds:
#    medians of requests/s, p50, p99, and each proxy's CPU µs per request (user+sys of its processes ÷ requests).
#  - HTTP/2 (h2c prior knowledge): h2load -c4 -m32 per proxy (YARP on an HTTP/2-only port).
#  - Memory: RSS with 10,000 idle keep-alive connections open, per connection.
#  - Drain cost: graceful-stop signal → exit with those 10,000 connections open.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/throughput/throughput.sh [rounds, default 3] [seconds per wrk run, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECS=${2:-5}
IDLE=${IDLE:-10000}
# HAProxy reserves two descriptors per connection: under this machine's 20,000-descriptor limit it holds 9,000.
IDLE_HAPROXY=$(( IDLE < 9000 ? IDLE : 9000 ))
WORK=$(mktemp -d /tmp/gateway-throughput.XXXXXX)
RESULT=bench/results/throughput-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }  # TERM: an nginx master takes its workers along
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"  # 10,000 idle connections need as many descriptors in the proxy and in the client

need=""
for tool in nginx haproxy wrk h2load; do command -v $tool >/dev/null || need="$need $tool"; done
need=${need/h2load/nghttp2-client}
if [ -n "$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; fi

echo "publishing the gateway and the YARP peer (Release) in $WORK"
dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null
dotnet publish bench/YarpPeer -c Release -v quiet -o "$WORK/yarp" >/dev/null

mkdir -p "$WORK/up" "$WORK/ngx"
cat > "$WORK/up/nginx.conf" <<CONF
worker_processes 1; pid $WORK/up/pid; error_log $WORK/up/error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:18100 backlog=4096; keepalive_requests 10000000;
  location / { return 200 "hello from the upstream, a body of about one hundred bytes for every request here\n"; } } }
CONF
cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:18200" }
  admin.address = "127.0.0.1:18201"
  upstreams.app { endpoints = ["127.0.0.1:18100"] }
  routes.app { listener = public, path-prefix = "/", upstream = app }
  drain { deadline = 30s, idle-quiet = 0s }
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
cat > "$WORK/ngx/nginx.conf" <<CONF
worker_processes 1; pid $WORK/ngx/pid; error_log $WORK/ngx/error.log; daemon on;
events { worker_connections 20000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  upstream app { server 127.0.0.1:18100; keepalive 64; }
  server { listen 127.0.0.1:18300 backlog=4096; listen 127.0.0.1:18301 http2;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
cat > "$WORK/haproxy.cfg" <<CONF
global
  maxconn 9000   # the descriptor limit here is 20,000; HAProxy reserves two per connection
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 30s
  timeout http-keep-alive 300s
frontend f
  bind 127.0.0.1:18500
  bind 127.0.0.1:18501 proto h2
  default_backend b
backend b
  http-reuse always
  server s1 127.0.0.1:18100
CONF

wait_port() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; return 1; }
# The PIDs whose CPU time counts for a target (nginx: master and workers).
pids_of() { echo "${PID[$1]} $(pgrep -P "${PID[$1]}" | tr '\n' ' ')"; }
cpu_ticks() { local t=0; for p in $*; do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
rss_kb() { local t=0; for p in $*; do t=$((t + $(awk '/VmRSS/ {print $2}' /proc/$p/status))); done; echo $t; }

declare -A PID PORT H2PORT STOPSIG
start() {
  case $1 in
    direct) /usr/sbin/nginx -c "$WORK/up/nginx.conf"; PID[direct]=$(cat "$WORK/up/pid"); PORT[direct]=18100 ;;
    gateway) "$WORK/gateway/Gateway.Host" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & PID[gateway]=$!
             PORT[gateway]=18200; H2PORT[gateway]=18200; STOPSIG[gateway]=TERM ;;
    yarp) "$WORK/yarp/YarpPeer" 127.0.0.1:18400 http://127.0.0.1:18100/ 127.0.0.1:18401 > "$WORK/yarp.log" 2>&1 & PID[yarp]=$!
          PORT[yarp]=18400; H2PORT[yarp]=18401; STOPSIG[yarp]=TERM ;;
    nginx) /usr/sbin/nginx -c "$WORK/ngx/nginx.conf"; PID[nginx]=$(cat "$WORK/ngx/pid"); PORT[nginx]=18300; H2PORT[nginx]=18301; STOPSIG[nginx]=QUIT ;;
    haproxy) haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 & PID[haproxy]=$!; PORT[haproxy]=18500; H2PORT[haproxy]=18501; STOPSIG[haproxy]=USR1 ;;
  esac
  PIDS+=("${PID[$1]}")
  wait_port "${PORT[$1]}"
}

TARGETS=(direct gateway yarp nginx haproxy)
for t in "${TARGETS[@]}"; do start "$t"; done
for t in "${TARGETS[@]}"; do wrk -t1 -c32 -d2s "http://127.0.0.1:${PORT[$t]}/" > /dev/null; done  # warm-up (JIT, pools)

# to_ms VALUE: wrk's latency (e.g. 812.00us, 1.23ms, 1.02s) in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }
RAW="$WORK/raw.tsv"; : > "$RAW"
for round in $(seq 1 "$ROUNDS"); do
  for c in 32 128; do
    for t in "${TARGETS[@]}"; do
      pids=$(pids_of "$t"); before=$(cpu_ticks $pids)
      out=$(wrk -t1 -c"$c" -d"${SECS}s" --latency "http://127.0.0.1:${PORT[$t]}/")
      after=$(cpu_ticks $pids)
      requests=$(awk '/requests in/ {print $1}' <<< "$out")
      rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
      p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<< "$out")"); p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<< "$out")")
      cpu_us=$(awk -v t=$((after - before)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
      echo "round $round c=$c $t: $rps req/s p50 ${p50}ms p99 ${p99}ms cpu ${cpu_us}us/req"
      printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$c" "$t" "$rps" "$p50" "$p99" "$cpu_us" >> "$RAW"
    done
  done
done

H2="$WORK/h2.tsv"; : > "$H2"
if command -v h2load >/dev/null; then
  for round in $(seq 1 "$ROUNDS"); do
    for t in gateway yarp nginx haproxy; do
      out=$(h2load -c4 -m32 -D "$SECS" "http://127.0.0.1:${H2PORT[$t]}/" 2>&1 || true)
      rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' <<< "$out")
      failed=$(awk '/^requests:/ {gsub(",", ""); print $10}' <<< "$out")
      echo "round $round h2 $t: ${rps:-?} req/s, failed ${failed:-?}"
      printf "%s\t%s\t%s\n" "$t" "${rps:-0}" "${failed:-?}" >> "$H2"
    done
  done
fi

MEM="$WORK/mem.tsv"; : > "$MEM"
# Each stop ends its process: later rounds start the targets again (and warm them) before measuring.
for round in $(seq 1 "$ROUNDS"); do
  for t in gateway yarp nginx haproxy; do
    if [ "$round" -gt 1 ]; then start "$t"; wrk -t1 -c32 -d2s "http://127.0.0.1:${PORT[$t]}/" > /dev/null; fi
    pids=$(pids_of "$t"); before=$(rss_kb $pids)
    n=$IDLE; [ "$t" = haproxy ] && n=$IDLE_HAPROXY
    exec {hold}> >(python3 bench/throughput/idle.py 127.0.0.1 "${PORT[$t]}" "$n" > "$WORK/idle-$t.out" 2>&1)
    for _ in $(seq 1 600); do grep -q ready "$WORK/idle-$t.out" 2>/dev/null && break; sleep 0.1; done
    sleep 1
    after=$(rss_kb $pids)
    signalled=$(date +%s%N)
    for p in ${PID[$t]}; do kill -"${STOPSIG[$t]}" "$p"; done
    for _ in $(seq 1 3000); do kill -0 "${PID[$t]}" 2>/dev/null || break; sleep 0.01; done
    exited=$(date +%s%N)
    exec {hold}>&-
    per=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')
    drain=$(( (exited - signalled) / 1000000 ))
    echo "round $round memory $t: RSS $before → $after KiB with $n idle connections ($(head -1 "$WORK/idle-$t.out")): $per KiB/conn; stop → exit ${drain} ms"
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "$before" "$after" "$per" "$drain" "$n" >> "$MEM"
  done
done

python3 - "$RAW" "$H2" "$MEM" "$ROUNDS" "$SECS" "$IDLE" <<'PY' | tee "$RESULT"
import sys, statistics, subprocess, datetime, os
raw, h2, mem, rounds, secs, idle = sys.argv[1:7]
rows = [l.split("\t") for l in open(raw).read().split("\n") if l]
med = {}
for c in ("32", "128"):
    for t in ("direct", "gateway", "yarp", "nginx", "haproxy"):
        rs = [r for r in rows if r[0] == c and r[1] == t]
        med[c, t] = [statistics.median(float(r[i]) for r in rs) for i in (2, 3, 4, 5)]
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip() or subprocess.run(cmd, shell=True, capture_output=True, text=True).stderr.strip()
print(f"# Data path — {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC\n")
print(f"Machine: {os.cpu_count()} cores, {sh('uname -r')}; {sh('dotnet --version')} SDK; {sh('nginx -v')}; {sh('haproxy -v | head -1')}; {sh('wrk -v | head -1')}.")
print(f"Command: `bench/throughput/throughput.sh {rounds} {secs}` — wrk -t1, {secs}s per run, targets interleaved, medians of {rounds} rounds;")
print("load generator, proxies and upstream (nginx, ~100-byte answers) share the cores. CPU µs/request: user+sys of the proxy's processes ÷ requests.\n")
print("| conns | target | req/s | × direct | × YARP | p50 ms | p99 ms | CPU µs/req | CPU × YARP |")
print("|---|---|---|---|---|---|---|---|---|")
for c in ("32", "128"):
    d, y = med[c, "direct"], med[c, "yarp"]
    for t in ("direct", "gateway", "yarp", "nginx", "haproxy"):
        m = med[c, t]
        cpu = "—" if t == "direct" else f"{m[3]:.1f}"
        cpux = "—" if t == "direct" else f"{m[3] / y[3]:.2f}"
        print(f"| {c} | {t} | {m[0]:.0f} | {m[0] / d[0]:.2f} | {m[0] / y[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} | {cpu} | {cpux} |")
h = [l.split("\t") for l in open(h2).read().split("\n") if l]
if h:
    print("\nHTTP/2 (h2load -c4 -m32, h2c prior knowledge):\n")
    print("| target | req/s (median) | × YARP |\n|---|---|---|")
    hm = {t: statistics.median(float(r[1]) for r in h if r[0] == t) for t in ("gateway", "yarp", "nginx", "haproxy")}
    for t, v in hm.items(): print(f"| {t} | {v:.0f} | {v / hm['yarp']:.2f} |" if hm['yarp'] else f"| {t} | {v:.0f} | — |")
m = [l.split("\t") for l in open(mem).read().split("\n") if l]
print(f"\nIdle keep-alive connections ({int(idle):,}; HAProxy fewer if its descriptors do not fit): RSS and graceful stop (gateway SIGTERM, YARP SIGTERM, nginx SIGQUIT, HAProxy SIGUSR1), medians of {rounds} rounds (each round starts the targets afresh):\n")
print("| target | idle connections | RSS before (KiB) | RSS with them | KiB per connection | × YARP | stop → exit (ms) | × YARP | stops (ms) |\n|---|---|---|---|---|---|---|---|---|")
mm = {}
for t in ("gateway", "yarp", "nginx", "haproxy"):
    rs = [r for r in m if r[0] == t]
    if rs: mm[t] = (rs, [statistics.median(float(r[i]) for r in rs) for i in (1, 2, 3, 4)])
for t, (rs, (b, a, per, stop)) in mm.items():
    y = mm.get("yarp", (None, [1, 1, 1, 1]))[1]
    print(f"| {t} | {int(rs[0][5]):,} | {b:.0f} | {a:.0f} | {per:.2f} | {per / y[2]:.2f} | {stop:.0f} | {stop / y[3]:.2f} | {', '.join(r[4] for r in rs)} |")
PY
echo "written to $RESULT"
