# shellcheck shell=bash
# Process helpers shared by the bench scripts: the tree of a process, stopping it, its memory and
# its CPU time. Sourced after the script defines log().

descendants() {   # PID -> the PID and all its descendants, one a line
  local p=$1 c
  echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do descendants "$c"; done
}

kill_tree() {     # PID: CONT (a stopped process takes no TERM), TERM the tree, KILL after 5 s
  local pid=$1 pids i
  kill -0 "$pid" 2>/dev/null || return 0
  pids=$(descendants "$pid" | tr '\n' ' ')
  # shellcheck disable=SC2086
  kill -CONT $pids 2>/dev/null || true
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    # shellcheck disable=SC2086
    kill -0 $pids 2>/dev/null || break
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

rss_kb() {        # PID -> VmRSS in KiB, summed over the process and its descendants
  local sum=0 p v
  for p in $(descendants "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

cpu_ticks() {     # PID -> utime+stime (clock ticks) of the process tree
  local sum=0 p v
  for p in $(descendants "$1"); do
    # fields after the ")" of comm: state is 1, utime is 12, stime is 13
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

port_busy() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# remove_bench_dir: at exit, removes BENCH_DIR when the script made it (BENCH_DIR_OWNED=1) and
# KEEP is not 1; otherwise says where it is.
remove_bench_dir() {
  if [[ -n ${BENCH_DIR:-} && -d $BENCH_DIR && ${KEEP:-0} != 1 && ${BENCH_DIR_OWNED:-0} == 1 ]]; then
    rm -rf "$BENCH_DIR"
  elif [[ -n ${BENCH_DIR:-} ]]; then
    log "bench dir kept: $BENCH_DIR"
  fi
}
