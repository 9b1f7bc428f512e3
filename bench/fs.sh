#!/usr/bin/env bash
# bench/fs.sh - Portico's file store router (type: filestore) against nginx as a hashing router,
# over the same three Portico WebDAV nodes, and against one node asked directly.
#
# Layout: the router under test (Portico with 1 worker, or nginx with 1 worker and
# "hash $request_uri consistent" over the three nodes) is pinned to CPU $SERVER_CPU; the three
# nodes (Portico web services with WebDAV on, one process, 1 worker) and wrk -t1 share CPU
# $CLIENT_CPU. Loopback only. Files read are placed on every node beforehand, so that nginx's
# hashing, which does not follow 3fsd's placement, finds them too. See bench/README.md.
#
#   bench/fs.sh                                    # every row, 10 s a run
#   DURATION=3s WARMUP=3s bench/fs.sh              # quick look
#   ROWS=get,get-cache bench/fs.sh                 # some rows only
#
# Rows (ROWS, comma list): get (GET 4 KiB, cache off), get-cache (GET 4 KiB, Portico's cache on),
# put (PUT 4 KiB: Portico redundancy 2, write_quorum 2; nginx proxies a single copy), big (PUT and
# GET 64 MiB, MB/s).
#
# Writes are measured twice for Portico: as the store is meant to run (redundancy 2, write_quorum
# 2: two node uploads per PUT) and, as target portico-1copy, by a router with redundancy 1 that
# sends one upload per PUT, as nginx does. The nodes sync every upload to disk whichever router
# sends it, so each copy costs the same node and disk work in every row: the first row pays for
# two copies on nodes that share one CPU and one disk, the second compares the routers alone.
#
# Target nginx-mirror (PUT rows only) is the anchor for two copies: nginx proxies each PUT as the
# nginx target does (the same hashed upstream) and mirrors it (ngx_http_mirror_module) to a node
# picked by another hash of the URI, which is the same node as the first one time in three (that
# node then takes two uploads). nginx answers a mirrored request when the main upstream has, but
# reads the next request on that connection only when the mirror's upload has ended, so with wrk's
# kept-alive connections each client PUT waits for both copies, like Portico's write_quorum 2.
# Every row also reports the nodes' CPU time per request (the node process's utime+stime over the
# measured run, divided by its requests) and the router's.
#
# Environment (defaults in brackets):
#   DURATION [10s]  WARMUP [10s, the JVM compiles its hot paths meanwhile]  CONNS [50]
#   BIG_DURATION [DURATION]  BIG_CONNS [4]  PUT_FILES [1000: the 4 KiB PUTs cycle over this many files]
#   ROWS [get,get-cache,put,big]  TARGETS [portico,portico-1copy,nginx,nginx-mirror,direct]
#   SERVER_CPU [0]  CLIENT_CPU [1]
#   BASE_PORT [18580: nodes +0 +1 +2, Portico router +10, Portico router with cache +11, nginx router +12,
#              Portico router with one copy +13, nginx mirroring router +14]
#   PORTICO_BIN [<repo>/bin/portico]  PORTICO_TRANSPORT [auto]  NO_INSTALL=1 to never call apt-get
#   MAX_STEAL [3] STEAL_RETRIES [3]: a run with more steal on the two CPUs is measured again
#   BENCH_DIR [a new /tmp/portico-fs-bench.XXXXXX, removed at exit unless KEEP=1]  OUT_DIR [bench/out]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
CONNS=${CONNS:-50}
BIG_DURATION=${BIG_DURATION:-$DURATION}
BIG_CONNS=${BIG_CONNS:-4}
PUT_FILES=${PUT_FILES:-1000}
ROWS=${ROWS:-get,get-cache,put,big}
TARGETS=${TARGETS:-portico,portico-1copy,nginx,nginx-mirror,direct}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18580}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
PORTICO_TRANSPORT=${PORTICO_TRANSPORT:-auto}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
START_TIMEOUT=${START_TIMEOUT:-900}
NOFILE=65536

