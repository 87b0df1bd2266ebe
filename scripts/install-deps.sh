#!/usr/bin/env bash
# Installs every system and npm package the build, the product and the tests need.
# Idempotent: packages already present are skipped, so a second run costs a few seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libhiredis-dev libpq-dev libsodium-dev libssl-dev libicu-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libfasttext-dev libre2-dev
  clang libclang-rt-14-dev wamerican wspanish python3
  redis-server postgresql postgresql-client
  chromium fonts-liberation nodejs openssl ca-certificates curl
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "==> Debian packages present"
fi

if ! command -v npm >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends npm
fi

if [ -f "$here/tests/package.json" ]; then
  if [ ! -d "$here/tests/node_modules" ] || [ "$here/tests/package-lock.json" -nt "$here/tests/node_modules/.stamp" ]; then
    echo "==> installing npm packages for the tests"
    (cd "$here/tests" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
  fi
fi

# Prometheus and promtool from Debian's own package, unpacked into tests/.tools rather than
# installed: installing it would start a Prometheus service on every interface. The metrics tests
# run this Prometheus on 127.0.0.1 to scrape the server, and promtool to check the text format.
prom_dir="$here/tests/.tools/prometheus"
if [ ! -x "$prom_dir/usr/bin/prometheus" ]; then
  echo "==> unpacking Debian's prometheus package (for the metrics tests)"
  tmp=$(mktemp -d); chmod 755 "$tmp"
  if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    (cd "$tmp" && apt-get download prometheus >/dev/null)
  fi
  rm -rf "$prom_dir"; mkdir -p "$prom_dir"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$prom_dir"
  rm -rf "$tmp"
fi
