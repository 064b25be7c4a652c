#!/usr/bin/env bash
# Restart under load, one run on this machine: the gateway's hot restart beside nginx `-s reload`, nginx's binary
# upgrade (USR2, WINCH, QUIT), HAProxy's master-worker reload (expose-fd listeners) and a YARP cold restart.
# For each: wrk (keep-alive, 16 connections) socket errors and non-2xx during restarts, and a fresh-connection
# prober's failures and longest gap. Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/restart/restart-under-load.sh [seconds per target, default 9]   (results: bench/results/)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-9}
WORK=$(mktemp -d /tmp/gateway-bench.XXXXXX)
RESULT=bench/results/restart-under-load-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

need=""
for tool in nginx haproxy wrk; do command -v $tool >/dev/null || need="$need $tool"; done
if [ -n "$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; fi

echo "publishing the gateway and the YARP peer (Release, ReadyToRun) in $WORK"
# ReadyToRun: a starting process (a hot restart's new generation) serves its first requests without waiting for the JIT.
R2R=(-c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v quiet)
dotnet publish Gateway.Host "${R2R[@]}" -o "$WORK/gateway" >/dev/null
dotnet publish bench/YarpPeer "${R2R[@]}" -o "$WORK/yarp" >/dev/null

# The upstream: nginx answering ~100 bytes on 18100.
mkdir -p "$WORK/nginx-up" "$WORK/nginx-px"
cat > "$WORK/nginx-up/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx-up/pid; error_log $WORK/nginx-up/error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:18100; keepalive_requests 1000000;
  location / { return 200 "hello from the upstream, a body of about one hundred bytes for every request here\n"; } } }
CONF
/usr/sbin/nginx -c "$WORK/nginx-up/nginx.conf"; PIDS+=("$(cat "$WORK/nginx-up/pid")")

cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:18000" }
  admin.address = "127.0.0.1:18001"
  upstreams.app { endpoints = ["127.0.0.1:18100"] }
  routes.app { listener = public, path-prefix = "/", upstream = app }
  drain.deadline = 10s
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
cat > "$WORK/nginx-px/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx-px/pid; error_log $WORK/nginx-px/error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; upstream app { server 127.0.0.1:18100; keepalive 32; }
  server { listen 127.0.0.1:18200; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
cat > "$WORK/haproxy.cfg" <<CONF
global
  master-worker
  stats socket $WORK/haproxy-stats.sock mode 600 level admin expose-fd listeners
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend f
  bind 127.0.0.1:18300
  default_backend b
backend b
  server s1 127.0.0.1:18100
CONF

wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; return 1; }

# run_target NAME PORT RESTART_FUNCTION: wrk and the prober for $DURATION s, restarts at 1/3 and 2/3 of it.
ROWS=()
run_target() {
  local name=$1 port=$2 restart=$3
  wait_port "$port"
  python3 bench/restart/prober.py "$port" "$DURATION" > "$WORK/$name.probe" &
  local prober=$!
  wrk -t1 -c16 -d"${DURATION}s" --timeout 5s "http://127.0.0.1:$port/" > "$WORK/$name.wrk" 2>&1 &
  local wrkpid=$!
  local third; third=$(python3 -c "print($DURATION/3)")
  sleep "$third"; $restart; sleep "$third"; $restart
  wait "$wrkpid"; wait "$prober"
  local requests errors non2xx
  requests=$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")
  errors=$(awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}' "$WORK/$name.wrk"); errors=${errors:-0}
  non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/$name.wrk"); non2xx=${non2xx:-0}
  read -r attempts failures gap < "$WORK/$name.probe"
  ROWS+=("| $name | 2 | $requests | $errors | $non2xx | $attempts | $failures | $gap |")
  echo "$name: $requests requests, $errors socket errors, $non2xx non-2xx; prober $failures/$attempts failed, longest gap ${gap} ms"
}

# --- the gateway: hot restart (a new process takes the sockets; the old one drains and exits)
"$WORK/gateway/Gateway.Host" --config "$WORK/gateway.conf" > "$WORK/gateway-1.log" 2>&1 &
GEN=1
gateway_restart() {
  GEN=$((GEN + 1))
  "$WORK/gateway/Gateway.Host" --config "$WORK/gateway.conf" --hot-restart > "$WORK/gateway-$GEN.log" 2>&1 &
}
run_target gateway-hot-restart 18000 gateway_restart
kill -TERM "$(curl -s http://127.0.0.1:18001/drain | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')"

# --- nginx: reload, then binary upgrade
# An absolute path: the binary upgrade re-executes argv[0].
/usr/sbin/nginx -c "$WORK/nginx-px/nginx.conf"
nginx_reload() { /usr/sbin/nginx -c "$WORK/nginx-px/nginx.conf" -s reload; }
run_target nginx-reload 18200 nginx_reload
nginx_upgrade() {
  local old; old=$(cat "$WORK/nginx-px/pid")
  kill -USR2 "$old"
  for _ in $(seq 1 50); do [ -s "$WORK/nginx-px/pid" ] && [ "$(cat "$WORK/nginx-px/pid")" != "$old" ] && break; sleep 0.1; done
  kill -WINCH "$old"; kill -QUIT "$old"
}
run_target nginx-binary-upgrade 18200 nginx_upgrade
kill -QUIT "$(cat "$WORK/nginx-px/pid")"

# --- HAProxy: master-worker reload (USR2), listeners passed through expose-fd
haproxy -W -f "$WORK/haproxy.cfg" -p "$WORK/haproxy.pid" > "$WORK/haproxy.log" 2>&1 &
HAPROXY=$!; PIDS+=("$HAPROXY")
haproxy_reload() { kill -USR2 "$HAPROXY"; }
run_target haproxy-reload 18300 haproxy_reload
kill -TERM "$HAPROXY"

# --- YARP: cold restart (stop, start)
"$WORK/yarp/YarpPeer" 127.0.0.1:18400 http://127.0.0.1:18100/ > "$WORK/yarp.log" 2>&1 &
YARP=$!
yarp_restart() {
  kill -TERM "$YARP"; wait "$YARP" || true
  "$WORK/yarp/YarpPeer" 127.0.0.1:18400 http://127.0.0.1:18100/ >> "$WORK/yarp.log" 2>&1 &
  YARP=$!
}
run_target yarp-cold-restart 18400 yarp_restart
kill -TERM "$YARP"

mkdir -p bench/results
{
  echo "# Restart under load — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); client, proxies and upstream share the cores."
  echo "Builds: the gateway and YARP published Release + ReadyToRun. Versions: $(dotnet --version) SDK; $(nginx -v 2>&1); $(haproxy -v | head -1); wrk from Debian."
  echo "Command: \`bench/restart/restart-under-load.sh $DURATION\`. Per target: \`wrk -t1 -c16 -d${DURATION}s\` (keep-alive) with two"
  echo "restarts at 1/3 and 2/3, and a prober opening a new connection every ~10 ms (bench/restart/prober.py)."
  echo
  echo "| target | restarts | wrk requests | wrk socket errors | wrk non-2xx | prober attempts | prober failures | longest gap (ms) |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} > "$RESULT"
cat "$RESULT"