PORT_NODE=$BASE_PORT                  # nodes: +0, +1, +2
PORT_PORTICO=$((BASE_PORT + 10))
PORT_PORTICO_CACHE=$((BASE_PORT + 11))
PORT_NGINX=$((BASE_PORT + 12))
PORT_PORTICO_1COPY=$((BASE_PORT + 13))
PORT_NGINX_MIRROR=$((BASE_PORT + 14))

SMALL=/_3fs_0/bench/small.bin         # 4 KiB, on every node
BIG=/_3fs_0/bench/big.bin             # 64 MiB, on every node
PUT_SMALL=/_3fs_0/put/f               # + a number (PUT_FILES of them)
PUT_BIG=/_3fs_0/put/big.bin
BIG_BYTES=$((64 << 20))

log()  { printf '%s [fs.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '%s [fs.sh] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; WARNINGS+=("$*"); }
die()  { printf '[fs.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"
WARNINGS=()
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

wants() { [[ ,$TARGETS, == *,$1,* ]]; }
row_selected() { [[ ,$ROWS, == *,$1,* ]]; }

wait_for_port() { # PID PORT NAME LOGFILE -> 1 when the process exits or never answers
  local pid=$1 port=$2 name=$3 logf=$4 start=$SECONDS
  while ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; do
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
  ensure_packages nginx:nginx-light wrk:wrk curl:curl taskset:util-linux
}

make_files() {
  local i
  mkdir -p "$RUN" "$LOGS" "$STATE"
  head -c 4096 /dev/urandom >"$RUN/small.bin"
  head -c "$BIG_BYTES" /dev/urandom >"$RUN/big.bin"
  for i in 0 1 2; do
    mkdir -p "$NODES/$i/_3fs_0/bench" "$NODES/$i/_3fs_0/put"
    cp "$RUN/small.bin" "$RUN/big.bin" "$NODES/$i/_3fs_0/bench/"
  done
  # nginx's workers run as an unprivileged user: the folder from mktemp is 0700.
  chmod 755 "$BENCH_DIR"
}

NODE_ADDRS=()
start_nodes() {
  local conf=$RUN/nodes.yaml i
  NODE_ADDRS=("127.0.0.1:$PORT_NODE" "127.0.0.1:$((PORT_NODE + 1))" "127.0.0.1:$((PORT_NODE + 2))")
  {
    cat <<EOF
# Generated by bench/fs.sh: three WebDAV nodes in one process, one event loop.
workers: 1
transport: $PORTICO_TRANSPORT
admin: off
log_level: warn
services:
EOF
    for i in 0 1 2; do
      cat <<EOF
  node$i:
    type: web
    listen: ${NODE_ADDRS[$i]}
    root: $NODES/$i
    webdav: {enabled: true, writers: [127.0.0.0/8]}
    limits: {body: 1g}
EOF
    done
  } >"$conf"
  for i in 0 1 2; do port_busy "$((PORT_NODE + i))" && die "port $((PORT_NODE + i)) is in use (set BASE_PORT)"; done
  log "starting the nodes: taskset -c $CLIENT_CPU bin/portico serve -c $conf"
  (cd "$REPO_ROOT" && exec taskset -c "$CLIENT_CPU" "$PORTICO_BIN" serve -c "$conf") >"$LOGS/nodes.log" 2>&1 &
  NODES_PID=$!
  PIDS+=("$NODES_PID")
  for i in 0 1 2; do
    wait_for_port "$NODES_PID" "$((PORT_NODE + i))" "node $i" "$LOGS/nodes.log" || die "the nodes did not start"
  done
}

start_portico() { # NAME PORT CACHE(on|off) [COPIES] -> SERVER_PID
  local name=$1 port=$2 cache=$3 copies=${4:-2} conf=$RUN/$1.yaml logf=$LOGS/$1.log
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  {
    cat <<EOF
# Generated by bench/fs.sh: the file store router, one event loop, cache $cache, $copies copies.
workers: 1
transport: $PORTICO_TRANSPORT
admin: off
log_level: warn
state_dir: $STATE
services:
  $name:
    type: filestore
    listen: [127.0.0.1:$port]
    redundancy: $copies
    write_quorum: $copies
    write_permit: [127.0.0.0/8]
    nodes: [${NODE_ADDRS[0]}, ${NODE_ADDRS[1]}, ${NODE_ADDRS[2]}]
EOF
    [[ $cache == on ]] && cat <<EOF
    cache:
      memory_size: 256m
      max_object_size: 1m
      default_ttl: {"*": 1h}
EOF
  } >"$conf"
  if ! (cd "$REPO_ROOT" && "$PORTICO_BIN" check -c "$conf") >"$LOGS/$name.check" 2>&1; then
    warn "Portico refuses $conf ($(head -n 1 "$LOGS/$name.check")): $name skipped"
    return 1
  fi
  log "starting: taskset -c $SERVER_CPU bin/portico serve -c $conf"
  (cd "$REPO_ROOT" && exec taskset -c "$SERVER_CPU" "$PORTICO_BIN" serve -c "$conf") >"$logf" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$port" "$name" "$logf"
}

start_nginx() {   # [mirror] -> SERVER_PID: nginx hashing request URIs over the three nodes
  local mode=${1:-plain} name=nginx port=$PORT_NGINX conf mirror_up='' mirror_loc='' mirror_set=''
  if [[ $mode == mirror ]]; then
    name=nginx-mirror
    port=$PORT_NGINX_MIRROR
    # The second copy: another hash of the same URI (a prefix moves it on the ring).
    mirror_up="upstream mirror_nodes {
        hash m\$request_uri consistent;
        server ${NODE_ADDRS[0]};
        server ${NODE_ADDRS[1]};
        server ${NODE_ADDRS[2]};
        keepalive 64;
    }"
    mirror_set="mirror /_mirror;
            mirror_request_body on;"
    mirror_loc="location = /_mirror {
            internal;
            proxy_pass http://mirror_nodes\$request_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }"
  fi
  conf=$RUN/$name.conf
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  cat >"$conf" <<EOF
# Generated by bench/fs.sh: nginx as 3fsd-like router, one copy per URI by consistent hashing$([[ $mode == mirror ]] && printf ',\n# and a second one to a node picked by another hash (ngx_http_mirror_module)').
pid $RUN/$name.pid;
error_log $LOGS/$name.error.log warn;
worker_processes 1;
daemon off;
worker_rlimit_nofile 20000;
events { worker_connections 8192; multi_accept off; }
http {
    default_type application/octet-stream;
    access_log off;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    server_tokens off;
    client_body_temp_path $RUN/$name-body;
    proxy_temp_path $RUN/$name-proxy;
    fastcgi_temp_path $RUN/$name-fcgi;
    uwsgi_temp_path $RUN/$name-uwsgi;
    scgi_temp_path $RUN/$name-scgi;
    upstream nodes {
        hash \$request_uri consistent;
        server ${NODE_ADDRS[0]};
        server ${NODE_ADDRS[1]};
        server ${NODE_ADDRS[2]};
        keepalive 64;
    }
    $mirror_up
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        client_max_body_size 0;
        location / {
            $mirror_set
            proxy_pass http://nodes;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # Streamed both ways, as the Portico router does: bodies are not spooled to disk
            # (with a mirror nginx reads the whole body first: into memory for a 4 KiB one, into
            # client_body_temp_path for a large one).
            proxy_request_buffering off;
            proxy_max_temp_file_size 0;
        }
        $mirror_loc
    }
}
EOF
  nginx -t -q -c "$conf" -e "$LOGS/$name.error.log" || die "nginx rejected $conf"
  taskset -c "$SERVER_CPU" nginx -c "$conf" -e "$LOGS/$name.error.log" >"$LOGS/$name.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for_port "$SERVER_PID" "$port" "$name" "$LOGS/$name.error.log"
}

