#!/usr/bin/env bash
# Sets up everything on a fresh Debian machine with Node 20 and npm (as root or with sudo):
# Debian packages (QEMU, slirp4netns, passt, iperf3, busybox, wabt, ab for bench/netproxy-l7, ...), pnpm, the workspace's
# dependencies, the build, the native helpers and the cached test guest. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

DEBS=(
  qemu-system-x86 qemu-utils slirp4netns passt iperf3 busybox-static netcat-openbsd socat
  dnsutils cpio curl gcc libc6-dev make iproute2 util-linux kmod ca-certificates openssl procps
  ipxe-qemu python3 wabt apache2-utils
)
missing=()
for p in "${DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "10.34.9" ]; then
  echo "setup: installing pnpm 10.34.9"
  $SUDO npm install -g --silent pnpm@10.34.9
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent build --output-logs=errors-only
for f in packages/*/scripts/setup-native.sh; do [ -f "$f" ] && bash "$f"; done
for f in packages/*/scripts/setup-guest.sh; do [ -f "$f" ] && bash "$f"; done
echo "setup: done"
