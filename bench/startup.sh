#!/usr/bin/env bash
# bench/startup.sh - how fast Portico starts and how much memory it holds, beside nginx.
#
# Start-up: the time from exec to the first 200 answered (bench/lib/first_answer.py polls
# 127.0.0.1 every millisecond from before the exec), median of RUNS starts, for:
#   web     bin/portico web DIR                              (goal <= 300 ms)
#   check   bin/portico check -c demo.yaml, exec to exit 0   (goal <= 400 ms)
#   serve   bin/portico serve -c demo.yaml, the demo's services (goal <= 600 ms)
#   nginx   nginx -c (1 worker, the site of `web`), start to first 200
# Portico runs with its AOT cache and without (PORTICO_AOT=off), alternately. demo.yaml is the
# config `portico demo` builds: the site over HTTP and HTTPS (self-signed, gzip), two backends, an
# lb and a caching proxy over them, DNS with a health-checked record, the admin endpoint.
# Memory (VmRSS): `portico web DIR` fresh, `portico demo` fresh, nginx fresh. The loaded and
# idle-connection figures come from bench/web.sh (SCENARIOS=small-c50,rss).
#
#   bench/startup.sh
#   RUNS=5 SCENARIOS=web,nginx bench/startup.sh
#
# Environment (defaults in brackets):
#   RUNS [10]  SCENARIOS [web,check,serve,nginx,rss]  AOT [both: on and off; or on, off]
#   BASE_PORT [18400, uses the next 20 ports]  PORTICO_BIN [<repo>/bin/portico]
#   RSS_SETTLE [2, seconds after the first answer before RSS is read]
#   OUT_DIR [<repo>/bench/out]  KEEP=1 keeps the bench directory  NO_INSTALL=1 never calls apt-get
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LIB=$SCRIPT_DIR/lib

RUNS=${RUNS:-10}
SCENARIOS=${SCENARIOS:-web,check,serve,nginx,rss}
AOT=${AOT:-both}
BASE_PORT=${BASE_PORT:-18400}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
RSS_SETTLE=${RSS_SETTLE:-2}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
PYTHON=${PYTHON:-python3}
START_TIMEOUT=${START_TIMEOUT:-60}

