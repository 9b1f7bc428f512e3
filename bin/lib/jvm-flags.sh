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
#   -XX:+UseParallelGC                   Throughput collector. Buffers live off-heap in Netty's
#                                        pools, so the heap holds little long-lived data and young
#                                        collections stay short. Choose another collector in
#                                        PORTICO_JAVA_OPTS (for example -XX:+UseZGC) and this one
#                                        is left out.
#   -Xms64m -Xmn32m                      Start small and keep the young generation at 32 MiB: the
#                                        request path allocates short-lived garbage only, so young
#                                        collections stay cheap and the resident set stays small
#                                        (RSS after load 128 MiB instead of 199 MiB; rps within noise).
#   -XX:+ExitOnOutOfMemoryError          A process that ran out of heap exits so its supervisor
#                                        (systemd, a container runtime) restarts it, rather than
#                                        limping on.
#   -Dio.netty.leakDetection.level=disabled
#                                        Netty's default samples one buffer in 128 with a stack
#                                        trace: 2.3% of the proxy's CPU under load (perf, see
#                                        docs/decisions.md). The tests run with it at paranoid;
#                                        PORTICO_JAVA_OPTS with its own io.netty.leakDetection.level
#                                        (simple, advanced) replaces this one.
# PORTICO_JAVA_OPTS adds more flags (heap size, GC logging...), after these.

portico_jvm_flags() {
  local extra=()
  # Word splitting of PORTICO_JAVA_OPTS is intended: it holds several flags.
  read -r -a extra <<<"${PORTICO_JAVA_OPTS:-}"
  PORTICO_FLAGS=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+ExitOnOutOfMemoryError)
  if [[ "${PORTICO_JAVA_OPTS:-}" != *-XX:+Use*GC* ]]; then
    PORTICO_FLAGS+=(-XX:+UseParallelGC)
  fi
  if [[ "${PORTICO_JAVA_OPTS:-}" != *leakDetection* ]]; then
    PORTICO_FLAGS+=(-Dio.netty.leakDetection.level=disabled)
  fi
  # A small young generation keeps the resident set small without costing throughput (measured in
  # docs/decisions.md); PORTICO_JAVA_OPTS with its own -Xms/-Xmn/-Xmx replaces these.
  if [[ "${PORTICO_JAVA_OPTS:-}" != *-Xm* ]]; then
    PORTICO_FLAGS+=(-Xms64m -Xmn32m)
  fi
  PORTICO_FLAGS+=(${extra[@]+"${extra[@]}"})
}
