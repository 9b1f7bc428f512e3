#!/usr/bin/env bash
# bench/proxy.sh - compare Portico's HTTP reverse proxy with nginx and HAProxy (http mode) on this
# machine, without a cache and on cache hits.
#
# Layout (as in bench/lb.sh): the proxy under test runs with 1 worker or thread pinned to CPU
# $SERVER_CPU; one nginx backend (1 worker) serving a 1 KiB file shares CPU $CLIENT_CPU with
# wrk -t1. Every proxy keeps its connections to the backend alive. See bench/README.md.
#
#   bench/proxy.sh                                # both scenarios, 10 s a run
#   DURATION=3s WARMUP=3s bench/proxy.sh          # quick look
#   SCENARIOS=nocache bench/proxy.sh              # one scenario
#   TARGETS=haproxy,portico bench/proxy.sh        # some proxies only
#
# Environment (defaults in brackets):
#   DURATION [10s]  WARMUP [30s, the JVM compiles its hot paths meanwhile]  CONNS [50]
#   SCENARIOS [nocache,cache]  TARGETS [haproxy,nginx,portico]
#   SERVER_CPU [0]  CLIENT_CPU [1]
#   BASE_PORT [18380: backend +0, HAProxy +10, nginx +11, nginx with proxy_cache +12, Portico +13,
#              Portico with its cache +14]
#   ROUNDS [1: more rounds alternate the order of the proxies and print each round's ratios and their median]
#   PAIRED [0; 1: per scenario, start every proxy at once, warm each once, then measure them in turns for
#              ROUNDS rounds; the waiting proxies' CPU use is logged and printed]
#   ANCHOR_FORWARDING [on: HAProxy and nginx add X-Forwarded-For, X-Forwarded-Proto, Forwarded and Via
#              as Portico does by default; off measures them bare]
#   PORTICO_BIN [<repo>/bin/portico]  PORTICO_TRANSPORT [auto: Portico's default; epoll, io_uring or nio]  NO_INSTALL=1 to never call apt-get
#   MAX_STEAL [3: a run during which the hypervisor took more than this percent of CPUs SERVER_CPU and
#              CLIENT_CPU is measured again, up to STEAL_RETRIES [3] more times]
#   BENCH_DIR [a new /tmp/portico-proxy-bench.XXXXXX, removed at exit unless KEEP=1]  OUT_DIR [bench/out]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-30s}
CONNS=${CONNS:-50}
SCENARIOS=${SCENARIOS:-nocache,cache}
TARGETS=${TARGETS:-haproxy,nginx,portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18380}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
PORTICO_TRANSPORT=${PORTICO_TRANSPORT:-auto}
ANCHOR_FORWARDING=${ANCHOR_FORWARDING:-on}
ROUNDS=${ROUNDS:-1}
PAIRED=${PAIRED:-0}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
START_TIMEOUT=${START_TIMEOUT:-120}
NOFILE=65536

PORT_BACKEND=$BASE_PORT
PORT_HAPROXY=$((BASE_PORT + 10))
PORT_NGINX=$((BASE_PORT + 11))
PORT_NGINX_CACHE=$((BASE_PORT + 12))
PORT_PORTICO=$((BASE_PORT + 13))
PORT_PORTICO_CACHE=$((BASE_PORT + 14))

PATH_SMALL=/small.html

