#!/usr/bin/env bash
# bench/web.sh - compare Portico's static web server with nginx on this machine.
#
# Layout: the server under test is pinned to CPU $SERVER_CPU (1 worker), wrk -t1 to
# CPU $CLIENT_CPU, loopback only. See bench/README.md for the scenarios and the fairness notes.
#
#   bench/web.sh                                 # everything, 10 s a run
#   DURATION=3s WARMUP=1s bench/web.sh           # quick
#   TARGETS=nginx bench/web.sh                   # nginx only (also: PORTICO=skip)
#   SCENARIOS=small-c50,gzip-c50,rss bench/web.sh
#
# Environment (defaults in brackets):
#   DURATION [10s]  WARMUP [10s, the JVM compiles its hot paths meanwhile]  RUNS [1, the median run by rps is reported]
#   SCENARIOS [all]: comma list of small-c50 small-c256 medium-c50 large-c50 404-c50
#                    pipeline8-c50 gzip-c50 gzip-static-c50 rss  (a prefix works: SCENARIOS=small)
#   TARGETS [nginx,portico]   PORTICO=skip is the same as TARGETS=nginx
#   SERVER_CPU [0]  CLIENT_CPU [1]  BASE_PORT [18080]  RSS_CONNS [10000]  RSS_HOLD [3]
#   PORTICO_BIN [<repo>/bin/portico]  PORTICO_ARGS [--admin=off]  PORTICO_GZIP_ARGS [--gzip]
#   PORTICO_START_TIMEOUT [900, the launcher may build on first use]
#   BENCH_DIR [a new /tmp/portico-web-bench.XXXXXX, removed at exit unless KEEP=1]
#   OUT_DIR [<repo>/bench/out]  WRK_TIMEOUT [10s]  NO_INSTALL=1 to never call apt-get
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LIB=$SCRIPT_DIR/lib

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
RUNS=${RUNS:-1}
SCENARIOS=${SCENARIOS:-all}
TARGETS=${TARGETS:-nginx,portico}
[[ ${PORTICO:-} == skip ]] && TARGETS=nginx
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18080}
RSS_CONNS=${RSS_CONNS:-10000}
RSS_HOLD=${RSS_HOLD:-3}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
# The admin endpoint (default 127.0.0.1:9090) is off so that it cannot clash with anything else.
PORTICO_ARGS=${PORTICO_ARGS---admin=off}
PORTICO_GZIP_ARGS=${PORTICO_GZIP_ARGS---gzip}
PORTICO_START_TIMEOUT=${PORTICO_START_TIMEOUT:-900}
START_TIMEOUT=${START_TIMEOUT:-30}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
# wrk's default 2 s timeout drops slow responses from the latency figures and counts them as
# errors; 10 MiB responses over 50 connections can take longer than that on a busy machine.
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
PYTHON=${PYTHON:-python3}

# name | path | connections | mode (plain, pipeline, gzip) | expected status | nginx runs sendfile on and off
ALL_SCENARIOS=(
  "small-c50|/small.html|50|plain|200|both"
  "small-c256|/small.html|256|plain|200|both"
  "medium-c50|/medium.bin|50|plain|200|on"
  "large-c50|/large.bin|50|plain|200|on"
  "404-c50|/missing|50|plain|404|on"
  "pipeline8-c50|/small.html|50|pipeline|200|both"
  "gzip-c50|/small.html|50|gzip|200|on"
  "gzip-static-c50|/pre/small.html|50|gzip|200|on"
)
PIPELINE_DEPTH=8

PORT_NGINX=$BASE_PORT               # sendfile on
PORT_NGINX_GZ=$((BASE_PORT + 1))    # sendfile on, gzip on
PORT_NGINX_OFF=$((BASE_PORT + 2))   # sendfile off
PORT_PORTICO=$((BASE_PORT + 10))
PORT_PORTICO_GZ=$((BASE_PORT + 11))

