# shellcheck shell=bash
# The JVM flags Portico runs with, shared by bin/portico (a source checkout) and the packaged
# /usr/bin/portico (installed as /usr/lib/portico/jvm-flags.sh). Source it, then call
# portico_jvm_flags: it fills the array PORTICO_FLAGS from the defaults below and PORTICO_JAVA_OPTS.
#
#   --enable-native-access=ALL-UNNAMED   Netty loads its io_uring and epoll transports through JNI,
#                                        and Portico calls libc through FFM (setrlimit, sd_notify,
#                                        the user switch); JDK 25 warns about native access
#                                        without this.
#   --sun-misc-unsafe-memory-access=allow
#                                        Netty still uses sun.misc.Unsafe for direct buffers;
#                                        JDK 25 warns on first use without this.
#   -XX:+UseSerialGC                    The single-threaded collector: buffers live off-heap in
#                                        Netty's pools, the heap holds little long-lived data, and
#                                        young collections of a few MiB take well under a
#                                        millisecond. It has the smallest footprint of HotSpot's
#                                        collectors (no per-region or per-thread structures): the
#                                        fresh resident set is 30 MiB smaller than with ParallelGC,
#                                        at the same rps on bench/web.sh (docs/decisions.md). For
#                                        heaps of many GiB (a large proxy cache) choose
#                                        -XX:+UseZGC or -XX:+UseG1GC in PORTICO_JAVA_OPTS; this one
#                                        is then left out.
#   -Xms16m -Xmn8m                       Start small and keep the young generation at 8 MiB: the
#                                        request path allocates short-lived garbage only, so young
#                                        collections stay cheap and the resident set small. The
#                                        maximum heap stays the JVM's (a quarter of the memory), so
#                                        a large proxy cache still fits.
#   -XX:TrimNativeHeapInterval=2000      Every 2 seconds, give glibc's free memory back to the
#                                        system (malloc_trim, on a JVM thread of its own, not at a
#                                        safepoint): the JIT compilers' arenas otherwise stay
#                                        resident after compilation bursts. Measured
#                                        (docs/decisions.md): 12 MiB less after bench/web.sh's 1 KiB
#                                        load (102 against 114 MiB) and 11 MiB less with 10,000 idle
#                                        connections, at the same rps (5 alternating pairs); a trim
#                                        took 0.8-2.7 ms of that thread after a start. Once a
#                                        minute, the former value, only caught the soak's slow
#                                        growth (+7.7% RSS in 2 h without it), not the first
#                                        minutes'.
#   -XX:+ExitOnOutOfMemoryError          A process that ran out of heap exits so its supervisor
#                                        (systemd, a container runtime) restarts it, rather than
#                                        limping on.
#   -Dio.netty.leakDetection.level=disabled
#                                        Netty's default samples one buffer in 128 with a stack
#                                        trace: 2.3% of the proxy's CPU under load (perf, see
#                                        docs/decisions.md). The tests run with it at paranoid;
#                                        PORTICO_JAVA_OPTS with its own io.netty.leakDetection.level
#                                        (simple, advanced) replaces this one.
#   MALLOC_ARENA_MAX=2                   An environment variable, exported for java (one set in
#                                        the environment wins): glibc gives each thread that
#                                        mallocs under contention an arena of its own, up to 8 per
#                                        CPU, and keeps their freed pages. The request path does
#                                        not malloc (Netty's pools hand out buffers), the JIT
#                                        compilers, the JVM's own threads and the TLS handshakes
#                                        do: `portico demo` held 5-8 MiB less at start with two
#                                        (3 alternating pairs), with no loss of rps on
#                                        bench/web.sh's 1 KiB row (docs/decisions.md).
#   -XX:TieredStopAtLevel=1              Only for the commands that run and exit (check, diff, the
#                                        imports, help and --version): C1 alone. C2's compilations
#                                        would finish after such a command is done; without them
#                                        `portico check` of the demo's config took a third less CPU
#                                        (0.56-0.75 s against 0.69-1.14 s, 3 alternating pairs).
#                                        The daemons keep both compilers (C2 is their throughput).
#   -XX:CompileThresholdScaling=0.3      Only for the tunnel's quick starts (tunnel server, tunnel
#                                        client): the JIT compiles a method after 30% of the
#                                        calls. A tunnel's packet path is long (Netty's pipeline,
#                                        the QUIC codec, quiche's JNI glue) and runs once per
#                                        packet, so at the rate of interactive traffic (pings,
#                                        keystrokes) it stayed in the interpreter and C1's
#                                        profiling tiers for thousands of packets: after 5,000
#                                        pings a profile still showed both on the path. With 0.3
#                                        the four hops of a ping took 15-25% less time; 0.1 cut
#                                        as much but halved the clean-link throughput (C2 code
#                                        from too short a profile), 0.3 kept it
#                                        (docs/decisions.md, "Tunnel: where a ping's time goes").
# Measured and left out (docs/decisions.md, "Launcher memory"): -XX:+UseCompactObjectHeaders
# (12% less live heap per idle connection, but the JVM aligns class metadata to 1 KiB with them:
# the AOT cache's read-write region grows from 18.0 to 20.5 MiB, so a fresh web start is 2.5-4 MiB
# larger); -Xms12m -Xmn4m (4 MiB less fresh, twice the young collections, the old generation full
# at start); -XX:ArchiveRelocationMode=0 (diagnostic; the cache's pages become clean file pages but
# VmRSS stays the same); -Xss, the code cache's size, CICompilerCount (2 already) and Netty's
# allocator settings (263 KiB before the first request): no change to a fresh start's RSS.
# PORTICO_JAVA_OPTS adds more flags (heap size, GC logging...), after these.