log()  { printf '%s [startup.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[startup.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"

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

selected() { [[ ",$SCENARIOS," == *",$1,"* ]]; }

# Ports: web and nginx on BASE_PORT, the demo's services on the next ones.
P_WEB=$BASE_PORT
P_SITE=$((BASE_PORT + 1)) P_SITE_TLS=$((BASE_PORT + 2)) P_B1=$((BASE_PORT + 3)) P_B2=$((BASE_PORT + 4))
P_LB=$((BASE_PORT + 5)) P_PROXY=$((BASE_PORT + 6)) P_DNS=$((BASE_PORT + 7)) P_ADMIN=$((BASE_PORT + 8))
P_NGINX=$((BASE_PORT + 9))

setup() {
  if [[ -n ${BENCH_DIR:-} ]]; then
    mkdir -p "$BENCH_DIR"
  else
    BENCH_DIR=$(mktemp -d /tmp/portico-startup-bench.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  chmod 755 "$BENCH_DIR"
  WWW=$BENCH_DIR/www
  mkdir -p "$WWW" "$BENCH_DIR/b1" "$BENCH_DIR/b2" "$BENCH_DIR/state" "$BENCH_DIR/nginx"
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/index.html"
  chmod 755 "$WWW" && chmod 644 "$WWW/index.html"
  printf '<h1>backend 1</h1>\n' >"$BENCH_DIR/b1/index.html"
  printf '<h1>backend 2</h1>\n' >"$BENCH_DIR/b2/index.html"
  cat >"$BENCH_DIR/demo.test.zone" <<'ZONE'
$ORIGIN demo.test.
$TTL 300
@     IN SOA ns hostmaster 1 3600 600 86400 60
@     IN NS  ns
ns    IN A   127.0.0.1
site  IN A   127.0.0.1
ZONE
  # The services `portico demo` starts (DemoCommand), as a file.
  cat >"$BENCH_DIR/demo.yaml" <<YAML
state_dir: $BENCH_DIR/state
admin:
  listen: 127.0.0.1:$P_ADMIN
  token: startup-bench-token
services:
  site:
    type: web
    root: $WWW
    listen:
      - {address: 127.0.0.1:$P_SITE, tls: off}
      - {address: 127.0.0.1:$P_SITE_TLS, tls: on}
    tls: {self_signed: true}
    gzip: {enabled: true, cache_dir: $BENCH_DIR/gzip-cache}
  backend-1:
    type: web
    listen: 127.0.0.11:$P_B1
    root: $BENCH_DIR/b1
    expires: {css: 1m}
  backend-2:
    type: web
    listen: 127.0.0.12:$P_B2
    root: $BENCH_DIR/b2
    expires: {css: 1m}
  balanced:
    type: lb
    listen: [127.0.0.1:$P_LB]
    backends: [127.0.0.11:$P_B1, 127.0.0.12:$P_B2]
  proxied:
    type: proxy
    listen: [127.0.0.1:$P_PROXY]
    backends: [127.0.0.11:$P_B1, 127.0.0.12:$P_B2]
    health: tcp
    cache: {memory_size: 64m}
  names:
    type: dns
    listen: [127.0.0.1:$P_DNS]
    zones: {demo.test: $BENCH_DIR/demo.test.zone}
    dynamic:
      www.demo.test:
        ttl: 30/5
        addresses: [127.0.0.11, 127.0.0.12]
        health: {type: tcp, port: $P_B1, interval: 1s, down_interval: 1s, fall: 2, rise: 2}
YAML
  cat >"$BENCH_DIR/nginx/nginx.conf" <<NGINX
pid $BENCH_DIR/nginx/nginx.pid;
error_log $BENCH_DIR/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $BENCH_DIR/nginx/body;
    proxy_temp_path $BENCH_DIR/nginx/proxy;
    fastcgi_temp_path $BENCH_DIR/nginx/fcgi;
    uwsgi_temp_path $BENCH_DIR/nginx/uwsgi;
    scgi_temp_path $BENCH_DIR/nginx/scgi;
    server { listen 127.0.0.1:$P_NGINX; root $WWW; }
}
NGINX
}

# One start: runs CMD in the background with the poller waiting on PORT; sets MS (exec to the
# first 200) and SERVER_PID (still running). The poller starts first and says WAITING.
timed_start() {   # PORT LOG CMD...
  local port=$1 logf=$2 out t0 t1 i
  shift 2
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  out=$BENCH_DIR/first-answer.out
  rm -f "$BENCH_DIR/server.pid"
  "$PYTHON" "$LIB/first_answer.py" "$port" "$START_TIMEOUT" / "$BENCH_DIR/server.pid" >"$out" &
  local poller=$!
  for ((i = 0; i < 500; i++)); do grep -q WAITING "$out" 2>/dev/null && break; sleep 0.01; done
  t0=$(date +%s%N)
  "$@" >"$logf" 2>&1 &
  SERVER_PID=$!
  echo "$SERVER_PID" >"$BENCH_DIR/server.pid.new" && mv "$BENCH_DIR/server.pid.new" "$BENCH_DIR/server.pid"
  PIDS+=("$SERVER_PID")
  if ! wait "$poller"; then
    tail -n 20 "$logf" >&2
    die "no 200 on port $port from: $*"
  fi
  t1=$(tail -n 1 "$out")
  MS=$(((t1 - t0) / 1000000))
  CPU_MS=$(($(cpu_ticks "$SERVER_PID") * 1000 / TCK))
}

stop() {          # PID
  kill_tree "$1"
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=(${keep[@]+"${keep[@]}"})
}

median() { sort -n | awk '{a[NR] = $1} END {if (NR) print (NR % 2 ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2))}'; }
minmax() { sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }

declare -A MSS    # MSS[scenario:mode] = "ms ms ms ..."
declare -A CPUS   # CPUS[scenario:mode] = the CPU time (user + system, all threads) spent by then, same order
TCK=$(getconf CLK_TCK)

portico_env() {   # MODE -> the environment for that mode
  if [[ $1 == on ]]; then echo PORTICO_AOT=auto; else echo PORTICO_AOT=off; fi
}

run_web() {       # MODE
  timed_start "$P_WEB" "$BENCH_DIR/web.log" env "$(portico_env "$1")" PORTICO_SKIP_BUILD=1 \
    "$PORTICO_BIN" web "$WWW" --listen "127.0.0.1:$P_WEB" --admin off
  stop "$SERVER_PID"
}

run_serve() {     # MODE
  timed_start "$P_SITE" "$BENCH_DIR/serve.log" env "$(portico_env "$1")" PORTICO_SKIP_BUILD=1 \
    "$PORTICO_BIN" serve -c "$BENCH_DIR/demo.yaml"
  stop "$SERVER_PID"
}

run_check() {     # MODE; exec to exit 0
  local t0 t1 TIMEFORMAT='%3U %3S' cpu
  t0=$(date +%s%N)
  cpu=$({ time env "$(portico_env "$1")" PORTICO_SKIP_BUILD=1 "$PORTICO_BIN" check -c "$BENCH_DIR/demo.yaml" \
    >"$BENCH_DIR/check.log" 2>&1 || { cat "$BENCH_DIR/check.log" >&2; die "portico check failed"; }; } 2>&1)
  t1=$(date +%s%N)
  MS=$(((t1 - t0) / 1000000))
  CPU_MS=$(awk '{printf "%d", ($1 + $2) * 1000}' <<<"$cpu")
}

run_nginx() {
  timed_start "$P_NGINX" "$BENCH_DIR/nginx/out.log" nginx -p "$BENCH_DIR/nginx" -c "$BENCH_DIR/nginx/nginx.conf" \
    -g 'daemon off; worker_processes 1;'
  stop "$SERVER_PID"
}

measure_starts() {
  local modes=() i s m
  case $AOT in
    both) modes=(on off) ;;
    on | off) modes=("$AOT") ;;
    *) die "AOT must be both, on or off" ;;
  esac
  for ((i = 1; i <= RUNS; i++)); do
    for s in web check serve; do
      selected "$s" || continue
      for m in "${modes[@]}"; do
        "run_$s" "$m"
        MSS[$s:$m]+="$MS "
        CPUS[$s:$m]+="$CPU_MS "
        log "run $i: $s, AOT cache $m: $MS ms (CPU $CPU_MS ms)"
      done
    done
    if selected nginx; then
      run_nginx
      MSS[nginx:-]+="$MS "
      CPUS[nginx:-]+="$CPU_MS "
      log "run $i: nginx: $MS ms (CPU $CPU_MS ms)"
    fi
  done
}

