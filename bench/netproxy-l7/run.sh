#!/usr/bin/env bash
# netproxy L7 benchmark (no root needed; loopback only): DNS forwarder with a 100k deny list, TLS
# interception handshakes/s and bulk HTTPS through interception vs direct.
#   bash bench/netproxy-l7/run.sh           full form (writes RESULTS.fragment.md)
#   bash bench/netproxy-l7/run.sh --quick   short smoke run
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../packages/netproxy"
# The interceptor and the DNS forwarder run in this process, so it starts with the node flags a
# netproxy process is started with (NETPROXY_NODE_FLAGS, src/node-flags.ts).
flags=$(node --conditions=@sandbox/source --import tsx -e 'import("./src/node-flags.ts").then((m) => console.log(m.NETPROXY_NODE_FLAGS.join(" ")))')
exec node $flags --conditions=@sandbox/source --import tsx "$here/run.ts" "$@"
