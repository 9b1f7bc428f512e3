# shellcheck shell=bash
# Finds a JDK 25 or newer for bin/portico, bin/test and .ci/run. Source it, then call
# portico_select_java: on success it exports JAVA_HOME and sets JAVA_CMD; on failure it prints
# what to install and returns 1.
#
# Order: $JAVA_HOME if its java is 25+, then the newest /usr/lib/jvm/*/ whose release file says
# JAVA_VERSION >= 25 (for example /usr/lib/jvm/temurin-25-jdk-amd64), then java on the PATH.

PORTICO_MIN_JAVA=25

# The feature version (25, 17, 8...) of a java binary, or nothing.
portico_java_major() {
  local out
  out="$("$1" -version 2>&1 | head -n 1)" || return 1
  # openjdk version "25.0.1" 2025-10-21 / java version "1.8.0_402"
  out="${out#*version \"}"
  out="${out%%\"*}"
  case "$out" in
    1.*) out="${out#1.}" ;;
  esac
  out="${out%%[.+-]*}"
  [[ "$out" =~ ^[0-9]+$ ]] && printf '%s\n' "$out"
}

# The feature version from a JDK's release file, or nothing. portico_release_major_var sets
# PORTICO_RELEASE_MAJOR instead of printing it, without starting a process (the launchers call it
# on every start, for every JDK under /usr/lib/jvm).
portico_release_major_var() {
  local line v=""
  PORTICO_RELEASE_MAJOR=""
  [[ -r "$1/release" ]] || return 1
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^JAVA_VERSION=\"([^\"]*)\" ]]; then
      v="${BASH_REMATCH[1]}"
      break
    fi
  done <"$1/release"
  v="${v#1.}"
  v="${v%%[.+-]*}"
  [[ "$v" =~ ^[0-9]+$ ]] || return 1
  PORTICO_RELEASE_MAJOR="$v"
}

portico_release_major() {
  portico_release_major_var "$1" && printf '%s\n' "$PORTICO_RELEASE_MAJOR"
}

portico_select_java() {
  local major best="" best_major=0 dir
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    # The release file when there is one: running `java -version` costs a JVM start.
    if portico_release_major_var "$JAVA_HOME"; then
      major="$PORTICO_RELEASE_MAJOR"
    else
      major="$(portico_java_major "$JAVA_HOME/bin/java" || true)"
    fi
    if [[ -n "$major" && "$major" -ge "$PORTICO_MIN_JAVA" ]]; then
      JAVA_CMD="$JAVA_HOME/bin/java"
      export JAVA_HOME
      return 0
    fi
  fi
  for dir in /usr/lib/jvm/*/; do
    dir="${dir%/}"
    [[ -x "$dir/bin/java" && -x "$dir/bin/javac" ]] || continue
    portico_release_major_var "$dir" || continue
    major="$PORTICO_RELEASE_MAJOR"
    if [[ -n "$major" && "$major" -ge "$PORTICO_MIN_JAVA" && "$major" -gt "$best_major" ]]; then
      best="$dir"
      best_major="$major"
    fi
  done
  if [[ -n "$best" ]]; then
    export JAVA_HOME="$best"
    JAVA_CMD="$best/bin/java"
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    major="$(portico_java_major java || true)"
    if [[ -n "$major" && "$major" -ge "$PORTICO_MIN_JAVA" ]]; then
      JAVA_CMD="$(command -v java)"
      JAVA_HOME="$(cd "$(dirname "$(readlink -f "$JAVA_CMD")")/.." && pwd)"
      export JAVA_HOME
      return 0
    fi
  fi
  cat >&2 <<MSG
portico: needs a JDK ${PORTICO_MIN_JAVA} or newer, and none was found
  (looked at JAVA_HOME=${JAVA_HOME:-<unset>}, /usr/lib/jvm/*, and java on the PATH).
Install Temurin ${PORTICO_MIN_JAVA} (https://adoptium.net/installation/linux/; on Debian or Ubuntu:
  apt-get install temurin-${PORTICO_MIN_JAVA}-jdk after adding the Adoptium apt repository),
then set JAVA_HOME, for example:
  export JAVA_HOME=/usr/lib/jvm/temurin-${PORTICO_MIN_JAVA}-jdk-amd64
MSG
  return 1
}