check_file() {    # PORT PATH FILE NAME: the file comes back whole
  local got
  got=$(curl -s --max-time 60 -o "$RUN/check.out" -w '%{http_code}' "http://127.0.0.1:$1$2") || true
  if [[ $got != 200 ]] || ! cmp -s "$RUN/check.out" "$3"; then
    warn "$4 answered $2 with status '$got' or a different body"
    return 1
  fi
}

# ---------------------------------------------------------------- measuring

run_wrk() {       # PORT PATH DURATION CONNS [LUA] -> wrk output
  local lua=()
  [[ -n ${5:-} ]] && lua=(-s "$5")
  taskset -c "$CLIENT_CPU" wrk -t1 "-c$4" "-d$3" --latency --timeout 60s "${lua[@]}" "http://127.0.0.1:$1$2"
}

declare -A RPS MBS P50 P99 RSS NODE_CPU ROUTER_CPU
CLK_TCK=$(getconf CLK_TCK)
one_run() {       # the measured run of measure(), in its variables, with the CPU time it took
  local n0 r0=0
  n0=$(cpu_ticks "$NODES_PID")
  [[ -n $pid ]] && r0=$(cpu_ticks "$pid")
  out=$(PUT_SIZE=$put_size PUT_FILES=$put_files run_wrk "$port" "$path" "$duration" "$conns" "$lua" 2>&1) || true
  node_ticks=$(($(cpu_ticks "$NODES_PID") - n0))
  router_ticks=
  if [[ -n $pid ]]; then router_ticks=$(($(cpu_ticks "$pid") - r0)); fi
}

