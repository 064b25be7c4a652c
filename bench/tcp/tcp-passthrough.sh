#!/usr/bin/env bash
# Raw TCP passthrough, one run on this machine: the gateway's tcp listener beside HAProxy `mode tcp` and the nginx
# stream module, with the upstream reached directly as the baseline. For each: one large transfer (MiB/s, the
# upstream checks the byte count) and many small connections per second (16 bytes each way-and-back, FIN, close).
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/tcp/tcp-passthrough.sh [MiB for the large transfer, default 1024] [seconds of small connections, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
MIB=${1:-1024}
SECONDS_SMALL=${2:-5}
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

echo "publishing the gateway (Release) in $WORK"
dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null

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
dotnet "$WORK/gateway/Gateway.Host.dll" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & PIDS+=($!)

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

for _ in $(seq 1 100); do
  grep -q "ready" "$WORK/gateway.log" 2>/dev/null && break; sleep 0.2
done
grep -q "ready" "$WORK/gateway.log" || { cat "$WORK/gateway.log"; exit 1; }
sleep 0.5

row() { # name port
  local large small
  python3 bench/tcp/tcpload.py large "$2" 64 >/dev/null   # warm-up (JIT, connection paths)
  large=$(python3 bench/tcp/tcpload.py large "$2" "$MIB")
  small=$(python3 bench/tcp/tcpload.py small "$2" "$SECONDS_SMALL" "$CONCURRENCY")
  printf '| %s | %s | %s | %s |\n' "$1" "${large% *} (${large#* })" "${small% *}" "${small#* }"
}

{
  echo "# TCP passthrough, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "\`bench/tcp/tcp-passthrough.sh $MIB $SECONDS_SMALL\` on $(nproc) cores; load generator, proxies and upstream share them (python3 load and sink)."
  echo "Large: one connection sends $MIB MiB, FIN, the upstream answers the byte count. Small: $CONCURRENCY workers for ${SECONDS_SMALL}s, 16 bytes + FIN + 8-byte answer + close per connection."
  echo
  echo "| target | large transfer MiB/s (count check) | small connections/s | failed small |"
  echo "|---|---|---|---|"
  row "direct (no proxy)" 19100
  row "gateway (protocol = tcp)" 19000
  row "HAProxy $(haproxy -v | head -1 | awk '{print $3}') mode tcp" 19200
  row "nginx $(nginx -v 2>&1 | sed 's|.*/||') stream" 19300
} | tee "$RESULT"
echo "written to $RESULT"
