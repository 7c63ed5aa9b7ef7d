#!/usr/bin/env bash
# Builds (release preset) and runs the CLI. With no arguments it validates the
# shipped policies and computes a sample business-hours deadline; otherwise
# the arguments go to slactl, e.g.
#   bash deploy/local/run.sh deadline --policy deploy/policies/trackmyvend.yaml \
#        --calendar mx-business --start 2026-04-03T15:00:00Z --duration 4h
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target slactl >/dev/null
slactl=build/release/services/slactl/slactl
if (($# > 0)); then
  exec "$slactl" "$@"
fi
for f in deploy/policies/*.yaml; do
  [[ -e $f ]] || continue
  printf '%-45s ' "$f"
  "$slactl" validate "$f" || true
done
echo "try: bash deploy/local/run.sh deadline --policy deploy/policies/sample.yaml --calendar <name> --start 2026-04-03T15:00:00Z --duration 4h"
