#!/usr/bin/env bash
# bench/tunnel.sh - TCP through tunnels over an emulated WAN link: direct TCP (CUBIC, and BBR as
# extra rows), OpenVPN over UDP (AES-256-GCM, TLS mode), kcptun (fast mode, default FEC) and
# Portico's QUIC tunnel (reliable and datagram modes), all through the same userspace link
# emulator (testing's dev.portico.testing.netem), so that the comparisons are fair.
#
# Every link is three namespaces: A (iperf3 client, tunnel client), R (the emulator, bridging
# frames between A and B) and B (iperf3 server, tunnel server). The emulator runs on CPU $EMU_CPU;
# the tunnel endpoints and iperf3 on CPU $TUNNEL_CPU. Every TCP flow, direct or inside a tunnel,
# uses CUBIC (iperf3 -C cubic), since new namespaces inherit the host's default (bbr here); the
# bbr rows use -C bbr. Each row runs RUNS times; the table shows the median.
#
# Links (the emulator's settings, the same in both directions):
#   lossy     200 ms RTT, 1% random loss, 50 Mbit/s       delay=100ms,rate=50mbit,queue=100ms,loss=1%
#   bursty    200 ms RTT, 3% bursty loss, 50 Mbit/s       delay=100ms,rate=50mbit,queue=100ms,burst=3%:4
#   clean     no delay, no loss, no rate limit           clean
#   ping50    50 ms RTT, no loss, no rate limit           delay=25ms (ping only)
#
#   bench/tunnel.sh
#   DURATION=5 RUNS=1 bench/tunnel.sh                   # a quick look
#   LINKS=lossy TARGETS=direct,kcptun bench/tunnel.sh
#
# Environment (defaults in brackets):
#   DURATION [20: seconds of each iperf3 run]  OMIT [2: iperf3 -O, seconds of slow start left out]
#   RUNS [3]  PINGS [50: pings a run in the ping50 rows, 0.1 s apart; each run gives its median RTT]
#   WARM_PINGS [5000: pings WARM_INTERVAL apart before a ping50 row's runs, not counted, so that a
#     JVM endpoint is measured with its packet path compiled; the same for every row. The JIT's
#     optimising tier takes a method after about 5000 calls: 500 pings left the path in its
#     profiling tier, which costs twice the time a packet]  WARM_INTERVAL [0.002 s: ping -i]
#   WARM_SECONDS [5: on the clean link, one iperf3 run this long through each row before its
#     measured runs, not counted: a JVM endpoint's JIT compiles the packet path in the first
#     seconds of traffic, on the CPU the endpoints share; 0 measures from the tunnel's start]
#   HOPS [0; 1: on the ping50 link, each tunnel row's measured pings are also split into the
#     tunnel's four hops (device to UDP and UDP to device on each side) with the kernel's
#     timestamps (bench/lib/tunnel_hops.py); the medians go to the log and the table]
#   PING_PROBE [a command run in the background during each tunnel row's measured pings, with
#     PROBE_PIDS (the endpoints' process ids, the server's in B first), PROBE_ROW and PROBE_OUT (a file to
#     write) in its environment, ended with SIGINT after them; e.g. perf or strace on one side]
#   PORTICO_MODES [reliable,datagram: the Portico rows to run; the clean link runs datagram
#     first, the others reliable only]
#   LINKS [lossy,bursty,clean,ping50]
#   TARGETS [direct,bbr,openvpn,kcptun,portico]: direct = TCP CUBIC, bbr = TCP BBR (extra rows)
#   EMU_CPU [1]  TUNNEL_CPU [0]
#   KCPTUN_ARGS [--sndwnd 1024 --rcvwnd 1024: the client's default send window of 128 packets
#     would cap a 200 ms path at 7 Mbit/s; 1024 is the server's default and covers 50 Mbit/s x 200 ms]
#   PORTICO_BIN [<repo>/bin/portico]  PORTICO_MODE_FLAG [--transport-mode: how the quick start is
#     given the mode, followed by reliable or datagram]  PORTICO_START_TIMEOUT [900, the launcher may
#     build on first use]
#   NO_INSTALL=1 never calls apt-get  BENCH_DIR [a new /tmp/portico-tunnel-bench.XXXXXX, removed at
#     exit unless KEEP=1]  OUT_DIR [bench/out]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DURATION=${DURATION:-20}
OMIT=${OMIT:-2}
RUNS=${RUNS:-3}
PINGS=${PINGS:-50}
WARM_PINGS=${WARM_PINGS:-5000}
WARM_INTERVAL=${WARM_INTERVAL:-0.002}
WARM_SECONDS=${WARM_SECONDS:-5}
HOPS=${HOPS:-0}
PING_PROBE=${PING_PROBE:-}
PORTICO_MODES=${PORTICO_MODES:-reliable,datagram}
LINKS=${LINKS:-lossy,bursty,clean,ping50}
TARGETS=${TARGETS:-direct,bbr,openvpn,kcptun,portico}
EMU_CPU=${EMU_CPU:-1}
TUNNEL_CPU=${TUNNEL_CPU:-0}
KCPTUN_ARGS=${KCPTUN_ARGS:---sndwnd 1024 --rcvwnd 1024}
PORTICO_BIN=${PORTICO_BIN:-$REPO_ROOT/bin/portico}
PORTICO_MODE_FLAG=${PORTICO_MODE_FLAG:---transport-mode}
PORTICO_START_TIMEOUT=${PORTICO_START_TIMEOUT:-900}
OUT_DIR=${OUT_DIR:-$SCRIPT_DIR/out}
KEEP=${KEEP:-0}

