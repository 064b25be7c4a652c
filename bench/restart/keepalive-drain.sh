#!/usr/bin/env bash
# Drains under fast keep-alive load, repeated: does the gateway ever close a busy keep-alive connection without telling
# its client? Eight client loops (bench/restart/keepalive_load.py: raw HTTP/1.1, no retry of a sent request) against a
# fast upstream (nginx, ~100-byte answers); per run one of:
#   hot-restart     three `--hot-restart`s 2.5 s apart (the old generation drains with announce = 0)
#   admin-drain     gateway A, then B, then A again is drained by POST /drain (announce 1 s) and taken back by
#                   POST /undrain; the clients move to the other gateway when one refuses a connection (nothing was
#                   sent: what a load balancer does)
#   listener-drain  the same with POST /drain?listener=a, =b, =a and /undrain?listener=… on one gateway
# A run passes with 0 failed requests and every connection the gateway closed closed after a response that said
# `Connection: close` ("announced"); a "silent" close is the bug. Everything on 127.0.0.1; every process started
# here is stopped here, by PID.
# Each run loads from 1.5 s before the first drain to 1.5 s after the last (at most SECONDS).
# Usage: bench/restart/keepalive-drain.sh [runs, default 10] [mode, default hot-restart] [max seconds per run, default 60]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-10}
MODE=${2:-hot-restart}
SECONDS_PER_RUN=${3:-60}
LOOPS=8
WORK=$(mktemp -d /tmp/gateway-keepalive.XXXXXX)
RESULT=bench/results/keepalive-drain-$MODE-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $(cat "$WORK"/*.pid 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null \
  || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx)

if [ -z "${GATEWAY_BIN:-}" ]; then
  echo "publishing the gateway (Release, ReadyToRun) in $WORK"
  dotnet publish Gateway.Host -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v quiet -o "$WORK/gateway" >/dev/null
  GATEWAY_BIN="$WORK/gateway/Gateway.Host"
fi

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx/pid; error_log $WORK/nginx/error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:18600; keepalive_requests 1000000;
  location / { return 200 "hello from the upstream, a body of about one hundred bytes for every request here\n"; } } }
CONF
/usr/sbin/nginx -c "$WORK/nginx/nginx.conf"; PIDS+=("$(cat "$WORK/nginx/pid")")

# gateway_conf NAME LISTENERS... : listeners named a, b… on the given ports, each routed to the upstream.
gateway_conf() {
  local name=$1 admin=$2; shift 2
  {
    echo "gateway {"
    local names=(a b c) i=0
    for port in "$@"; do
      local l=${names[$i]}
      echo "  listeners.$l { address = \"127.0.0.1:$port\" }"
      echo "  routes.$l { listener = $l, path-prefix = \"/\", upstream = app }"
      i=$((i + 1))
    done
    echo "  admin.address = \"127.0.0.1:$admin\""
    echo "  upstreams.app { endpoints = [\"127.0.0.1:18600\"] }"
    echo "  drain { announce = ${ANNOUNCE:-0s}, deadline = 10s }"
    echo "  hot-restart.socket = \"$WORK/$name.sock\""
    echo "}"
  } > "$WORK/$name.conf"
}

start_gateway() {  # NAME LOG [--hot-restart]
  local name=$1 log=$2; shift 2
  "$GATEWAY_BIN" --config "$WORK/$name.conf" "$@" > "$log" 2>&1 &
  echo $! >> "$WORK/gateways.pid"
}

wait_ready() {  # ADMIN_PORT GENERATION
  for _ in $(seq 1 200); do
    if curl -sf "http://127.0.0.1:$1/drain" 2>/dev/null | grep -q "\"generation\":$2,.*\"ready\":true"; then return 0; fi
    sleep 0.05
  done
  echo "gateway on admin $1 never became ready as generation $2" >&2; return 1
}

wait_exit() { for _ in $(seq 1 400); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; echo "pid $1 still runs" >&2; return 1; }

stop_all_gateways() {
  for p in $(cat "$WORK/gateways.pid" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
  for p in $(cat "$WORK/gateways.pid" 2>/dev/null); do wait_exit "$p" || kill -KILL "$p" 2>/dev/null || true; done
  : > "$WORK/gateways.pid"
}

# wait_state ADMIN_PORT PATTERN: until GET /drain matches (a drain or undrain has taken effect).
wait_state() {
  for _ in $(seq 1 400); do
    if curl -sf "http://127.0.0.1:$1/drain" 2>/dev/null | grep -q "$2"; then return 0; fi
    sleep 0.025
  done
  echo "admin $1 never matched $2" >&2; return 1
}

ROWS=()
TOTAL_FAILED=0 TOTAL_SILENT=0 TOTAL_REQUESTS=0
for run in $(seq 1 "$RUNS"); do
  : > "$WORK/gateways.pid"
  case $MODE in
    hot-restart)
      gateway_conf g 18602 18601
      start_gateway g "$WORK/run$run-gen1.log"; wait_ready 18602 1
      targets="127.0.0.1:18601"
      ;;
    admin-drain)
      ANNOUNCE=1s gateway_conf ga 18612 18611; ANNOUNCE=1s gateway_conf gb 18622 18621
      start_gateway ga "$WORK/run$run-a.log"; start_gateway gb "$WORK/run$run-b.log"
      wait_ready 18612 1; wait_ready 18622 1
      targets="127.0.0.1:18611,127.0.0.1:18621"
      ;;
    listener-drain)
      ANNOUNCE=1s gateway_conf g 18632 18631 18633
      start_gateway g "$WORK/run$run-gen1.log"; wait_ready 18632 1
      targets="127.0.0.1:18631,127.0.0.1:18633"
      ;;
    *) echo "unknown mode $MODE" >&2; exit 2 ;;
  esac

  rm -f "$WORK/stop"
  python3 bench/restart/keepalive_load.py "$LOOPS" "$SECONDS_PER_RUN" 10000000 "$targets" "$WORK/stop" > "$WORK/run$run.json" &
  load=$!
  sleep 1.5
  case $MODE in
    hot-restart)
      for gen in 2 3 4; do
        [ "$gen" = 2 ] || sleep 2.5
        start_gateway g "$WORK/run$run-gen$gen.log" --hot-restart; wait_ready 18602 "$gen"
      done
      ;;
    admin-drain)
      # The clients sit on the gateway drained last time, so each drain has busy keep-alive connections to move.
      for admin in 18612 18622 18612; do
        curl -sf -X POST "http://127.0.0.1:$admin/drain" >/dev/null
        # Drained long enough that a client's retried SYN finds the socket closed and moves on.
        wait_state "$admin" '"phase":"Drained"'; sleep 1.5
        curl -sf -X POST "http://127.0.0.1:$admin/undrain" >/dev/null
        wait_state "$admin" '"ready":true'; sleep 1
      done
      ;;
    listener-drain)
      for l in a b a; do
        curl -sf -X POST "http://127.0.0.1:18632/drain?listener=$l" >/dev/null
        wait_state 18632 "\"name\":\"$l\",[^}]*\"state\":\"drained\""; sleep 1.5
        curl -sf -X POST "http://127.0.0.1:18632/undrain?listener=$l" >/dev/null
        wait_state 18632 "\"name\":\"$l\",[^}]*\"state\":\"serving\""; sleep 1
      done
      ;;
  esac
  sleep 1.5; touch "$WORK/stop"
  wait "$load"
  stop_all_gateways
  line=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["requests"], s["seconds"], s["failed"], s["announced"], s["silent"], s["idle"], s["refused_connects"], s["connections"],
      " ".join("%s=%d" % kv for kv in sorted(s["by_generation"].items())), "; ".join(s["failures"][:3]) or "-", sep="|")' "$WORK/run$run.json")
  IFS='|' read -r requests seconds failed announced silent idle refused connections generations first <<< "$line"
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  TOTAL_SILENT=$((TOTAL_SILENT + silent))
  TOTAL_REQUESTS=$((TOTAL_REQUESTS + requests))
  ROWS+=("| $run | $requests | $seconds | $failed | $announced | $silent | $idle | $refused | $generations | $first |")
  echo "run $run: $requests requests in ${seconds}s, $failed failed; closes: $announced announced, $silent silent, $idle idle; $refused refused connects; $generations; $first"
done

mkdir -p bench/results
{
  echo "# Keep-alive load across drains ($MODE) — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); client, gateway and upstream share the cores."
  echo "Command: \`bench/restart/keepalive-drain.sh $RUNS $MODE $SECONDS_PER_RUN\`: $LOOPS keep-alive loops"
  echo "(bench/restart/keepalive_load.py), ${SECONDS_PER_RUN}s per run, three drains per run (see the script's header)."
  echo
  echo "| run | requests | seconds | failed | closes announced (\`Connection: close\`) | closes silent | closes idle | refused connects | by generation | first failures |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Over $RUNS runs: $TOTAL_REQUESTS requests, $TOTAL_FAILED failed, $TOTAL_SILENT connection(s) closed without \`Connection: close\`."
} > "$RESULT"
cat "$RESULT"
[ "$TOTAL_FAILED" -eq 0 ] && [ "$TOTAL_SILENT" -eq 0 ]