# portico_jvm_flags [ARGS...]: ARGS are Portico's own arguments (the subcommand first), so that a
# command that runs and exits gets its flags.
portico_jvm_flags() {
  local extra=()
  # Word splitting of PORTICO_JAVA_OPTS is intended: it holds several flags.
  read -r -a extra <<<"${PORTICO_JAVA_OPTS:-}"
  PORTICO_FLAGS=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+ExitOnOutOfMemoryError)
  if [[ "${PORTICO_JAVA_OPTS:-}" != *-XX:+Use*GC* ]]; then
    PORTICO_FLAGS+=(-XX:+UseSerialGC)
  fi
  if [[ "${PORTICO_JAVA_OPTS:-}" != *leakDetection* ]]; then
    PORTICO_FLAGS+=(-Dio.netty.leakDetection.level=disabled)
  fi
  # A small young generation keeps the resident set small without costing throughput (measured in
  # docs/decisions.md); PORTICO_JAVA_OPTS with its own -Xms/-Xmn/-Xmx replaces these.
  if [[ "${PORTICO_JAVA_OPTS:-}" != *-Xm* ]]; then
    PORTICO_FLAGS+=(-Xms16m -Xmn8m)
  fi
  if [[ "${PORTICO_JAVA_OPTS:-}" != *TrimNativeHeapInterval* ]]; then
    PORTICO_FLAGS+=(-XX:TrimNativeHeapInterval=2000)
  fi
  # glibc's malloc arenas: two, unless the environment names its own count (docs/decisions.md).
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  if [[ "${PORTICO_JAVA_OPTS:-}" != *TieredStopAtLevel* ]] && portico_one_shot "$@"; then
    PORTICO_FLAGS+=(-XX:TieredStopAtLevel=1)
  fi
  if [[ "${PORTICO_JAVA_OPTS:-}" != *CompileThresholdScaling* ]] && portico_tunnel_endpoint "$@"; then
    PORTICO_FLAGS+=(-XX:CompileThresholdScaling=0.3)
  fi
  PORTICO_FLAGS+=(${extra[@]+"${extra[@]}"})
}

# portico_exec_prefix: fills the array PORTICO_EXEC with what goes before java on the exec line:
# `env --default-signal=...` for those of SIGHUP, SIGINT, SIGTERM and SIGUSR1 this shell was
# started with ignored (nohup ignores SIGHUP, a script's `portico ... &` SIGINT), or nothing.
# The JVM does not handle a signal that was ignored when it started; Portico then puts it back to
# its default through FFM (Signals, SignalDisposition), and linking that call spun method handles
# and classes before the first accept: 50 ms of CPU and 7-9 MiB of resident memory in a `portico
# web` start (docs/decisions.md). Resetting it here costs an exec of env. The window it opens is
# the JVM's boot, where an ignored SIGHUP would now stop it, as it would any start not under nohup.
portico_exec_prefix() {
  local ignored names=() line
  PORTICO_EXEC=()
  ignored="$(trap -p HUP INT TERM USR1)"
  [[ -n "$ignored" ]] || return 0
  while read -r line; do
    [[ "$line" == "trap -- '' SIG"* ]] && names+=("${line##* SIG}")
  done <<<"$ignored"
  ((${#names[@]})) || return 0
  local IFS=,
  # coreutils 8.31 and later; an older env leaves the JVM to reset them itself.
  if env --default-signal="${names[*]}" true 2>/dev/null; then
    PORTICO_EXEC=(env --default-signal="${names[*]}")
  fi
}

# Netty's native libraries (the epoll and io_uring transports, BoringSSL, QUIC) ship inside jars.
# When a library is not on java.library.path, Netty copies it out of its jar into /tmp on every
# start and loads the copy: 3 MiB for BoringSSL at every TLS start. The launchers extract them
# once (bin/portico per build, bin/package into the package) and pass the directory.
#
# portico_native_extract LIBDIR DEST: copies META-INF/native/*.so out of the jars in LIBDIR made
# for this machine's Linux architecture into DEST, through a temporary directory renamed into
# place, so that a start sees a whole directory or none. Returns 1 (DEST not made) without unzip
# or without such jars.
portico_native_extract() {
  local libdir="$1" dest="$2" arch jar tmp found=0
  case "$(uname -m)" in
    x86_64) arch=x86_64 ;;
    aarch64) arch=aarch_64 ;;
    *) return 1 ;;
  esac
  command -v unzip >/dev/null || return 1
  tmp="$dest.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" || return 1
  for jar in "$libdir"/netty-*-linux-"$arch".jar; do
    [[ -f "$jar" ]] || continue
    unzip -q -j -o "$jar" 'META-INF/native/*.so' -d "$tmp" 2>/dev/null && found=1
  done
  if ((found)) && mv -T "$tmp" "$dest" 2>/dev/null; then
    return 0
  fi
  rm -rf "$tmp"
  [[ -d "$dest" ]]
}