log()  { printf '%s [web.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '%s [web.sh] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; WARNINGS+=("$*"); }
die()  { printf '[web.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"
WARNINGS=()

# ---------------------------------------------------------------- process handling

SERVER_PIDS=()
HELPER_PIDS=()



cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${HELPER_PIDS[@]}" "${SERVER_PIDS[@]}"; do kill_tree "$p"; done
  remove_bench_dir
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM



wait_for_port() { # PID PORT TIMEOUT_S NAME LOGFILE
  local pid=$1 port=$2 timeout=$3 name=$4 logf=$5 start=$SECONDS
  while ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/small.html"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited before answering on port $port; last lines of $logf:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    if ((SECONDS - start > timeout)); then
      log "$name did not answer on port $port within ${timeout}s; last lines of $logf:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "$name answers on 127.0.0.1:$port (pid $pid, after $((SECONDS - start))s)"
}

# ---------------------------------------------------------------- setup

ensure_tools() {
  ensure_packages nginx:nginx-light wrk:wrk curl:curl taskset:util-linux ss:iproute2 "$PYTHON:python3"
  # If some earlier install started the system service, it is not ours: just say so.
  if pgrep -x nginx >/dev/null 2>&1 && ! port_busy "$PORT_NGINX"; then
    log "note: an nginx not started by this script is running (left alone)"
  fi
}

check_cpus() {
  local n
  n=$(nproc --all)
  ((n >= 2)) || die "needs 2 CPUs (server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU); this machine has $n"
  taskset -c "$SERVER_CPU" true && taskset -c "$CLIENT_CPU" true ||
    die "cannot pin to CPUs $SERVER_CPU and $CLIENT_CPU"
}

raise_nofile() {
  local hard want=$((RSS_CONNS + 1000))
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited ]] && ((hard < want)); then
    ulimit -Hn "$want" 2>/dev/null || true
    hard=$(ulimit -Hn)
  fi
  ulimit -n "$hard" 2>/dev/null || true
  NOFILE=$(ulimit -n)
  if [[ $NOFILE != unlimited ]] && ((NOFILE < want)); then
    warn "open-files limit is $NOFILE; the RSS test needs about $want: using RSS_CONNS=$((NOFILE - 1000))"
    RSS_CONNS=$((NOFILE - 1000))
  fi
  [[ $NOFILE == unlimited ]] && NOFILE=1048576
  if ((NOFILE > 1048576)); then NOFILE=1048576; fi
}

