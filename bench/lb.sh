#!/usr/bin/env bash
# bench/lb.sh - compare Portico's L4 balancer with HAProxy (tcp mode) on this machine.
#
# Layout (as in shared/reference/anchor-bench.md): the balancer under test runs with 1 worker or
# thread pinned to CPU $SERVER_CPU; two nginx origins (1 worker each) and wrk -t1 share CPU
# $CLIENT_CPU. Both balancers: tcp mode, round robin over the two origins, TCP health checks.
# See bench/README.md.
#
#   bench/lb.sh                                   # every scenario, 10 s a run
#   ROUNDS=3 bench/lb.sh                          # three rounds, order alternating, median ratios
#   PAIRED=1 ROUNDS=9 DURATION=8s bench/lb.sh     # both balancers up at once, measured in turns
#   DURATION=5s bench/lb.sh                       # quicker
#   SCENARIOS=keepalive,close bench/lb.sh         # a few scenarios
#
# Environment (defaults in brackets):
#   CONNS [50: wrk's connections in the keepalive and close rows; 1 shows the latency of one request at a time]
#   DURATION [10s]  WARMUP [30s: the JVM compiles its hot paths meanwhile; after 10 s the close row still paid the JIT compiler]  SCENARIOS [keepalive,close,bulk]  TARGETS [haproxy,portico]
#   PAIRED [0; 1: start both balancers once, warm each once per scenario, then measure them in turns,
#     ROUNDS pairs per scenario; the waiting balancer's CPU use is logged and printed]
#   SERVER_QUOTA [none; e.g. 50: each balancer may use that percent of CPU SERVER_CPU at most (a CPU
#     cgroup, 10 ms period), so that the balancer, not CPU CLIENT_CPU with wrk and the origins, sets the pace]
#   SERVER_CPU [0]  CLIENT_CPU [1]  BASE_PORT [18180: origins +0 +1, HAProxy +10, Portico +11]
#   PORTICO_TRANSPORT [auto: io_uring, else epoll, else nio]  NO_INSTALL=1 to never call apt-get
#   NO_BUILD=1 to reuse lb/target as built (after a build of your own)
#   PORTICO_CLASSES [lb/target/classes: another build of the lb module's classes, e.g. an older commit's, for A/B runs]
#   HAPROXY_OPTIONS [none: more lines for HAProxy's defaults section, e.g. "option splice-auto"]
#   PORTICO_ARGS [none: more BenchMain flags, e.g. "--splice on"]  PORTICO_JAVA_OPTS [none: more JVM flags, e.g. JFR,
#     or -Dportico.lb.engine=netty to measure the Netty path instead of the native engine]
#   MAX_STEAL [3: a run during which the hypervisor took more than this percent of CPUs SERVER_CPU and
#     CLIENT_CPU is measured again, up to STEAL_RETRIES [3] more times]
#   BENCH_DIR [a new /tmp/portico-lb-bench.XXXXXX, removed at exit unless KEEP=1]  OUT_DIR [bench/out]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-30s}
ROUNDS=${ROUNDS:-1}
PAIRED=${PAIRED:-0}
SCENARIOS=${SCENARIOS:-keepalive,close,bulk}
CONNS=${CONNS:-50}
TARGETS=${TARGETS:-haproxy,portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18180}
PORTICO_TRANSPORT=${PORTICO_TRANSPORT:-auto}
PORTICO_ARGS=${PORTICO_ARGS:-}
PORTICO_JAVA_OPTS=${PORTICO_JAVA_OPTS:-}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
NOFILE=65536

PORT_O1=$BASE_PORT
PORT_O2=$((BASE_PORT + 1))
PORT_HAPROXY=$((BASE_PORT + 10))
PORT_PORTICO=$((BASE_PORT + 11))

# name | path | connections | extra wrk header | what the table shows
ALL_SCENARIOS=(
  "keepalive|/small.html|$CONNS||rps"
  "close|/small.html|$CONNS|Connection: close|rps"
  "bulk|/bulk.bin|4||MB/s"
)

