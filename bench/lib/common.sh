# shellcheck shell=bash
# Shared by the bench scripts; sourced after they define log() and die().

# ensure_packages CMD:PACKAGE ... installs, from Debian's packages, the package of every command
# that is missing (one apt-get update). NO_INSTALL=1 refuses instead. The packages' own services
# are kept from starting (a temporary policy-rc.d), since the scripts start their own servers.
# nginx-light falls back to nginx where the former is not offered.
ensure_packages() {
  local need=() pair prc=/usr/sbin/policy-rc.d created=0
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
  done
  ((${#need[@]})) || return 0
  [[ ${NO_INSTALL:-0} == 1 ]] && die "missing tools (${need[*]}) and NO_INSTALL=1"
  [[ $(id -u) == 0 ]] || die "missing tools (${need[*]}); run as root or install them"
  log "installing from Debian's packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [[ " ${need[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
    need=("${need[@]/nginx-light/nginx}")
  fi
  if [[ ! -e $prc ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod +x "$prc" && created=1
  fi
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || { ((created)) && rm -f "$prc"; die "apt-get install failed"; }
  ((created)) && rm -f "$prc"
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || die "${pair%%:*} is still missing"
  done
}

# Steal time: on a virtual machine the hypervisor may run other guests on the host CPUs behind our
# vCPUs, and /proc/stat counts that time as "steal". A run during which the host took a tenth of
# a vCPU measures the host, not the servers (seen on these machines: 0% steal in one run, 20% in
# the next, throughput 30% lower). The scripts therefore note the steal of the two CPUs in use
# around every measured run and measure again (up to STEAL_RETRIES more times) while it exceeds
# MAX_STEAL percent.
MAX_STEAL=${MAX_STEAL:-3}
STEAL_RETRIES=${STEAL_RETRIES:-3}

steal_snapshot() {   # CPU... -> "steal total" in ticks, summed over those CPUs
  local cpus=" $* "
  awk -v cpus="$cpus" '$1 ~ /^cpu[0-9]+$/ && index(cpus, " " substr($1, 4) " ") {
      s += $9; for (i = 2; i <= 9; i++) t += $i } END {print s + 0, t + 0}' /proc/stat
}

steal_percent() {    # "steal total" "steal total" -> stolen share of the interval, in percent
  awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " "); t = y[2] - x[2];
      printf "%.1f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0)}'
}

steal_too_high() {   # PERCENT -> true when above MAX_STEAL
  awk -v p="$1" -v m="$MAX_STEAL" 'BEGIN {exit !(p > m)}'
}

# with_low_steal LABEL FUNCTION: runs FUNCTION (one measured run, which sets its caller's
# variables) and runs it again while the steal during it was above MAX_STEAL, at most
# STEAL_RETRIES more times. Leaves the last run's steal in STEAL_LAST.
with_low_steal() {
  local label=$1 fn=$2 s0 try
  for ((try = 0; ; try++)); do
    s0=$(steal_snapshot "$SERVER_CPU" "$CLIENT_CPU")
    "$fn"
    STEAL_LAST=$(steal_percent "$s0" "$(steal_snapshot "$SERVER_CPU" "$CLIENT_CPU")")
    steal_too_high "$STEAL_LAST" && ((try < STEAL_RETRIES)) || break
    log "$label: the hypervisor stole ${STEAL_LAST}% of CPUs $SERVER_CPU,$CLIENT_CPU during the run (MAX_STEAL=$MAX_STEAL): measuring again"
  done
  if steal_too_high "$STEAL_LAST"; then
    local msg="$label: measured with ${STEAL_LAST}% steal after $STEAL_RETRIES retries; the figure is low"
    if declare -F warn >/dev/null; then warn "$msg"; else log "WARNING: $msg"; fi
  fi
  return 0
}

# ratio_summary "R1 R2 ...": the median, the geometric mean and how many are at least 1.0, as
# "median|geomean|k of n". Ratios in parentheses (a run of that round kept a high steal after its
# retries) are shown in the per-round list but left out here.
ratio_summary() {
  tr ' ' '\n' <<<"$1" | grep -E '^[0-9.]+$' | sort -n | awk '
    {v[NR] = $1; l += log($1); if ($1 >= 1.0) k++}
    END {
      if (NR == 0) {print "-|-|0 of 0"; exit}
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2f|%.2f|%d of %d\n", m, exp(l / NR), k, NR }'
}

# ratio_entry A B HIGH: A/B as one entry of a rounds list: "1.23 ", or "(1.23) " when HIGH is 1
# (a run of that round kept a high steal), which ratio_summary then leaves out.
ratio_entry() {
  awk -v a="$1" -v b="$2" -v h="$3" 'BEGIN {r = sprintf("%.2f", a / b); printf (h == 1) ? "(%s) " : "%s ", r}'
}

# SERVER_QUOTA (a percent of one CPU, e.g. 50): the server under test may use at most that much
# CPU time, through a CPU cgroup of its own (cgroup v2's cpu.max, else v1's CFS quota), with a
# 10 ms period. With the quota below what the load generator's CPU lets through, the server, not
# the load generator, sets the pace: the figures then compare the servers' own cost per request.
# cpu_limit PID NAME moves the process (every thread; later threads follow) into its cgroup.
SERVER_QUOTA=${SERVER_QUOTA:-}
QUOTA_PERIOD_US=10000
CPU_LIMIT_DIRS=()

cpu_limit() {        # PID NAME
  [[ -n $SERVER_QUOTA ]] || return 0
  [[ $SERVER_QUOTA =~ ^[0-9]+$ && $SERVER_QUOTA -ge 1 && $SERVER_QUOTA -le 100 ]] \
    || die "SERVER_QUOTA must be a percent from 1 to 100, not '$SERVER_QUOTA'"
  local quota=$((QUOTA_PERIOD_US * SERVER_QUOTA / 100)) dir
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    grep -qw cpu /sys/fs/cgroup/cgroup.controllers || die "SERVER_QUOTA: cgroup v2 has no cpu controller here"
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null \
      || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control || die "SERVER_QUOTA: cannot enable the cpu controller"
    dir=/sys/fs/cgroup/portico-bench-$2
    mkdir -p "$dir" || die "SERVER_QUOTA: cannot create $dir (run as root)"
    echo "$quota $QUOTA_PERIOD_US" >"$dir/cpu.max"
  else
    local base
    base=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/mounts)
    [[ -n $base ]] || die "SERVER_QUOTA: no cgroup with the cpu controller is mounted"
    dir=$base/portico-bench-$2
    mkdir -p "$dir" || die "SERVER_QUOTA: cannot create $dir (run as root)"
    echo "$QUOTA_PERIOD_US" >"$dir/cpu.cfs_period_us"
    echo "$quota" >"$dir/cpu.cfs_quota_us"
  fi
  echo "$1" >"$dir/cgroup.procs" || die "SERVER_QUOTA: cannot move $2 (pid $1) into $dir"
  CPU_LIMIT_DIRS+=("$dir")
  log "$2 (pid $1) limited to $SERVER_QUOTA% of a CPU ($quota µs every $QUOTA_PERIOD_US µs, $dir)"
}

cpu_limit_cleanup() {  # removes the cgroups made by cpu_limit (their processes must have ended)
  local dir
  for dir in "${CPU_LIMIT_DIRS[@]}"; do
    rmdir "$dir" 2>/dev/null || true
  done
}