# Whether Portico's arguments ARGS start a tunnel endpoint alone: the quick starts
# `tunnel server` and `tunnel client`.
portico_tunnel_endpoint() {
  [[ "${1:-}" == tunnel && ( "${2:-}" == server || "${2:-}" == client ) ]]
}

# Whether Portico's arguments ARGS name a command that runs and exits rather than a daemon.
portico_one_shot() {
  case "${1:-}" in
    check | diff | import-3xsd | import-txlb | help | -h | --help | -V | --version) return 0 ;;
    *) return 1 ;;
  esac
}

# The AOT cache (JDK 25: JEP 483 classes loaded and linked ahead of time, JEP 514's
# -XX:AOTCacheOutput, JEP 515 method profiles). A launcher makes it once from `portico train`, a
# short run of every service type, and every later start maps it (docs/decisions.md). The JVM
# checks the cache itself and starts without it when it does not fit (another JVM, other jars),
# so a cache can cost a start its speed but never the start; the launchers also check a stamp
# (size and time) written beside it when it was made, so that a cache cut short or overwritten is
# noticed before the JVM complains about it. PORTICO_AOT=off starts without a cache.

# Which cache a command maps, from Portico's arguments ARGS (the subcommand first): "web" for the
# `web DIR` quick start, which has a cache of its own made by `portico train web`, and "all" for
# every other command (`portico train`, every service type). The JVM loads every class of a cache
# at start: with the cache of every service type a fresh `portico web` held 10-11 MiB more (the
# mapping is 46 MiB against 34) and answered its first request later (docs/decisions.md).
portico_aot_workload() {
  portico_aot_workload_var "$@"
  printf '%s\n' "$PORTICO_AOT_WORKLOAD"
}

# The same, into PORTICO_AOT_WORKLOAD (the launchers call these *_var forms: no subshell).
portico_aot_workload_var() {
  if [[ "${1:-}" == web ]]; then PORTICO_AOT_WORKLOAD=web; else PORTICO_AOT_WORKLOAD=all; fi
}

# The workloads there is a cache for, in the order `train` makes them.
PORTICO_AOT_WORKLOADS=(all web)

# The size in bytes of a JVM size argument (64m, 2G, 1024k, 33554432), or nothing.
portico_bytes() {
  local v="$1" n unit
  [[ "$v" =~ ^([0-9]+)([kKmMgGtT]?)$ ]] || return 0
  n="${BASH_REMATCH[1]}"
  unit="${BASH_REMATCH[2],,}"
  case "$unit" in
    k) n=$((n << 10)) ;;
    m) n=$((n << 20)) ;;
    g) n=$((n << 30)) ;;
    t) n=$((n << 40)) ;;
  esac
  printf '%s\n' "$n"
}

# Why the flags in PORTICO_FLAGS cannot use an AOT cache, or nothing. JDK 25 refuses a cache with
# ZGC, and without compressed object pointers (heaps of 32 GiB and more).
portico_aot_blocker() {
  portico_aot_blocker_var
  [[ -z "$PORTICO_AOT_BLOCKER" ]] || printf '%s\n' "$PORTICO_AOT_BLOCKER"
}