# Inner (tunnel) addresses: B is the server side.
IN_A=10.19.27.2
IN_B=10.19.27.1
KCP_PORT=29900
KCP_LOCAL=15201
QUIC_PORT=9000

log()  { printf '%s [tunnel.sh] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '%s [tunnel.sh] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; WARNINGS+=("$*"); }
die()  { printf '[tunnel.sh] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/proc.sh
. "$SCRIPT_DIR/lib/proc.sh"
WARNINGS=()
TOPO_PID=
IPERF_PID=
TUN_PIDS=()
TICK_MS=$((1000 / $(getconf CLK_TCK)))

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_tunnel
  stop_link
  remove_bench_dir
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

link_on() { [[ ,$LINKS, == *,$1,* ]]; }
target_on() { [[ ,$TARGETS, == *,$1,* ]]; }
mode_on() { [[ ,$PORTICO_MODES, == *,$1,* ]]; }

# ---------------------------------------------------------------- set-up

setup() {
  [[ $(id -u) == 0 ]] || die "needs root (network namespaces, TUN devices)"
  [[ -e /dev/net/tun ]] || die "needs /dev/net/tun (the TUN driver)"
  ensure_packages ip:iproute2 ethtool:ethtool iperf3:iperf3 ping:iputils-ping openvpn:openvpn \
    kcptun-client:kcptun openssl:openssl taskset:util-linux python3:python3-minimal ss:iproute2
  (($(nproc --all) >= 2)) || die "needs 2 CPUs (emulator on CPU $EMU_CPU, endpoints on CPU $TUNNEL_CPU)"
  ip netns add "portico-bench-probe-$$" 2>/dev/null || die "cannot create a network namespace (ip netns add)"
  ip netns delete "portico-bench-probe-$$"
  if [[ -z ${BENCH_DIR:-} ]]; then
    BENCH_DIR=$(mktemp -d /tmp/portico-tunnel-bench.XXXXXX)
    BENCH_DIR_OWNED=1
  fi
  RUN=$BENCH_DIR/run LOGS=$BENCH_DIR/logs CERTS=$BENCH_DIR/certs CLASSES=$BENCH_DIR/classes
  mkdir -p "$RUN" "$LOGS" "$CERTS" "$CLASSES" "$OUT_DIR"
  # shellcheck source=bin/lib/java.sh
  . "$REPO_ROOT/bin/lib/java.sh"
  portico_select_java >/dev/null || die "no JDK 25 found (see bin/lib/java.sh)"
  JAVA=$JAVA_HOME/bin/java
  # The emulator and the topology helper use the JDK alone: compile them straight from the sources.
  local src=$REPO_ROOT/testing/src/main/java/dev/portico/testing/netem
  "$JAVA_HOME/bin/javac" -nowarn -d "$CLASSES" $(ls "$src"/*.java | grep -v NetnsAssumptions) 2>"$LOGS/javac.log" \
    || die "cannot compile the link emulator: $(cat "$LOGS/javac.log")"
  make_certs
  head -c 32 /dev/urandom | base64 >"$RUN/token"
  portico_check
}

make_certs() {    # a CA, a server and a client certificate (ECDSA P-256) for OpenVPN's TLS mode
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=portico-bench-ca \
    -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" 2>/dev/null
  local side eku
  for side in server client; do
    eku=$([[ $side == server ]] && echo serverAuth || echo clientAuth)
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' "$eku" >"$CERTS/$side.ext"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bench-$side" \
      -keyout "$CERTS/$side.key" -out "$CERTS/$side.csr" 2>/dev/null
    openssl x509 -req -in "$CERTS/$side.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" -CAcreateserial \
      -days 30 -extfile "$CERTS/$side.ext" -out "$CERTS/$side.pem" 2>/dev/null
  done
  chmod 600 "$CERTS"/*.key
}

PORTICO_OK=0
PORTICO_WHY=
portico_check() {   # sets PORTICO_OK when bin/portico has the tunnel command
  target_on portico || { PORTICO_WHY="not in TARGETS"; return 0; }
  if [[ ! -x $PORTICO_BIN ]]; then
    PORTICO_WHY="$PORTICO_BIN is missing"
  else
    log "checking $PORTICO_BIN tunnel (the launcher builds Portico on first use)"
    if ! timeout "$PORTICO_START_TIMEOUT" "$PORTICO_BIN" --version >"$LOGS/portico-version.log" 2>&1; then
      PORTICO_WHY="$PORTICO_BIN --version failed (see $LOGS/portico-version.log)"
    elif ! timeout 120 "$PORTICO_BIN" tunnel server --help >"$LOGS/portico-tunnel-help.log" 2>&1 \
        || ! grep -q -- '--session' "$LOGS/portico-tunnel-help.log"; then
      PORTICO_WHY="this build of Portico has no 'tunnel server' command with --session ('$PORTICO_BIN tunnel server --help' printed: $(head -c 120 "$LOGS/portico-tunnel-help.log" | tr '\n' ' ')...)"
    else
      PORTICO_OK=1
    fi
  fi
  ((PORTICO_OK)) || warn "Portico rows skipped: $PORTICO_WHY"
}

# ---------------------------------------------------------------- links

link_spec() {
  case $1 in
    lossy) echo "delay=100ms,rate=50mbit,queue=100ms,loss=1%" ;;
    bursty) echo "delay=100ms,rate=50mbit,queue=100ms,burst=3%:4" ;;
    clean) echo "clean" ;;
    ping50) echo "delay=25ms" ;;
  esac
}

link_title() {
  case $1 in
    lossy) echo "200 ms RTT, 1% random loss, 50 Mbit/s" ;;
    bursty) echo "200 ms RTT, 3% bursty loss (bursts of 4 frames on average), 50 Mbit/s" ;;
    clean) echo "clean, no delay, no rate limit" ;;
    ping50) echo "clean, 50 ms RTT" ;;
  esac
}

start_link() {    # NAME: namespaces A, R, B and the emulator; sets NS_A, NS_B, LINK0_X_ADDR...
  local name=$1 spec i
  spec=$(link_spec "$name")
  rm -f "$RUN/env-$name"
  taskset -c "$EMU_CPU" "$JAVA" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx64m \
    -cp "$CLASSES" dev.portico.testing.netem.NetnsTopology --link a b "$spec" "$spec" \
    --emulator-cpu "$EMU_CPU" --stats "$RUN/stats-$name.txt" --env "$RUN/env-$name" \
    </dev/null >>"$LOGS/topology-$name.log" 2>&1 &
  TOPO_PID=$!
  for ((i = 0; i < 600; i++)); do
    [[ -f $RUN/env-$name ]] && break
    kill -0 "$TOPO_PID" 2>/dev/null || die "the link emulator's topology did not start: $(tail -5 "$LOGS/topology-$name.log")"
    sleep 0.1
  done
  [[ -f $RUN/env-$name ]] || die "the topology took over 60 s to start"
  # shellcheck disable=SC1090
  . "$RUN/env-$name"
  ADDR_A=$LINK0_X_ADDR ADDR_B=$LINK0_Y_ADDR
  log "link $name ($spec): A=$NS_A ($ADDR_A), B=$NS_B ($ADDR_B), emulator in $NS_R on CPU $EMU_CPU"
}

# A fresh iperf3 server for every run: one whose last client vanished with its tunnel would stay
# "busy running a test" for minutes.
start_iperf_server() {
  stop_iperf_server
  in_b iperf3 -s -1 >>"$LOGS/iperf3-server.log" 2>&1 &
  IPERF_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    ip netns exec "$NS_B" ss -Hltn 'sport = :5201' | grep -q . && return 0
    sleep 0.1
  done
  warn "iperf3's server in B never listened on 5201"
}

stop_iperf_server() {
  [[ -n $IPERF_PID ]] && kill_tree "$IPERF_PID"
  IPERF_PID=
}

stop_link() {     # TERM lets the topology stop the emulator (which writes its counters) and delete the namespaces
  stop_iperf_server
  [[ -n $TOPO_PID ]] || return 0
  kill -TERM "$TOPO_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$TOPO_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill_tree "$TOPO_PID"
  TOPO_PID=
}

in_a() { ip netns exec "$NS_A" taskset -c "$TUNNEL_CPU" "$@"; }
in_b() { ip netns exec "$NS_B" taskset -c "$TUNNEL_CPU" "$@"; }

# ---------------------------------------------------------------- tunnels

stop_tunnel() {
  local p
  for p in "${TUN_PIDS[@]}"; do kill_tree "$p"; done
  TUN_PIDS=()
}

wait_inner() {    # LABEL: waits until B's inner address answers ping from A (the tunnel is up)
  local i
  for ((i = 0; i < 60; i++)); do
    ip netns exec "$NS_A" ping -n -c 1 -W 1 "$IN_B" >/dev/null 2>&1 && return 0
    sleep 1   # no route yet fails at once: wait out the tunnel's start
  done
  warn "$1: the tunnel did not come up within 60 s (logs in $LOGS)"
  return 1
}

start_openvpn() { # LINK
  local common=(--dev tun0 --dev-type tun --proto udp --port 1194 --disable-dco
    --data-ciphers AES-256-GCM --ca "$CERTS/ca.pem" --ping 10 --verb 3 --script-security 0)
  in_b openvpn "${common[@]}" --tls-server --dh none --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --local "$ADDR_B" --ifconfig "$IN_B" "$IN_A" >>"$LOGS/openvpn-server-$1.log" 2>&1 &
  TUN_PIDS+=($!)
  in_a openvpn "${common[@]}" --tls-client --remote-cert-tls server --cert "$CERTS/client.pem" \
    --key "$CERTS/client.key" --remote "$ADDR_B" --nobind --ifconfig "$IN_A" "$IN_B" \
    >>"$LOGS/openvpn-client-$1.log" 2>&1 &
  TUN_PIDS+=($!)
  wait_inner "openvpn on $1" || return 1
  grep -q "AES-256-GCM" "$LOGS/openvpn-client-$1.log" \
    || warn "openvpn on $1: its log does not name AES-256-GCM as the data channel's cipher"
}

start_kcptun() {  # LINK: TCP port forwarding, A's 127.0.0.1:$KCP_LOCAL -> B's iperf3 port
  # shellcheck disable=SC2086
  in_b kcptun-server -l "$ADDR_B:$KCP_PORT" -t "127.0.0.1:5201" --mode fast --key portico-bench --quiet \
    $KCPTUN_ARGS >>"$LOGS/kcptun-server-$1.log" 2>&1 &
  TUN_PIDS+=($!)
  # shellcheck disable=SC2086
  in_a kcptun-client -l "127.0.0.1:$KCP_LOCAL" -r "$ADDR_B:$KCP_PORT" --mode fast --key portico-bench --quiet \
    $KCPTUN_ARGS >>"$LOGS/kcptun-client-$1.log" 2>&1 &
  TUN_PIDS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do
    ip netns exec "$NS_A" ss -Hltn "sport = :$KCP_LOCAL" | grep -q . && return 0
    sleep 0.1
  done
  warn "kcptun on $1: the client never listened on $KCP_LOCAL"
  return 1
}

start_portico() { # LINK MODE: the quick-start commands, as a user types them
  local link=$1 mode=$2 i fp=
  in_b "$PORTICO_BIN" tunnel server --listen ":$QUIC_PORT" --session "warp1=$IN_B:$IN_A" \
    --token-file "$RUN/token" $PORTICO_MODE_FLAG "$mode" >>"$LOGS/portico-server-$link-$mode.log" 2>&1 &
  TUN_PIDS+=($!)
  # The server prints what the client needs: the SHA-256 fingerprint of its certificate.
  for ((i = 0; i < 600; i++)); do
    fp=$(grep -oiE '([0-9a-f]{2}:){31}[0-9a-f]{2}|\b[0-9a-f]{64}\b' "$LOGS/portico-server-$link-$mode.log" | head -1 || true)
    [[ -n $fp ]] && break
    kill -0 "${TUN_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $fp ]]; then
    warn "portico $mode on $link: the server printed no fingerprint (see $LOGS/portico-server-$link-$mode.log)"
    return 1
  fi
  in_a "$PORTICO_BIN" tunnel client --target "$ADDR_B:$QUIC_PORT" --session "warp1=$IN_A:$IN_B" \
    --token-file "$RUN/token" --fingerprint "$fp" $PORTICO_MODE_FLAG "$mode" \
    >>"$LOGS/portico-client-$link-$mode.log" 2>&1 &
  TUN_PIDS+=($!)
  wait_inner "portico $mode on $link"
}

tunnel_pids() {   # the endpoints' process ids, the server's (in B) first: the last of each tree
  local p out=()
  for p in "${TUN_PIDS[@]}"; do out+=("$(descendants "$p" | tail -1)"); done
  echo "${out[*]}"
}

tunnel_ticks() {  # CPU ticks of every tunnel endpoint
  local sum=0 p
  for p in "${TUN_PIDS[@]}"; do sum=$((sum + $(cpu_ticks "$p"))); done
  echo "$sum"
}

# ---------------------------------------------------------------- measuring

# iperf_run HOST-ADDR CC: one iperf3 run from A; sets MBPS (receiver's goodput), BYTES, CPU_T
iperf_run() {
  local to=$1 port=$2 cc=$3 json=$RUN/iperf.json t0 t1
  start_iperf_server
  t0=$(tunnel_ticks)
  if ! in_a timeout $((DURATION + OMIT + 60)) iperf3 -c "$to" -p "$port" -C "$cc" -t "$DURATION" -O "$OMIT" -J \
      >"$json" 2>>"$LOGS/iperf3-client.log"; then
    MBPS=0 BYTES=0 CPU_T=0
    cat "$json" >>"$LOGS/iperf3-client.log"
    return 1
  fi
  t1=$(tunnel_ticks)
  CPU_T=$((t1 - t0))
  cat "$json" >>"$RAW"
  read -r MBPS BYTES < <(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    d = {"error": "no JSON"}
s = d.get("end", {}).get("sum_received")
if d.get("error") or not s:
    print("ERROR", str(d.get("error", "no sum_received")).replace(" ", "_"))
else:
    print("%.2f %d" % (s["bits_per_second"] / 1e6, s["bytes"]))' "$json")
  if [[ $MBPS == ERROR ]]; then
    log "iperf3: ${BYTES//_/ }"
    MBPS=0 BYTES=0
    return 1
  fi
}

median() { tr ' ' '\n' <<<"$*" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{v[NR] = $1} END {
  if (NR == 0) {print "-"; exit}
  printf "%.2f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A RESULT CPUGB MINRTT RUNS_OF HOPS_OF
# measure LINK ROW TO PORT CC: RUNS iperf3 runs; RESULT[LINK/ROW] = median Mbit/s
measure() {
  local link=$1 row=$2 to=$3 port=$4 cc=$5 r vals="" cpus=""
  local try ok
  if [[ $link == clean ]] && ((WARM_SECONDS > 0)); then
    # Warm-up, the same for every row, not counted: where the endpoints' CPU sets the pace, a JVM
    # endpoint's JIT compiling the packet path in the first seconds would be measured too.
    DURATION=$WARM_SECONDS OMIT=0 iperf_run "$to" "$port" "$cc" || true
  fi
  for ((r = 1; r <= RUNS; r++)); do
    # A run that fails (the tunnel lost its first packets, a busy server) is tried again.
    ok=0
    for ((try = 0; try < 3; try++)); do
      ((try)) && sleep 3
      iperf_run "$to" "$port" "$cc" && { ok=1; break; }
    done
    if ((ok)); then
      vals+="$MBPS "
      # CPU per GB: on the clean link, where the endpoints' CPU sets the pace (on the slow links
      # their idle costs would dominate the figure).
      if ((BYTES > 0 && ${#TUN_PIDS[@]} > 0)) && [[ $link == clean ]]; then
        cpus+="$(awk -v t="$CPU_T" -v ms="$TICK_MS" -v b="$BYTES" 'BEGIN {printf "%.2f", t * ms / 1000 / (b / 1e9)}') "
      fi
      log "$link / $row run $r: $MBPS Mbit/s"
    else
      warn "$link / $row run $r: iperf3 failed (see $LOGS/iperf3-client.log)"
    fi
  done
  RESULT[$link/$row]=$(median $vals)
  CPUGB[$link/$row]=$(median $cpus)
  RUNS_OF[$link/$row]=${vals% }
}

# ping_rtt LINK ROW TO: RUNS runs of PINGS pings; RESULT[LINK/ROW] = the median over the runs of
# each run's median RTT (ms; a reply that waited for a busy CPU moves a mean, not a median),
# MINRTT the median of the runs' minimum
ping_rtt() {
  local link=$1 row=$2 to=$3 r out med min vals="" mins=""
  ip netns exec "$NS_A" ping -n -c 3 -i 0.2 "$to" >/dev/null 2>&1 || true   # ARP, and the tunnel's first packets
  # Warm-up, the same for every row: a JVM endpoint runs its packet path interpreted at first, and
  # a few pings are not enough for the JIT to compile it. WARM_PINGS pings WARM_INTERVAL apart (not counted).
  ((WARM_PINGS > 0)) && { ip netns exec "$NS_A" ping -n -q -c "$WARM_PINGS" -i "$WARM_INTERVAL" "$to" >/dev/null 2>&1 || true; }
  local tunnel=$(( ${#TUN_PIDS[@]} > 0 )) hop_pids=() probe_pid=
  if ((tunnel && HOPS)); then  # on CPU $EMU_CPU, beside the emulator: not on the endpoints' CPU
    ip netns exec "$NS_A" taskset -c "$EMU_CPU" python3 "$SCRIPT_DIR/lib/tunnel_hops.py" capture "$RUN/hops-a" &
    hop_pids+=($!)
    ip netns exec "$NS_B" taskset -c "$EMU_CPU" python3 "$SCRIPT_DIR/lib/tunnel_hops.py" capture "$RUN/hops-b" &
    hop_pids+=($!)
    sleep 1
  fi
  if ((tunnel)) && [[ -n $PING_PROBE ]]; then
    PROBE_PIDS="$(tunnel_pids)" PROBE_ROW=$row PROBE_OUT="$OUT_DIR/probe-$STAMP-$row.txt" \
      setsid bash -c "$PING_PROBE" >>"$LOGS/probe-$row.log" 2>&1 &
    probe_pid=$!
    sleep 2
  fi
  for ((r = 1; r <= RUNS; r++)); do
    out=$(ip netns exec "$NS_A" taskset -c "$TUNNEL_CPU" ping -n -c "$PINGS" -i 0.1 "$to" 2>&1 || true)
    echo "$out" >>"$RAW"
    read -r med min < <(sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' <<<"$out" | sort -g | awk '{v[NR] = $1}
      END {if (NR == 0) {print "x x"; exit}
           printf "%.3f %.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1]}')
    vals+="$med " mins+="$min "
    log "$link / $row run $r: median RTT $med ms, min $min ms"
  done
  if [[ -n $probe_pid ]]; then
    kill -INT -- -"$probe_pid" 2>/dev/null || true
    wait "$probe_pid" 2>/dev/null || true
  fi
  if ((${#hop_pids[@]})); then
    kill -TERM "${hop_pids[@]}" 2>/dev/null || true
    wait "${hop_pids[@]}" 2>/dev/null || true
    HOPS_OF[$link/$row]=$(python3 "$SCRIPT_DIR/lib/tunnel_hops.py" report "$RUN/hops-a" "$RUN/hops-b")
    log "$link / $row hops: ${HOPS_OF[$link/$row]}"
    printf '%s hops\n%s\n' "$row" "${HOPS_OF[$link/$row]}" >>"$RAW"
  fi
  RESULT[$link/$row]=$(median $vals)
  MINRTT[$link/$row]=$(median $mins)
  RUNS_OF[$link/$row]=${vals% }
}

ROWS_OF=()
run_link() {      # LINK
  local link=$1
  start_link "$link"
  if [[ $link == ping50 ]]; then
    ROWS_OF+=("$link/direct")
    ping_rtt "$link" direct "$ADDR_B"
    if target_on openvpn; then
      ROWS_OF+=("$link/openvpn")
      start_openvpn "$link" && ping_rtt "$link" openvpn "$IN_B"
      stop_tunnel
    fi
    if ((PORTICO_OK)); then
      local mode
      for mode in reliable datagram; do
        mode_on "$mode" || continue
        ROWS_OF+=("$link/portico-$mode")
        start_portico "$link" "$mode" && ping_rtt "$link" "portico-$mode" "$IN_B"
        stop_tunnel
      done
    fi
  else
    if target_on direct; then ROWS_OF+=("$link/direct"); measure "$link" direct "$ADDR_B" 5201 cubic; fi
    if target_on bbr; then ROWS_OF+=("$link/bbr"); measure "$link" bbr "$ADDR_B" 5201 bbr; fi
    if target_on openvpn; then
      ROWS_OF+=("$link/openvpn")
      start_openvpn "$link" && measure "$link" openvpn "$IN_B" 5201 cubic
      stop_tunnel
    fi
    if target_on kcptun; then
      ROWS_OF+=("$link/kcptun")
      start_kcptun "$link" && measure "$link" kcptun 127.0.0.1 "$KCP_LOCAL" cubic
      stop_tunnel
    fi
    if ((PORTICO_OK)); then
      local modes=(reliable)
      [[ $link == clean ]] && modes=(datagram reliable)
      for mode in "${modes[@]}"; do
        mode_on "$mode" || continue
        ROWS_OF+=("$link/portico-$mode")
        start_portico "$link" "$mode" && measure "$link" "portico-$mode" "$IN_B" 5201 cubic
        stop_tunnel
      done
    fi
  fi
  stop_link
  log "emulator's counters for $link: $(tr '\n' ' ' <"$RUN/stats-$link.txt" 2>/dev/null || echo none)"
  cat "$RUN/stats-$link.txt" >>"$RAW" 2>/dev/null || true
}

row_title() {
  case $1 in
    direct) echo "direct TCP, CUBIC" ;;
    bbr) echo "direct TCP, BBR" ;;
    openvpn) echo "OpenVPN 2.6 UDP, AES-256-GCM (TLS mode, no DCO), TCP CUBIC inside" ;;
    kcptun) echo "kcptun fast, FEC 10/3, TCP CUBIC inside" ;;
    portico-reliable) echo "Portico tunnel, reliable mode, TCP CUBIC inside" ;;
    portico-datagram) echo "Portico tunnel, datagram mode, TCP CUBIC inside" ;;
  esac
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f×", a / b; else print "-"}'; }

report() {
  local link key row
  {
    echo "# bench/tunnel.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    echo "DURATION=$DURATION s, OMIT=$OMIT s, RUNS=$RUNS (median shown), emulator on CPU $EMU_CPU, endpoints and iperf3 on CPU $TUNNEL_CPU."
    echo "Warm-up, not counted: WARM_SECONDS=$WARM_SECONDS s of iperf3 before each clean-link row, WARM_PINGS=$WARM_PINGS pings $WARM_INTERVAL s apart before each ping row."
    echo "$(openvpn --version | head -1 | cut -d' ' -f1-2), kcptun $(dpkg-query -W -f '${Version}' kcptun 2>/dev/null), iperf3 $(dpkg-query -W -f '${Version}' iperf3 2>/dev/null), kernel $(uname -r)."
    ((PORTICO_OK)) || echo "Portico rows skipped: $PORTICO_WHY."
    for link in lossy bursty clean ping50; do
      link_on "$link" || continue
      echo
      echo "## $(link_title "$link") (\`$(link_spec "$link")\` each way)"
      echo
      if [[ $link == ping50 ]]; then
        echo "| row | median RTT, ms | min RTT, ms | median vs direct | runs (median RTT of each) |"
        echo "|---|---|---|---|---|"
        for key in "${ROWS_OF[@]}"; do
          [[ $key == "$link/"* ]] || continue
          row=${key#*/}
          printf '| %s | %s | %s | %s | %s |\n' "$([[ $row == direct ]] && echo "direct ping" || echo "ping through $(row_title "$row" | sed 's/, TCP CUBIC inside//')")" \
            "${RESULT[$key]:--}" "${MINRTT[$key]:--}" \
            "$(awk -v a="${RESULT[$key]:-x}" -v b="${RESULT[$link/direct]:-x}" 'BEGIN {if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%+.2f ms", a - b; else print "-"}')" \
            "${RUNS_OF[$key]:--}"
        done
        for key in "${ROWS_OF[@]}"; do
          [[ $key == "$link/"* && -n ${HOPS_OF[$key]:-} ]] || continue
          echo
          echo "Hops of $(row_title "${key#*/}" | sed 's/, TCP CUBIC inside//'), kernel timestamps (HOPS=1):"
          echo
          echo '```'
          echo "${HOPS_OF[$key]}"
          echo '```'
        done
      else
        echo "| row | Mbit/s (median) | vs direct CUBIC | CPU s per GB (endpoints) | runs |"
        echo "|---|---|---|---|---|"
        for key in "${ROWS_OF[@]}"; do
          [[ $key == "$link/"* ]] || continue
          row=${key#*/}
          printf '| %s | %s | %s | %s | %s |\n' "$(row_title "$row")" "${RESULT[$key]:--}" \
            "$(ratio "${RESULT[$key]:-x}" "${RESULT[$link/direct]:-x}")" "${CPUGB[$key]:--}" "${RUNS_OF[$key]:--}"
        done
        if ((PORTICO_OK)); then
          local p=$link/portico-reliable
          [[ $link == clean ]] && p=$link/portico-datagram
          echo
          echo "Portico ($p): $(ratio "${RESULT[$p]:-x}" "${RESULT[$link/direct]:-x}") direct CUBIC, $(ratio "${RESULT[$p]:-x}" "${RESULT[$link/kcptun]:-x}") kcptun, $(ratio "${RESULT[$p]:-x}" "${RESULT[$link/openvpn]:-x}") OpenVPN."
        fi
      fi
    done
    if ((${#WARNINGS[@]})); then
      echo
      echo "Warnings:"
      printf -- '- %s\n' "${WARNINGS[@]}"
    fi
  } | tee "$TABLE"
}

# ---------------------------------------------------------------- main

setup
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$OUT_DIR/tunnel-$STAMP.log
TABLE=$OUT_DIR/tunnel-$STAMP.md
: >"$RAW"
for l in lossy bursty clean ping50; do
  link_on "$l" && run_link "$l"
done
report
log "table: $TABLE, raw output: $RAW"
