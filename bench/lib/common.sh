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
