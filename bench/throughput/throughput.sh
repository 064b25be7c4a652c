#!/usr/bin/env bash
# Data-path benchmark, one interleaved run on this machine: the gateway beside a minimal YARP 2.3.0 app, nginx
# (upstream keep-alive) and HAProxy, with the upstream (nginx, ~100-byte answers) reached directly as the baseline.
#  - HTTP/1.1: wrk -t1 at 32 and 128 connections, targets interleaved (A B C D E, A B C D E, …), ROUNDS rounds:
#    medians of requests/s, p50, p99, and each proxy's CPU µs per request (user+sys of its processes ÷ requests).
#  - HTTP/2 (h2c prior knowledge): h2load -c4 -m32 and -c32 -m8 per proxy (YARP on an HTTP/2-only port).
#  - Memory: RSS with 10,000 idle keep-alive connections open, per connection.
#  - Drain cost: graceful-stop signal → exit with those 10,000 connections open, and the CPU the stop took.
# Per-round ratios (gateway × HAProxy, × YARP) are printed beside the medians.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/throughput/throughput.sh [rounds, default 3] [seconds per wrk run, default 5]
#   GATEWAY_DIR=DIR: run that published gateway (dotnet publish Gateway.Host -c Release -o DIR) instead of this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/throughput/confs.sh
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
GATEWAY=${GATEWAY_DIR:-$WORK/gateway}
[ -n "${GATEWAY_DIR:-}" ] || dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null
dotnet publish bench/YarpPeer -c Release -v quiet -o "$WORK/yarp" >/dev/null

mkdir -p "$WORK/up" "$WORK/ngx"
upstream_conf "$WORK/up/nginx.conf" 18100 "$WORK/up/pid" "$WORK/up/error.log"
gateway_conf "$WORK/gateway.conf" 18200 18100 "$WORK/gateway.sock" "drain { deadline = 30s, idle-quiet = 0s }"
nginx_proxy_conf "$WORK/ngx/nginx.conf" 18300 18100 "$WORK/ngx/pid" "$WORK/ngx/error.log" "daemon on;" "listen 127.0.0.1:18301 http2;"
haproxy_conf "$WORK/haproxy.cfg" 18500 18100 "bind 127.0.0.1:18501 proto h2" "http-reuse always"

wait_port() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; return 1; }
# The PIDs whose CPU time counts for a target (nginx: master and workers).
pids_of() { echo "${PID[$1]} $(pgrep -P "${PID[$1]}" | tr '\n' ' ')"; }
cpu_ticks() { local t=0; for p in $*; do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
rss_kb() { local t=0; for p in $*; do t=$((t + $(awk '/VmRSS/ {print $2}' /proc/$p/status))); done; echo $t; }

declare -A PID PORT H2PORT STOPSIG
start() {
  case $1 in
    direct) /usr/sbin/nginx -c "$WORK/up/nginx.conf"; PID[direct]=$(cat "$WORK/up/pid"); PORT[direct]=18100 ;;
    gateway) "$GATEWAY/Gateway.Host" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & PID[gateway]=$!
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
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$c" "$t" "$rps" "$p50" "$p99" "$cpu_us" "$round" >> "$RAW"
    done
  done
done

H2="$WORK/h2.tsv"; : > "$H2"
if command -v h2load >/dev/null; then
  for round in $(seq 1 "$ROUNDS"); do
    for load in "-c4 -m32" "-c32 -m8"; do
      for t in gateway yarp nginx haproxy; do
        out=$(h2load $load -D "$SECS" "http://127.0.0.1:${H2PORT[$t]}/" 2>&1 || true)
        rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' <<< "$out")
        failed=$(awk '/^requests:/ {gsub(",", ""); print $10}' <<< "$out")
        echo "round $round h2 $load $t: ${rps:-?} req/s, failed ${failed:-?}"
        printf "%s\t%s\t%s\t%s\t%s\n" "$t" "${rps:-0}" "${failed:-?}" "$load" "$round" >> "$H2"
      done
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
    ticks_before=$(cpu_ticks $pids); ticks_last=$ticks_before
    signalled=$(date +%s%N)
    for p in ${PID[$t]}; do kill -"${STOPSIG[$t]}" "$p"; done
    # The stop's CPU: the processes' ticks sampled every 10 ms until they are gone (the last sample before exit).
    for _ in $(seq 1 3000); do
      kill -0 "${PID[$t]}" 2>/dev/null || break
      now=$(cpu_ticks $pids 2>/dev/null) && ticks_last=$now
      sleep 0.01
    done
    exited=$(date +%s%N)
    stop_cpu=$(( (ticks_last - ticks_before) * 1000 / $(getconf CLK_TCK) ))
    exec {hold}>&-
    per=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')
    drain=$(( (exited - signalled) / 1000000 ))
    echo "round $round memory $t: RSS $before → $after KiB with $n idle connections ($(head -1 "$WORK/idle-$t.out")): $per KiB/conn; stop → exit ${drain} ms, stop CPU ≥ ${stop_cpu} ms"
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "$before" "$after" "$per" "$drain" "$n" "$stop_cpu" "$round" >> "$MEM"
  done
done

python3 bench/throughput/summary.py "$RAW" "$H2" "$MEM" "$ROUNDS" "$SECS" "$IDLE" | tee "$RESULT"
echo "written to $RESULT"
