#!/usr/bin/env bash
# netproxy L7 benchmark (no root needed; loopback only): DNS forwarder with a 100k deny list, TLS
# interception handshakes/s and bulk HTTPS through interception vs direct.
#   bash bench/netproxy-l7/run.sh           full form (writes RESULTS.fragment.md)
#   bash bench/netproxy-l7/run.sh --quick   short smoke run
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../packages/netproxy"
exec node --conditions=@sandbox/source --import tsx "$here/run.ts" "$@"
