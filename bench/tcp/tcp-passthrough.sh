#!/usr/bin/env bash
# Raw TCP passthrough, one run on this machine: the gateway's tcp listener beside HAProxy `mode tcp` and the nginx
# stream module, with the upstream reached directly as the baseline. For each: one large transfer (MiB/s, the
# upstream checks the byte count) and many small connections per second (16 bytes each way-and-back, FIN, close).
# Targets interleaved, ROUNDS rounds: medians, and per round each gateway's ratio to HAProxy.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/tcp/tcp-passthrough.sh [MiB for the large transfer, default 1024] [seconds of small connections, default 5] [rounds, default 3]
#   GATEWAY_DIR=DIR: run that published gateway instead of publishing this checkout.
#   BASELINE_DIR=DIR: a second published gateway (another build) measured beside it, as the row "gateway (baseline)".
set -euo pipefail
cd "$(dirname "$0")/../.."
MIB=${1:-1024}
SECONDS_SMALL=${2:-5}
ROUNDS=${3:-3}
CONCURRENCY=32
WORK=$(mktemp -d /tmp/gateway-tcp-bench.XXXXXX)
RESULT=bench/results/tcp-passthrough-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

need=""
command -v haproxy >/dev/null || need="$need haproxy"
command -v nginx >/dev/null || need="$need nginx"
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need="$need libnginx-mod-stream"
if [ -n "$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; fi

GATEWAY=${GATEWAY_DIR:-$WORK/gateway}
if [ -z "${GATEWAY_DIR:-}" ]; then
  echo "publishing the gateway (Release) in $WORK"
  dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null
fi

python3 bench/tcp/tcpload.py upstream 19100 & PIDS+=($!)

cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.db { address = "127.0.0.1:19000", protocol = tcp }
  admin.address = "127.0.0.1:19001"
  upstreams.sink { endpoints = ["127.0.0.1:19100"] }
  routes.db { listener = db, upstream = sink }
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
dotnet "$GATEWAY/Gateway.Host.dll" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
if [ -n "${BASELINE_DIR:-}" ]; then
  sed -e 's/19000/19010/; s/19001/19011/; s/gateway.sock/baseline.sock/' "$WORK/gateway.conf" > "$WORK/baseline.conf"
  dotnet "$BASELINE_DIR/Gateway.Host.dll" --config "$WORK/baseline.conf" > "$WORK/baseline.log" 2>&1 & PIDS+=($!)
fi

cat > "$WORK/haproxy.cfg" <<CONF
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen db
  bind 127.0.0.1:19200
  server sink 127.0.0.1:19100
CONF
haproxy -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 & PIDS+=($!)

cat > "$WORK/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx-error.log; daemon off;
events { worker_connections 8192; }
# proxy_half_close: without it nginx closes both sides at the client's FIN and the answer is lost.
stream { server { listen 127.0.0.1:19300 backlog=4096; proxy_pass 127.0.0.1:19100; proxy_half_close on; } }
CONF
nginx -c "$WORK/nginx.conf" > "$WORK/nginx.log" 2>&1 & PIDS+=($!)

for log in "$WORK/gateway.log" ${BASELINE_DIR:+"$WORK/baseline.log"}; do
  for _ in $(seq 1 100); do grep -q "ready" "$log" 2>/dev/null && break; sleep 0.2; done
  grep -q "ready" "$log" || { cat "$log"; exit 1; }
done
sleep 0.5

declare -A PORT=([direct]=19100 [gateway]=19000 [baseline]=19010 [haproxy]=19200 [nginx]=19300)
export NAME_direct="direct (no proxy)" NAME_gateway="gateway (protocol = tcp)" NAME_baseline="gateway (baseline: ${BASELINE_DIR:-})"
export NAME_haproxy="HAProxy $(haproxy -v | head -1 | awk '{print $3}') mode tcp" NAME_nginx="nginx $(nginx -v 2>&1 | sed 's|.*/||') stream"
TARGETS=(direct gateway ${BASELINE_DIR:+baseline} haproxy nginx)
for t in "${TARGETS[@]}"; do python3 bench/tcp/tcpload.py large "${PORT[$t]}" 64 >/dev/null; done  # warm-up (JIT, connection paths)
RAW="$WORK/raw.tsv"; : > "$RAW"
for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    large=$(python3 bench/tcp/tcpload.py large "${PORT[$t]}" "$MIB")
    small=$(python3 bench/tcp/tcpload.py small "${PORT[$t]}" "$SECONDS_SMALL" "$CONCURRENCY")
    echo "round $round $t: ${large% *} MiB/s (${large#* }), ${small% *} connections/s, ${small#* } failed"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$t" "${large% *}" "${large#* }" "${small% *}" "${small#* }" >> "$RAW"
  done
done

{
  echo "# TCP passthrough, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "\`bench/tcp/tcp-passthrough.sh $MIB $SECONDS_SMALL $ROUNDS\` on $(nproc) cores; load generator, proxies and upstream share them (python3 load and sink); targets interleaved, medians of $ROUNDS rounds."
  echo "Large: one connection sends $MIB MiB, FIN, the upstream answers the byte count. Small: $CONCURRENCY workers for ${SECONDS_SMALL}s, 16 bytes + FIN + 8-byte answer + close per connection."
  echo
  python3 - "$RAW" "${TARGETS[@]}" <<'PY'
import os, sys, statistics
raw, targets = sys.argv[1], sys.argv[2:]
rows = [l.split("\t") for l in open(raw).read().split("\n") if l]
name = lambda t: os.environ["NAME_" + t]
of = lambda t, i: [float(r[i]) for r in rows if r[1] == t]
h_large, h_small = statistics.median(of("haproxy", 2)), statistics.median(of("haproxy", 4))
print("| target | large transfer MiB/s | × HAProxy | count checks | small connections/s | × HAProxy | failed small (all rounds) |")
print("|---|---|---|---|---|---|---|")
for t in targets:
    large, small = statistics.median(of(t, 2)), statistics.median(of(t, 4))
    checks = "ok" if all(r[3] == "ok" for r in rows if r[1] == t) else "BAD"
    print(f"| {name(t)} | {large:.0f} | {large / h_large:.2f} | {checks} | {small:.0f} | {small / h_small:.2f} | {int(sum(of(t, 5)))} |")
print()
for t in targets:
    if t in ("direct", "haproxy"): continue
    per = [(float(a[2]) / float(b[2]), float(a[4]) / float(b[4])) for a in rows if a[1] == t for b in rows if b[1] == "haproxy" and b[0] == a[0]]
    print(f"Per round, {name(t)} × HAProxy: large {', '.join(f'{x:.2f}' for x, _ in per)}; small {', '.join(f'{y:.2f}' for _, y in per)}.")
PY
} | tee "$RESULT"
echo "written to $RESULT"
