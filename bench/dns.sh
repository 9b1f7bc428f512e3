#!/usr/bin/env bash
# bench/dns.sh - compare Portico's authoritative DNS with NSD and gdnsd on this machine.
#
# Each server gets one thread pinned to CPU $SERVER_CPU; dnsperf runs on CPU $CLIENT_CPU over
# loopback. All three serve the same zone: $NAMES static A records, a failover record fo.bench.test
# (gdnsd: DYNA multifo, Portico: a dynamic record; NSD has no failover, so a static A set) and
# 10% of the queries go to names that do not exist (NXDOMAIN).
#
#   bench/dns.sh                          # 10 s a server
#   DURATION=3 bench/dns.sh               # quick
#   TARGETS=nsd,portico bench/dns.sh
#
# Environment (defaults in brackets): DURATION [10] seconds of dnsperf per server,
# CLIENTS [8] dnsperf -c, OUTSTANDING [500] dnsperf -q, NAMES [1000], SERVER_CPU [0],
# CLIENT_CPU [1], BASE_PORT [15353], TARGETS [nsd,gdnsd,portico], PORTICO_TRANSPORT [auto; or
# io_uring, epoll, nio], RRL_RATELIMIT [0] response rate limit of NSD and Portico alike (0: off;
# 1000000 puts every answer through their rate limit buckets without limiting any), WARMUP [15] seconds of dnsperf before measuring (the JIT compiler is still busy for the first 6-9 s), NO_INSTALL=1 to never call
# apt-get, KEEP=1 to keep the work directory, JAVA_HOME [temurin 25].
#
# It reports queries per second, the share answered, the average latency, and the server's CPU
# seconds (user+sys, from /proc/PID/stat of the server and its child processes) per million
# answered queries. On two cores dnsperf itself saturates first, so compare on CPU per query too.
#
# Response rate limiting is off in both NSD (rrl-ratelimit: 0) and Portico (rrl: {ratelimit: 0}),
# though both have it on by default at 200 answers a second: dnsperf sends every query from
# 127.0.0.1 and asks the same names over and over, which is exactly what rate limiting stops.
# gdnsd has no rate limiting.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
OUTSTANDING=${OUTSTANDING:-500}
NAMES=${NAMES:-1000}
WARMUP=${WARMUP:-15}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-15353}
TARGETS=${TARGETS:-nsd,gdnsd,portico}
RRL_RATELIMIT=${RRL_RATELIMIT:-0}
KEEP=${KEEP:-0}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

log() { printf '%s [dns.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[dns.sh] ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ tools

# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
ensure_packages nsd:nsd gdnsd:gdnsd dnsperf:dnsperf dig:bind9-dnsutils taskset:util-linux

WORK=$(mktemp -d /tmp/portico-dns-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ $KEEP == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

# ------------------------------------------------------------------ zone and queries

ZONE=$WORK/bench.test.zone
{
  echo '$ORIGIN bench.test.'
  echo '$TTL 3600'
  echo '@ IN SOA ns1.bench.test. hostmaster.bench.test. 1 7200 900 1209600 300'
  echo '@ IN NS ns1'
  echo 'ns1 IN A 127.0.0.53'
  for ((i = 0; i < NAMES; i++)); do echo "h$i IN A 10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))"; done
} > "$ZONE"
cp "$ZONE" "$WORK/nsd.zone"
echo 'fo IN A 127.0.0.61' >> "$WORK/nsd.zone"
echo 'fo IN A 127.0.0.62' >> "$WORK/nsd.zone"
mkdir -p "$WORK/gdnsd/zones"
cp "$ZONE" "$WORK/gdnsd/zones/bench.test"
echo 'fo 300/10 DYNA multifo!fo' >> "$WORK/gdnsd/zones/bench.test"

QUERIES=$WORK/queries.txt
python3 - "$NAMES" > "$QUERIES" <<'PY'
import random, sys
n = int(sys.argv[1]); r = random.Random(1)
for i in range(100000):
    x = r.random()
    if x < 0.10: print(f"nx{r.randrange(1000000)}.bench.test A")
    elif x < 0.15: print("fo.bench.test A")
    else: print(f"h{r.randrange(n)}.bench.test A")
PY

# ------------------------------------------------------------------ servers

# cpu_ticks PID: user+sys clock ticks of PID and every descendant.
cpu_ticks() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); stats = {}
for d in os.listdir('/proc'):
    if d.isdigit():
        try:
            s = open(f'/proc/{d}/stat').read(); f = s[s.rindex(')') + 2:].split()
            stats[int(d)] = (int(f[1]), int(f[11]) + int(f[12]))
        except OSError: pass
tree = {root}; grew = True
while grew:
    grew = False
    for pid, (ppid, _) in stats.items():
        if ppid in tree and pid not in tree: tree.add(pid); grew = True
print(sum(stats[p][1] for p in tree if p in stats))
PY
}

wait_ready() { # PORT
  for _ in $(seq 1 300); do
    if dig +time=1 +tries=1 -p "$1" @127.0.0.1 h1.bench.test A 2>/dev/null | grep -q 'status: NOERROR'; then return 0; fi
    sleep 0.2
  done
  return 1
}

