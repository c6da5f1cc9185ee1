#!/usr/bin/env bash
# Soak: N minutes of mixed load through netproxy in netns mode, fds and RSS sampled (root).
#   bash bench/soak/run.sh                 10 minutes (the form CI runs), writes bench/soak/RESULTS.fragment.md
#   bash bench/soak/run.sh --minutes 60    the long form, by command
#   bash bench/soak/run.sh --minutes 1     a quick try while developing
#   bash bench/soak/run.sh --no-record     do not write the fragment
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../packages/netproxy"
exec node --conditions=@sandbox/source --import tsx "$here/run.ts" "$@"