per_request_us() { # TICKS REQUESTS -> CPU microseconds per request
  awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN {if (t != "" && n > 0) printf "%.1f", t * 1e6 / hz / n}'
}

measure() {       # KEY PORT PATH DURATION CONNS PID [LUA PUT_SIZE PUT_FILES]
  local key=$1 port=$2 path=$3 duration=$4 conns=$5 pid=$6 lua=${7:-} put_size=${8:-0} put_files=${9:-1} out errs
  local node_ticks router_ticks requests
  if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
    log "$key: warming up for $WARMUP"
    PUT_SIZE=$put_size PUT_FILES=$put_files run_wrk "$port" "$path" "$WARMUP" "$conns" "$lua" >/dev/null 2>&1 || true
  fi
  with_low_steal "$key" one_run
  printf '==== %s: wrk -t1 -c%s -d%s %s:%s%s\n%s\n' "$key" "$conns" "$duration" "${lua:+-s $lua }" "$port" "$path" "$out" >>"$RAW"
  RPS[$key]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  MBS[$key]=$(awk '/^Transfer\/sec:/ {v = $2; u = substr(v, length(v) - 1); n = v + 0;
      if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; else if (u !~ /MB/) n /= 1048576; printf "%.0f", n}' <<<"$out")
  P50[$key]=$(awk '$1 == "50%" {print $2; exit}' <<<"$out")
  P99[$key]=$(awk '$1 == "99%" {print $2; exit}' <<<"$out")
  if [[ -n $pid ]]; then RSS[$key]=$(( $(rss_kb "$pid") / 1024 )); fi
  # Wrk's Transfer/sec counts what it reads: for a PUT, the answers, not the bodies sent. A PUT's
  # MB/s is its requests per second times the body size.
  if ((put_size > 0)) && [[ -n ${RPS[$key]} ]]; then
    MBS[$key]=$(awk -v r="${RPS[$key]}" -v s="$put_size" 'BEGIN {printf "%.0f", r * s / 1048576}')
  fi
  # CPU time per request over the measured run: the node process's (all three nodes) and the router's
  requests=$(awk '/ requests in / {print $1; exit}' <<<"$out")
  NODE_CPU[$key]=$(per_request_us "$node_ticks" "${requests:-0}")
  ROUTER_CPU[$key]=$(per_request_us "$router_ticks" "${requests:-0}")
  errs=$(awk '/Socket errors:/ {gsub(/,/, ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {s += $5} END {print s + 0}' <<<"$out")
  ((errs == 0)) || warn "$key: $errs socket errors or non-2xx responses"
  log "$key: ${RPS[$key]:-?} rps, ${MBS[$key]:-?} MB/s, p50 ${P50[$key]:-?}, p99 ${P99[$key]:-?}, router RSS ${RSS[$key]:--} MiB, CPU per request: nodes ${NODE_CPU[$key]:-?} µs, router ${ROUTER_CPU[$key]:--} µs, steal ${STEAL_LAST}%, errors $errs"
}