log() { printf '%s [lb.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[lb.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"

# ---------------------------------------------------------------- processes

PIDS=()

stop_pid() {      # PID: TERM, then KILL after 5 s
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  cpu_limit_cleanup
  remove_bench_dir
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

cpu_ticks() {     # PID -> "utime stime" in clock ticks
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12, $13}' || echo 0 0
}

wait_for_port() { # PID PORT NAME LOGFILE
  local pid=$1 port=$2 name=$3 logf=$4 start=$SECONDS
  while ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/small.html"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logf" >&2; die "$name exited before answering on port $port"; }
    ((SECONDS - start < 60)) || { tail -n 30 "$logf" >&2; die "$name did not answer on port $port within 60 s"; }
    sleep 0.2
  done
  log "$name answers on 127.0.0.1:$port (pid $pid)"
}

# ---------------------------------------------------------------- setup

ensure_tools() {
  ensure_packages haproxy:haproxy nginx:nginx-light wrk:wrk curl:curl taskset:util-linux
}

build_portico() { # -> sets PORTICO_CP
  local cpfile=$REPO_ROOT/lb/target/bench-classpath.txt logf=$BENCH_DIR/logs/build.log
  if [[ ${NO_BUILD:-0} == 1 && -s $cpfile ]]; then
    PORTICO_CP="${PORTICO_CLASSES:-$REPO_ROOT/lb/target/classes}:$REPO_ROOT/lb/target/test-classes:$(cat "$cpfile")"
    return 0
  fi
  log "building the lb module and its test classes (unpinned, before any measurement)"
  local args=(-q -B -pl lb -am test-compile dependency:build-classpath "-Dmdep.outputFile=$cpfile" -Dmdep.includeScope=runtime)
  if ! (cd "$REPO_ROOT" && ./mvnw -o "${args[@]}") >"$logf" 2>&1; then
    log "offline build failed; retrying with the network"
    (cd "$REPO_ROOT" && ./mvnw "${args[@]}") >>"$logf" 2>&1 || { tail -n 40 "$logf" >&2; die "build failed (log: $logf)"; }
  fi
  PORTICO_CP="${PORTICO_CLASSES:-$REPO_ROOT/lb/target/classes}:$REPO_ROOT/lb/target/test-classes:$(cat "$cpfile")"
}

find_java() {
  local j
  for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java "$(command -v java || true)"; do
    if [[ -x $j ]] && "$j" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
      JAVA=$j
      # The Maven wrapper builds with this JDK too.
      JAVA_HOME=$(cd "$(dirname "$j")/.." && pwd)
      export JAVA_HOME
      return 0
    fi
  done
  die "needs a JDK 25+ (set JAVA_HOME)"
}