make_www() {
  mkdir -p "$WWW" "$RUN" "$LOGS"
  # nginx's worker runs as an unprivileged user (www-data or nobody): the files, and every
  # folder above them (mktemp -d makes 0700 ones), must be readable by it.
  chmod 755 "$BENCH_DIR" "$WWW"
  # 1 KiB of random text (base64 of random bytes), 100 KiB and 10 MiB of random bytes
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/small.html"
  head -c $((100 * 1024)) /dev/urandom >"$WWW/medium.bin"
  head -c $((10 * 1024 * 1024)) /dev/urandom >"$WWW/large.bin"
  # pre/small.html with a precompressed sibling: nginx's gzip_static, Portico's precompressed siblings
  mkdir -p "$WWW/pre"
  cp "$WWW/small.html" "$WWW/pre/small.html"
  gzip -9 -n -c "$WWW/pre/small.html" >"$WWW/pre/small.html.gz"
  chmod 755 "$WWW/pre"
  chmod 644 "$WWW"/*.* "$WWW"/pre/*
  local d=$WWW
  while [[ $d != / ]]; do
    (((8#$(stat -c %a "$d") & 5) == 5)) || die "$d is not world-readable; nginx's worker could not serve from $WWW (set BENCH_DIR elsewhere)"
    d=$(dirname "$d")
  done
  [[ $(stat -c %s "$WWW/small.html") == 1024 ]] || die "small.html is not 1024 bytes"
}

selected() {      # scenario name -> 0 when SCENARIOS selects it
  local name=$1 s
  [[ $SCENARIOS == all ]] && return 0
  IFS=',' read -ra _sel <<<"$SCENARIOS"
  for s in "${_sel[@]}"; do
    s=${s// /}
    [[ -n $s && $name == "$s"* ]] && return 0
  done
  return 1
}

any_selected_mode() { # MODE -> 0 when a selected scenario uses it
  local def name mode
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name _ _ mode _ <<<"$def"
    [[ $mode == "$1" ]] && selected "$name" && return 0
  done
  return 1
}

# ---------------------------------------------------------------- servers

nginx_conf() {    # SENDFILE(on|off) PORT GZPORT -> path of the config
  local sf=$1 port=$2 gzport=$3 conf=$RUN/nginx-sendfile-$1.conf
  cat >"$conf" <<EOF
# Generated by bench/web.sh: the anchor config (shared/reference/anchor-bench.md), sendfile $sf.
# worker_processes and daemon are passed with -g.
pid $RUN/nginx-sendfile-$sf.pid;
error_log $LOGS/nginx-sendfile-$sf.error.log warn;
worker_rlimit_nofile $NOFILE;
# The anchor used 8192. The idle-connections RSS test holds $RSS_CONNS, and nginx starts closing
# idle keep-alive connections once fewer than 1/16 of worker_connections are free: leave room.
events { worker_connections $((RSS_CONNS + RSS_CONNS / 8 + 256)); multi_accept off; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    log_not_found off;
    sendfile $sf;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    server_tokens off;
    client_body_temp_path $RUN/nginx-$sf-body;
    proxy_temp_path $RUN/nginx-$sf-proxy;
    fastcgi_temp_path $RUN/nginx-$sf-fcgi;
    uwsgi_temp_path $RUN/nginx-$sf-uwsgi;
    scgi_temp_path $RUN/nginx-$sf-scgi;

    # plain HTTP/1.1
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        root $WWW;
        location / { }
    }
    # same content with gzip on (only applies when the client sends Accept-Encoding: gzip)
    server {
        listen 127.0.0.1:$gzport backlog=4096;
        root $WWW;
        gzip on;
        gzip_comp_level 1;          # nginx default
        gzip_min_length 20;         # nginx default
        gzip_types text/plain;      # text/html is always included
        location / { }
        location /pre/ { gzip_static on; }   # serves small.html.gz as is
    }
}
EOF
  echo "$conf"
}

start_nginx() {   # SENDFILE PORT GZPORT -> sets SERVER_PID
  local sf=$1 port=$2 gzport=$3 conf logf=$LOGS/nginx-sendfile-$1.out
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  port_busy "$gzport" && die "port $gzport is in use (set BASE_PORT)"
  conf=$(nginx_conf "$sf" "$port" "$gzport")
  nginx -t -q -e "$LOGS/nginx-sendfile-$sf.error.log" -p "$RUN" -c "$conf" -g 'daemon off; worker_processes 1;' ||
    die "nginx rejected $conf"
  log "starting nginx (1 worker, sendfile $sf) on CPU $SERVER_CPU, ports $port and $gzport (gzip)"
  taskset -c "$SERVER_CPU" nginx -e "$LOGS/nginx-sendfile-$sf.error.log" -p "$RUN" -c "$conf" \
    -g 'daemon off; worker_processes 1;' >"$logf" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$port" "$START_TIMEOUT" "nginx" "$LOGS/nginx-sendfile-$sf.error.log" ||
    die "nginx did not start"
}

start_portico() { # PORT LABEL EXTRA_ARGS... -> sets SERVER_PID, returns 1 when it does not answer
  local port=$1 label=$2 logf
  shift 2
  logf=$LOGS/portico-$label.log
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  # shellcheck disable=SC2086
  log "starting: taskset -c $SERVER_CPU bin/portico web $WWW --listen 127.0.0.1:$port --workers 1 $PORTICO_ARGS $*"
  # shellcheck disable=SC2086
  (cd "$REPO_ROOT" && exec taskset -c "$SERVER_CPU" "$PORTICO_BIN" web "$WWW" \
    --listen "127.0.0.1:$port" --workers 1 $PORTICO_ARGS "$@") >"$logf" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$port" "$PORTICO_START_TIMEOUT" "portico ($label)" "$logf"
}

stop_server() {   # PID
  kill_tree "$1"
  local p keep=()
  for p in "${SERVER_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  SERVER_PIDS=("${keep[@]}")
}

sanity_check() {  # NAME PORT [--gzip]
  local name=$1 port=$2 out
  shift 2
  out=$LOGS/check-$name-$port.txt
  if "$PYTHON" "$LIB/http_check.py" 127.0.0.1 "$port" "$WWW" "$@" >"$out" 2>&1; then
    log "checks passed for $name on port $port"
  else
    local line
    while IFS= read -r line; do
      warn "$name (port $port) check: $line"
    done < <(grep -v '^ok' "$out")
  fi
  sed "s|^|    |" "$out" >>"$RAWLOG"
}

# ---------------------------------------------------------------- measuring

to_seconds() {    # 10s, 2m, 500ms, 10 -> seconds (float)
  awk -v d="$1" 'BEGIN {
    if (d ~ /ms$/) { sub(/ms$/, "", d); print d / 1000 }
    else if (d ~ /s$/) { sub(/s$/, "", d); print d + 0 }
    else if (d ~ /m$/) { sub(/m$/, "", d); print d * 60 }
    else if (d ~ /h$/) { sub(/h$/, "", d); print d * 3600 }
    else print d + 0 }'
}

wrk_cmd() {       # PORT PATH CONNS MODE DURATION -> runs wrk, output on stdout
  local port=$1 path=$2 conns=$3 mode=$4 dur=$5
  local args=(-t1 "-c$conns" "-d$dur" --latency --timeout "$WRK_TIMEOUT")
  case $mode in
    pipeline) args+=(-s "$LIB/pipeline.lua") ;;
    gzip) args+=(-H 'Accept-Encoding: gzip') ;;
  esac
  args+=("http://127.0.0.1:$port$path")
  [[ $mode == pipeline ]] && args+=(-- "$PIPELINE_DEPTH")
  taskset -c "$CLIENT_CPU" wrk "${args[@]}"
}

web_run() {       # one measured run of measure(), in its variables
  c0=$(cpu_ticks "$pid")
  t0=$(date +%s.%N)
  out=$(wrk_cmd "$port" "$path" "$conns" "$mode" "$DURATION" 2>&1) || true
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$pid")
}

# One measurement: warm-up, then RUNS runs; keeps the median run by rps.
# Sets RES="rps|transfer|p99|requests|non2xx|sockerr|cpu%"
measure() {       # PID PORT PATH CONNS MODE EXPECT LABEL
  local pid=$1 port=$2 path=$3 conns=$4 mode=$5 expect=$6 label=$7
  local i out t0 t1 c0 c1 rows=() rps xfer p99 reqs non2xx sockerr cpu secs
  local tck
  tck=$(getconf CLK_TCK)
  if [[ $(to_seconds "$WARMUP") != 0 ]]; then
    log "  $label: warm-up $WARMUP"
    wrk_cmd "$port" "$path" "$conns" "$mode" "$WARMUP" >/dev/null 2>&1 || true
  fi
  for ((i = 1; i <= RUNS; i++)); do
    with_low_steal "  $label run $i" web_run
    {
      echo "### $label run $i: wrk -t1 -c$conns -d$DURATION --latency ($mode) :$port$path"
      echo "$out" | sed 's/^/    /'
    } >>"$RAWLOG"
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    xfer=$(awk '/^Transfer\/sec:/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2; exit}' <<<"$out")
    # wrk 4.1 sometimes prints 99% as 0.00us with a pipelining script (a wrk quirk): not a figure
    [[ $p99 == 0.00us ]] && p99="n/a (wrk)"
    reqs=$(awk '/ requests in / {print $1}' <<<"$out")
    non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' <<<"$out")
    sockerr=$(sed -n 's/^ *Socket errors: *//p' <<<"$out")
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
    cpu=$(awk -v d=$((c1 - c0)) -v t="$tck" -v s="$secs" 'BEGIN {if (s > 0) printf "%.0f%%", 100 * d / t / s}')
    if [[ -z $rps ]]; then
      warn "$label: wrk printed no result: $(head -c 300 <<<"$out" | tr '\n' ' ')"
      rps=0
    fi
    rows+=("$rps|${xfer:--}|${p99:--}|${reqs:-0}|${non2xx:-0}|${sockerr}|${cpu:--}")
    log "  $label run $i: ${rps} rps, ${xfer:--}/s, p99 ${p99:--}, server CPU ${cpu:--}, steal ${STEAL_LAST}%${sockerr:+, socket errors: $sockerr}"
  done
  RES=$(printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1n | sed -n "$(((${#rows[@]} + 1) / 2))p")
  # Response-status sanity: wrk counts every status > 399 as "Non-2xx or 3xx".
  IFS='|' read -r rps xfer p99 reqs non2xx sockerr cpu <<<"$RES"
  if [[ $expect == 404 && $non2xx != "$reqs" ]]; then
    warn "$label: expected every response to be 404, wrk saw $non2xx non-2xx of $reqs"
  elif [[ $expect != 404 && $non2xx != 0 ]]; then
    warn "$label: $non2xx of $reqs responses were errors (status > 399)"
  fi
  if [[ -n $sockerr && $sockerr != "connect 0, read 0, write 0, timeout 0" ]]; then
    warn "$label: socket errors: $sockerr"
  fi
}

