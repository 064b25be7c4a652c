#!/usr/bin/env bash
# gRPC through a proxy, one interleaved run on this machine: the gateway (h2c:// endpoint) beside a minimal YARP
# 2.3.0 app (HTTP/2 to the upstream) and HAProxy (`proto h2`), with the gRPC server (Grpc.AspNetCore, cleartext
# HTTP/2) reached directly as the baseline. Load: h2load sending unary gRPC calls (one framed message each,
# content-type application/grpc, TE: trailers) with -c4 -m32 for SECS seconds per run, targets interleaved,
# medians of ROUNDS rounds; each proxy's CPU µs per call. Before the runs, one call per target is checked with curl:
# HTTP 200 and the trailer grpc-status: 0.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/grpc/grpc-bench.sh [rounds, default 3] [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECS=${2:-5}
WORK=$(mktemp -d /tmp/gateway-grpc-bench.XXXXXX)
RESULT=bench/results/grpc-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

need=""
for tool in haproxy h2load curl; do command -v $tool >/dev/null || need="$need $tool"; done
need=${need/h2load/nghttp2-client}
if [ -n "$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; fi

echo "publishing the gateway, the YARP peer and the gRPC server (Release) in $WORK"
dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null
dotnet publish bench/YarpPeer -c Release -v quiet -o "$WORK/yarp" >/dev/null
dotnet publish bench/grpc/GrpcUpstream -c Release -v quiet -o "$WORK/upstream" >/dev/null

cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:18210" }
  admin.address = "127.0.0.1:18211"
  upstreams.grpc { endpoints = ["h2c://127.0.0.1:18610"] }
  routes.grpc { listener = public, path-prefix = "/", upstream = grpc }
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
cat > "$WORK/haproxy.cfg" <<CONF
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend f
  bind 127.0.0.1:18510 proto h2
  default_backend b
backend b
  http-reuse always
  server s1 127.0.0.1:18610 proto h2
CONF

# One unary call's request body: a 5-byte gRPC prefix and the message {text: "hello"}.
printf '\x00\x00\x00\x00\x07\x0a\x05hello' > "$WORK/call.bin"
CALL_PATH=/bench.Echo/Unary

declare -A PID PORT
start() {
  case $1 in
    direct) "$WORK/upstream/GrpcUpstream" 127.0.0.1:18610 > "$WORK/upstream.log" 2>&1 & PID[direct]=$!; PORT[direct]=18610 ;;
    gateway) "$WORK/gateway/Gateway.Host" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & PID[gateway]=$!; PORT[gateway]=18210 ;;
    yarp) "$WORK/yarp/YarpPeer" 127.0.0.1:18410 http://127.0.0.1:18610/ 127.0.0.1:18411 h2c > "$WORK/yarp.log" 2>&1 & PID[yarp]=$!; PORT[yarp]=18411 ;;
    haproxy) haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 & PID[haproxy]=$!; PORT[haproxy]=18510 ;;
  esac
  PIDS+=("${PID[$1]}")
  for _ in $(seq 1 150); do curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:${PORT[$1]}/" && return 0; sleep 0.1; done
  echo "port ${PORT[$1]} never answered" >&2; return 1
}
call() { curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge -D - -H 'content-type: application/grpc' -H 'te: trailers' \
  --data-binary @"$WORK/call.bin" "http://127.0.0.1:$1$CALL_PATH"; }
cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }

TARGETS=(direct gateway yarp haproxy)
for t in "${TARGETS[@]}"; do start "$t"; done
for t in "${TARGETS[@]}"; do
  check=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$WORK/call.bin" "http://127.0.0.1:${PORT[$t]}$CALL_PATH" -v 2>&1 | tr -d '\r')
  grep -q '< grpc-status: 0' <<< "$check" || { echo "$t: the check call did not end with grpc-status 0:"; echo "$check"; exit 1; }
  echo "$t: a unary call answers HTTP 200 with trailer grpc-status: 0"
  h2load -c4 -m32 -D 5 -d "$WORK/call.bin" -H 'content-type: application/grpc' -H 'te: trailers' "http://127.0.0.1:${PORT[$t]}$CALL_PATH" > /dev/null  # warm-up