declare -A RSS    # RSS[web:on|off], RSS[demo:on|off], RSS[nginx]
measure_rss() {
  local m
  for m in on off; do
    [[ $AOT == both || $AOT == "$m" ]] || continue
    log "RSS: portico web, fresh, AOT cache $m"
    timed_start "$P_WEB" "$BENCH_DIR/web.log" env "$(portico_env "$m")" PORTICO_SKIP_BUILD=1 "$PORTICO_BIN" web "$WWW" \
      --listen "127.0.0.1:$P_WEB" --admin off
    sleep "$RSS_SETTLE"
    RSS[web:$m]=$(rss_kb "$SERVER_PID")
    stop "$SERVER_PID"
    log "RSS: portico demo, fresh, AOT cache $m"
    timed_start "$P_SITE" "$BENCH_DIR/demo.log" env "$(portico_env "$m")" PORTICO_SKIP_BUILD=1 "$PORTICO_BIN" demo \
      --listen "127.0.0.1:$P_SITE" --https-listen "127.0.0.1:$P_SITE_TLS" --lb-listen "127.0.0.1:$P_LB" \
      --proxy-listen "127.0.0.1:$P_PROXY" --dns-listen "127.0.0.1:$P_DNS" --admin "127.0.0.1:$P_ADMIN" \
      --state-dir "$BENCH_DIR/state"
    sleep "$RSS_SETTLE"
    RSS[demo:$m]=$(rss_kb "$SERVER_PID")
    stop "$SERVER_PID"
  done
  if command -v nginx >/dev/null; then
    log "RSS: nginx, fresh"
    timed_start "$P_NGINX" "$BENCH_DIR/nginx/out.log" nginx -p "$BENCH_DIR/nginx" -c "$BENCH_DIR/nginx/nginx.conf" \
      -g 'daemon off; worker_processes 1;'
    sleep "$RSS_SETTLE"
    RSS[nginx]=$(rss_kb "$SERVER_PID")
    stop "$SERVER_PID"
  fi
}