declare -A R      # R[target:scenario] = "rps|transfer|p99|requests|non2xx|sockerr|cpu|note"
declare -A RSS    # RSS[target:fresh|loaded|idle|opened|closed]

run_scenarios() { # TARGET PID PORT GZPORT FILTER(all|both) LABEL NOTE
  local target=$1 pid=$2 port=$3 gzport=$4 filter=$5 label=$6 note=$7 def
  local name path conns mode expect sf p key old
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name path conns mode expect sf <<<"$def"
    selected "$name" || continue
    [[ $filter == both && $sf != both ]] && continue
    p=$port
    [[ $mode == gzip ]] && p=$gzport
    measure "$pid" "$p" "$path" "$conns" "$mode" "$expect" "$label $name"
    key=$target:$name
    old=${R[$key]:-}
    # nginx: keep the better variant (by rps) for each scenario
    if [[ -z $old ]] || (($(cut -d'|' -f1 <<<"$RES") > $(cut -d'|' -f1 <<<"$old"))); then
      if [[ $sf == both ]]; then R[$key]="$RES|nginx $note"; else R[$key]="$RES|"; fi
    fi
  done
}

rss_test() {      # TARGET PID PORT LABEL
  local target=$1 pid=$2 port=$3 label=$4 outf=$RUN/idle-$1.out hpid i line
  RSS[$target:loaded]=$(rss_kb "$pid")
  log "  $label: opening $RSS_CONNS idle keep-alive connections (RSS now $((${RSS[$target:loaded]} / 1024)) MiB)"
  "$PYTHON" "$LIB/idle_conns.py" 127.0.0.1 "$port" "$RSS_CONNS" --hold 600 >"$outf" 2>"$outf.err" &
  hpid=$!
  HELPER_PIDS+=("$hpid")
  for ((i = 0; i < 1200; i++)); do
    grep -q '^READY' "$outf" 2>/dev/null && break
    kill -0 "$hpid" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep '^READY' "$outf" || true)
  if [[ -z $line ]]; then
    warn "$label: idle-connection helper did not get ready: $(tail -n 3 "$outf.err" | tr '\n' ' ')"
    kill_tree "$hpid"
    return 0
  fi
  sleep "$RSS_HOLD"
  RSS[$target:idle]=$(rss_kb "$pid")
  kill -TERM "$hpid" 2>/dev/null || true
  wait "$hpid" 2>/dev/null || true
  RSS[$target:opened]=$(sed -n 's/^READY opened=\([0-9]*\).*/\1/p' "$outf")
  RSS[$target:failed]=$(sed -n 's/^READY .*failed=\([0-9]*\).*/\1/p' "$outf")
  RSS[$target:closed]=$(sed -n 's/^DONE .*closed_by_server=\([0-9]*\).*/\1/p' "$outf")
  log "  $label: $line; RSS with them open $((${RSS[$target:idle]} / 1024)) MiB; closed by server while held: ${RSS[$target:closed]:-?}"
  [[ ${RSS[$target:failed]:-0} == 0 ]] || warn "$label: ${RSS[$target:failed]} of $RSS_CONNS idle connections failed: $(head -n 3 "$outf.err" | tr '\n' ' ')"
  { echo "### $label idle connections"; sed 's/^/    /' "$outf" "$outf.err"; } >>"$RAWLOG"
}

