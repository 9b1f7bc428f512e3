#!/usr/bin/env bash
# bench/soak.sh - one Portico daemon under a steady, moderate, mixed load for a long time, with
# backends killed, reloads and cache purges along the way: does its memory, its descriptors or
# its threads grow, and does anything fail that the faults do not explain?
#
# One `bin/portico serve` runs four services from a generated config: web (static files), proxy
# (memory cache, two nginx backends), lb (two nginx backends) and dns (a zone with a
# health-checked record; RRL on, 127.0.0.0/8 exempt since the load comes from loopback). For
# DURATION, in chunks of CHUNK seconds:
#
#   load     wrk -t1 -c$CONNS on web, proxy and lb, each connection pausing DELAY_MS between
#            requests (lib/soak.lua; every CLOSE_EVERY-th request closes its connection), and
#            dnsperf -Q $DNS_QPS on dns
#   kills    every KILL_EVERY a backend is killed (SIGKILL) and restarted RESTART_AFTER later,
#            in turn proxy b0, lb l0, proxy b1, lb l1
#   reloads  every RELOAD_EVERY a SIGHUP; before it the config changes (lb l1's weight 1 <-> 2)
#            and the zone's serial goes up, so the reload has work to do
#   purges   every PURGE_EVERY the proxy's whole cache is purged through the admin API
#   samples  every SAMPLE seconds: RSS, heap after GC, direct and non-heap memory, descriptors,
#            threads, errors so far, into a CSV; a PNG chart at the end (gnuplot). The daemon
#            also logs its collections (-Xlog:gc) and, with NMT=summary, tracks its native
#            memory: the summary gives what changed from 25% of the run to the end
#
# It passes when RSS and descriptors are flat after warm-up (the largest value after 25% of the
# run is less than MAX_GROWTH percent above the value at 25%), no request failed outside the
# window around a kill of one of its own backends, every purge and reload succeeded, and the
# daemon logged no WARN or ERROR line that a kill does not explain. Exit status 1 otherwise.
#
#   bench/soak.sh                       # 30 minutes
#   DURATION=2h bench/soak.sh
#   DURATION=6m bench/soak.sh           # a quick look: kills at 2, 4 min, a reload at 5 min
#
# Environment (defaults in brackets):
#   DURATION [30m]  SAMPLE [10]  CHUNK [10]  KILL_EVERY [120]  RESTART_AFTER [5]
#   RELOAD_EVERY [300]  PURGE_EVERY [60]  SETTLE [15] seconds after a restarted backend answers
#   during which errors and log lines of its service still count as caused by the kill
#   CONNS [4] per HTTP service  DELAY_MS [20]  CLOSE_EVERY [10]  DNS_QPS [200]  WORKERS [2]
#   MAX_GROWTH [5] percent  SERVER_CPU [0: Portico]  CLIENT_CPU [1: load and backends]
#   BASE_PORT [18700: backends +0..+3, services +10..+13, admin +20]
#   AUTOGROUP_NICE [-10 as root, else off]: the nice value of the run's scheduler autogroup (below)
#   NMT [summary, or off]  PORTICO_BIN [<repo>/bin/portico]  NO_INSTALL=1 to never call apt-get
#   BENCH_DIR [a new /tmp/portico-soak.XXXXXX, removed at exit unless KEEP=1]  OUT_DIR [bench/out]
#
# With the kernel's autogroup scheduling on (/proc/sys/kernel/sched_autogroup_enabled), a process's
# nice value counts only against processes of its own session: a build or benchmark started in
# another session (another terminal, or setsid) gets an equal share of CPU 0 however niced it is,
# and the soak's daemon then waits tens to hundreds of milliseconds for the CPU. As root the
# script lowers its own autogroup's nice value to AUTOGROUP_NICE, which its daemon, backends and
# load inherit, so other work on the machine cannot starve them.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DURATION=${DURATION:-30m}
SAMPLE=${SAMPLE:-10}
CHUNK=${CHUNK:-10}
KILL_EVERY=${KILL_EVERY:-120}
RESTART_AFTER=${RESTART_AFTER:-5}
RELOAD_EVERY=${RELOAD_EVERY:-300}
PURGE_EVERY=${PURGE_EVERY:-60}
SETTLE=${SETTLE:-15}
CONNS=${CONNS:-4}
DELAY_MS=${DELAY_MS:-20}
CLOSE_EVERY=${CLOSE_EVERY:-10}
DNS_QPS=${DNS_QPS:-200}
WORKERS=${WORKERS:-2}
MAX_GROWTH=${MAX_GROWTH:-5}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18700}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
START_TIMEOUT=${START_TIMEOUT:-180}
NMT=${NMT:-summary}
if [[ $(id -u) == 0 ]]; then AUTOGROUP_NICE=${AUTOGROUP_NICE:--10}; else AUTOGROUP_NICE=${AUTOGROUP_NICE:-off}; fi

