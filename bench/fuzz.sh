#!/usr/bin/env bash
# bench/fuzz.sh - long runs of the Jazzer fuzz targets, one JVM each, and a table of the results.
#
#   bench/fuzz.sh                          # every target, 1,000,000 inputs each
#   INPUTS=100000 bench/fuzz.sh http       # one target, fewer inputs
#   PARALLEL=2 bench/fuzz.sh               # two targets at a time
#
# Targets (name: module, class):
#   http          web    dev.portico.web.http.HttpRequestFuzz       StrictRequestDecoder + HttpConnection
#   upstream      proxy  dev.portico.proxy.UpstreamResponseFuzz     the proxy's backend response decoder
#   proxy-header  lb     dev.portico.lb.ProxyHeaderFuzz             PROXY protocol v1/v2 parser and decoder
#   config        server dev.portico.server.config.ConfigFuzz       YAML loader and every service type's parse
#   client-hello  core   dev.portico.core.tls.ClientHelloFuzz       TLS ClientHello parser (lb's SNI routing)
#
# Environment (defaults in brackets):
#   INPUTS [1000000]  inputs per target (libFuzzer's -runs)
#   MAX_SECONDS [86400]  a time limit per target as well
#   PARALLEL [1]  targets run at once
#   NICE [10]  niceness of the runs
#   OUT_DIR [<repo>/bench/out]
#
# Each run is `mvnw surefire:test@fuzz` (the parent pom's fuzz execution) with JAZZER_FUZZ=1 and
# paranoid leak detection, as in the build, only longer. A finding stops its target; its input is
# saved as <module>/target/jazzer/crash-<sha1>, and replays as a test when copied to
# <module>/src/test/resources/<package path>/<Class>Inputs/<method>/. The corpus grows in
# <module>/target/jazzer/.cifuzz-corpus and is reused by later runs.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
INPUTS=${INPUTS:-1000000}
MAX_SECONDS=${MAX_SECONDS:-86400}
PARALLEL=${PARALLEL:-1}
NICE=${NICE:-10}
OUT_DIR=${OUT_DIR:-$REPO_ROOT/bench/out}

declare -A MODULE=([http]=web [upstream]=proxy [proxy-header]=lb [config]=server [client-hello]=core)
declare -A CLASS=([http]=HttpRequestFuzz [upstream]=UpstreamResponseFuzz [proxy-header]=ProxyHeaderFuzz [config]=ConfigFuzz
                  [client-hello]=ClientHelloFuzz)
ALL=(http upstream proxy-header config client-hello)

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${ALL[@]}")
for t in "${targets[@]}"; do
    [[ -n ${MODULE[$t]:-} ]] || { echo "fuzz.sh: unknown target '$t' (known: ${ALL[*]})" >&2; exit 2; }
done

# shellcheck source=bin/lib/java.sh
. "$REPO_ROOT/bin/lib/java.sh"
portico_select_java || exit 1
mkdir -p "$OUT_DIR"
stamp=$(date -u +%Y%m%d-%H%M%S)
cd "$REPO_ROOT"

echo "fuzz.sh: compiling (JAVA_HOME=$JAVA_HOME)" >&2
./mvnw -B -q -pl server -am test-compile

# One target: the fuzz execution of its module.
run_target() {
    local t=$1 module=${MODULE[$1]} log="$OUT_DIR/fuzz-$1-$stamp.log"
    rm -f "$module"/target/jazzer/crash-* "$module"/target/jazzer/timeout-* "$module"/target/jazzer/slow-unit-*
    local start end rc=0
    start=$(date +%s)
    # test-compile finds everything compiled above and does nothing, but the reactor needs the
    # phase to resolve the sibling modules from their target/classes (nothing is installed).
    # Chosen by fuzz.include, not -Dtest, which would turn the fuzz execution off (the parent pom's
    # chosen-tests profile); the modules built with it (-am) then find no target.
    nice -n "$NICE" ./mvnw -B -o -pl "$module" -am test-compile surefire:test@fuzz -Dfuzz.include="**/${CLASS[$t]}.java" \
        -Dfuzz.runs="$INPUTS" -Dfuzz.seconds="$MAX_SECONDS" -Dfuzz.verbosity=1 -Dfuzz.stats=1 >"$log" 2>&1 || rc=$?
    end=$(date +%s)
    echo "$t $rc $((end - start))" >"$log.status"
}

running=0
for t in "${targets[@]}"; do
    echo "fuzz.sh: $t (${MODULE[$t]}, ${CLASS[$t]}), $INPUTS inputs" >&2
    run_target "$t" &
    running=$((running + 1))
    if ((running >= PARALLEL)); then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

report="$OUT_DIR/fuzz-$stamp.md"
{
    echo "Fuzz run $stamp, commit $(git rev-parse --short HEAD), $INPUTS inputs a target, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| target | inputs | fuzzing s | inputs/s | new corpus | findings | result |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    for t in "${targets[@]}"; do
        log="$OUT_DIR/fuzz-$t-$stamp.log"
        read -r _ rc _ <"$log.status"
        inputs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
        secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
        rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
        added=$(grep -o 'stat::new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
        findings=$(find "${MODULE[$t]}/target/jazzer" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' \) 2>/dev/null | wc -l)
        result=passed
        [[ $rc -ne 0 ]] && result="failed, see $(basename "$log")"
        echo "| $t | ${inputs:-?} | ${secs:-?} | ${rate:-?} | ${added:-?} | $findings | $result |"
    done
} | tee "$report"
echo "fuzz.sh: logs and this table in $OUT_DIR" >&2
