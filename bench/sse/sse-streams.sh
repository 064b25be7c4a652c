#!/usr/bin/env bash
# Long-lived streams: N concurrent SSE streams (one `data: tick N` event per second each, from a python3 asyncio
# upstream) through the gateway beside the minimal YARP app (bench/YarpPeer), targets interleaved per round, each
# round on freshly started proxies (warmed with 50 streams for 3 s first):
#  - RSS of the proxy before the streams and with all N open (established, 3 events flowed): KiB per stream.
#  - CPU (user+sys from /proc/PID/stat) over the measured seconds ÷ (N × seconds): ms per stream-second.
#  - Every stream must receive ≈ seconds events in the window: the total, and any stream with fewer than seconds-2
#    (an event held in a proxy's buffer would show here: each event is 20 bytes).
# Medians of the rounds and, per round, the gateway × YARP ratios.
# Everything on 127.0.0.1 (ports 19500-19520); every process started here is stopped here, by PID.
# Usage: bench/sse/sse-streams.sh [streams, default 1000] [seconds, default 20] [rounds, default 2]
#   GATEWAY_DIR=DIR: run that published gateway (dotnet publish Gateway.Host -c Release -o DIR) instead of this checkout;
#   RESULT=FILE: write the table there instead of bench/results/sse-DATE.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/throughput/confs.sh
STREAMS=${1:-1000}
SECS=${2:-20}
ROUNDS=${3:-2}
WORK=$(mktemp -d /tmp/gateway-sse.XXXXXX)
RESULT=${RESULT:-bench/results/sse-$(date -u +%Y-%m-%d).md}
PIDS=()
# On success the temp folder (two published apps) goes; on failure it stays, with the logs.
cleanup() { rc=$?; for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  if [ "$rc" = 0 ]; then rm -rf "$WORK"; else echo "logs kept in $WORK" >&2; fi; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"  # two descriptors per stream in the proxy
LOAD_AT_START=$(uptime)

echo "publishing the gateway and the YARP peer (Release) in $WORK"
GATEWAY=${GATEWAY_DIR:-$WORK/gateway}
[ -n "${GATEWAY_DIR:-}" ] || dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null
dotnet publish bench/YarpPeer -c Release -v quiet -o "$WORK/yarp" >/dev/null

gateway_conf "$WORK/gateway.conf" 19510 19500 "$WORK/gateway.sock"
python3 bench/sse/sse_upstream.py 19500 > "$WORK/upstream.log" 2>&1 & UPSTREAM=$!; PIDS+=("$UPSTREAM")

wait_port() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; return 1; }
cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/$1/status; }
wait_line() {  # wait_line FILE TEXT TENTHS: until FILE has a line starting with TEXT, at most TENTHS × 0.1 s
  for _ in $(seq 1 "$3"); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no '$2' in $1 after $(( $3 / 10 )) s:" >&2; cat "$1" >&2; return 1
}
wait_port 19500

declare -A PORT=([gateway]=19510 [yarp]=19520)
start() {
  case $1 in
    gateway) "$GATEWAY/Gateway.Host" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & PID=$! ;;
    yarp) "$WORK/yarp/YarpPeer" 127.0.0.1:19520 http://127.0.0.1:19500/ > "$WORK/yarp.log" 2>&1 & PID=$! ;;
  esac
  PIDS+=("$PID")
  wait_port "${PORT[$1]}"
}
stop() {  # SIGTERM, then wait (bounded) for the exit; a stopped PID leaves the cleanup list
  PIDS=("${PIDS[@]/#$1}")
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  echo "pid $1 still running 30 s after SIGTERM, killing it" >&2; kill -KILL "$1" 2>/dev/null || true
}

RAW="$WORK/raw.tsv"; : > "$RAW"
HZ=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
  for t in gateway yarp; do
    start "$t"
    python3 bench/sse/sse_client.py 127.0.0.1 "${PORT[$t]}" 50 3 1 > "$WORK/warm-$t.out" 2>&1 \
      || { echo "warm-up through $t failed:" >&2; cat "$WORK/warm-$t.out" >&2; exit 1; }
    sleep 1
    before=$(rss_kb "$PID")
    out="$WORK/client-$t-$round.out"
    python3 bench/sse/sse_client.py 127.0.0.1 "${PORT[$t]}" "$STREAMS" "$SECS" 3 > "$out" 2>&1 & CLIENT=$!; PIDS+=("$CLIENT")
    wait_line "$out" measuring 1200
    after=$(rss_kb "$PID"); ticks0=$(cpu_ticks "$PID")
    wait_line "$out" measured $(( SECS * 10 + 300 ))
    ticks1=$(cpu_ticks "$PID"); after_end=$(rss_kb "$PID")
    ok=0; wait "$CLIENT" || ok=$?
    summary=$(grep '^streams' "$out" || echo "streams ? events ? min ? max ? short ? failed ?")
    stop "$PID"
    per_kib=$(awk -v a="$after" -v b="$before" -v n="$STREAMS" 'BEGIN { printf "%.1f", (a - b) / n }')
    cpu_ms=$(awk -v t=$((ticks1 - ticks0)) -v hz="$HZ" -v n="$STREAMS" -v s="$SECS" 'BEGIN { printf "%.4f", t / hz * 1000 / (n * s) }')
    echo "round $round $t: $(head -1 "$out"); RSS $before → $after KiB ($after_end at the end): $per_kib KiB/stream; CPU $(( (ticks1 - ticks0) * 1000 / HZ )) ms in $SECS s: $cpu_ms ms/stream-s; $summary$([ "$ok" = 0 ] || echo " (client exit $ok)")"
    grep -E '^(short|failed) stream' "$out" | head -5 || true
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$round" "$t" "$before" "$after" "$per_kib" "$cpu_ms" "$summary" "$after_end" >> "$RAW"
  done
done
stop "$UPSTREAM"

python3 bench/sse/summary.py "$RAW" "$STREAMS" "$SECS" "$ROUNDS" "$LOAD_AT_START" | tee "$RESULT"
echo "written to $RESULT"