# The same, into PORTICO_AOT_BLOCKER (empty when a cache can be used).
portico_aot_blocker_var() {
  local f heap="" key value _
  PORTICO_AOT_BLOCKER=""
  if [[ "${PORTICO_AOT:-auto}" == off ]]; then
    PORTICO_AOT_BLOCKER="PORTICO_AOT=off"
    return 0
  fi
  for f in ${PORTICO_FLAGS[@]+"${PORTICO_FLAGS[@]}"}; do
    case "$f" in
      -XX:+UseZGC) PORTICO_AOT_BLOCKER="ZGC"; return 0 ;;
      -XX:-UseCompressedOops) PORTICO_AOT_BLOCKER="-XX:-UseCompressedOops"; return 0 ;;
      -XX:AOTCache=* | -XX:AOTCacheOutput=* | -XX:AOTMode=* | -XX:SharedArchiveFile=* | -Xshare:off)
        PORTICO_AOT_BLOCKER="PORTICO_JAVA_OPTS sets $f"
        return 0
        ;;
      -Xmx*) heap="$(portico_bytes "${f#-Xmx}")" ;;
      -XX:MaxHeapSize=*) heap="$(portico_bytes "${f#-XX:MaxHeapSize=}")" ;;
    esac
  done
  if [[ -z "$heap" && -r /proc/meminfo ]]; then
    # Without -Xmx the JVM takes a quarter of the memory: 32 GiB from 128 GiB on.
    while read -r key value _; do
      if [[ "$key" == MemTotal: ]]; then
        heap=$((value * 1024 / 4))
        break
      fi
    done </proc/meminfo
  fi
  if [[ -n "$heap" ]] && ((heap >= (32 << 30))); then
    PORTICO_AOT_BLOCKER="a heap of 32 GiB or more (no compressed oops)"
  fi
  return 0
}

# The flags in PORTICO_FLAGS that change the layout of the objects a cache holds, on one line: the
# collector, compressed oops, compact object headers. A JVM started with other values refuses the
# cache (with a few lines of warnings on every start), so they are part of the cache's stamp and
# of bin/portico's cache key.
portico_aot_layout() {
  portico_aot_layout_var
  printf '%s\n' "$PORTICO_AOT_LAYOUT"
}

# The same, into PORTICO_AOT_LAYOUT.
portico_aot_layout_var() {
  local f found=()
  for f in ${PORTICO_FLAGS[@]+"${PORTICO_FLAGS[@]}"}; do
    [[ "$f" =~ ^-XX:[+-]Use([A-Za-z]+GC|CompressedOops|CompactObjectHeaders)$ ]] && found+=("$f")
  done
  PORTICO_AOT_LAYOUT="${found[*]-}"
}

# The stamp of a cache file: its size and modification time, and the layout flags of
# PORTICO_FLAGS (portico_aot_layout).
portico_aot_stamp() {
  local st
  st="$(stat -c '%s %Y' "$1" 2>/dev/null)" || return 0
  portico_aot_layout_var
  printf '%s %s\n' "$st" "$PORTICO_AOT_LAYOUT"
}

# Whether FILE is a cache as it was made, for flags of the same layout: its stamp file
# (FILE.stamp) names its size and time and the layout flags it was made with. STAT, when given,
# is FILE's size and time as `stat -c '%s %Y'` prints them (bin/portico reads every file it needs
# with one stat).
portico_aot_whole() {   # FILE [STAT]
  local st="${2:-}" want=""
  [[ -f "$1" && -f "$1.stamp" ]] || return 1
  if [[ -z "$st" ]]; then
    st="$(stat -c '%s %Y' "$1" 2>/dev/null)" || return 1
  fi
  IFS= read -r want <"$1.stamp" || [[ -n "$want" ]] || return 1
  portico_aot_layout_var
  [[ "$st $PORTICO_AOT_LAYOUT" == "$want" ]]
}

# portico_aot_make FILE JAVA ARGS...: makes the cache FILE from JAVA -XX:AOTCacheOutput=... ARGS
# (the flags, the class path, then the main class and `train`), through a temporary name, then
# writes its stamp. Returns the training run's status.
portico_aot_make() {
  local file="$1" java="$2" tmp status=0
  shift 2
  tmp="$file.tmp.$$"
  rm -f "$tmp" "$tmp.config"
  "$java" -XX:AOTCacheOutput="$tmp" "$@" || status=$?
  if [[ "$status" -eq 0 && -s "$tmp" ]]; then
    mv -f "$tmp" "$file"
    portico_aot_stamp "$file" >"$file.stamp"
  else
    rm -f "$tmp" "$tmp.config"
    [[ "$status" -ne 0 ]] || status=1
  fi
  return "$status"
}