mib() { [[ -n ${1:-} ]] && awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}' || echo -; }

report() {
  local md=$OUT_DIR/startup-$(date +%Y-%m-%d-%H%M%S).md key s m vals goal
  mkdir -p "$OUT_DIR"
  {
    echo "# Start-up and memory ($(date '+%Y-%m-%d %H:%M'))"
    echo
    echo "- machine: $(nproc --all) CPUs, $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- portico: $(git -C "$REPO_ROOT" log -1 --format='%h %s' 2>/dev/null || echo '?'); $(nginx -v 2>&1)"
    echo "- exec to the first 200 answered (check: exec to exit 0), median of $RUNS, in ms; range in brackets;"
    echo "  CPU: user + system time of all the process's threads (JIT and GC included) by then, median, in ms"
    echo
    echo "| command | with AOT cache | CPU | without | CPU | goal |"
    echo "|---|---:|---:|---:|---:|---:|"
    for s in web check serve; do
      selected "$s" || continue
      case $s in
        web) goal="≤ 300" ;;
        check) goal="≤ 400" ;;
        serve) goal="≤ 600" ;;
      esac
      printf '| portico %s |' "$s"
      for m in on off; do
        vals=${MSS[$s:$m]:-}
        if [[ -n $vals ]]; then
          printf ' %s (%s) | %s |' "$(tr ' ' '\n' <<<"$vals" | grep . | median)" "$(tr ' ' '\n' <<<"$vals" | grep . | minmax)" \
            "$(tr ' ' '\n' <<<"${CPUS[$s:$m]}" | grep . | median)"
        else
          printf ' - | - |'
        fi
      done
      printf ' %s |\n' "$goal"
    done
    if [[ -n ${MSS[nginx:-]:-} ]]; then
      vals=${MSS[nginx:-]}
      echo "| nginx | $(tr ' ' '\n' <<<"$vals" | grep . | median) ($(tr ' ' '\n' <<<"$vals" | grep . | minmax)) | $(tr ' ' '\n' <<<"${CPUS[nginx:-]}" | grep . | median) | | | |"
    fi
    if selected rss; then
      echo
      echo "| RSS, fresh | with AOT cache | without | goal |"
      echo "|---|---:|---:|---:|"
      echo "| portico web | $(mib "${RSS[web:on]:-}") | $(mib "${RSS[web:off]:-}") | ≤ 48 MiB |"
      echo "| portico demo | $(mib "${RSS[demo:on]:-}") | $(mib "${RSS[demo:off]:-}") | ≤ 128 MiB |"
      echo "| nginx (1 worker) | $(mib "${RSS[nginx]:-}") | | |"
    fi
  } >"$md"
  echo
  cat "$md"
  log "written to $md"
}

main() {
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
  ensure_packages nginx:nginx-light curl:curl ss:iproute2 "$PYTHON:python3"
  [[ -x $PORTICO_BIN ]] || die "$PORTICO_BIN is missing"
  setup
  log "bench dir $BENCH_DIR; RUNS=$RUNS SCENARIOS=$SCENARIOS AOT=$AOT; load average $(cut -d' ' -f1 /proc/loadavg)"
  # Build if needed, and make the AOT cache now rather than in the background of a measured start.
  if [[ $AOT == off ]]; then
    PORTICO_AOT=off "$PORTICO_BIN" --version >"$BENCH_DIR/version.log" 2>&1 ||
      { cat "$BENCH_DIR/version.log" >&2; die "portico --version failed"; }
  else
    log "making the AOT cache (bin/portico train)"
    "$PORTICO_BIN" train >"$BENCH_DIR/train.log" 2>&1 ||
      { tail -n 20 "$BENCH_DIR/train.log" >&2; die "portico train failed"; }
  fi
  # One start of the demo config first: it makes the self-signed certificates the next ones reuse.
  if selected serve || selected check; then
    run_serve "${AOT/both/on}"
  fi
  measure_starts
  selected rss && measure_rss
  report
}

main "$@"