log()  { printf '%s [proxy.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '%s [proxy.sh] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; WARNINGS+=("$*"); }
die()  { printf '[proxy.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"
WARNINGS=()

# ---------------------------------------------------------------- processes

PIDS=()



cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill_tree "$p"; done
  remove_bench_dir
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

cpu_ticks() {     # PID -> "utime stime" (clock ticks) of the process tree
  local u=0 s=0 p v
  for p in $(descendants "$1"); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12, $13}' || true)
    [[ -n $v ]] || continue
    u=$((u + ${v% *})) s=$((s + ${v#* }))
  done
  echo "$u $s"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # PID PORT NAME LOGFILE -> 1 when the process exits or never answers
  local pid=$1 port=$2 name=$3 logf=$4 start=$SECONDS
  while ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port$PATH_SMALL"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$logf" >&2
      log "$name exited before answering on port $port"
      return 1
    fi
    if ((SECONDS - start >= START_TIMEOUT)); then
      tail -n 30 "$logf" >&2
      log "$name did not answer on port $port within $START_TIMEOUT s"
      return 1
    fi
    sleep 0.2
  done
  log "$name answers on 127.0.0.1:$port (pid $pid)"
}

# ---------------------------------------------------------------- setup

ensure_tools() {
  ensure_packages haproxy:haproxy nginx:nginx-light wrk:wrk curl:curl taskset:util-linux
}

make_files() {
  mkdir -p "$WWW" "$RUN" "$LOGS"
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/small.html"
  # nginx's workers run as an unprivileged user: the folder from mktemp is 0700.
  chmod 755 "$BENCH_DIR" "$WWW"
  chmod 644 "$WWW"/*
}

check_serves() {  # PORT NAME [cache]: the file comes back whole with a 200 (a hit for "cache")
  local port=$1 name=$2 mode=${3:-} got hdr
  got=$(curl -s --max-time 10 -o "$RUN/check.out" -w '%{http_code} %{size_download}' "http://127.0.0.1:$port$PATH_SMALL") || true
  if [[ $got != "200 1024" ]] || ! cmp -s "$RUN/check.out" "$WWW/small.html"; then
    warn "$name answered $PATH_SMALL with '$got' (status, bytes) or a different body, not the 1 KiB file"
    return 1
  fi
  if [[ $mode == cache ]]; then
    hdr=$(curl -s --max-time 10 -o /dev/null -D - "http://127.0.0.1:$port$PATH_SMALL" | tr -d '\r' |
      awk -F': ' 'tolower($1) == "x-cache" || tolower($1) == "x-cache-status" {print $2}')
    [[ $hdr == HIT* ]] || warn "$name: the second request was not a cache hit (X-Cache: '${hdr:-none}')"
  fi
}

# The backend and nginx as a proxy share these http-level settings (the anchor's, as in lb.sh).
nginx_common() {  # NAME
  cat <<EOF
pid $RUN/nginx-$1.pid;
error_log $LOGS/nginx-$1.error.log warn;
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
    client_body_temp_path $RUN/$1-body;
    proxy_temp_path $RUN/$1-proxy;
    fastcgi_temp_path $RUN/$1-fcgi;
    uwsgi_temp_path $RUN/$1-uwsgi;
    scgi_temp_path $RUN/$1-scgi;
EOF
}

start_nginx() {   # NAME CPU CONF -> SERVER_PID, returns 1 when it does not answer
  local name=$1 cpu=$2 conf=$3 port
  port=$(awk '/listen/ {sub(/.*:/, "", $2); print $2 + 0; exit}' "$conf")
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  nginx -t -q -c "$conf" -e "$LOGS/nginx-$name.error.log" || die "nginx rejected $conf"
  taskset -c "$cpu" nginx -c "$conf" -e "$LOGS/nginx-$name.error.log" >"$LOGS/nginx-$name.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$port" "nginx ($name)" "$LOGS/nginx-$name.error.log"
}

start_backend() {
  local conf=$RUN/nginx-backend.conf
  {
    echo "# Generated by bench/proxy.sh: the backend every proxy forwards to."
    nginx_common backend
    cat <<EOF
    server {
        listen 127.0.0.1:$PORT_BACKEND reuseport backlog=4096;
        root $WWW;
        location / { }
    }
}
EOF
  } >"$conf"
  start_nginx backend "$CLIENT_CPU" "$conf" || die "the backend nginx did not start"
  check_serves "$PORT_BACKEND" backend || die "the backend does not serve the file"
}

start_target() {  # TARGET -> SERVER_PID, PORT; returns 1 when the target is skipped
  case $1 in
    haproxy) start_haproxy ;;
    nginx) start_nginx_proxy nginx "$PORT_NGINX" off ;;
    nginx-cache) start_nginx_proxy nginx-cache "$PORT_NGINX_CACHE" on ;;
    portico) start_portico portico "$PORT_PORTICO" off ;;
    portico-cache) start_portico portico-cache "$PORT_PORTICO_CACHE" on ;;
  esac
}

start_haproxy() {
  local conf=$RUN/haproxy.cfg
  PORT=$PORT_HAPROXY
  port_busy "$PORT" && die "port $PORT is in use (set BASE_PORT)"
  cat >"$conf" <<EOF
# Generated by bench/proxy.sh: http mode, one thread, server connections kept alive and reused.
global
    nbthread 1
    # Each connection takes two descriptors; maxconn must fit under the descriptor limit.
    maxconn $(( ($(ulimit -n) - 200) / 2 ))
    log stderr format short local0 notice
defaults
    mode http
    log global
    option dontlognull
    option http-keep-alive
    http-reuse safe
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
frontend fe
    bind 127.0.0.1:$PORT
    default_backend origin
backend origin
    server o1 127.0.0.1:$PORT_BACKEND
EOF
  [[ $ANCHOR_FORWARDING == on ]] && cat >>"$conf" <<EOF
    # The forwarding fields Portico adds by default (ANCHOR_FORWARDING=on), so every proxy sends
    # the backend the same request and the client the same response fields.
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    http-request add-header Forwarded "for=%[src];proto=http;host=\"%[req.hdr(host)]\""
    http-request add-header Via "1.1 haproxy"
    http-response add-header Via "1.1 haproxy"
EOF
  haproxy -c -q -f "$conf" || die "haproxy rejected $conf"
  taskset -c "$SERVER_CPU" haproxy -db -f "$conf" >"$LOGS/haproxy.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$PORT" haproxy "$LOGS/haproxy.log"
}

start_nginx_proxy() { # NAME PORT CACHE(on|off)
  local name=$1 cache=$3 conf=$RUN/nginx-$1.conf
  PORT=$2
  {
    echo "# Generated by bench/proxy.sh: nginx as a reverse proxy with upstream keep-alive (cache $cache)."
    nginx_common "$name"
    cat <<EOF
    upstream origin {
        server 127.0.0.1:$PORT_BACKEND;
        keepalive 64;
    }
EOF
    [[ $cache == on ]] && cat <<EOF
    proxy_cache_path $RUN/nginx-cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=1h use_temp_path=off;
EOF
    cat <<EOF
    server {
        listen 127.0.0.1:$PORT reuseport backlog=4096;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
EOF
    [[ $ANCHOR_FORWARDING == on ]] && cat <<EOF
            # The forwarding fields Portico adds by default (ANCHOR_FORWARDING=on).
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header Forwarded "for=\$remote_addr;proto=\$scheme;host=\\"\$http_host\\"";
            proxy_set_header Via "1.1 nginx";
            add_header Via "1.1 nginx";
EOF
    [[ $cache == on ]] && cat <<EOF
            proxy_cache bench;
            proxy_cache_valid 200 1h;
            add_header X-Cache-Status \$upstream_cache_status;
EOF
    cat <<EOF
        }
    }
}
EOF
  } >"$conf"
  start_nginx "$name" "$SERVER_CPU" "$conf"
}

PORTICO_READY=
portico_ready() { # builds Portico once, unpinned, before anything is measured
  if [[ -z $PORTICO_READY ]]; then
    PORTICO_READY=no
    if [[ ! -x $PORTICO_BIN ]]; then
      warn "Portico launcher $PORTICO_BIN not found: Portico skipped"
    else
      log "building Portico if needed: $PORTICO_BIN --version (unpinned)"
      if (cd "$REPO_ROOT" && timeout 900 "$PORTICO_BIN" --version) >"$LOGS/portico-build.out" 2>&1; then
        PORTICO_READY=yes
        log "portico: $(tail -n 1 "$LOGS/portico-build.out")"
      else
        warn "'$PORTICO_BIN --version' failed: Portico skipped (log: $LOGS/portico-build.out)"
        tail -n 20 "$LOGS/portico-build.out" >&2
      fi
    fi
  fi
  [[ $PORTICO_READY == yes ]] || { log "Portico is not available: skipped"; return 1; }
}

start_portico() { # NAME PORT CACHE(on|off)
  local name=$1 cache=$3 conf=$RUN/$1.yaml logf=$LOGS/$1.log
  PORT=$2
  portico_ready || return 1
  port_busy "$PORT" && die "port $PORT is in use (set BASE_PORT)"
  {
    cat <<EOF
# Generated by bench/proxy.sh: one event loop, no admin endpoint, the proxy with cache $cache.
workers: 1
transport: $PORTICO_TRANSPORT
admin: off
log_level: warn
services:
  proxy:
    type: proxy
    listen: [127.0.0.1:$PORT]
    pools:
      "*": {backends: [127.0.0.1:$PORT_BACKEND]}
EOF
    [[ $cache == on ]] && cat <<EOF
    cache:
      memory_size: 64m
      default_ttl: {"*": 1h}
EOF
  } >"$conf"
  if ! (cd "$REPO_ROOT" && "$PORTICO_BIN" check -c "$conf") >"$LOGS/$name.check" 2>&1; then
    warn "Portico refuses $conf ($(head -n 1 "$LOGS/$name.check")): $name skipped$([[ $cache == on ]] && echo "; its cache config has not landed yet?")"
    return 1
  fi
  log "starting: taskset -c $SERVER_CPU bin/portico serve -c $conf"
  (cd "$REPO_ROOT" && exec taskset -c "$SERVER_CPU" "$PORTICO_BIN" serve -c "$conf") >"$logf" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$PORT" "$name" "$logf"
}

# ---------------------------------------------------------------- measuring

run_wrk() {       # PORT DURATION -> wrk output on stdout
  taskset -c "$CLIENT_CPU" wrk -t1 "-c$CONNS" "-d$2" --latency --timeout 10s "http://127.0.0.1:$1$PATH_SMALL"
}

declare -A RPS P99 CPU COST STEAL HIGH_STEAL
proxy_run() {     # one measured run of measure_run(), in its variables
  if [[ -n $IDLE_PIDS ]]; then i0=$(idle_ticks); fi
  c0=$(cpu_ticks "$pid")
  t0=$(date +%s.%N)
  out=$(run_wrk "$port" "$DURATION" 2>&1) || true
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$pid")
  if [[ -n $IDLE_PIDS ]]; then i1=$(idle_ticks); fi
}

idle_ticks() {    # -> "utime stime" summed over the waiting proxies of paired mode
  local p u=0 s=0 v
  for p in $IDLE_PIDS; do
    v=$(cpu_ticks "$p")
    u=$((u + ${v% *})) s=$((s + ${v#* }))
  done
  echo "$u $s"
}

warm() {          # TARGET PORT: the warm-up run, not measured
  if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
    log "$1: warming up for $WARMUP"
    run_wrk "$2" "$WARMUP" >/dev/null 2>&1 || true
  fi
}

measure_run() {   # TARGET SCENARIO PORT PID: one measured run (again while the steal is high)
  local target=$1 scenario=$2 port=$3 pid=$4 out c0 c1 t0 t1 i0 i1 errs steal idle=""
  with_low_steal "$target ($scenario)" proxy_run
  steal=$STEAL_LAST
  HIGH_STEAL[$target]=$(steal_too_high "$steal" && echo 1 || echo 0)
  printf '==== %s %s: wrk -t1 -c%s -d%s :%s%s\n%s\n' "$target" "$scenario" "$CONNS" "$DURATION" "$port" "$PATH_SMALL" "$out" >>"$RAW"
  RPS[$target]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  P99[$target]=$(awk '$1 == "99%" {print $2; exit}' <<<"$out")
  errs=$(awk '/Socket errors:/ {gsub(/,/, ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {s += $5} END {print s + 0}' <<<"$out")
  ((errs == 0)) || warn "$target ($scenario): $errs socket errors or non-2xx responses"
  CPU[$target]=$(awk -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" \
    'BEGIN {split(c0, x, " "); split(c1, y, " "); printf "%.0f%%", 100 * (y[1] + y[2] - x[1] - x[2]) / hz / (b - a)}')
  # CPU time per request: a busy client CPU moves the throughput of a run more than this.
  COST[$target]=$(awk -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" -v n="$(awk '/requests in/ {print $1}' <<<"$out")" \
    'BEGIN {split(c0, x, " "); split(c1, y, " "); if (n <= 0) {print "?"; exit}
            printf "%.1f/%.1f µs", 1e6 * (y[1] - x[1]) / hz / n, 1e6 * (y[2] - x[2]) / hz / n}')
  STEAL[$target]=$steal
  if [[ -n $IDLE_PIDS ]]; then
    # In paired mode the other proxies wait on the same CPU; what they used meanwhile is shown.
    idle=$(awk -v c0="$i0" -v c1="$i1" -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" \
      'BEGIN {split(c0, x, " "); split(c1, y, " "); printf "%.1f", 100 * (y[1] + y[2] - x[1] - x[2]) / hz / (b - a)}')
    IDLE_MAX=$(awk -v a="$idle" -v b="${IDLE_MAX:-0}" 'BEGIN {print (a > b) ? a : b}')
    idle=", the waiting proxies ${idle}% CPU meanwhile"
  fi
  log "$target ($scenario): ${RPS[$target]:-?} rps, p99 ${P99[$target]:-?}, proxy CPU ${CPU[$target]}, user/sys ${COST[$target]} per request, steal ${steal}%, errors $errs$idle"
}

measure() {       # TARGET SCENARIO PORT PID: warm-up, then one measured run
  warm "$1" "$3"
  measure_run "$@"
}

bench_target() {  # TARGET SCENARIO
  local target=$1 scenario=$2 pid mode=
  [[ $scenario == cache ]] && mode=cache
  log "=== $target ($scenario)"
  SERVER_PID=
  if ! start_target "$target"; then
    # The start functions say why when they skip; a process that never answered is said here.
    if [[ -n $SERVER_PID ]]; then
      warn "$target did not answer: not measured (logs in $LOGS)"
      kill_tree "$SERVER_PID"
    fi
    SERVER_PID=
    return 0
  fi
  pid=$SERVER_PID
  if check_serves "$PORT" "$target" $mode; then
    measure "$target" "$scenario" "$PORT" "$pid"
  else
    warn "$target not measured"
  fi
  kill_tree "$pid"
  SERVER_PID=
}

# Paired mode: for each scenario, every proxy of that scenario is started at once (Portico first,
# so its compiler threads are done before the others are measured) and warmed once; then each round
# measures them in turns, the order alternating, so the runs being compared are close in time.
paired() {
  local scenario targets t order round kept pid
  declare -A PID_OF PORT_OF
  for scenario in nocache cache; do
    selected "$scenario" || continue
    targets="portico nginx haproxy"
    [[ $scenario == cache ]] && targets="portico-cache nginx-cache"
    kept=""
    for t in $targets; do
      wants "${t%-cache}" || continue
      log "=== starting $t ($scenario)"
      SERVER_PID=
      if ! start_target "$t"; then
        [[ -n $SERVER_PID ]] && { warn "$t did not answer: not measured (logs in $LOGS)"; kill_tree "$SERVER_PID"; }
        continue
      fi
      if check_serves "$PORT" "$t" "$([[ $scenario == cache ]] && echo cache)"; then
        PID_OF[$t]=$SERVER_PID PORT_OF[$t]=$PORT kept+=" $t"
      else
        warn "$t not measured"
        kill_tree "$SERVER_PID"
      fi
    done
    for t in $kept; do warm "$t" "${PORT_OF[$t]}"; done
    for ((round = 1; round <= ROUNDS; round++)); do
      RPS=()
      order=$(tr ' ' '\n' <<<"$kept" | grep . | tac | tr '\n' ' ')   # Portico last in odd rounds, first in even ones
      ((round % 2 == 0)) && order=$kept
      for t in $order; do
        IDLE_PIDS=""
        for pid in $kept; do [[ $pid == "$t" ]] || IDLE_PIDS+=" ${PID_OF[$pid]}"; done
        measure_run "$t" "$scenario" "${PORT_OF[$t]}" "${PID_OF[$t]}"
      done
      IDLE_PIDS=""
      if [[ $scenario == nocache ]]; then
        add_ratio "no cache, Portico / HAProxy" portico haproxy
        add_ratio "no cache, Portico / nginx" portico nginx
      else
        add_ratio "cache hits, Portico / nginx" portico-cache nginx-cache
      fi
      ((ROUNDS > 1)) && log "$scenario round $round of $ROUNDS done: $(for k in "${RATIO_KEYS[@]}"; do printf '%s [%s] ' "$k" "${RATIOS[$k]% }"; done)"
    done
    # The last round's figures stay for the table.
    for t in $kept; do
      [[ $scenario == nocache ]] && LAST_NOCACHE[$t]=${RPS[$t]:-} || LAST_CACHE[$t]=${RPS[$t]:-}
      kill_tree "${PID_OF[$t]}"
    done
  done
  for t in "${!LAST_NOCACHE[@]}"; do RPS[$t]=${LAST_NOCACHE[$t]}; done
}
declare -A LAST_NOCACHE LAST_CACHE
IDLE_PIDS=""
IDLE_MAX=""

wants() { [[ ,$TARGETS, == *,$1,* ]]; }
selected() { [[ ,$SCENARIOS, == *,$1,* ]]; }

ratio() {         # A B -> A/B as "1.23×", or "-"
  if [[ -n $1 && -n $2 && $2 != 0 ]]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; else echo "-"; fi
}

cell() {          # TARGET -> "rps (p99, CPU, user/sys per request, steal)"
  if [[ -n ${RPS[$1]:-} ]]; then
    echo "${RPS[$1]} (${P99[$1]:-?}, ${CPU[$1]}, ${COST[$1]:-?}, steal ${STEAL[$1]:-?}%)"
  else
    echo "-"
  fi
}

declare -A RATIOS
RATIO_KEYS=()
add_ratio() {     # LABEL A B: appends A/B of this round to RATIOS[LABEL]
  local label=$1 a=${RPS[$2]:-} b=${RPS[$3]:-}
  [[ -n $a && -n $b && $b != 0 ]] || return 0
  [[ -n ${RATIOS[$label]:-} ]] || RATIO_KEYS+=("$label")
  RATIOS[$label]+=$(ratio_entry "$a" "$b" "$((${HIGH_STEAL[$2]:-0} | ${HIGH_STEAL[$3]:-0}))")
}

report() {
  local w k median geomean atleast
  {
    echo "HTTP reverse proxies in front of one nginx backend serving 1 KiB; proxy on CPU $SERVER_CPU (1 thread/worker),"
    echo "backend and wrk -t1 -c$CONNS on CPU $CLIENT_CPU; $DURATION a run after a $WARMUP warm-up; $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r)."
    echo "$(nginx -v 2>&1 | sed 's/^nginx version: //'), haproxy $(haproxy -v 2>/dev/null | head -n 1 | awk '{print $3}'),"\
      "portico $(git -C "$REPO_ROOT" log -1 --format='%h' 2>/dev/null || echo '?') (transport $PORTICO_TRANSPORT). Cells: rps (p99, the proxy's CPU use, its user/sys CPU time per request, the hypervisor's steal of CPUs $SERVER_CPU and $CLIENT_CPU)."
    echo "Anchors add Portico's forwarding fields (X-Forwarded-For, X-Forwarded-Proto, Forwarded, Via): $ANCHOR_FORWARDING."
    if [[ $PAIRED == 1 ]]; then
      echo "Paired: per scenario every proxy was up at once, warmed once, then measured in turns; while one was measured the"
      echo "others used at most ${IDLE_MAX:-0}% of a CPU together."
    fi
    echo
    if selected nocache; then
      echo "| no cache | HAProxy (http mode) | nginx (proxy_pass, keepalive) | Portico | Portico / HAProxy (goal ≥ 1.0) | Portico / nginx |"
      echo "|---|---|---|---|---|---|"
      echo "| 1 KiB, keep-alive | $(cell haproxy) | $(cell nginx) | $(cell portico) | $(ratio "${RPS[portico]:-}" "${RPS[haproxy]:-}") | $(ratio "${RPS[portico]:-}" "${RPS[nginx]:-}") |"
      echo
    fi
    if selected cache; then
      echo "| cache hits | nginx (proxy_cache) | Portico (cache) | Portico / nginx (goal ≥ 1.0) |"
      echo "|---|---|---|---|"
      echo "| 1 KiB, keep-alive | $(cell nginx-cache) | $(cell portico-cache) | $(ratio "${RPS[portico-cache]:-}" "${RPS[nginx-cache]:-}") |"
      echo
    fi
    if ((ROUNDS > 1)); then
      echo "The tables show the last round. Each round's ratio ($ROUNDS rounds; odd rounds HAProxy, nginx, Portico; even rounds the reverse;"
      echo "a ratio in parentheses had a run that kept more than MAX_STEAL=$MAX_STEAL% steal after its retries and is left out of the summary):"
      echo
      echo "| ratio | per round | median | geometric mean | rounds ≥ 1.0 |"
      echo "|---|---|---:|---:|---:|"
      for k in "${RATIO_KEYS[@]}"; do
        IFS='|' read -r median geomean atleast <<<"$(ratio_summary "${RATIOS[$k]}")"
        echo "| $k | ${RATIOS[$k]% } | ${median}× | ${geomean}× | $atleast |"
      done
      echo
    fi
    if ((${#WARNINGS[@]})); then
      echo "Warnings:"
      for w in "${WARNINGS[@]}"; do echo "- $w"; done
    fi
  } | tee "$TABLE"
  log "table: $TABLE; raw wrk output: $RAW; logs and configs: $BENCH_DIR"
}

# ---------------------------------------------------------------- main

main() {
  [[ $(nproc --all) -ge 2 ]] || die "needs 2 CPUs"
  ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  ensure_tools
  if [[ -z ${BENCH_DIR:-} ]]; then
    BENCH_DIR=$(mktemp -d /tmp/portico-proxy-bench.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  WWW=$BENCH_DIR/www
  RUN=$BENCH_DIR/run
  LOGS=$BENCH_DIR/logs
  make_files
  mkdir -p "$OUT_DIR"
  STAMP=$(date +%Y%m%d-%H%M%S)
  RAW=$OUT_DIR/proxy-$STAMP.log
  TABLE=$OUT_DIR/proxy-$STAMP.md
  local busy
  busy=$(awk '{print $1}' /proc/loadavg)
  awk -v l="$busy" 'BEGIN {exit !(l > 0.5)}' &&
    log "note: load average is $busy; other work on the machine disturbs the figures"

  # Build before anything is pinned or measured.
  if wants portico; then portico_ready || true; fi
  start_backend

  local round order t
  if [[ $PAIRED == 1 ]]; then
    paired
    report
    return
  fi
  for ((round = 1; round <= ROUNDS; round++)); do
    # Rounds alternate the order, so a drift of the machine does not favour one proxy.
    RPS=()
    order="haproxy nginx portico"
    ((round % 2 == 0)) && order="portico nginx haproxy"
    if selected nocache; then
      for t in $order; do
        if wants "$t"; then bench_target "$t" nocache; fi
      done
    fi
    if selected cache; then
      for t in $order; do
        if [[ $t != haproxy ]] && wants "$t"; then bench_target "$t-cache" cache; fi
      done
    fi
    add_ratio "no cache, Portico / HAProxy" portico haproxy
    add_ratio "no cache, Portico / nginx" portico nginx
    add_ratio "cache hits, Portico / nginx" portico-cache nginx-cache
    ((ROUNDS > 1)) && log "round $round of $ROUNDS done: $(for k in "${RATIO_KEYS[@]}"; do printf '%s [%s] ' "$k" "${RATIOS[$k]% }"; done)"
  done
  report
}

main "$@"