PORT_B0=$BASE_PORT PORT_B1=$((BASE_PORT + 1))          # the proxy's backends
PORT_L0=$((BASE_PORT + 2)) PORT_L1=$((BASE_PORT + 3))   # the lb's backends
PORT_WEB=$((BASE_PORT + 10)) PORT_PROXY=$((BASE_PORT + 11))
PORT_LB=$((BASE_PORT + 12)) PORT_DNS=$((BASE_PORT + 13))
PORT_ADMIN=$((BASE_PORT + 20))
KILL_ORDER=(b0 l0 b1 l1)

log()  { printf '%s [soak.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[soak.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"

# The run's autogroup (see the top): set once, inherited by every process started below.
set_autogroup_nice() {
  [[ $AUTOGROUP_NICE == off ]] && return
  [[ -w /proc/self/autogroup ]] || { log "no writable /proc/self/autogroup: AUTOGROUP_NICE not applied"; return; }
  AUTOGROUP_BEFORE=$(awk '{print $3}' /proc/self/autogroup)
  if echo "$AUTOGROUP_NICE" 2>/dev/null >/proc/self/autogroup; then
    log "scheduler autogroup: $(cat /proc/self/autogroup)"
  else
    log "could not set the autogroup's nice value to $AUTOGROUP_NICE: left as it is"
  fi
}

seconds_of() {    # 90 | 90s | 6m | 2h | 1h30m -> seconds
  local v=$1 total=0 n
  [[ $v =~ ^[0-9]+$ ]] && { echo "$v"; return; }
  [[ $v =~ ^([0-9]+[hms])+$ ]] || die "not a duration: '$v' (e.g. 90, 90s, 6m, 2h, 1h30m)"
  while [[ $v =~ ^([0-9]+)([hms])(.*)$ ]]; do
    n=${BASH_REMATCH[1]}
    case ${BASH_REMATCH[2]} in h) n=$((n * 3600)) ;; m) n=$((n * 60)) ;; esac
    total=$((total + n)) v=${BASH_REMATCH[3]}
  done
  echo "$total"
}

# ---------------------------------------------------------------- processes

declare -A BACKEND_PID BACKEND_PORT=([b0]=$PORT_B0 [b1]=$PORT_B1 [l0]=$PORT_L0 [l1]=$PORT_L1)
LOAD_PIDS=()

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${LOAD_PIDS[@]}" ${PORTICO_PID:-} "${BACKEND_PID[@]}"; do kill_tree "$p"; done
  # The autogroup is the whole session's (a terminal's, say): give it back its nice value.
  [[ -n ${AUTOGROUP_BEFORE:-} ]] && echo "$AUTOGROUP_BEFORE" 2>/dev/null >/proc/self/autogroup
  remove_bench_dir
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_http() { # PID PORT NAME LOGFILE
  local pid=$1 port=$2 name=$3 logf=$4 start=$SECONDS
  while ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/small.html"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logf" >&2; die "$name exited before answering on port $port"; }
    ((SECONDS - start < START_TIMEOUT)) || { tail -n 30 "$logf" >&2; die "$name did not answer on port $port"; }
    sleep 0.2
  done
}

# ---------------------------------------------------------------- backends and files