bench_router() {  # TARGET PORT PID: every selected row against one router
  local t=$1 port=$2 pid=$3
  if row_selected get && [[ $t != portico-cache && $t != portico-1copy && $t != nginx-mirror ]]; then
    check_file "$port" "$SMALL" "$RUN/small.bin" "$t" && measure "get/$t" "$port" "$SMALL" "$DURATION" "$CONNS" "$pid"
  fi
  if row_selected get-cache && [[ $t == portico-cache ]]; then
    check_file "$port" "$SMALL" "$RUN/small.bin" "$t" && measure "get-cache/$t" "$port" "$SMALL" "$DURATION" "$CONNS" "$pid"
  fi
  if [[ $t == portico-cache ]]; then return 0; fi
  if row_selected put; then
    measure "put/$t" "$port" "$PUT_SMALL" "$DURATION" "$CONNS" "$pid" "$SCRIPT_DIR/lib/put.lua" 4096 "$PUT_FILES"
  fi
  if row_selected big; then
    measure "putbig/$t" "$port" "$PUT_BIG" "$BIG_DURATION" "$BIG_CONNS" "$pid" "$SCRIPT_DIR/lib/put.lua" "$BIG_BYTES" 1
    # a read is one copy whatever the redundancy: the 1-copy router's reads are the other's
    if [[ $t != portico-1copy && $t != nginx-mirror ]]; then
      check_file "$port" "$BIG" "$RUN/big.bin" "$t" && measure "getbig/$t" "$port" "$BIG" "$BIG_DURATION" "$BIG_CONNS" "$pid"
    fi
    if [[ -n $pid ]]; then HWM[$t]=$(hwm_mib "$pid"); fi
  fi
}

hwm_mib() {       # PID -> the peak RSS (VmHWM) in MiB, summed over the process tree
  local sum=0 p v
  for p in $(descendants "$1"); do
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo $((sum / 1024))
}
declare -A HWM

# ---------------------------------------------------------------- report

cell() {          # KEY [mbs] -> "N rps (p50 / p99)" or "N MB/s (p50 / p99)"
  local v=${RPS[$1]:-}
  [[ ${2:-} == mbs ]] && v=${MBS[$1]:-}
  if [[ -n $v ]]; then
    echo "$v$([[ ${2:-} == mbs ]] && echo " MB/s" || echo " rps") (${P50[$1]:-?} / ${P99[$1]:-?}$([[ -n ${RSS[$1]:-} ]] && echo ", RSS ${RSS[$1]} MiB"))"
  else
    echo "-"
  fi
}

ratio() {         # A B -> A/B as "1.23×", or "-"
  if [[ -n $1 && -n $2 && $2 != 0 ]]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; else echo "-"; fi
}

