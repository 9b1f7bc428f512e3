#!/bin/bash
# Portico from the Debian package: the runtime in /usr/lib/portico/runtime (a JDK 25 trimmed with
# jlink) and the jars in /usr/lib/portico/lib. It execs java, so under systemd the JVM is the main
# process and receives SIGHUP (reload), SIGUSR1 (reopen logs) and SIGTERM (stop) itself.
# PORTICO_JAVA_OPTS adds JVM flags (under systemd: systemctl edit portico, Environment=...); the defaults
# and why are in /usr/lib/portico/jvm-flags.sh.
set -euo pipefail
# shellcheck source=bin/lib/jvm-flags.sh
. /usr/lib/portico/jvm-flags.sh
portico_jvm_flags "$@"
# The AOT cache made for this runtime when the package was built (see jvm-flags.sh): the web quick
# start's own, or that of every service type.
# The *_var forms set variables rather than print: no subshell on the way to the JVM.
AOT=/usr/lib/portico/portico.aot
portico_aot_workload_var "$@"
[[ "$PORTICO_AOT_WORKLOAD" == all ]] || AOT="/usr/lib/portico/portico-$PORTICO_AOT_WORKLOAD.aot"
portico_aot_blocker_var
if [[ -z "$PORTICO_AOT_BLOCKER" && -e "$AOT" ]]; then
  if portico_aot_whole "$AOT"; then
    PORTICO_FLAGS+=("-XX:AOTCache=$AOT")
  else
    echo "portico: $AOT was made for other JVM flags ($PORTICO_AOT_LAYOUT now) or does not match its stamp; starting without it" >&2
  fi
fi
# Netty's native libraries, extracted from their jars when the package was built (jvm-flags.sh).
if [[ "${PORTICO_JAVA_OPTS:-}" != *java.library.path* && -d /usr/lib/portico/native ]]; then
  PORTICO_FLAGS+=(-Djava.library.path=/usr/lib/portico/native)
fi
portico_exec_prefix
exec ${PORTICO_EXEC[@]+"${PORTICO_EXEC[@]}"} /usr/lib/portico/runtime/bin/java "${PORTICO_FLAGS[@]}" -cp '/usr/lib/portico/lib/*' dev.portico.server.Main "$@"
