#!/usr/bin/env bash
# bench/tls.sh - Portico's HTTPS against nginx and Caddy on this machine: keep-alive requests,
# full and resumed TLS 1.3 handshakes, HTTP/2 and a large file.
#
# Every server gets the same certificate (ECDSA P-256; RSA 2048 in the second handshake row),
# TLS 1.3 only and the same suite and group: TLS_AES_128_GCM_SHA256 with X25519. nginx is pinned
# to them by its config; BoringSSL (Portico) takes the client's order of TLS 1.3 suites, so the
# handshake rows' client (openssl s_time) offers TLS_AES_128_GCM_SHA256 only, and every client
# offers X25519 first. wrk and h2load offer OpenSSL's default order (AES-256-GCM first), which
# Portico follows and nginx overrides. The server runs on CPU $SERVER_CPU with one worker (nginx:
# worker_processes 1; Caddy: GOMAXPROCS=1), the load on CPU $CLIENT_CPU.
#
# Rows:
#   https-1k     wrk -c50 over HTTPS keep-alive, 1 KiB file                    rate, CPU per request
#   hs-ecdsa     openssl s_time -new: a full handshake and one request per connection, ECDSA
#   hs-rsa       the same with the RSA 2048 certificate
#   hs-resumed   openssl s_time -reuse: resumed TLS 1.3 handshakes (session tickets)
#   h2-1k        h2load -c 50 -m 10, 1 KiB file over HTTP/2 (ALPN h2)
#   large-10m    wrk -c10, 10 MiB file over HTTPS
# A client that does as much crypto as the server limits the handshake rate, so the handshake
# rows compare the server's CPU time per handshake (utime+stime of its process tree / handshakes).
#
#   bench/tls.sh
#   ROWS=https-1k,h2-1k TARGETS=nginx,portico DURATION=5s bench/tls.sh
#
# Environment (defaults in brackets):
#   DURATION [10s]  WARMUP [10s]  ROWS [all]  TARGETS [nginx,caddy,portico]
#   SERVER_CPU [0]  CLIENT_CPU [1]  BASE_PORT [18300]  PORTICO_BIN [<repo>/bin/portico]
#   PORTICO_START_TIMEOUT [900, the launcher may build on first use]  NO_INSTALL=1 never calls apt-get
#   BENCH_DIR [a new /tmp/portico-tls-bench.XXXXXX, removed at exit unless KEEP=1]  OUT_DIR [bench/out]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
ROWS=${ROWS:-all}
TARGETS=${TARGETS:-nginx,caddy,portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-18300}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
PORTICO_START_TIMEOUT=${PORTICO_START_TIMEOUT:-900}
START_TIMEOUT=${START_TIMEOUT:-30}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}
ALL_ROWS=(https-1k hs-ecdsa hs-rsa hs-resumed h2-1k large-10m)
STIME_SUITE=(-ciphersuites TLS_AES_128_GCM_SHA256)   # the handshake rows' one TLS 1.3 suite

log()  { printf '%s [tls.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '%s [tls.sh] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; WARNINGS+=("$*"); }
die()  { printf '[tls.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"
WARNINGS=()
SERVER_PID=
TICK_MS=$((1000 / $(getconf CLK_TCK)))

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $SERVER_PID ]] && kill_tree "$SERVER_PID"
  remove_bench_dir
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

selected() { [[ $ROWS == all || ,$ROWS, == *,$1,* ]]; }
target_on() { [[ ,$TARGETS, == *,$1,* ]]; }

# ---------------------------------------------------------------- set-up