bench_nginx() {
  local pid
  log "=== nginx $(nginx -v 2>&1 | sed 's|.*/||')"
  start_nginx on "$PORT_NGINX" "$PORT_NGINX_GZ"
  pid=$SERVER_PID
  RSS[nginx:fresh]=$(rss_kb "$pid")
  sanity_check nginx "$PORT_NGINX"
  any_selected_mode gzip && sanity_check nginx-gzip "$PORT_NGINX_GZ" --gzip
  run_scenarios nginx "$pid" "$PORT_NGINX" "$PORT_NGINX_GZ" all "nginx sendfile on" "sendfile on"
  selected rss && rss_test nginx "$pid" "$PORT_NGINX" "nginx"
  stop_server "$pid"

  local def name sf any=0
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name _ _ _ _ sf <<<"$def"
    [[ $sf == both ]] && selected "$name" && any=1
  done
  if ((any)); then
    start_nginx off "$PORT_NGINX_OFF" "$((PORT_NGINX_OFF + 1))"
    pid=$SERVER_PID
    run_scenarios nginx "$pid" "$PORT_NGINX_OFF" "$((PORT_NGINX_OFF + 1))" both "nginx sendfile off" "sendfile off"
    stop_server "$pid"
  fi
}

bench_portico() {
  local pid gz_needed=0
  if [[ ! -x $PORTICO_BIN ]]; then
    warn "Portico launcher $PORTICO_BIN not found: Portico skipped"
    return 0
  fi
  log "=== portico ($PORTICO_BIN)"
  # The launcher builds on first use. Do that here, unpinned and before anything is measured,
  # rather than on the one pinned CPU while the start-up wait runs.
  log "building Portico if needed: $PORTICO_BIN --version (unpinned)"
  if ! (cd "$REPO_ROOT" && timeout "$PORTICO_START_TIMEOUT" "$PORTICO_BIN" --version) >"$LOGS/portico-build.out" 2>&1; then
    warn "'$PORTICO_BIN --version' failed: Portico skipped; last lines of $LOGS/portico-build.out:"
    tail -n 20 "$LOGS/portico-build.out" >&2
    return 0
  fi
  log "portico version: $(tail -n 1 "$LOGS/portico-build.out")"
  if ! start_portico "$PORTICO_PORT_MAIN" main; then
    warn "Portico did not start (log: $LOGS/portico-main.log): Portico skipped"
    stop_server "$SERVER_PID"
    return 0
  fi
  pid=$SERVER_PID
  RSS[portico:fresh]=$(rss_kb "$pid")
  sanity_check portico "$PORTICO_PORT_MAIN"
  local def name mode
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name _ _ mode _ _ <<<"$def"
    [[ $mode == gzip ]] && continue
    selected "$name" || continue
    run_scenarios_one portico "$pid" "$PORTICO_PORT_MAIN" "$def"
  done
  selected rss && rss_test portico "$pid" "$PORTICO_PORT_MAIN" "portico"
  stop_server "$pid"

  any_selected_mode gzip && gz_needed=1
  if ((gz_needed)); then
    # shellcheck disable=SC2086
    if start_portico "$PORT_PORTICO_GZ" gzip $PORTICO_GZIP_ARGS; then
      pid=$SERVER_PID
      sanity_check portico-gzip "$PORT_PORTICO_GZ" --gzip
      for def in "${ALL_SCENARIOS[@]}"; do
        IFS='|' read -r name _ _ mode _ _ <<<"$def"
        [[ $mode == gzip ]] && selected "$name" && run_scenarios_one portico "$pid" "$PORT_PORTICO_GZ" "$def"
      done
    else
      warn "Portico with '$PORTICO_GZIP_ARGS' did not start (log: $LOGS/portico-gzip.log): gzip row skipped"
    fi
    stop_server "$SERVER_PID"
  fi
}

