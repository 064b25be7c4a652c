#!/usr/bin/env bash
# The stop at scale, A/B in one run: graceful-stop signal → exit with N idle HTTP/1.1 keep-alive connections open, for
# two published gateways (and, if asked, YARP, HAProxy and nginx beside them), interleaved round by round on freshly
# started processes (the order alternates), each warmed first by a short wrk run. Per target and round: stop → exit
# (ms, the signal to the process's end), the CPU the stop took (ms: the process's whole CPU from wait4 less its CPU at
# the signal) and how the client saw each connection end (fin / reset / still open). Medians and per-round ratios.
# Everything on 127.0.0.1; every process started here is stopped here, by PID.
# Usage: bench/throughput/stop-ab.sh DIR_A DIR_B [rounds, default 3] [connections, default 10000]
#   DIR_A / DIR_B: folders of `dotnet publish Gateway.Host -c Release -o DIR`; ENV_A / ENV_B: environment for one side;
#   CONF_A / CONF_B: lines added to that side's configuration file (e.g. an `akka.*` key).
#   PEERS="yarp haproxy nginx": measure these beside them (HAProxy holds at most 9,000: two descriptors per connection).
#   CHURN=SECONDS: after the warm-up, each target also serves that long of short connections (wrk, `Connection: close`
#   on every request), as a long-running proxy has before it is stopped: the code that ends a connection has run
#   hot, not for the first time, in the stop.
#   AGE=SECONDS: once the idle connections are open, each target serves that long of keep-alive requests (wrk, 32 other
#   connections) before the signal, so that the idle connections' objects have been through collections (old, as
#   in a proxy whose connections were not all opened a second before its stop).
#   PROBE=1: the .NET targets (A, B, YARP) also say what their garbage collector did during the stop (bench/StopProbe).
#   TRACE=1: they are traced (dotnet-trace, allocation samples) from 2 s before the signal; where the bytes came from is
#   written beside each round's log (bench/StopAllocations). The tracing slows the stops it watches.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/throughput/confs.sh
A=$1; B=$2; ROUNDS=${3:-3}; IDLE=${4:-10000}; PEERS=${PEERS:-}
WORK=$(mktemp -d /tmp/gateway-stop-ab.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
HZ=$(getconf CLK_TCK)

upstream_conf "$WORK/up.conf" 18700 "$WORK/up.pid" "$WORK/up.log"
/usr/sbin/nginx -c "$WORK/up.conf"; PIDS+=("$(cat "$WORK/up.pid")")
if [[ " $PEERS " == *" yarp "* ]]; then dotnet publish bench/YarpPeer -c Release -v quiet -o "$WORK/yarp" > /dev/null; fi
HOOK=""
if [ -n "${PROBE:-}" ]; then
  dotnet build bench/StopProbe -c Release -v quiet -o "$WORK/probe" > /dev/null
  HOOK="DOTNET_STARTUP_HOOKS=$WORK/probe/StopProbe.dll"
fi
TRACER=${DOTNET_TRACE:-$HOME/.dotnet/tools/dotnet-trace}
if [ -n "${TRACE:-}" ]; then
  [ -x "$TRACER" ] || { echo "TRACE=1 needs dotnet-trace: dotnet tool install -g dotnet-trace" >&2; exit 2; }
  dotnet build bench/StopAllocations -c Release -v quiet -o "$WORK/allocations" > /dev/null
fi

# Every start listens on a port of its own: the previous round's 10,000 closed connections are in TIME_WAIT on its
# port for a minute (the proxy closed them first).
declare -A BASE=([A]=18710 [B]=18720 [yarp]=18730 [haproxy]=18740 [nginx]=18750)
configure() { # target round → writes the target's config for port $port
  local t=$1 round=$2
  case $t in
    A|B) gateway_conf "$WORK/$t-$round.conf" "$port" 18700 "$WORK/$t-$round.sock" "drain { deadline = 30s, idle-quiet = 0s }"
         local extra=${CONF_A:-}; [ "$t" = B ] && extra=${CONF_B:-}
         printf '%s\n' "$extra" >> "$WORK/$t-$round.conf"
    ;;
    haproxy) haproxy_conf "$WORK/haproxy-$round.cfg" "$port" 18700 ;;
    nginx) nginx_proxy_conf "$WORK/nginx-$round.conf" "$port" 18700 "$WORK/ngx-$round.pid" "$WORK/ngx-$round.log" "daemon off; master_process off;" ;;
  esac
}

