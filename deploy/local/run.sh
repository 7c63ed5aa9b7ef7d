#!/usr/bin/env bash
# Builds (release preset) and runs sla-timer. With no arguments it starts the
# daemon self-contained: `sla-timerd --embedded --demo` (an in-process
# Kafka-protocol broker on loopback, an in-memory store, generated ticket
# traffic against deploy/policies/sample.yaml) and prints where to look: the
# broker address (produce to `tickets.events` with any Kafka client) and the
# HTTP dashboard. Ctrl-C stops it cleanly.
#   bash deploy/local/run.sh                      # the daemon, embedded demo
#   bash deploy/local/run.sh slactl validate deploy/policies/*.yaml
#   bash deploy/local/run.sh sla-timerd --config my.yaml
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target sla-timerd slactl >/dev/null
bin=build/release/services
if (($# > 0)); then
  tool=$1
  shift
  case "$tool" in
    slactl) exec "$bin/slactl/slactl" "$@" ;;
    sla-timerd) exec "$bin/sla-timerd/sla-timerd" "$@" ;;
    *) echo "usage: run.sh [slactl|sla-timerd ARGS...]" >&2; exit 2 ;;
  esac
fi
echo "starting sla-timerd --embedded --demo (Ctrl-C to stop)"
echo "  dashboard:  http://127.0.0.1:8080/"
echo "  at risk:    curl -s 'http://127.0.0.1:8080/v1/tickets?at_risk_within=1h&limit=10'"
echo "  metrics:    curl -s http://127.0.0.1:8080/metrics"
exec "$bin/sla-timerd/sla-timerd" --embedded --demo --plain-logs --policy deploy/policies/sample.yaml