run_scenarios_one() { # TARGET PID PORT DEF
  local target=$1 pid=$2 port=$3 name path conns mode expect sf
  IFS='|' read -r name path conns mode expect sf <<<"$4"
  measure "$pid" "$port" "$path" "$conns" "$mode" "$expect" "$target $name"
  R[$target:$name]="$RES|"
}

# ---------------------------------------------------------------- report

commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

report() {
  local def name conns mode n p nr pr nx px n99 p99 ncpu pcpu note ratio md
  md=$MDFILE
  {
    echo "# Portico vs nginx, static files ($(date '+%Y-%m-%d %H:%M'))"
    echo
    echo "- machine: $(nproc --all) CPUs, $(uname -r), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "- $(nginx -v 2>&1), $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'), portico: $(git -C "$REPO_ROOT" log -1 --format='%h %s' 2>/dev/null || echo '?')"
    echo "- layout: server on CPU $SERVER_CPU (1 worker), \`taskset -c $CLIENT_CPU wrk -t1 --latency\`, loopback;" \
      "measured runs of $DURATION, each scenario after a warm-up run of $WARMUP; median of $RUNS run(s)"
    echo "- nginx: the anchor config; for the small-file rows (small-*, pipeline8) the better of sendfile on/off (see notes)"
    echo "- transfer/s as wrk prints it (1024-based units); p99 of wrk's latency (per batch of $PIPELINE_DEPTH in pipeline8)"
    echo "- pipeline8: rps counts responses (wrk counts each pipelined response; not multiplied again)"
    echo
    echo "| scenario | nginx rps | portico rps | nginx transfer/s | portico transfer/s | nginx p99 | portico p99 | ratio portico/nginx | nginx CPU | portico CPU | notes |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for def in "${ALL_SCENARIOS[@]}"; do
      IFS='|' read -r name _ conns mode _ _ <<<"$def"
      selected "$name" || continue
      n=${R[nginx:$name]:-}
      p=${R[portico:$name]:-}
      [[ -z $n && -z $p ]] && continue
      IFS='|' read -r nr nx n99 _ _ _ ncpu note <<<"${n:-|||||||}"
      IFS='|' read -r pr px p99 _ _ _ pcpu _ <<<"${p:-|||||||}"
      ratio=-
      [[ -n $nr && -n $pr && $nr != 0 ]] && ratio=$(awk -v a="$pr" -v b="$nr" 'BEGIN {printf "%.2f", a / b}')
      local lowcpu=""
      if [[ $name != large-* ]]; then
        [[ ${ncpu%\%} =~ ^[0-9]+$ ]] && ((${ncpu%\%} < 85)) && lowcpu+="nginx "
        [[ ${pcpu%\%} =~ ^[0-9]+$ ]] && ((${pcpu%\%} < 85)) && lowcpu+="portico "
      fi
      [[ -n $lowcpu ]] && note="${note:+$note; }${lowcpu}CPU < 85%: disturbed or client-bound?"
      echo "| $name | $(commas "${nr:--}") | $(commas "${pr:--}") | ${nx:--} | ${px:--} | ${n99:--} | ${p99:--} | $ratio | ${ncpu:--} | ${pcpu:--} | ${note} |"
    done
    if selected rss; then
      echo
      echo "Memory: RSS (VmRSS of the server's process tree) fresh after start, after the load runs, and with $RSS_CONNS idle keep-alive connections open."
      echo
      echo "| server | RSS fresh | RSS after load | RSS with idle conns | per idle conn | idle conns opened | closed by server while held |"
      echo "|---|---:|---:|---:|---:|---:|---:|"
      local t
      for t in nginx portico; do
        [[ -n ${RSS[$t:idle]:-} ]] || continue
        echo "| $t | $(mib "${RSS[$t:fresh]:-}") | $(mib "${RSS[$t:loaded]}") | $(mib "${RSS[$t:idle]}") |" \
          "$(awk -v a="${RSS[$t:idle]}" -v b="${RSS[$t:loaded]}" -v n="${RSS[$t:opened]:-0}" 'BEGIN {if (n > 0) printf "%.1f KiB", (a - b) / n; else print "-"}') |" \
          "${RSS[$t:opened]:-?} | ${RSS[$t:closed]:-?} |"
      done
    fi
    if ((${#WARNINGS[@]})); then
      echo
      echo "Warnings:"
      echo
      local w
      for w in "${WARNINGS[@]}"; do echo "- $w"; done
    fi
  } >"$md"
  echo
  cat "$md"
  echo
  log "table written to $md (raw wrk output: $RAWLOG)"
}

mib() { [[ -n $1 ]] && awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}' || echo -; }

# ---------------------------------------------------------------- main

main() {
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
  local def name any=0
  for def in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r name _ <<<"$def"
    selected "$name" && any=1
  done
  selected rss && any=1
  ((any)) || die "SCENARIOS=$SCENARIOS selects nothing"
  [[ $TARGETS =~ (nginx|portico) ]] || die "TARGETS must name nginx and/or portico"

  ensure_tools
  check_cpus
  raise_nofile

  if [[ -n ${BENCH_DIR:-} ]]; then
    mkdir -p "$BENCH_DIR"
  else
    BENCH_DIR=$(mktemp -d /tmp/portico-web-bench.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  WWW=$BENCH_DIR/www RUN=$BENCH_DIR/run LOGS=$BENCH_DIR/logs
  make_www
  mkdir -p "$OUT_DIR"
  local stamp
  stamp=$(date +%Y-%m-%d-%H%M%S)
  MDFILE=$OUT_DIR/web-$stamp.md
  RAWLOG=$OUT_DIR/web-$stamp.log
  : >"$RAWLOG"
  PORTICO_PORT_MAIN=$PORT_PORTICO
  log "bench dir $BENCH_DIR; DURATION=$DURATION WARMUP=$WARMUP RUNS=$RUNS SCENARIOS=$SCENARIOS TARGETS=$TARGETS; open files $NOFILE"
  local busy
  busy=$(awk '{print $1}' /proc/loadavg)
  awk -v l="$busy" 'BEGIN {exit !(l > 0.5)}' &&
    log "note: load average is $busy; other work on the machine disturbs the figures"

  [[ $TARGETS == *nginx* ]] && bench_nginx
  [[ $TARGETS == *portico* ]] && bench_portico
  report
}

main "$@"