make_files() {
  mkdir -p "$WWW" "$RUN" "$LOGS" "$STATE"
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/small.html"
  head -c $((100 * 1024)) /dev/urandom >"$WWW/medium.bin"
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/nocache.html"
  echo '<!doctype html><title>soak</title><p>soak' >"$WWW/index.html"
  # nginx's workers run as an unprivileged user: the folder from mktemp is 0700.
  chmod 755 "$BENCH_DIR" "$WWW" && chmod 644 "$WWW"/*
}

backend_conf() {  # NAME PORT -> nginx config of that backend
  local name=$1 port=$2 conf=$RUN/nginx-$1.conf
  cat >"$conf" <<EOF
# Generated by bench/soak.sh: backend $name. Responses may be cached for 30 s, nocache.html never.
pid $RUN/nginx-$name.pid;
error_log $LOGS/nginx-$name.error.log warn;
worker_processes 1;
daemon off;
events { worker_connections 4096; }
http {
    default_type application/octet-stream;
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    client_body_temp_path $RUN/$name-body;
    proxy_temp_path $RUN/$name-proxy;
    fastcgi_temp_path $RUN/$name-fcgi;
    uwsgi_temp_path $RUN/$name-uwsgi;
    scgi_temp_path $RUN/$name-scgi;
    server {
        listen 127.0.0.1:$port reuseport;
        root $WWW;
        location / { expires 30s; }
        location = /nocache.html { add_header Cache-Control no-store; }
    }
}
EOF
  echo "$conf"
}

start_backend() { # NAME
  local name=$1 port=${BACKEND_PORT[$1]} conf pid
  conf=$RUN/nginx-$name.conf
  [[ -f $conf ]] || conf=$(backend_conf "$name" "$port")
  taskset -c "$CLIENT_CPU" nginx -c "$conf" -e "$LOGS/nginx-$name.error.log" >>"$LOGS/nginx-$name.out" 2>&1 &
  pid=$!
  BACKEND_PID[$name]=$pid
  wait_for_http "$pid" "$port" "backend $name" "$LOGS/nginx-$name.error.log"
}

# ---------------------------------------------------------------- Portico

LB_WEIGHT=1
write_config() {  # the daemon's config; LB_WEIGHT is l1's weight, flipped before each reload
  cat >"$CONF" <<EOF
# Generated by bench/soak.sh.
workers: $WORKERS
log_level: info
admin:
  listen: 127.0.0.1:$PORT_ADMIN
  token_file: $STATE/admin.token
services:
  web:
    type: web
    listen: [127.0.0.1:$PORT_WEB]
    root: $WWW
  proxy:
    type: proxy
    listen: [127.0.0.1:$PORT_PROXY]
    pools:
      "*": {backends: [127.0.0.1:$PORT_B0, 127.0.0.1:$PORT_B1], health: tcp}
    cache: {memory_size: 16m}
  lb:
    type: lb
    listen: [127.0.0.1:$PORT_LB]
    backends: [127.0.0.1:$PORT_L0, {address: 127.0.0.1:$PORT_L1, weight: $LB_WEIGHT}]
    scheduler: weighted
    health: {type: tcp, interval: 2s}
  names:
    type: dns
    listen: [127.0.0.1:$PORT_DNS]
    zones: {soak.test: $RUN/soak.test.zone}
    resources:
      lb_l0:
        ttl: 30/5
        addresses: [127.0.0.1]
        health: {type: tcp, port: $PORT_L0, interval: 1s}
        last_resort: [127.0.0.1]
    rrl: {exempt: [127.0.0.0/8]}
EOF
}

ZONE_SERIAL=1
write_zone() {
  local i
  {
    echo '$ORIGIN soak.test.'
    echo '$TTL 300'
    echo "@ IN SOA ns1.soak.test. hostmaster.soak.test. $ZONE_SERIAL 7200 900 1209600 300"
    echo '@ IN NS ns1'
    echo 'ns1 IN A 127.0.0.53'
    echo '@ IN MX 10 mail'
    echo 'mail IN A 127.0.0.25'
    echo 'www IN CNAME h1'
    echo 'txt IN TXT "soak"'
    echo 'fo IN DYNA lb_l0'
    for ((i = 0; i < 100; i++)); do echo "h$i IN A 10.0.$((i / 256)).$((i % 256))"; done
  } >"$RUN/soak.test.zone"
  {
    for ((i = 0; i < 100; i++)); do echo "h$i.soak.test A"; done
    printf '%s\n' 'www.soak.test A' 'fo.soak.test A' 'soak.test SOA' 'soak.test MX' 'txt.soak.test TXT' \
      'nx1.soak.test A' 'nx2.soak.test AAAA' 'h1.soak.test AAAA'
  } >"$RUN/queries.txt"
}

start_portico() {
  [[ -x $PORTICO_BIN ]] || die "Portico launcher $PORTICO_BIN not found"
  write_zone
  write_config
  (cd "$REPO_ROOT" && "$PORTICO_BIN" check -c "$CONF") >"$LOGS/portico.check" 2>&1 ||
    die "Portico refuses $CONF: $(head -n 3 "$LOGS/portico.check")"
  log "starting: taskset -c $SERVER_CPU bin/portico serve -c $CONF"
  # Every collection goes to a GC log: the summary gives their count and longest pause.
  # NMT=summary: native memory tracking, so that growth of RSS can be told apart (a baseline at
  # 25% of the run, the difference at the end).
  local nmt=
  [[ $NMT == off ]] || nmt="-XX:NativeMemoryTracking=$NMT"
  (cd "$REPO_ROOT" && PORTICO_JAVA_OPTS="${PORTICO_JAVA_OPTS:-} -Xlog:gc:file=$LOGS/gc.log $nmt" \
    exec taskset -c "$SERVER_CPU" "$PORTICO_BIN" serve -c "$CONF") >"$PLOG" 2>&1 &
  PORTICO_PID=$!
  wait_for_http "$PORTICO_PID" "$PORT_WEB" portico "$PLOG"
  wait_for_http "$PORTICO_PID" "$PORT_PROXY" portico "$PLOG"
  wait_for_http "$PORTICO_PID" "$PORT_LB" portico "$PLOG"
  local i
  for ((i = 0; i < 100; i++)); do [[ -s $STATE/admin.token ]] && break; sleep 0.2; done
  [[ -s $STATE/admin.token ]] || die "no admin token in $STATE/admin.token"
  until curl -sf -o /dev/null --max-time 2 -H "Authorization: Bearer $(cat "$STATE/admin.token")" \
    "http://127.0.0.1:$PORT_ADMIN/metrics"; do
    ((i++ < 200)) || die "the admin endpoint does not answer on port $PORT_ADMIN"
    sleep 0.2
  done
  AUTH="Authorization: Bearer $(cat "$STATE/admin.token")"
  [[ $(readlink "/proc/$PORTICO_PID/exe") == */java ]] || die "pid $PORTICO_PID is not the JVM"
  JCMD=$(dirname "$(readlink "/proc/$PORTICO_PID/exe")")/jcmd
}

