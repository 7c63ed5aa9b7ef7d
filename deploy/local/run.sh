#!/usr/bin/env bash
# Builds (release preset) and runs sla-timer's command line. With no
# arguments it shows what the service computes today: validates the shipped
# policies, computes a business-hours deadline across Good Friday, and replays
# a TrackMyVend P0 story through the engine on a simulated clock, printing the
# SLA and page events it emits. With arguments they go to slactl, e.g.
#   bash deploy/local/run.sh deadline --policy deploy/policies/trackmyvend.yaml \
#        --calendar mx-business --start 2026-04-02T22:00:00Z --duration 9h
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target slactl >/dev/null
slactl=build/release/services/slactl/slactl
if (($# > 0)); then
  exec "$slactl" "$@"
fi
echo "== slactl validate deploy/policies/*.yaml"
"$slactl" validate deploy/policies/*.yaml
echo
echo "== 9 business hours from Thursday 2026-04-02 16:00 Mexico City (Good Friday is a holiday)"
"$slactl" deadline --policy deploy/policies/trackmyvend.yaml --calendar mx-business \
  --start 2026-04-02T22:00:00Z --duration 9h
echo
scenario=tests/scenarios/trackmyvend/01-enterprise-p0-good-friday-page-not-acked.events.jsonl
echo "== slactl replay --policy deploy/policies/trackmyvend.yaml --events $scenario"
"$slactl" replay --policy deploy/policies/trackmyvend.yaml --events "$scenario"