make_files() {
  mkdir -p "$WWW" "$BENCH_DIR/run" "$BENCH_DIR/logs"
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/small.html"
  head -c $((100 * 1024 * 1024)) /dev/urandom >"$WWW/bulk.bin"
  # nginx's workers run as an unprivileged user: the folder from mktemp is 0700.
  chmod 755 "$BENCH_DIR" "$WWW"
  chmod 644 "$WWW"/*
}

check_serves() { # PORT NAME: both files come back whole with a 200, or the run stops
  local got
  got=$(curl -s -o /dev/null --max-time 30 -w '%{http_code} %{size_download}' "http://127.0.0.1:$1/small.html")
  [[ $got == "200 1024" ]] || die "$2 answered small.html with '$got' (status, bytes), not '200 1024'"
  got=$(curl -s -o /dev/null --max-time 60 -w '%{http_code} %{size_download}' "http://127.0.0.1:$1/bulk.bin")
  [[ $got == "200 $((100 * 1024 * 1024))" ]] || die "$2 answered bulk.bin with '$got'"
}

start_origin() {  # NAME PORT
  local name=$1 port=$2 conf=$BENCH_DIR/run/nginx-$1.conf
  cat >"$conf" <<EOF
# Generated by bench/lb.sh: an origin with the anchor's settings (shared/reference/anchor-bench.md).
pid $BENCH_DIR/run/nginx-$name.pid;
error_log $BENCH_DIR/logs/nginx-$name.error.log warn;
worker_processes 1;
daemon off;
worker_rlimit_nofile 20000;
events { worker_connections 8192; multi_accept off; }
http {
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    server_tokens off;
    client_body_temp_path $BENCH_DIR/run/$name-body;
    proxy_temp_path $BENCH_DIR/run/$name-proxy;
    fastcgi_temp_path $BENCH_DIR/run/$name-fcgi;
    uwsgi_temp_path $BENCH_DIR/run/$name-uwsgi;
    scgi_temp_path $BENCH_DIR/run/$name-scgi;
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        root $WWW;
        location / { }
    }
}
EOF
  taskset -c "$CLIENT_CPU" nginx -c "$conf" -e "$BENCH_DIR/logs/nginx-$name.error.log" \
    >"$BENCH_DIR/logs/nginx-$name.out" 2>&1 &
  PIDS+=($!)
  wait_for_port $! "$port" "origin $name" "$BENCH_DIR/logs/nginx-$name.error.log"
  check_serves "$port" "origin $name"
}

start_haproxy() { # -> BALANCER_PID
  local conf=$BENCH_DIR/run/haproxy.cfg
  cat >"$conf" <<EOF
# Generated by bench/lb.sh: tcp mode, round robin, one thread (the anchor's HAProxy rows).
global
    nbthread 1
    # Each connection takes two descriptors (and pipes when splicing); maxconn must fit under the descriptor limit.
    maxconn $(( ($(ulimit -n) - 200) / $([[ ${HAPROXY_OPTIONS:-} == *splice* ]] && echo 3 || echo 2) ))
    log stderr format short local0 notice
defaults
    mode tcp
    log global
    option dontlognull
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    ${HAPROXY_OPTIONS:-}
frontend fe
    bind 127.0.0.1:$PORT_HAPROXY
    default_backend origins
backend origins
    balance roundrobin
    server o1 127.0.0.1:$PORT_O1 check
    server o2 127.0.0.1:$PORT_O2 check
EOF
  taskset -c "$SERVER_CPU" haproxy -db -f "$conf" >"$BENCH_DIR/logs/haproxy.log" 2>&1 &
  BALANCER_PID=$!
  PIDS+=("$BALANCER_PID")
  cpu_limit "$BALANCER_PID" haproxy
  wait_for_port "$BALANCER_PID" "$PORT_HAPROXY" haproxy "$BENCH_DIR/logs/haproxy.log"
}

start_portico() { # -> BALANCER_PID
  # The flags bin/portico uses (see its header for why), and the embedding API's defaults:
  # round robin, TCP health checks, failover on every host.
  taskset -c "$SERVER_CPU" "$JAVA" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    -XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError -Dio.netty.leakDetection.level=disabled $PORTICO_JAVA_OPTS -cp "$PORTICO_CP" dev.portico.lb.bench.BenchMain \
    --listen "127.0.0.1:$PORT_PORTICO" --backend "127.0.0.1:$PORT_O1" --backend "127.0.0.1:$PORT_O2" \
    --workers 1 --transport "$PORTICO_TRANSPORT" $PORTICO_ARGS >"$BENCH_DIR/logs/portico.log" 2>&1 &
  BALANCER_PID=$!
  PIDS+=("$BALANCER_PID")
  cpu_limit "$BALANCER_PID" portico
  wait_for_port "$BALANCER_PID" "$PORT_PORTICO" portico "$BENCH_DIR/logs/portico.log"
  log "$(head -n 1 "$BENCH_DIR/logs/portico.log")"
}

# ---------------------------------------------------------------- measuring

selected() { [[ ,$SCENARIOS, == *,$1,* ]]; }

to_mb() {         # wrk transfer figure like 1.95GB or 512.3MB -> MB (10^6 bytes)
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "GB") ? 1073741824 : (u == "MB") ? 1048576 : (u == "KB") ? 1024 : 1
    printf "%.0f", n * f / 1000000 }'
}

run_wrk() {       # PORT PATH CONNS HEADER DURATION -> wrk output on stdout
  local args=(-t1 "-c$3" "-d$5" --latency --timeout 10s)
  [[ -n $4 ]] && args+=(-H "$4")
  taskset -c "$CLIENT_CPU" wrk "${args[@]}" "http://127.0.0.1:$1$2"
}

declare -A RESULT CPU P99 ERRORS COST STEAL HIGH_STEAL
per_unit() {      # UNIT "U0 S0" "U1 S1" WRK-OUTPUT -> "user/sys" CPU per request (µs) or per GB moved (s)
  local unit=$1 t0=$2 t1=$3 out=$4 n
  if [[ $unit == rps ]]; then
    n=$(awk '/requests in/ {print $1}' <<<"$out")
  else
    n=$(awk '/requests in/ {v = $5; sub(/read$/, "", v); print v}' <<<"$out")
  fi
  awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v n="$n" -v unit="$unit" 'BEGIN {
    split(a, x, " "); split(b, y, " "); u = (y[1] - x[1]) / hz; s = (y[2] - x[2]) / hz
    if (unit == "rps") { if (n <= 0) { print "-"; exit } printf "%.0f/%.0f µs", 1e6 * u / n, 1e6 * s / n; exit }
    m = n + 0; g = n; sub(/^[0-9.]+/, "", g)
    m *= (g == "GB") ? 1073741824 : (g == "MB") ? 1048576 : (g == "KB") ? 1024 : 1
    if (m <= 0) { print "-"; exit }
    printf "%.2f/%.2f s", u * 1e9 / m, s * 1e9 / m }'
}

lb_run() {        # one measured run of measure_run(), in its variables
  t0=$(cpu_ticks "$BALANCER_PID")
  if [[ -n $IDLE_PID ]]; then i0=$(cpu_ticks "$IDLE_PID"); fi
  out=$(run_wrk "$port" "$path" "$conns" "$header" "$DURATION")
  if [[ -n $IDLE_PID ]]; then i1=$(cpu_ticks "$IDLE_PID"); fi
  t1=$(cpu_ticks "$BALANCER_PID")
}

warm() {          # TARGET PORT SCENARIO-DEF: the warm-up run, not measured
  local name path conns header unit
  IFS='|' read -r name path conns header unit <<<"$3"
  if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
    log "$1 $name: warming up for $WARMUP"
    run_wrk "$2" "$path" "$conns" "$header" "$WARMUP" >/dev/null
  fi
}

measure_run() {   # TARGET PORT SCENARIO-DEF: one measured run (again while the steal is high), into RESULT etc.
  local target=$1 port=$2 name path conns header unit out t0 t1 i0=0 i1=0 rps mbs errs steal idle=""
  IFS='|' read -r name path conns header unit <<<"$3"
  with_low_steal "$target $name" lb_run
  steal=$STEAL_LAST
  STEAL[$target.$name]=$steal
  HIGH_STEAL[$target.$name]=$(steal_too_high "$steal" && echo 1 || echo 0)
  printf '==== %s %s\n%s\n' "$target" "$name" "$out" >>"$RAW"
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  mbs=$(to_mb "$(awk '/^Transfer\/sec:/ {print $2}' <<<"$out")")
  errs=$(awk '/Socket errors:/ {gsub(/,/, ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {s += $5} END {print s + 0}' <<<"$out")
  RESULT[$target.$name]=$([[ $unit == rps ]] && echo "$rps" || echo "$mbs")
  P99[$target.$name]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  ERRORS[$target.$name]=$errs
  CPU[$target.$name]=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="${DURATION%s}" \
    'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.0f%%", 100 * (y[1] + y[2] - x[1] - x[2]) / hz / s}')
  COST[$target.$name]=$(per_unit "$unit" "$t0" "$t1" "$out")
  if [[ -n $IDLE_PID ]]; then
    # In paired mode the other balancer waits on the same CPU; what it used meanwhile is shown.
    idle=$(awk -v a="$i0" -v b="$i1" -v hz="$(getconf CLK_TCK)" -v s="${DURATION%s}" \
      'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.1f", 100 * (y[1] + y[2] - x[1] - x[2]) / hz / s}')
    IDLE_MAX[$target]=$(awk -v a="$idle" -v b="${IDLE_MAX[$target]:-0}" 'BEGIN {print (a > b) ? a : b}')
    idle=", the other balancer ${idle}% CPU meanwhile"
  fi
  log "$target $name: ${RESULT[$target.$name]} $unit, p99 ${P99[$target.$name]}, balancer CPU ${CPU[$target.$name]}, CPU user/sys ${COST[$target.$name]} per $([[ $unit == rps ]] && echo request || echo GB), steal ${steal}%, errors $errs$idle"
}

measure() {       # TARGET PORT: every selected scenario, each after its warm-up
  local def name
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name _ <<<"$def"
    selected "$name" || continue
    warm "$1" "$2" "$def"
    measure_run "$1" "$2" "$def"
  done
}

port_of() { [[ $1 == haproxy ]] && echo "$PORT_HAPROXY" || echo "$PORT_PORTICO"; }

add_ratio() {     # SCENARIO: appends this round's Portico / HAProxy ratio to RATIOS
  local h=${RESULT[haproxy.$1]:-} p=${RESULT[portico.$1]:-}
  if [[ -n $h && -n $p && $h != 0 ]]; then
    RATIOS[$1]+=$(ratio_entry "$p" "$h" "$((${HIGH_STEAL[haproxy.$1]:-0} | ${HIGH_STEAL[portico.$1]:-0}))")
  fi
}

log_rounds() {    # ROUND
  ((ROUNDS > 1)) && log "round $1 of $ROUNDS done: ratios so far $(for k in "${!RATIOS[@]}"; do printf '%s [%s] ' "$k" "${RATIOS[$k]% }"; done)"
  return 0
}

# ---------------------------------------------------------------- main

[[ $(nproc --all) -ge 2 ]] || die "needs 2 CPUs"
ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ensure_tools
find_java
if [[ -z ${BENCH_DIR:-} ]]; then
  BENCH_DIR=$(mktemp -d /tmp/portico-lb-bench.XXXXXX)
  BENCH_DIR_OWNED=1
fi
WWW=$BENCH_DIR/www
make_files
mkdir -p "$OUT_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$OUT_DIR/lb-$STAMP.log
TABLE=$OUT_DIR/lb-$STAMP.md
[[ $TARGETS == *portico* ]] && build_portico

start_origin o1 "$PORT_O1"
start_origin o2 "$PORT_O2"

declare -A RATIOS IDLE_MAX BALANCER_OF
IDLE_PID=
if [[ $PAIRED == 1 ]]; then
  # Both balancers stay up on CPU $SERVER_CPU for the whole run, warmed once per scenario (Portico
  # first, so its compiler threads are done before HAProxy is measured), then measured in turns:
  # each round's two runs are a minute apart at most, so a drift of the machine hits both.
  [[ ,$TARGETS, == *,haproxy,* && ,$TARGETS, == *,portico,* ]] || die "PAIRED=1 needs TARGETS=haproxy,portico"
  for target in portico haproxy; do
    "start_$target"
    BALANCER_OF[$target]=$BALANCER_PID
    check_serves "$(port_of "$target")" "$target"
  done
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name _ <<<"$def"
    selected "$name" || continue
    for target in portico haproxy; do warm "$target" "$(port_of "$target")" "$def"; done
    for ((round = 1; round <= ROUNDS; round++)); do
      order="haproxy portico"
      ((round % 2 == 0)) && order="portico haproxy"
      for target in $order; do
        BALANCER_PID=${BALANCER_OF[$target]}
        IDLE_PID=${BALANCER_OF[$([[ $target == haproxy ]] && echo portico || echo haproxy)]}
        measure_run "$target" "$(port_of "$target")" "$def"
      done
      add_ratio "$name"
      log_rounds "$round"
    done
  done
else
  for ((round = 1; round <= ROUNDS; round++)); do
    # Rounds alternate which balancer goes first, so a drift of the machine does not favour one.
    order="haproxy portico"
    ((round % 2 == 0)) && order="portico haproxy"
    for target in $order; do
      [[ ,$TARGETS, == *,$target,* ]] || continue
      "start_$target"
      check_serves "$(port_of "$target")" "$target"
      measure "$target" "$(port_of "$target")"
      stop_pid "$BALANCER_PID"
    done
    for def in "${ALL_SCENARIOS[@]}"; do
      IFS='|' read -r name _ <<<"$def"
      selected "$name" && add_ratio "$name"
    done
    log_rounds "$round"
  done
fi

{
  echo "L4 balancers, tcp mode, round robin over 2 nginx origins; balancer on CPU $SERVER_CPU (1 thread/worker),"
  echo "origins and wrk -t1 on CPU $CLIENT_CPU; $DURATION a run after a $WARMUP warm-up; $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r)."
  [[ -n $SERVER_QUOTA ]] && echo "Each balancer limited to $SERVER_QUOTA% of CPU $SERVER_CPU (a CPU cgroup with a ${QUOTA_PERIOD_US} µs period)."
  echo "haproxy $(haproxy -v 2>/dev/null | head -n 1 | awk '{print $3}'), Portico transport $PORTICO_TRANSPORT${PORTICO_ARGS:+ $PORTICO_ARGS}. CPU = the balancer's CPU use;"
  echo "cost = the balancer's user/sys CPU time per request (µs) or per GB moved (s), which a busy machine disturbs less than throughput;"
  echo "steal = time the hypervisor took from CPUs $SERVER_CPU and $CLIENT_CPU during the run (runs above MAX_STEAL=$MAX_STEAL% are measured again)."
  if [[ $PAIRED == 1 ]]; then
    echo "Paired: both balancers up at once, warmed once per scenario, then measured in turns; while one was measured the"
    echo "other used at most ${IDLE_MAX[haproxy]:-0}% (Portico, during HAProxy's runs) and ${IDLE_MAX[portico]:-0}% (HAProxy, during Portico's) of a CPU."
  fi
  echo
  echo "| scenario | conns | HAProxy | Portico | Portico / HAProxy | HAProxy p99 / CPU | Portico p99 / CPU | HAProxy cost user/sys | Portico cost user/sys | errors (H/P) | steal (H/P) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name path conns header unit <<<"$def"
    selected "$name" || continue
    h=${RESULT[haproxy.$name]:-} p=${RESULT[portico.$name]:-}
    ratio=$([[ -n $h && -n $p && $h != 0 ]] && awk -v a="$p" -v b="$h" 'BEGIN {printf "%.2f×", a / b}' || echo "-")
    label=$name
    case $name in
      keepalive) label="keep-alive, 1 KiB" ;;
      close) label="Connection: close, 1 KiB (conn/s)" ;;
      bulk) label="bulk, 100 MiB file" ;;
    esac
    printf '| %s | %s | %s %s | %s %s | %s | %s / %s | %s / %s | %s | %s | %s / %s | %s%% / %s%% |\n' "$label" "$conns" \
      "${h:--}" "$unit" "${p:--}" "$unit" "$ratio" "${P99[haproxy.$name]:--}" "${CPU[haproxy.$name]:--}" \
      "${P99[portico.$name]:--}" "${CPU[portico.$name]:--}" "${COST[haproxy.$name]:--}" "${COST[portico.$name]:--}" \
      "${ERRORS[haproxy.$name]:--}" "${ERRORS[portico.$name]:--}" "${STEAL[haproxy.$name]:--}" "${STEAL[portico.$name]:--}"
  done
  if ((ROUNDS > 1)); then
    echo
    echo "The table shows the last round. Portico / HAProxy in each of the $ROUNDS rounds (odd rounds HAProxy first, even rounds Portico first;"
    echo "a ratio in parentheses had a run that kept more than MAX_STEAL=$MAX_STEAL% steal after its retries and is left out of the summary):"
    echo
    echo "| scenario | per round | median | geometric mean | rounds ≥ 1.0 |"
    echo "|---|---|---:|---:|---:|"
    for def in "${ALL_SCENARIOS[@]}"; do
      IFS='|' read -r name _ <<<"$def"
      selected "$name" || continue
      [[ -n ${RATIOS[$name]:-} ]] || continue
      IFS='|' read -r median geomean atleast <<<"$(ratio_summary "${RATIOS[$name]}")"
      printf '| %s | %s | %s× | %s× | %s |\n' "$name" "${RATIOS[$name]% }" "$median" "$geomean" "$atleast"
    done
  fi
} | tee "$TABLE"
log "table: $TABLE; raw wrk output: $RAW"