report() {
  local w
  {
    echo "File store routers over three Portico WebDAV nodes (one process, 1 event loop); router on CPU $SERVER_CPU (1 worker),"
    echo "nodes and wrk -t1 on CPU $CLIENT_CPU; $DURATION a run ($BIG_DURATION for 64 MiB, -c$BIG_CONNS) after a $WARMUP warm-up, -c$CONNS otherwise;"
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), load average before the runs $LOAD."
    echo "$(nginx -v 2>&1 | sed 's/^nginx version: //') (hash \$request_uri consistent, keepalive 64, bodies streamed),"\
      "portico $(git -C "$REPO_ROOT" log -1 --format='%h' 2>/dev/null || echo '?') (transport $PORTICO_TRANSPORT; redundancy 2, write_quorum 2)."
    echo "Cells: throughput (p50 / p99 latency, router RSS after the run). A Portico PUT writes two copies, nginx's one;"
    echo "the rows marked 'same work' use a Portico router with redundancy 1. Every copy is synced to disk by its node."
    echo
    echo "| row | Portico router | nginx hashing router | one node, direct | Portico / nginx | goal |"
    echo "|---|---|---|---|---|---|"
    row_selected get && echo "| GET 4 KiB, cache off | $(cell get/portico) | $(cell get/nginx) | $(cell get/direct) | $(ratio "${RPS[get/portico]:-}" "${RPS[get/nginx]:-}") | ≥ 1.0× |"
    row_selected get-cache && echo "| GET 4 KiB, Portico's cache on | $(cell get-cache/portico-cache) | $(cell get/nginx) (no cache) | $(cell get/direct) | $(ratio "${RPS[get-cache/portico-cache]:-}" "${RPS[get/nginx]:-}") | ≥ 1.5× |"
    row_selected put && echo "| PUT 4 KiB (Portico: 2 copies, quorum 2; nginx: 1 copy) | $(cell put/portico) | $(cell put/nginx) | $(cell put/direct) | $(ratio "${RPS[put/portico]:-}" "${RPS[put/nginx]:-}") | ≥ 0.8× |"
    row_selected put && wants nginx-mirror && echo "| PUT 4 KiB, 2 copies each (nginx: a mirror to a second node) | $(cell put/portico) | $(cell put/nginx-mirror) | $(cell put/direct) | $(ratio "${RPS[put/portico]:-}" "${RPS[put/nginx-mirror]:-}") | anchor for 2 copies: nginx mirroring / nginx = $(ratio "${RPS[put/nginx-mirror]:-}" "${RPS[put/nginx]:-}") |"
    row_selected put && wants portico-1copy && echo "| PUT 4 KiB, 1 copy each (Portico redundancy 1) | $(cell put/portico-1copy) | $(cell put/nginx) | $(cell put/direct) | $(ratio "${RPS[put/portico-1copy]:-}" "${RPS[put/nginx]:-}") | same work |"
    if row_selected big; then
      echo "| PUT 64 MiB (MB/s of bodies sent; Portico: 2 copies) | $(cell putbig/portico mbs) | $(cell putbig/nginx mbs) | $(cell putbig/direct mbs) | $(ratio "${MBS[putbig/portico]:-}" "${MBS[putbig/nginx]:-}") | ≥ 0.9× |"
      wants nginx-mirror && echo "| PUT 64 MiB, 2 copies each (nginx: a mirror to a second node) | $(cell putbig/portico mbs) | $(cell putbig/nginx-mirror mbs) | $(cell putbig/direct mbs) | $(ratio "${MBS[putbig/portico]:-}" "${MBS[putbig/nginx-mirror]:-}") | anchor for 2 copies: nginx mirroring / nginx = $(ratio "${MBS[putbig/nginx-mirror]:-}" "${MBS[putbig/nginx]:-}") |"
      wants portico-1copy && echo "| PUT 64 MiB, 1 copy each (Portico redundancy 1) | $(cell putbig/portico-1copy mbs) | $(cell putbig/nginx mbs) | $(cell putbig/direct mbs) | $(ratio "${MBS[putbig/portico-1copy]:-}" "${MBS[putbig/nginx]:-}") | same work |"
      echo "| GET 64 MiB (MB/s) | $(cell getbig/portico mbs) | $(cell getbig/nginx mbs) | $(cell getbig/direct mbs) | $(ratio "${MBS[getbig/portico]:-}" "${MBS[getbig/nginx]:-}") | ≥ 0.9× |"
      echo
      echo "Peak RSS (VmHWM) of the routers over all rows: Portico ${HWM[portico]:--} MiB (with one copy ${HWM[portico-1copy]:--} MiB), nginx ${HWM[nginx]:--} MiB."
    fi
    echo
    echo "CPU time per request over the measured run (µs; the nodes' process with its three nodes, and the router):"
    for w in "${!RPS[@]}"; do
      echo "- $w: nodes ${NODE_CPU[$w]:--}, router ${ROUTER_CPU[$w]:--}"
    done | sort
    echo
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
    BENCH_DIR=$(mktemp -d /tmp/portico-fs-bench.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  RUN=$BENCH_DIR/run
  LOGS=$BENCH_DIR/logs
  NODES=$BENCH_DIR/nodes
  STATE=$BENCH_DIR/state
  make_files
  mkdir -p "$OUT_DIR"
  STAMP=$(date +%Y%m%d-%H%M%S)
  RAW=$OUT_DIR/fs-$STAMP.log
  TABLE=$OUT_DIR/fs-$STAMP.md
  LOAD=$(awk '{print $1}' /proc/loadavg)
  awk -v l="$LOAD" 'BEGIN {exit !(l > 0.5)}' &&
    log "note: load average is $LOAD; other work on the machine disturbs the figures"

  [[ -x $PORTICO_BIN ]] || die "Portico launcher $PORTICO_BIN not found"
  log "building Portico if needed: $PORTICO_BIN --version (unpinned)"
  (cd "$REPO_ROOT" && timeout 900 "$PORTICO_BIN" --version) >"$LOGS/portico-build.out" 2>&1 \
    || { tail -n 20 "$LOGS/portico-build.out" >&2; die "'$PORTICO_BIN --version' failed"; }
  start_nodes

  if wants direct; then
    log "=== direct (node 0, no router)"
    bench_router direct "$PORT_NODE" ""
  fi
  if wants portico; then
    log "=== Portico router"
    SERVER_PID=
    if start_portico fs "$PORT_PORTICO" off; then
      bench_router portico "$PORT_PORTICO" "$SERVER_PID"
    elif [[ -n $SERVER_PID ]]; then
      warn "the Portico router did not answer: not measured (logs in $LOGS)"
    fi
    if [[ -n $SERVER_PID ]]; then kill_tree "$SERVER_PID"; fi
    if row_selected get-cache; then
      log "=== Portico router with its cache"
      SERVER_PID=
      if start_portico fscache "$PORT_PORTICO_CACHE" on; then
        bench_router portico-cache "$PORT_PORTICO_CACHE" "$SERVER_PID"
      fi
      if [[ -n $SERVER_PID ]]; then kill_tree "$SERVER_PID"; fi
    fi
  fi
  if wants portico-1copy && { row_selected put || row_selected big; }; then
    log "=== Portico router with one copy (redundancy 1, as nginx writes)"
    SERVER_PID=
    if start_portico fs1copy "$PORT_PORTICO_1COPY" off 1; then
      bench_router portico-1copy "$PORT_PORTICO_1COPY" "$SERVER_PID"
    fi
    if [[ -n $SERVER_PID ]]; then kill_tree "$SERVER_PID"; fi
  fi
  if wants nginx; then
    log "=== nginx hashing router"
    SERVER_PID=
    start_nginx || warn "nginx did not answer: not measured"
    if [[ -n $SERVER_PID ]]; then
      bench_router nginx "$PORT_NGINX" "$SERVER_PID"
      kill_tree "$SERVER_PID"
    fi
  fi
  if wants nginx-mirror && { row_selected put || row_selected big; }; then
    log "=== nginx hashing router mirroring each request to a second node (two copies)"
    SERVER_PID=
    start_nginx mirror || warn "nginx with a mirror did not answer: not measured"
    if [[ -n $SERVER_PID ]]; then
      bench_router nginx-mirror "$PORT_NGINX_MIRROR" "$SERVER_PID"
      kill_tree "$SERVER_PID"
    fi
  fi
  report
}

main "$@"
