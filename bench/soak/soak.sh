#!/usr/bin/env bash
# Soak, bounded: the gateway under mixed load — wrk keep-alive GETs, new-connection GETs, server-sent event streams and
# WebSockets (bench/soak/soakload.py) — with a SIGHUP reload every 10 s and a hot restart every 30 s. Reports failed
# requests (goal 0) and the resident set of every generation sampled every 2 s (goal: no growth within a generation
# nor from one generation to the next). Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/soak/soak.sh [seconds, default 180]   (results: bench/results/soak-DATE.md, a row in bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-180}
RELOAD_EVERY=10
RESTART_EVERY=30
WORK=$(mktemp -d /tmp/gateway-soak.XXXXXX)
RESULT=bench/results/soak-$(date -u +%Y-%m-%d).md
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; }
command -v nginx >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx; }

echo "publishing the gateway (Release, ReadyToRun) in $WORK"
dotnet publish Gateway.Host -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v quiet -o "$WORK/gateway" >/dev/null

# Upstreams: nginx answering ~100 bytes on 18500, the stream upstream (SSE, WebSocket echo) on 18501.
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx/pid; error_log $WORK/nginx/error.log; daemon on;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:18500; keepalive_requests 1000000;
  location / { return 200 "hello from the upstream, a body of about one hundred bytes for every request here\n"; } } }
CONF
/usr/sbin/nginx -c "$WORK/nginx/nginx.conf"; PIDS+=("$(cat "$WORK/nginx/pid")")
python3 bench/soak/streams_upstream.py 18501 & PIDS+=("$!")

# The config; each reload flips the body of /version, so every reload changes something.
write_config() {
  cat > "$WORK/gateway.conf" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:18502" }
  admin.address = "127.0.0.1:18503"
  upstreams.app { endpoints = ["127.0.0.1:18500"] }
  upstreams.streams { endpoints = ["127.0.0.1:18501"], response-timeout = 600s }
  routes.app { listener = public, path-prefix = "/", upstream = app }
  routes.streams { listener = public, path-prefix = "/stream", upstream = streams, streams.on-drain = graceful-close }
  routes.version { listener = public, path-prefix = "/version", direct-response { status = 200, body = "config $1" } }
  drain { deadline = 20s }
  hot-restart.socket = "$WORK/gateway.sock"
}
CONF
}
write_config 0

GEN=1
"$WORK/gateway/Gateway.Host" --config "$WORK/gateway.conf" > "$WORK/gateway-1.log" 2>&1 &
GATEWAYS=("$!"); PIDS+=("$!")
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18502/version && break; sleep 0.1; done

wrk -t1 -c16 -d"${DURATION}s" --timeout 10s http://127.0.0.1:18502/hello > "$WORK/wrk.txt" 2>&1 & WRK=$!; PIDS+=("$WRK")
python3 bench/soak/soakload.py 18502 "$DURATION" > "$WORK/soakload.json" & LOAD=$!; PIDS+=("$LOAD")

RELOADS=0
RESTARTS=0
start=$SECONDS
next_reload=$RELOAD_EVERY
next_restart=$RESTART_EVERY
: > "$WORK/rss.txt"
while [ $((SECONDS - start)) -lt "$DURATION" ]; do
  sleep 1
  elapsed=$((SECONDS - start))
  # Sampling inline (not in a subshell): the list of generations changes with each hot restart.
  if [ $((elapsed % 2)) -eq 0 ]; then
    g=0
    for pid in "${GATEWAYS[@]}"; do
      g=$((g + 1))
      if [ -r "/proc/$pid/status" ]; then echo "$elapsed $g $pid $(awk '/VmRSS/ {print $2}' "/proc/$pid/status")" >> "$WORK/rss.txt"; fi
    done
  fi
  if [ "$elapsed" -ge "$next_restart" ] && [ $((DURATION - elapsed)) -gt 10 ]; then
    GEN=$((GEN + 1)); RESTARTS=$((RESTARTS + 1)); next_restart=$((next_restart + RESTART_EVERY))
    "$WORK/gateway/Gateway.Host" --config "$WORK/gateway.conf" --hot-restart > "$WORK/gateway-$GEN.log" 2>&1 &
    GATEWAYS+=("$!"); PIDS+=("$!")
    echo "t=${elapsed}s hot restart: generation $GEN (pid $!)"
  elif [ "$elapsed" -ge "$next_reload" ]; then
    RELOADS=$((RELOADS + 1)); next_reload=$((next_reload + RELOAD_EVERY))
    write_config "$RELOADS"
    kill -HUP "${GATEWAYS[-1]}"
    echo "t=${elapsed}s reload $RELOADS (SIGHUP to generation $GEN)"
  fi