start_nsd() {
  local port=$1 d=$WORK/nsd
  mkdir -p "$d"
  cat > "$d/nsd.conf" <<EOF2
server:
  ip-address: 127.0.0.1@$port
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$d"
  pidfile: "$d/nsd.pid"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  logfile: "$d/nsd.log"
  rrl-ratelimit: $RRL_RATELIMIT
  minimal-responses: yes
  hide-version: yes
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: "$WORK/nsd.zone"
EOF2
  taskset -c "$SERVER_CPU" nsd -d -c "$d/nsd.conf" > "$d/out.log" 2>&1 &
  echo $!
}

start_gdnsd() {
  local port=$1 d=$WORK/gdnsd
  cat > "$d/config" <<EOF2
options => {
  listen => [ 127.0.0.1:$port ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => $d/run
  state_dir => $d/state
}
plugins => {
  multifo => {
    fo => { service_types => up, a => 127.0.0.61, b => 127.0.0.62 }
  }
}
EOF2
  taskset -c "$SERVER_CPU" gdnsd -c "$d" start > "$d/out.log" 2>&1 &
  echo $!
}

PORTICO_CP=""
build_portico() {
  log "building the Portico bench server (test classes of the dns module)"
  (cd "$REPO_ROOT" && ./mvnw -q -o -pl dns -am test-compile dependency:build-classpath \
      -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test >/dev/null)
  PORTICO_CP=$REPO_ROOT/dns/target/test-classes:$REPO_ROOT/dns/target/classes:$REPO_ROOT/core/target/classes:$REPO_ROOT/upstream/target/classes:$(cat "$WORK/cp.txt")
}

start_portico() {
  local port=$1
  taskset -c "$SERVER_CPU" "$JAVA_HOME/bin/java" -XX:ActiveProcessorCount=1 -XX:+UseSerialGC -Xms256m -Xmx256m \
    --enable-native-access=ALL-UNNAMED -cp "$PORTICO_CP" dev.portico.dns.BenchServer "$port" bench.test "$ZONE" 1 "${PORTICO_TRANSPORT:-auto}" "$RRL_RATELIMIT" \
    > "$WORK/portico.log" 2>&1 &
  echo $!
}

# ------------------------------------------------------------------ runs

RESULTS=$WORK/results.txt
: > "$RESULTS"
port=$BASE_PORT
dns_run() {       # one measured run, in the loop's variables
  before=$(cpu_ticks "$pid")
  taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -d "$QUERIES" -c "$CLIENTS" -q "$OUTSTANDING" \
    -l "$DURATION" > "$WORK/$t.dnsperf" 2>&1 || true
  after=$(cpu_ticks "$pid")
}

IFS=, read -ra targets <<< "$TARGETS"
for t in "${targets[@]}"; do
  port=$((port + 1))
  [[ $t == portico && -z $PORTICO_CP ]] && build_portico
  pid=$("start_$t" "$port")
  PIDS+=("$pid")
  wait_ready "$port" || { log "$t did not start"; cat "$WORK"/$t*/out.log "$WORK"/$t.log 2>/dev/null | tail -20 >&2; continue; }
  fo=$(dig +short -p "$port" @127.0.0.1 fo.bench.test A | sort | tr '\n' ' ')
  log "$t ready on port $port (fo.bench.test -> $fo)"
  # Warm up (JIT for Portico), then measure.
  taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -d "$QUERIES" -c "$CLIENTS" -q "$OUTSTANDING" -l "$WARMUP" >/dev/null 2>&1 || true
  with_low_steal "$t" dns_run
  log "$t: measured with ${STEAL_LAST}% steal"
  python3 - "$t" "$WORK/$t.dnsperf" "$before" "$after" "$(getconf CLK_TCK)" >> "$RESULTS" <<'PY'
import re, sys
name, path, before, after, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
text = open(path).read()
def grab(pattern, default='0'):
    m = re.search(pattern, text); return m.group(1) if m else default
completed = int(grab(r'Queries completed:\s+(\d+)')); sent = int(grab(r'Queries sent:\s+(\d+)'))
qps = float(grab(r'Queries per second:\s+([\d.]+)')); lat = float(grab(r'Average Latency \(s\):\s+([\d.]+)'))
sd = float(grab(r'Latency StdDev \(s\):\s+([\d.]+)')); nx = grab(r'NXDOMAIN (\d+)')
cpu = (after - before) / hz
per_m = cpu / completed * 1e6 if completed else float('nan')
pct = 100.0 * completed / sent if sent else 0.0
print(f"| {name} | {qps:,.0f} | {pct:.2f}% | {lat*1000:.3f} ms (sd {sd*1000:.3f}) | {cpu:.2f} | {per_m:.2f} | {nx} |")
PY
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done

echo
echo "dnsperf -c $CLIENTS -q $OUTSTANDING, ${DURATION}s; servers 1 thread on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU; $NAMES names, 10% NXDOMAIN, 5% failover record"
echo
echo "| server | qps | answered | avg latency | CPU s (user+sys) | CPU s per 1M answers | NXDOMAIN answers |"
echo "|---|---|---|---|---|---|---|"
cat "$RESULTS"
