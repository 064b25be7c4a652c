#!/usr/bin/env bash
# Rolling restart of the backends, one run on this machine: the gateway beside HAProxy and nginx. Three HTTP/1.1
# endpoints (Kestrel, bench/rolling/Backend) behind one upstream, six keep-alive clients sending GETs and POSTs with
# unique ids (bench/rolling/load.py); each endpoint is restarted in turn: its readiness answers 503 with
# Connection: close, LEAD later it stops accepting and finishes what it holds, it is down 1 s, it comes back, and GAP
# seconds pass before the next one (its slow start is measured there). Once with a 1.5 s readiness lead, once without.
# Reports failed requests, POSTs delivered twice, and the returning endpoint's share of requests second by second.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/rolling/rolling-restart.sh [GAP seconds, default 10]   (results: bench/results/)
set -euo pipefail
cd "$(dirname "$0")/../.."
GAP=${1:-10}
CLIENTS=6
WORK=$(mktemp -d /tmp/gateway-rolling.XXXXXX)
RESULT=bench/results/rolling-restart-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }  # TERM: an nginx master takes its workers along
trap cleanup EXIT

need=""
for tool in nginx haproxy; do command -v $tool >/dev/null || need="$need $tool"; done
if [ -n "$need" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; fi

echo "publishing the gateway and the backend (Release) in $WORK"
dotnet publish Gateway.Host -c Release -v quiet -o "$WORK/gateway" >/dev/null
dotnet publish bench/rolling/Backend -c Release -v quiet -o "$WORK/backend" >/dev/null

BACKENDS=(127.0.0.1:18701 127.0.0.1:18702 127.0.0.1:18703)
ENDPOINTS=$(printf '"%s", ' "${BACKENDS[@]}"); ENDPOINTS=${ENDPOINTS%, }
# The gateway as the issue measured it against (passive health and retries, no checks), and with everything on.
cat > "$WORK/gateway-passive.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:18710" }
  admin.address = "127.0.0.1:18711"
  upstreams.app { endpoints = [$ENDPOINTS], connect-timeout = 2s }
  routes.app { listener = public, path-prefix = "/", upstream = app }
  hot-restart.socket = "$WORK/gateway-passive.sock"
}
CONF
cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:18710" }
  admin.address = "127.0.0.1:18711"
  upstreams.app {
    endpoints = [$ENDPOINTS], connect-timeout = 2s
    health-check { path = "/ready", interval = 300ms, timeout = 1s, unhealthy-after = 1, healthy-after = 2 }
    slow-start = 10s
  }
  routes.app { listener = public, path-prefix = "/", upstream = app }
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
cat > "$WORK/haproxy.cfg" <<CONF
defaults
  mode http
  option http-keep-alive
  timeout connect 2s
  timeout client 60s
  timeout server 30s
  timeout http-keep-alive 60s
  retries 1
  option redispatch
  retry-on conn-failure
frontend f
  bind 127.0.0.1:18720
  default_backend b
backend b
  balance roundrobin
  option httpchk GET /ready
  default-server check inter 300 fall 1 rise 2 slowstart 10s
  server s1 ${BACKENDS[0]}
  server s2 ${BACKENDS[1]}
  server s3 ${BACKENDS[2]}
CONF
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx/pid; error_log $WORK/nginx/error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  upstream app { server ${BACKENDS[0]} max_fails=1; server ${BACKENDS[1]} max_fails=1; server ${BACKENDS[2]} max_fails=1; keepalive 32; }
  server { listen 127.0.0.1:18730;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_next_upstream error timeout; } } }
CONF