# run.py CMD…: starts CMD, prints its PID, and when it has exited prints "exit NS CPU_MS" (wait4's user+sys).
RUN="$WORK/run.py"
cat > "$RUN" <<'PY'
import os, subprocess, sys, time
log = open(os.environ["LOG"], "w")
p = subprocess.Popen(sys.argv[1:], stdout=log, stderr=log)
print(p.pid, flush=True)
_, status, ru = os.wait4(p.pid, 0)
print(f"exit {time.time_ns()} {(ru.ru_utime + ru.ru_stime) * 1000:.0f} {os.waitstatus_to_exitcode(status)}", flush=True)
PY

RAW="$WORK/raw.tsv"; : > "$RAW"
measure() { # target round
  local t=$1 round=$2 n=$IDLE sig=TERM cmd port=$(( BASE[$1] + 100 * $2 ))
  configure "$t" "$round"
  case $t in
    A|B) local dir=$A envs=${ENV_A:-}; [ "$t" = B ] && dir=$B envs=${ENV_B:-}
         cmd="env $HOOK $envs $dir/Gateway.Host --config $WORK/$t-$round.conf" ;;
    yarp) cmd="env $HOOK $WORK/yarp/YarpPeer 127.0.0.1:$port http://127.0.0.1:18700/" ;;
    haproxy) cmd="haproxy -db -f $WORK/haproxy-$round.cfg"; sig=USR1; n=$(( IDLE < 9000 ? IDLE : 9000 )) ;;
    nginx) cmd="/usr/sbin/nginx -c $WORK/nginx-$round.conf"; sig=QUIT ;;
  esac
  exec {runner}< <(LOG="$WORK/$t-$round.log" python3 "$RUN" $cmd)
  local pid; read -r pid <&$runner; PIDS+=("$pid")
  for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  wrk -t1 -c32 -d2s "http://127.0.0.1:$port/" > /dev/null
  if [ -n "${CHURN:-}" ]; then wrk -t1 -c32 -d"${CHURN}s" -H "Connection: close" "http://127.0.0.1:$port/" > /dev/null; fi
  exec {hold}> >(python3 bench/throughput/idle.py 127.0.0.1 "$port" "$n" > "$WORK/idle-$t-$round.out" 2>&1)
  for _ in $(seq 1 900); do grep -q ready "$WORK/idle-$t-$round.out" 2>/dev/null && break; sleep 0.1; done
  if [ -n "${AGE:-}" ]; then wrk -t1 -c32 -d"${AGE}s" "http://127.0.0.1:$port/" > /dev/null; fi
  sleep 1
  local tracer=""
  if [ -n "${TRACE:-}" ] && [[ $t == A || $t == B || $t == yarp ]]; then
    "$TRACER" collect -p "$pid" --profile gc-verbose -o "$WORK/$t-$round.nettrace" > "$WORK/$t-$round.trace.log" 2>&1 & tracer=$!
    sleep 2
  fi
  local before signalled line
  before=$(awk -v hz="$HZ" '{print ($14 + $15) * 1000 / hz}' "/proc/$pid/stat")
  signalled=$(date +%s%N)
  kill -"$sig" "$pid"
  read -r line <&$runner
  exec {runner}<&-
  exec {hold}>&-
  for _ in $(seq 1 100); do grep -q ended "$WORK/idle-$t-$round.out" && break; sleep 0.1; done
  read -r _ exited cpu code <<< "$line"
  local ms=$(( (exited - signalled) / 1000000 )) stop_cpu=$(( cpu - ${before%.*} ))
  local ended; ended=$(grep ended "$WORK/idle-$t-$round.out" || echo "ended ?")
  # The gateway's own milestones, from its log (UTC clock times): drained, and its host stopped.
  local milestones=""
  if [[ $t == [AB] ]]; then
    milestones=$(python3 - "$WORK/$t-$round.log" "$signalled" <<'PY'
import re, sys, datetime
signalled = int(sys.argv[2]) / 1e9
def since(line):
    h, m, s = line[:12].split(":")
    day = datetime.datetime.fromtimestamp(signalled, datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return round((day.timestamp() + int(h) * 3600 + int(m) * 60 + float(s) - signalled) * 1000)
out = []
for line in open(sys.argv[1], errors="replace"):
    if "Drain phase unbind done" in line: out.append(f"unbound {since(line)}")
    elif "Drain finished" in line: out.append(f"drained {since(line)}")
    elif re.search(r"Gateway generation \d+ stopped", line): out.append(f"host stopped {since(line)}")
print(", ".join(out) + " ms after the signal" if out else "")
PY
)
    milestones=" ($milestones)"
  fi
  local probe; probe=$(grep -o "stop-probe: .*" "$WORK/$t-$round.log" || true)
  if [ -n "$tracer" ]; then
    wait "$tracer" || true
    dotnet "$WORK/allocations/StopAllocations.dll" "$WORK/$t-$round.nettrace" 4 30 > "$WORK/$t-$round.allocations.md"
    probe="${probe:+$probe; }allocations: $WORK/$t-$round.allocations.md"
  fi
  echo "round $round $t: stop → exit $ms ms, stop CPU $stop_cpu ms, exit code $code, $n connections ${ended#ended }$milestones${probe:+; $probe}"
  printf "%s\t%s\t%s\t%s\t%s\n" "$t" "$round" "$ms" "$stop_cpu" "${ended#ended }" >> "$RAW"
}

