#!/usr/bin/env bash
# netproxy benchmark (root, network namespaces): netproxy vs slirp4netns vs veth, same set-up.
#   bash bench/netproxy/run.sh            bounded CI form
#   bash bench/netproxy/run.sh --full     full form
#   bash bench/netproxy/run.sh --only slirp4netns,veth
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../packages/netproxy"
exec node --conditions=@sandbox/source --import tsx "$here/run.ts" "$@"
