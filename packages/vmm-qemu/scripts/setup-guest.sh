#!/usr/bin/env bash
# Builds the cached VM test guest (Debian cloud kernel + busybox initramfs) used by the
# @sandbox/vmm-qemu end-to-end tests and bench/vm. Called by scripts/setup.sh; safe to run again.
# Needs: apt-get/dpkg-deb (Debian), and the packages busybox-static, curl, iperf3 on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ! apt-cache depends linux-image-cloud-amd64 2>/dev/null | grep -q 'Depends: linux-image-[0-9]'; then
  echo "setup-guest: refreshing apt lists (apt-get update) to resolve linux-image-cloud-amd64"
  $SUDO apt-get update -qq
fi
pnpm --silent build-guest