echo "stop A/B with $IDLE idle connections; A=$A ${ENV_A:-} ${CONF_A:-} B=$B ${ENV_B:-} ${CONF_B:-} peers: ${PEERS:-none}${CHURN:+; churn ${CHURN}s}${AGE:+; aged ${AGE}s}; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  order="A B $PEERS"; [ $((round % 2)) = 0 ] && order="B A $PEERS"
  for t in $order; do measure "$t" "$round"; done
done
python3 - "$RAW" <<'PY'
import sys, statistics, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = collections.defaultdict(dict)
for t, r, ms, cpu, ended in rows: by[t][r] = (int(ms), int(cpu), ended)
print("\n| target | stop → exit, median ms (rounds) | stop CPU, median ms (rounds) | connections ended |")
print("|---|---|---|---|")
for t, rs in by.items():
    ms = [v[0] for v in rs.values()]; cpu = [v[1] for v in rs.values()]
    print(f"| {t} | {statistics.median(ms):.0f} ({', '.join(map(str, ms))}) | {statistics.median(cpu):.0f} ({', '.join(map(str, cpu))}) | {'; '.join(sorted(set(v[2] for v in rs.values())))} |")
def ratios(x, y):
    common = sorted(set(by[x]) & set(by[y]))
    return [(by[x][r][0] / by[y][r][0], by[x][r][1] / max(by[y][r][1], 1)) for r in common]
pairs = [("B", "A")] + [("B", p) for p in by if p not in ("A", "B")] + [("A", p) for p in by if p not in ("A", "B")]
print("\n| ratio | per round: time (CPU) | median time / CPU |\n|---|---|---|")
for x, y in pairs:
    rr = ratios(x, y)
    if rr: print(f"| {x}/{y} | {', '.join(f'{a:.2f} ({b:.2f})' for a, b in rr)} | {statistics.median(a for a, _ in rr):.2f} / {statistics.median(b for _, b in rr):.2f} |")
PY
