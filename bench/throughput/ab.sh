#!/usr/bin/env bash
# A/B of two gateway builds on the data path, back to back in one run: both published gateways run side by side
# against one upstream (nginx, ~100-byte answers), and each round measures A then B (then B then A, alternating) with
# the same load. Reports per round B/A of requests/s and of CPU µs per request, and their medians.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/throughput/ab.sh DIR_A DIR_B [rounds, default 5] [seconds, default 4] [load, default "wrk -t1 -c32"]
#   DIR_A / DIR_B: folders of `dotnet publish Gateway.Host -c Release -o DIR`. load: "wrk -t1 -cN" or "h2load -cN -mM".
#   Environment for one side only: ENV_A / ENV_B (e.g. ENV_B="DOTNET_TieredPGO=0"); CONF_B: extra gateway { } lines for B.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/throughput/confs.sh
A=$1; B=$2; ROUNDS=${3:-5}; SECS=${4:-4}; LOAD=${5:-wrk -t1 -c32}
WORK=$(mktemp -d /tmp/gateway-ab.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

upstream_conf "$WORK/up.conf" 18600 "$WORK/up.pid" "$WORK/up.log"
/usr/sbin/nginx -c "$WORK/up.conf"; PIDS+=("$(cat "$WORK/up.pid")")

declare -A PORT PID
PORT[A]=18610; PORT[B]=18620
for side in A B; do
  dir=A; [ $side = B ] && dir=B
  extra=""; [ $side = B ] && extra=${CONF_B:-}
  gateway_conf "$WORK/$side.conf" "${PORT[$side]}" 18600 "$WORK/$side.sock" "$extra"
  envs=${ENV_A:-}; [ $side = B ] && envs=${ENV_B:-}
  bin=$A; [ $side = B ] && bin=$B
  env $envs "$bin/Gateway.Host" --config "$WORK/$side.conf" > "$WORK/$side.log" 2>&1 & PID[$side]=$!; PIDS+=($!)
done
for side in A B; do
  for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:${PORT[$side]}/" && break; sleep 0.1; done
done
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
run() { # side → "req/s cpu_us"
  local before after out rps n
  before=$(cpu_ticks "${PID[$1]}")
  if [[ $LOAD == h2load* ]]; then
    out=$($LOAD -D "$SECS" "http://127.0.0.1:${PORT[$1]}/" 2>&1 || true)
    rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' <<< "$out"); n=$(awk '/^requests:/ {print $8}' <<< "$out")
  else
    out=$($LOAD -d"${SECS}s" "http://127.0.0.1:${PORT[$1]}/")
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out"); n=$(awk '/requests in/ {print $1}' <<< "$out")
  fi
  after=$(cpu_ticks "${PID[$1]}")
  awk -v r="$rps" -v t=$((after - before)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f %.1f", r, t / hz * 1e6 / n }'
}
for side in A B; do run $side > /dev/null; done  # warm-up (JIT, pools)
echo "load: $LOAD, ${SECS}s per run; A=$A ${ENV_A:-} B=$B ${ENV_B:-} ${CONF_B:-}"
RATIOS=()
for round in $(seq 1 "$ROUNDS"); do
  order="A B"; [ $((round % 2)) = 0 ] && order="B A"
  declare -A R=()
  for side in $order; do R[$side]=$(run $side); done
  read -r ra ca <<< "${R[A]}"; read -r rb cb <<< "${R[B]}"
  ratio=$(awk -v a="$ra" -v b="$rb" -v x="$ca" -v y="$cb" 'BEGIN { printf "%.3f %.3f", b / a, y / x }')
  RATIOS+=("$ratio")
  echo "round $round ($order): A $ra req/s ${ca}us/req | B $rb req/s ${cb}us/req | B/A req/s ${ratio% *} cpu ${ratio#* }"
done
printf '%s\n' "${RATIOS[@]}" | python3 -c '
import sys, statistics
r = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
print(f"median B/A: req/s {statistics.median(x[0] for x in r):.3f}, CPU per request {statistics.median(x[1] for x in r):.3f}")'