done

RAW="$WORK/raw.tsv"; : > "$RAW"
for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    before=$(cpu_ticks "${PID[$t]}")
    out=$(h2load -c4 -m32 -D "$SECS" -d "$WORK/call.bin" -H 'content-type: application/grpc' -H 'te: trailers' "http://127.0.0.1:${PORT[$t]}$CALL_PATH" 2>&1 || true)
    after=$(cpu_ticks "${PID[$t]}")
    rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' <<< "$out")
    done_=$(awk '/^requests:/ {gsub(",", ""); print $8}' <<< "$out")
    failed=$(awk '/^requests:/ {gsub(",", ""); print $10}' <<< "$out")
    ok2xx=$(awk '/^status codes:/ {gsub(",", ""); print $3}' <<< "$out")
    p50=$(awk '/^time for request:/ {print $6}' <<< "$out")
    cpu_us=$(awk -v t=$((after - before)) -v r="${done_:-1}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
    echo "round $round $t: ${rps:-?} calls/s, ${done_:-?} done, ${failed:-?} failed, ${ok2xx:-?} 2xx, mean ${p50:-?}, cpu ${cpu_us}us/call"
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "${rps:-0}" "${failed:-?}" "${ok2xx:-0}" "${done_:-0}" "$cpu_us" >> "$RAW"
  done
done

python3 - "$RAW" "$ROUNDS" "$SECS" <<'PY' | tee "$RESULT"
import sys, statistics, subprocess, datetime, os
raw, rounds, secs = sys.argv[1:4]
rows = [l.split("\t") for l in open(raw).read().split("\n") if l]
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip() or subprocess.run(cmd, shell=True, capture_output=True, text=True).stderr.strip()
print(f"# gRPC through a proxy — {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC\n")
print(f"Machine: {os.cpu_count()} cores, {sh('uname -r')}; {sh('dotnet --version')} SDK; {sh('haproxy -v | head -1')}; {sh('h2load --version | head -1')}.")
print(f"Command: `bench/grpc/grpc-bench.sh {rounds} {secs}` — h2load -c4 -m32 -D {secs} sending unary gRPC calls (a framed 7-byte message, content-type application/grpc, TE: trailers)")
print("to a Grpc.AspNetCore server over cleartext HTTP/2, directly or through each proxy (gateway `h2c://` endpoint, YARP 2.3.0 with HTTP/2 to the upstream, HAProxy `proto h2`);")
print(f"targets interleaved, medians of {rounds} rounds; load generator, proxies and server share the cores. CPU µs/call: user+sys of the proxy's process ÷ calls.\n")
print("| target | calls/s | × direct | × YARP | failed | CPU µs/call | CPU × YARP |")
print("|---|---|---|---|---|---|---|")
med = {t: [statistics.median(float(r[i]) for r in rows if r[0] == t) for i in (1, 5)] for t in ("direct", "gateway", "yarp", "haproxy")}
fails = {t: sum(int(r[2]) if r[2].isdigit() else 0 for r in rows if r[0] == t) + sum(int(r[4]) - int(r[3]) for r in rows if r[0] == t) for t in med}
for t, (rps, cpu) in med.items():
    cpu_text = "—" if t == "direct" else f"{cpu:.1f}"
    cpu_ratio = "—" if t == "direct" else f"{cpu / med['yarp'][1]:.2f}"
    print(f"| {t} | {rps:.0f} | {rps / med['direct'][0]:.2f} | {rps / med['yarp'][0]:.2f} | {fails[t]} | {cpu_text} | {cpu_ratio} |")
PY
echo "written to $RESULT"