# ---------------------------------------------------------------- load

# http_load NAME PORT PATH...: wrk runs of CHUNK seconds until END; one line per run in
# $RUN/load.tsv: start end service requests non2xx connect read write timeout.
http_load() {
  local name=$1 port=$2 t0 t1 out len
  shift 2
  while (($(date +%s) + 2 <= END)); do
    t0=$(date +%s) len=$((END - t0 < CHUNK ? END - t0 : CHUNK))
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 "-c$CONNS" "-d${len}s" --timeout 5s -s "$SCRIPT_DIR/lib/soak.lua" \
      "http://127.0.0.1:$port/" -- "$DELAY_MS" "$CLOSE_EVERY" "$@" 2>&1) || true
    t1=$(date +%s)
    printf '==== %s %s-%s\n%s\n' "$name" "$t0" "$t1" "$out" >>"$LOGS/load.log"
    awk -v n="$name" -v a="$t0" -v b="$t1" '
      /requests in/ {req = $1}
      /Non-2xx/ {non = $5}
      /Socket errors:/ {gsub(/,/, ""); c = $4; r = $6; w = $8; t = $10}
      END {printf "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", a, b, n, req, non, c, r, w, t}' <<<"$out" >>"$RUN/load.tsv"
  done
}

# dns_load: dnsperf runs of CHUNK seconds at DNS_QPS; lost queries and answers other than
# NOERROR and NXDOMAIN are errors (in the non2xx column).
dns_load() {
  local t0 t1 out len
  while (($(date +%s) + 2 <= END)); do
    t0=$(date +%s) len=$((END - t0 < CHUNK ? END - t0 : CHUNK))
    out=$(taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PORT_DNS" -d "$RUN/queries.txt" -c 1 \
      -l "$len" -Q "$DNS_QPS" -t 5 2>&1) || true
    t1=$(date +%s)
    printf '==== dns %s-%s\n%s\n' "$t0" "$t1" "$out" >>"$LOGS/load.log"
    awk -v a="$t0" -v b="$t1" '
      /Queries completed:/ {req = $3}
      /Queries lost:/ {lost = $3}
      /Response codes:/ {sub(/.*Response codes:/, ""); n = split($0, f, /,/)
        for (i = 1; i <= n; i++) {split(f[i], kv, " "); if (kv[1] != "NOERROR" && kv[1] != "NXDOMAIN") bad += kv[2]}}
      END {printf "%s\t%s\tdns\t%d\t%d\t0\t0\t0\t%d\n", a, b, req, bad, lost}' <<<"$out" >>"$RUN/load.tsv"
  done
}

start_load() {
  : >"$RUN/load.tsv"
  http_load web "$PORT_WEB" /small.html /medium.bin / &
  LOAD_PIDS+=($!)
  http_load proxy "$PORT_PROXY" /small.html /medium.bin /nocache.html &
  LOAD_PIDS+=($!)
  http_load lb "$PORT_LB" /small.html /medium.bin &
  LOAD_PIDS+=($!)
  dns_load &
  LOAD_PIDS+=($!)
}

# ---------------------------------------------------------------- faults, reloads, purges

event() { printf '%s\t%s\n' "$(date +%s.%N | cut -c1-14)" "$*" >>"$EVENTS"; }

kill_backend() {  # NAME
  local name=$1
  event "kill $name ${BACKEND_PORT[$name]} $([[ $name == b* ]] && echo proxy || echo lb)"
  # shellcheck disable=SC2046
  kill -KILL $(descendants "${BACKEND_PID[$name]}") 2>/dev/null || true
  wait "${BACKEND_PID[$name]}" 2>/dev/null || true
  log "killed backend $name (port ${BACKEND_PORT[$name]})"
}

restart_backend() { # NAME
  start_backend "$1"
  event "ready $1"
  log "backend $1 answers again"
}

reload() {
  LB_WEIGHT=$((3 - LB_WEIGHT)) ZONE_SERIAL=$((ZONE_SERIAL + 1))
  write_zone
  write_config
  event "reload weight=$LB_WEIGHT serial=$ZONE_SERIAL"
  kill -HUP "$PORTICO_PID"
  RELOADS=$((RELOADS + 1))
  log "SIGHUP (lb l1 weight $LB_WEIGHT, zone serial $ZONE_SERIAL)"
}

purge() {
  local code
  code=$(curl -s -o "$RUN/purge.json" -w '%{http_code}' --max-time 10 -X POST -H "$AUTH" \
    -d "{\"prefix\":\"http://127.0.0.1:$PORT_PROXY/\"}" \
    "http://127.0.0.1:$PORT_ADMIN/api/v1/services/proxy/cache/purge") || code=000
  event "purge $code $(tr -d '\n' <"$RUN/purge.json" 2>/dev/null)"
  [[ $code == 200 ]] || { PURGE_FAILED=$((PURGE_FAILED + 1)); log "purge failed: HTTP $code"; }
}

# ---------------------------------------------------------------- samples

sample() {        # one CSV line
  local now=$1 rss threads fds metrics heap nonheap direct errors warns steal
  # The daemon may exit between the main loop's check and here: the loop notices next time.
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PORTICO_PID/status" 2>/dev/null) || return 0
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$PORTICO_PID/status" 2>/dev/null) || return 0
  fds=$(ls "/proc/$PORTICO_PID/fd" 2>/dev/null | wc -l) || return 0
  metrics=$(curl -s --max-time 5 -H "$AUTH" "http://127.0.0.1:$PORT_ADMIN/metrics") || metrics=
  # Heap after GC: the heap pools but eden. Every collection empties eden and only collections
  # fill the survivor and old pools (objects are allocated in eden), so their sum at any moment
  # is the heap that the last collection left (after a young one, with the old generation's
  # dead objects until a full one).
  heap=$(awk '/^jvm_memory_used_bytes\{area="heap"/ && !/Eden/ {s += $NF; n++} END {if (n) printf "%.0f", s}' <<<"$metrics")
  nonheap=$(awk '/^jvm_memory_used_bytes\{area="nonheap"/ {s += $NF; n++} END {if (n) printf "%.0f", s}' <<<"$metrics")
  direct=$(awk '/^jvm_buffer_memory_used_bytes\{id="direct"\}/ {printf "%.0f", $NF}' <<<"$metrics")
  errors=$(awk -F'\t' '{s += $5 + $6 + $7 + $8 + $9} END {print s + 0}' "$RUN/load.tsv")
  errors=$((errors + PURGE_FAILED))
  warns=$(grep -cE '^[0-9:.]+ (WARN|ERROR) ' "$PLOG" || true)
  # The machine's state, to read stalls by: load average and the hypervisor's steal since the
  # last sample, on the two CPUs in use.
  STEAL_NOW=$(steal_snapshot "$SERVER_CPU" "$CLIENT_CPU")
  steal=$(steal_percent "$STEAL_PREV" "$STEAL_NOW")
  STEAL_PREV=$STEAL_NOW
  printf '%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(date -u -d "@$now" +%FT%TZ)" $((now - T0)) \
    "$rss" "${heap:-}" "${direct:-}" "$fds" "$threads" "$errors" "$warns" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$steal" "${nonheap:-}" >>"$CSV"
}

# ---------------------------------------------------------------- main

main() {
  local secs now next_sample next_kill next_reload next_purge restart_at=0 dead= k=0 stamp rc=0 baseline=
  secs=$(seconds_of "$DURATION")
  ((secs >= 60)) || die "DURATION must be at least 60 s"
  [[ $(nproc --all) -ge 2 ]] || die "needs 2 CPUs"
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  ensure_packages nginx:nginx-light wrk:wrk dnsperf:dnsperf curl:curl gnuplot:gnuplot-nox \
    taskset:util-linux python3:python3
  if [[ -z ${BENCH_DIR:-} ]]; then
    BENCH_DIR=$(mktemp -d /tmp/portico-soak.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  WWW=$BENCH_DIR/www RUN=$BENCH_DIR/run LOGS=$BENCH_DIR/logs STATE=$BENCH_DIR/state
  CONF=$RUN/portico.yaml PLOG=$LOGS/portico.log EVENTS=$RUN/events.tsv
  mkdir -p "$OUT_DIR"
  set_autogroup_nice
  make_files
  : >"$EVENTS"
  for port in "$PORT_B0" "$PORT_B1" "$PORT_L0" "$PORT_L1" "$PORT_WEB" "$PORT_PROXY" "$PORT_LB" "$PORT_DNS" "$PORT_ADMIN"; do
    port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  done
  log "building Portico if needed (unpinned)"
  (cd "$REPO_ROOT" && timeout 900 "$PORTICO_BIN" --version) >"$LOGS/portico-build.out" 2>&1 ||
    die "'$PORTICO_BIN --version' failed (log: $LOGS/portico-build.out)"
  for b in b0 b1 l0 l1; do start_backend "$b"; done
  start_portico
  stamp=$(date +%Y%m%d-%H%M%S)
  CSV=$OUT_DIR/soak-$stamp.csv
  echo 'time,elapsed_s,rss_kb,heap_after_gc_bytes,direct_bytes,fds,threads,errors,log_warn_error,loadavg,steal_pct,nonheap_bytes' >"$CSV"
  STEAL_PREV=$(steal_snapshot "$SERVER_CPU" "$CLIENT_CPU")
  RELOADS=0 PURGE_FAILED=0
  T0=$(date +%s) END=$((T0 + secs))
  log "soak for ${secs}s: load on web :$PORT_WEB, proxy :$PORT_PROXY, lb :$PORT_LB, dns :$PORT_DNS; CSV $CSV"
  start_load
  next_sample=$T0 next_kill=$((T0 + KILL_EVERY)) next_reload=$((T0 + RELOAD_EVERY)) next_purge=$((T0 + PURGE_EVERY))
  while :; do
    now=$(date +%s)
    ((now < END)) || break
    kill -0 "$PORTICO_PID" 2>/dev/null || { log "Portico exited"; tail -n 30 "$PLOG" >&2; break; }
    if [[ -n $dead ]] && ((now >= restart_at)); then restart_backend "$dead"; dead=; fi
    # No kill in the last SETTLE + RESTART_AFTER seconds: its effects would fall after the end.
    if ((now >= next_kill)) && [[ -z $dead ]] && ((now + RESTART_AFTER + SETTLE < END)); then
      dead=${KILL_ORDER[k % 4]} k=$((k + 1))
      kill_backend "$dead"
      restart_at=$((now + RESTART_AFTER)) next_kill=$((next_kill + KILL_EVERY))
    fi
    if ((now >= next_reload)); then reload; next_reload=$((next_reload + RELOAD_EVERY)); fi
    if ((now >= next_purge)); then purge; next_purge=$((next_purge + PURGE_EVERY)); fi
    if ((now >= next_sample)); then
      sample "$now"
      next_sample=$((next_sample + SAMPLE))
      if [[ $NMT != off && -z $baseline ]] && ((4 * (now - T0) >= secs)); then
        "$JCMD" "$PORTICO_PID" VM.native_memory baseline >"$LOGS/nmt-baseline.out" 2>&1 || true
        baseline=$((now - T0))
      fi
    fi
    sleep 0.5
  done
  [[ -n $dead ]] && restart_backend "$dead"
  log "waiting for the last load runs"
  for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  LOAD_PIDS=()
  # The proxy cache's counters, to see that hits, misses and purges all happened.
  curl -s --max-time 5 -H "$AUTH" "http://127.0.0.1:$PORT_ADMIN/api/v1/services/proxy/cache" \
    >"$OUT_DIR/soak-$stamp.cache.json" 2>/dev/null || true
  log "proxy cache: $(tr -d '\n' <"$OUT_DIR/soak-$stamp.cache.json")"
  if [[ -n $baseline ]]; then
    "$JCMD" "$PORTICO_PID" VM.native_memory summary.diff >"$OUT_DIR/soak-$stamp.nmt-diff.txt" 2>&1 || true
  fi
  cp "$PLOG" "$OUT_DIR/soak-$stamp.portico.log"
  cp "$EVENTS" "$OUT_DIR/soak-$stamp.events.tsv"
  cp "$RUN/load.tsv" "$OUT_DIR/soak-$stamp.load.tsv"
  cp "$LOGS/gc.log" "$OUT_DIR/soak-$stamp.gc.log" 2>/dev/null || true
  python3 "$SCRIPT_DIR/lib/soak_report.py" --csv "$CSV" --load "$RUN/load.tsv" --events "$EVENTS" \
    --log "$PLOG" --gc-log "$LOGS/gc.log" --nmt-diff "$OUT_DIR/soak-$stamp.nmt-diff.txt" --nmt-from "${baseline:-0}" --start "$T0" --duration "$secs" --settle "$SETTLE" --max-growth "$MAX_GROWTH" \
    --reloads "$RELOADS" --alive "$(kill -0 "$PORTICO_PID" 2>/dev/null && echo 1 || echo 0)" \
    --gnuplot "$OUT_DIR/soak-$stamp.gp" --png "$OUT_DIR/soak-$stamp.png" \
    | tee "$OUT_DIR/soak-$stamp.md" || rc=$?
  gnuplot "$OUT_DIR/soak-$stamp.gp" || log "gnuplot failed: no chart"
  log "CSV $CSV, chart $OUT_DIR/soak-$stamp.png, summary $OUT_DIR/soak-$stamp.md"
  return "$rc"
}

main "$@"
