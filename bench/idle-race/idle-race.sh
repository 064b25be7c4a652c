#!/usr/bin/env bash
# The idle-close race, side by side: the gateway, nginx and HAProxy each hold idle keep-alive connections and are told
# to stop gracefully (gateway SIGTERM, nginx SIGQUIT, HAProxy SIGUSR1); every connection then sends one request at
# its offset from the signal. Two sweeps: the coarse offsets (0 1 2 5 10 20 50 100 ms, 25 connections each) and a
# dense one (every ms from 0 to 299, one connection each), ROUNDS times each. All three answer /idle themselves.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/idle-race/idle-race.sh [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
WORK=$(mktemp -d /tmp/gateway-idle-race.XXXXXX)
RESULT=bench/results/idle-race-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

need=""
command -v haproxy >/dev/null || need="$need haproxy"
command -v nginx >/dev/null || need="$need nginx"
if [ -n "$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; fi

echo "publishing the gateway (Release) in $WORK"
dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null

cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:19400" }
  admin.address = "127.0.0.1:19401"
  routes.idle { listener = public, path-prefix = "/", direct-response { status = 200, body = "idle" } }
  drain { announce = 0s, deadline = 10s }
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx-error.log; daemon off;
events { worker_connections 4096; }
http { access_log off; keepalive_timeout 60s; keepalive_requests 100000;
  server { listen 127.0.0.1:19402; location / { return 200 "idle"; } } }
CONF
cat > "$WORK/haproxy.cfg" <<CONF
global
  maxconn 4000
defaults
  mode http
  timeout client 60s
  timeout http-keep-alive 60s
frontend public
  bind 127.0.0.1:19403
  http-request return status 200 content-type text/plain string idle
CONF

wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; return 1; }

# One sweep against one fresh proxy: start it, sweep, wait for it to exit.
sweep() { # name port signal offsets per_offset
  local name=$1 port=$2 sig=$3 offsets=$4 per=$5 pid
  case $name in
    gateway) dotnet "$WORK/gateway/Gateway.Host.dll" --config "$WORK/gateway.conf" > "$WORK/gateway.log" 2>&1 & pid=$! ;;
    nginx) nginx -c "$WORK/nginx.conf" > "$WORK/nginx.log" 2>&1 & pid=$! ;;
    haproxy) haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 & pid=$! ;;
  esac
  PIDS+=($pid)
  wait_port "$port"
  python3 bench/idle-race/sweep.py 127.0.0.1 "$port" "$pid" "$sig" "$offsets" "$per"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

COARSE=0,1,2,5,10,20,50,100
DENSE=$(seq -s, 0 299)
declare -A TOTALS
for round in $(seq 1 "$ROUNDS"); do
  for proxy in "gateway 19400 SIGTERM" "nginx 19402 SIGQUIT" "haproxy 19403 SIGUSR1"; do
    set -- $proxy
    for kind in coarse dense; do
      if [ $kind = coarse ]; then out=$(sweep "$1" "$2" "$3" "$COARSE" 25); else out=$(sweep "$1" "$2" "$3" "$DENSE" 1); fi
      echo "round $round $1 $kind: $out"
      TOTALS["$1 $kind"]="${TOTALS["$1 $kind"]:-} $out"
    done
  done
done

{
  echo "# Idle-close race sweep — $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(uname -r); $(nginx -v 2>&1); $(haproxy -v | head -1); gateway $(git rev-parse --short HEAD) (Release)."
  echo "Command: \`bench/idle-race/idle-race.sh $ROUNDS\`. Each proxy holds idle keep-alive connections and is stopped gracefully"
  echo "(gateway SIGTERM with announce 0s, nginx SIGQUIT, HAProxy SIGUSR1); each connection sends one request at its offset."
  echo "coarse: offsets 0 1 2 5 10 20 50 100 ms × 25 connections; dense: every ms 0–299, one connection each. Sums over $ROUNDS rounds."
  echo
  echo "| proxy | sweep | requests | served | closed before the request (retry-safe) | **reset after sending** | truncated |"
  echo "|---|---|---|---|---|---|---|"
  for key in "gateway coarse" "gateway dense" "nginx coarse" "nginx dense" "haproxy coarse" "haproxy dense"; do
    python3 - "$key" ${TOTALS[$key]} <<'PY'
import json, sys
key = sys.argv[1]; runs = [json.loads(x) for x in sys.argv[2:]]
s = {k: sum(r[k] for r in runs) for k in ("total", "served", "closed-before", "reset", "truncated")}
name, kind = key.split()
print(f"| {name} | {kind} | {s['total']} | {s['served']} | {s['closed-before']} | **{s['reset']}** | {s['truncated']} |")
PY
  done
} | tee "$RESULT"
echo "written to $RESULT"