now() { date +%s%3N; }
wait_url() { for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "$1 never answered" >&2; return 1; }
declare -A BPID
start_backend() {  # index, lead in ms, log
  "$WORK/backend/RollingBackend" "${BACKENDS[$1]}" "b$1" "$3" "$2" >> "$RUN/backend-$1.out" 2>&1 & BPID[$1]=$!
  PIDS+=("${BPID[$1]}")
}
start_proxy() {
  case $1 in
    gateway|gateway-passive) "$WORK/gateway/Gateway.Host" --config "$WORK/$1.conf" > "$RUN/proxy.log" 2>&1 & PROXY=$!; PORT=18710 ;;
    haproxy) haproxy -db -f "$WORK/haproxy.cfg" > "$RUN/proxy.log" 2>&1 & PROXY=$!; PORT=18720 ;;
    nginx) /usr/sbin/nginx -c "$WORK/nginx/nginx.conf"; PROXY=$(cat "$WORK/nginx/pid"); PORT=18730 ;;
  esac
  PIDS+=("$PROXY")
}

n=0
for lead in 1500 0; do
  for target in gateway-passive gateway haproxy nginx; do
    n=$((n + 1)); RUN="$WORK/run-$n"; mkdir -p "$RUN"; echo "$target ${lead}ms" > "$RUN/name"; : > "$RUN/events"
    for i in 0 1 2; do start_backend $i $lead "$RUN/backend-$i.log"; done
    for b in "${BACKENDS[@]}"; do wait_url "http://$b/ready"; done
    start_proxy $target
    wait_url "http://127.0.0.1:$PORT/hello?id=warm-up"
    sleep 1
    python3 bench/rolling/load.py 127.0.0.1 $PORT $CLIENTS "$RUN/stop" "$RUN/load.json" & LOAD=$!
    sleep 3
    for i in 0 1 2; do
      echo "$(now) leave $i" >> "$RUN/events"
      kill -TERM "${BPID[$i]}"
      for _ in $(seq 1 300); do kill -0 "${BPID[$i]}" 2>/dev/null || break; sleep 0.05; done
      echo "$(now) down $i" >> "$RUN/events"
      sleep 1
      start_backend $i $lead "$RUN/backend-$i.log"
      echo "$(now) back $i" >> "$RUN/events"
      sleep "$GAP"
    done
    touch "$RUN/stop"; wait $LOAD
    kill -TERM "$PROXY" 2>/dev/null || true
    for i in 0 1 2; do kill -TERM "${BPID[$i]}" 2>/dev/null || true; done
    for p in "$PROXY" "${BPID[@]}"; do for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done; done
    echo "$target, readiness lead ${lead}ms: $(python3 -c "import json; d = json.load(open('$RUN/load.json')); print(d['requests'], 'requests,', len(d['failures']), 'failed')")"
  done
done

{
  echo "# Rolling restart of the backends — $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Machine: $(nproc) cores, $(uname -r); $(dotnet --version) SDK; $(nginx -v 2>&1); $(haproxy -v | head -1)."
  echo "Command: \`bench/rolling/rolling-restart.sh $GAP\` — three Kestrel endpoints behind one upstream, $CLIENTS keep-alive clients"
  echo "(GET and POST in turn, unique ids); each endpoint restarted in turn: readiness 503 with \`Connection: close\` for the lead, then"
  echo "a graceful stop (no new connection, requests in flight finish, idle connections closed), down 1 s, back; ${GAP} s before the next."
  echo
  echo "- gateway-passive: the gateway without health checks (passive ejection, retries safe for every method); gateway: with"
  echo "  \`health-check { path = \"/ready\", interval = 300ms, unhealthy-after = 1, healthy-after = 2 }\`, \`slow-start = 10s\`."
  echo "- HAProxy: \`option httpchk GET /ready\`, \`inter 300 fall 1 rise 2 slowstart 10s\`, \`retries 1\`, \`retry-on conn-failure\`, \`redispatch\`."
  echo "- nginx: passive \`max_fails=1\` (fail_timeout 10 s), \`proxy_next_upstream error timeout\`; open-source nginx has no active checks and no slow start."
  echo
  python3 bench/rolling/report.py "$WORK" "$GAP"
} | tee "$RESULT"
echo "written to $RESULT"