setup() {
  ensure_packages nginx:nginx-light caddy:caddy wrk:wrk h2load:nghttp2-client openssl:openssl \
    curl:curl taskset:util-linux ss:iproute2
  (($(nproc --all) >= 2)) || die "needs 2 CPUs (server on CPU $SERVER_CPU, load on CPU $CLIENT_CPU)"
  if [[ -z ${BENCH_DIR:-} ]]; then
    BENCH_DIR=$(mktemp -d /tmp/portico-tls-bench.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  WWW=$BENCH_DIR/www RUN=$BENCH_DIR/run LOGS=$BENCH_DIR/logs CERTS=$BENCH_DIR/certs
  mkdir -p "$WWW" "$RUN" "$LOGS" "$CERTS" "$OUT_DIR"
  chmod 755 "$BENCH_DIR" "$WWW"
  head -c 2048 /dev/urandom | base64 -w 76 | head -c 1024 >"$WWW/small.html"
  head -c $((10 * 1024 * 1024)) /dev/urandom >"$WWW/large.bin"
  chmod 644 "$WWW"/*
  make_certs
}

make_certs() {    # a CA, and an ECDSA P-256 and an RSA 2048 leaf for localhost and 127.0.0.1
  local ext=$CERTS/san.ext
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$ext"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=portico-bench-ca \
    -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$CERTS/ecdsa.key" -out "$CERTS/ecdsa.csr" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$CERTS/rsa.key" -out "$CERTS/rsa.csr" 2>/dev/null
  local k
  for k in ecdsa rsa; do
    openssl x509 -req -in "$CERTS/$k.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" -CAcreateserial \
      -days 30 -extfile "$ext" -out "$CERTS/$k.pem" 2>/dev/null
  done
  chmod 644 "$CERTS"/*
}

# ---------------------------------------------------------------- servers

nginx_conf() {    # KEYTYPE PORT -> path of the config
  local k=$1 port=$2 conf=$RUN/nginx-$1.conf
  cat >"$conf" <<EOF
# Generated by bench/tls.sh ($k certificate).
pid $RUN/nginx-$k.pid;
error_log $LOGS/nginx-$k.error.log warn;
events { worker_connections 8192; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    keepalive_requests 10000000;
    open_file_cache max=1000 inactive=60s;
    server_tokens off;
    client_body_temp_path $RUN/nginx-body;
    proxy_temp_path $RUN/nginx-proxy;
    fastcgi_temp_path $RUN/nginx-fcgi;
    uwsgi_temp_path $RUN/nginx-uwsgi;
    scgi_temp_path $RUN/nginx-scgi;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
    ssl_session_tickets on;
    server {
        listen 127.0.0.1:$port ssl http2 reuseport backlog=4096;
        ssl_certificate $CERTS/$k.pem;
        ssl_certificate_key $CERTS/$k.key;
        root $WWW;
        location / { }
    }
}
EOF
  echo "$conf"
}

caddy_conf() {    # KEYTYPE PORT -> path of the Caddyfile
  local k=$1 port=$2 conf=$RUN/Caddyfile-$1
  cat >"$conf" <<EOF
# Generated by bench/tls.sh ($k certificate).
{
    admin off
    auto_https off
    default_sni localhost
    storage file_system $RUN/caddy-data
    servers {
        protocols h1 h2
    }
}
https://:$port {
    bind 127.0.0.1
    tls $CERTS/$k.pem $CERTS/$k.key {
        protocols tls1.3
        curves x25519
    }
    root * $WWW
    file_server
}
EOF
  echo "$conf"
}

wait_https() {    # PID PORT TIMEOUT NAME LOGFILE
  local pid=$1 port=$2 timeout=$3 name=$4 logf=$5 start=$SECONDS
  until curl -s -o /dev/null --max-time 2 --cacert "$CERTS/ca.pem" "https://127.0.0.1:$port/small.html"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS - start > timeout)); then
      log "$name did not answer on https://127.0.0.1:$port; last lines of $logf:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

start_server() {  # TARGET KEYTYPE PORT -> sets SERVER_PID
  local t=$1 k=$2 port=$3 logf=$LOGS/$1-$2.log conf
  port_busy "$port" && die "port $port is in use (set BASE_PORT)"
  case $t in
    nginx)
      conf=$(nginx_conf "$k" "$port")
      taskset -c "$SERVER_CPU" nginx -e "$LOGS/nginx-$k.error.log" -p "$RUN" -c "$conf" \
        -g 'daemon off; worker_processes 1;' >"$logf" 2>&1 &
      ;;
    caddy)
      conf=$(caddy_conf "$k" "$port")
      GOMAXPROCS=1 HOME=$RUN XDG_DATA_HOME=$RUN/caddy-data XDG_CONFIG_HOME=$RUN/caddy-config \
        taskset -c "$SERVER_CPU" caddy run --adapter caddyfile --config "$conf" >"$logf" 2>&1 &
      ;;
    portico)
      (cd "$REPO_ROOT" && exec taskset -c "$SERVER_CPU" "$PORTICO_BIN" web "$WWW" \
        --listen "127.0.0.1:$port" --workers 1 --admin=off --log-level=warn \
        --tls-cert "$CERTS/$k.pem" --tls-key "$CERTS/$k.key") >"$logf" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  local timeout=$START_TIMEOUT
  [[ $t == portico ]] && timeout=$PORTICO_START_TIMEOUT
  wait_https "$SERVER_PID" "$port" "$timeout" "$t" "$logf" || die "$t did not start"
  log "$t ($k) answers on https://127.0.0.1:$port (pid $SERVER_PID)"
}

stop_server() {
  kill_tree "$SERVER_PID"
  SERVER_PID=
}

# ---------------------------------------------------------------- measurements

secs() { local d=$1; [[ $d == *s ]] && d=${d%s}; [[ $d == *m ]] && d=$((${d%m} * 60)); echo "$d"; }

on_client() { taskset -c "$CLIENT_CPU" "$@"; }

# Each measure_* prints "RATE COUNT TICKS": per second, operations done, and the server's CPU
# ticks spent meanwhile.
measure_wrk() {   # PORT PATH CONNS DURATION
  local port=$1 path=$2 conns=$3 d=$4 c0 out rate count
  c0=$(cpu_ticks "$SERVER_PID")
  out=$(on_client wrk -t1 -c"$conns" -d"$d" --timeout 10s "https://127.0.0.1:$port$path")
  TICKS=$(($(cpu_ticks "$SERVER_PID") - c0))
  rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  count=$(awk '/requests in/ {print $1}' <<<"$out")
  grep -q 'Non-2xx\|Socket errors' <<<"$out" && warn "wrk on :$port$path: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ')"
  echo "${rate:-0} ${count:-0} $TICKS"
}

measure_stime() { # PORT MODE(-new|-reuse) SECONDS
  local port=$1 mode=$2 s=$3 c0 out count
  c0=$(cpu_ticks "$SERVER_PID")
  out=$(on_client openssl s_time -connect "127.0.0.1:$port" "$mode" -time "$s" -www /small.html "${STIME_SUITE[@]}" 2>&1 || true)
  TICKS=$(($(cpu_ticks "$SERVER_PID") - c0))
  # "4113 connections in 10 real seconds, 4216 bytes read per connection"
  count=$(awk '/connections in [0-9.]+ real seconds/ {print $1}' <<<"$out" | tail -n 1)
  [[ -n $count ]] || { warn "s_time $mode on :$port printed no count: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; count=0; }
  awk -v c="$count" -v s="$s" -v t="$TICKS" 'BEGIN {printf "%.1f %d %d\n", c / s, c, t}'
}

measure_h2load() { # PORT DURATION
  local port=$1 d=$2 c0 out rate count
  c0=$(cpu_ticks "$SERVER_PID")
  out=$(on_client h2load -t1 -c50 -m10 -D "$(secs "$d")" "https://127.0.0.1:$port/small.html" 2>&1 || true)
  TICKS=$(($(cpu_ticks "$SERVER_PID") - c0))
  grep -q 'Application protocol: h2' <<<"$out" || warn "h2load on :$port did not negotiate h2: $(grep -i 'protocol' <<<"$out" | head -n 1)"
  rate=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' <<<"$out")
  count=$(awk '/^requests:/ {print $8}' <<<"$out")   # "requests: N total, N started, N done, N succeeded"
  echo "${rate:-0} ${count:-0} $TICKS"
}

run_row() {       # ROW TARGET PORT -> "RATE CPU_US_PER_OP"
  local row=$1 t=$2 port=$3 res s rate count ticks
  s=$(secs "$DURATION")
  case $row in
    https-1k)   on_client wrk -t1 -c50 -d"$WARMUP" "https://127.0.0.1:$port/small.html" >/dev/null
                res=$(measure_wrk "$port" /small.html 50 "$DURATION") ;;
    large-10m)  on_client wrk -t1 -c10 -d"$WARMUP" "https://127.0.0.1:$port/large.bin" >/dev/null
                res=$(measure_wrk "$port" /large.bin 10 "$DURATION") ;;
    h2-1k)      on_client h2load -t1 -c50 -m10 -D "$(secs "$WARMUP")" "https://127.0.0.1:$port/small.html" >/dev/null 2>&1 || true
                res=$(measure_h2load "$port" "$DURATION") ;;
    hs-ecdsa|hs-rsa)
                on_client openssl s_time -connect "127.0.0.1:$port" -new -time "$(secs "$WARMUP")" -www /small.html "${STIME_SUITE[@]}" >/dev/null 2>&1 || true
                res=$(measure_stime "$port" -new "$s") ;;
    hs-resumed) on_client openssl s_time -connect "127.0.0.1:$port" -reuse -time "$(secs "$WARMUP")" -www /small.html "${STIME_SUITE[@]}" >/dev/null 2>&1 || true
                res=$(measure_stime "$port" -reuse "$s") ;;
  esac
  read -r rate count ticks <<<"$res"
  awk -v r="$rate" -v c="$count" -v t="$ticks" -v ms="$TICK_MS" \
    'BEGIN {printf "%s %.1f\n", r, (c > 0 ? t * ms * 1000 / c : 0)}'
}

# ---------------------------------------------------------------- main

main() {
  setup
  local port=$BASE_PORT t row k
  declare -gA RATE CPU
  for t in nginx caddy portico; do
    target_on "$t" || continue
    for k in ecdsa rsa; do
      local any=0
      for row in "${ALL_ROWS[@]}"; do
        selected "$row" || continue
        [[ $k == rsa && $row != hs-rsa ]] && continue
        [[ $k == ecdsa && $row == hs-rsa ]] && continue
        any=1
      done
      ((any)) || continue
      start_server "$t" "$k" "$port"
      for row in "${ALL_ROWS[@]}"; do
        selected "$row" || continue
        [[ $k == rsa && $row != hs-rsa ]] && continue
        [[ $k == ecdsa && $row == hs-rsa ]] && continue
        log "$row on $t ..."
        read -r RATE[$row,$t] CPU[$row,$t] < <(run_row "$row" "$t" "$port")
        log "$row on $t: ${RATE[$row,$t]}/s, ${CPU[$row,$t]} µs of server CPU each"
      done
      stop_server
      port=$((port + 1))
    done
  done
  report
}

report() {
  local out row t stamp commit
  stamp=$(date -u +%Y-%m-%dT%H:%MZ)
  commit=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  out=$OUT_DIR/tls-$(date +%Y%m%d-%H%M%S).md
  {
    echo "## bench/tls.sh, $stamp, commit $commit, DURATION=$DURATION WARMUP=$WARMUP"
    echo
    echo "Rates per second; CPU = the server's CPU time per request or handshake, in µs."
    echo "Ratios: Portico's rate / the other's (higher is better); for handshakes, Portico's CPU / the other's (lower is better)."
    echo
    echo "| row | nginx rate | nginx CPU | Caddy rate | Caddy CPU | Portico rate | Portico CPU | vs nginx | vs Caddy |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for row in "${ALL_ROWS[@]}"; do
      selected "$row" || continue
      printf '| %s ' "$row"
      for t in nginx caddy portico; do
        printf '| %s | %s ' "${RATE[$row,$t]:--}" "${CPU[$row,$t]:--}"
      done
      for t in nginx caddy; do
        printf '| %s ' "$(ratio "$row" "$t")"
      done
      echo "|"
    done
    if ((${#WARNINGS[@]})); then
      echo
      printf -- '- warning: %s\n' "${WARNINGS[@]}"
    fi
  } | tee "$out"
  log "table written to $out"
}

ratio() {         # ROW OTHER -> Portico vs OTHER
  local row=$1 o=$2
  case $row in
    hs-*) awk -v a="${CPU[$row,portico]:-}" -v b="${CPU[$row,$o]:-}" 'BEGIN {if (a == "" || b + 0 == 0) print "-"; else printf "%.2f× CPU\n", a / b}' ;;
    *)    awk -v a="${RATE[$row,portico]:-}" -v b="${RATE[$row,$o]:-}" 'BEGIN {if (a == "" || b + 0 == 0) print "-"; else printf "%.2f×\n", a / b}' ;;
  esac
}

main "$@"