done
wait "$WRK" || true
wait "$LOAD" || true
for pid in "${GATEWAYS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${GATEWAYS[@]}"; do wait "$pid" 2>/dev/null || true; done

requests=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
errors=$(awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}' "$WORK/wrk.txt"); errors=${errors:-0}
non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk.txt"); non2xx=${non2xx:-0}
load=$(cat "$WORK/soakload.json")
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$load" "$1"; }
newconn=$(field new_connection_requests); loadfail=$(field failures)
sse_events=$(field sse_events); sse_ends=$(field sse_clean_ends); ws_echoes=$(field ws_echoes); ws_closes=$(field ws_clean_closes)
reloaded=$(cat "$WORK"/gateway-*.log | grep -c "Reloaded " || true)
rejected=$(cat "$WORK"/gateway-*.log | grep -c "Reload rejected" || true)
failed=$((errors + non2xx + loadfail))
# Per generation: first and last sample, and the peak, in MiB.
rss_table=$(python3 - "$WORK/rss.txt" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, g, pid, kib = line.split()
    rows[int(g)].append((int(t), int(kib) / 1024))
for g in sorted(rows):
    s = rows[g]
    print("| %d | %d–%d s | %.0f | %.0f | %.0f | %s |" % (g, s[0][0], s[-1][0], s[0][1], max(v for _, v in s), s[-1][1],
          " ".join("%.0f" % v for _, v in s[:: max(1, len(s) // 12)])))
PY
)

mkdir -p bench/results
{
  echo "# Soak — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); client, gateway and upstreams share the cores."
  echo "Command: \`bench/soak/soak.sh $DURATION\`. Load: \`wrk -t1 -c16\` keep-alive GET /hello; 4 loops of new-connection GETs;"
  echo "3 server-sent event streams and 3 WebSockets (reopened after the gateway's goodbye on a drain). A SIGHUP reload every"
  echo "${RELOAD_EVERY} s (the config changes each time), a hot restart every ${RESTART_EVERY} s. The gateway published Release + ReadyToRun."
  echo
  echo "| seconds | reloads (applied / rejected) | hot restarts | wrk requests | wrk socket errors | wrk non-2xx | new-connection requests | SSE events (clean ends) | WebSocket echoes (clean closes) | soakload failures | **failed requests** |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  echo "| $DURATION | $RELOADS ($reloaded / $rejected) | $RESTARTS | $requests | $errors | $non2xx | $newconn | $sse_events ($sse_ends) | $ws_echoes ($ws_closes) | $loadfail | **$failed** |"
  echo
  echo "Resident set per generation (MiB), sampled every 2 s while it ran (a generation drains and exits after the next one takes over):"
  echo
  echo "| generation | alive (s from start) | first | peak | last | samples (every few) |"
  echo "|---|---|---|---|---|---|"
  echo "$rss_table"
  if [ "$loadfail" != "0" ]; then echo; echo "First soakload failures: $(field first_failures)"; fi
} > "$RESULT"
cat "$RESULT"
echo "| $(date -u +%Y-%m-%d) | soak | \`bench/soak/soak.sh $DURATION\` | $RELOADS reloads, $RESTARTS hot restarts: **$failed failed** of $((requests + newconn)) requests, $sse_events SSE events, $ws_echoes WebSocket echoes; RSS per generation in [results/$(basename "$RESULT")](results/$(basename "$RESULT")) |" > "$WORK/readme-row.txt"
# One row per run in bench/README.md's soak table.
grep -q '^## Soak runs' bench/README.md || printf '\n## Soak runs\n\n| date | benchmark | command | result |\n|---|---|---|---|\n' >> bench/README.md
cat "$WORK/readme-row.txt" >> bench/README.md
echo "README row: $(cat "$WORK/readme-row.txt")"
