# shellcheck shell=bash
# What the tests need besides Maven's downloads: curl (smoke tests), litmus (WebDAV compliance),
# dig (DNS), nsd (the NSD comparison test), pebble (the ACME tests get certificates from it),
# chromium and chromedriver (the dashboard tests drive headless Chromium through Selenium), the
# link emulator's and the tunnel tests' tools (ip, ethtool, ping, iperf3, ss), and a JDK 25. Sourced by bin/test (and so by .ci/run): what is missing is installed from Debian's packages when apt-get is there, so that the test
# command alone sets up a fresh machine. Needs ROOT set to the repository.

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  fi
fi

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bin/test: apt-get is not available; install these by hand: $*" >&2
    return 1
  fi
  if [[ "$apt_updated" -eq 0 ]]; then
    $SUDO apt-get update
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$@"
}

# Command-line tools the tests call: curl (smoke tests), litmus (WebDAV compliance), dig (DNS),
# nsd (the DNS answers are compared with NSD's; it lives in /usr/sbin), pebble (Let's Encrypt's ACME
# test server; the package also ships pebble-challtestsrv, its DNS server in the tests),
# chromium and chromedriver (the dashboard test drives headless Chromium through Selenium),
# and for the link emulator's namespaces (testing's netem): ip and ss (iproute2), ethtool (turns
# off the veths' offloads), ping (iputils-ping) and iperf3 (the emulator's calibration, and the
# tunnel tests). ethtool and ip live in /usr/sbin, which a non-root PATH may lack.
missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v litmus >/dev/null 2>&1 || missing+=(litmus)
command -v dig >/dev/null 2>&1 || missing+=(bind9-dnsutils)
[[ -x /usr/sbin/nsd ]] || command -v nsd >/dev/null 2>&1 || missing+=(nsd)
{ [[ -x /usr/bin/pebble ]] && [[ -x /usr/bin/pebble-challtestsrv ]]; } || missing+=(pebble)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
{ [[ -x /usr/sbin/ip ]] || [[ -x /sbin/ip ]] || command -v ip >/dev/null 2>&1; } || missing+=(iproute2)
{ [[ -x /usr/sbin/ethtool ]] || [[ -x /sbin/ethtool ]] || command -v ethtool >/dev/null 2>&1; } || missing+=(ethtool)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
if [[ "${#missing[@]}" -gt 0 ]]; then
  apt_install ca-certificates "${missing[@]}" \
    || echo "bin/test: could not install ${missing[*]}; the tests that call them will fail" >&2
fi

# A JDK 25: these machines carry Temurin 25 under /usr/lib/jvm; else Debian's package where the release has one.
# shellcheck source=bin/lib/java.sh
. "$ROOT/bin/lib/java.sh"
if ! portico_select_java 2>/dev/null; then
  if apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
    apt_install openjdk-25-jdk-headless
  else
    echo "bin/test: no JDK 25 found and none in the configured package lists; install Temurin 25 under /usr/lib/jvm or set JAVA_HOME" >&2
    exit 1
  fi
  portico_select_java
fi

