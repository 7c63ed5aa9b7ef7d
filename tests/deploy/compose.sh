#!/usr/bin/env bash
# deploy.compose: deploy/compose checked without a container engine:
# compose.yaml's structure (check_compose.py), the scripts' syntax, the demo
# producer's events accepted by slactl and consumed by sla-timerd (embedded
# broker), and sla-notify's compose settings and routes accepted by
# `sla-notify --check` when sla-notify is built.
#   compose.sh SLA_TIMERD SLACTL
set -euo pipefail
NAME=deploy.compose
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
TIMERD="$(readlink -f "${1:?sla-timerd}")"
SLACTL="$(readlink -f "${2:?slactl}")"
C="$SRC/deploy/compose"

/usr/bin/python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml is not installed (bash deploy/local/setup.sh)"
/usr/bin/python3 "$HERE/check_compose.py" "$SRC"
for s in "$C"/*.sh; do bash -n "$s" || fail "syntax: $s"; done

# The demo producer against the embedded broker: its first ticket must
# reach sla-timerd (sla_events_consumed_total > 0).
mkdir -p "$WORK/bin"
ln -s "$SLACTL" "$WORK/bin/slactl"
: >"$WORK/d.out"
"$TIMERD" --embedded --http-port 0 --plain-logs --policy "$SRC/deploy/policies/sample.yaml" \
  </dev/null >"$WORK/d.out" 2>"$WORK/d.err" &
DAEMON_PID=$!
broker="" http="" deadline=$((SECONDS + 60))
while [[ -z "$http" ]]; do
  broker="$(sed -n 's#^embedded Kafka-protocol broker: ##p' "$WORK/d.out" | head -n 1)"
  http="$(sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$WORK/d.out" | head -n 1)"
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/d.err" >&2; fail "sla-timerd exited"; }
  ((SECONDS < deadline)) || fail "sla-timerd printed no addresses"
  sleep 0.1
done
PATH="$WORK/bin:$PATH" SLA_KAFKA_BROKERS="$broker" bash "$C/demo-producer.sh" >"$WORK/producer.out" 2>&1 &
producer=$!
consumed=0
deadline=$((SECONDS + 60))
while ((consumed == 0)); do
  consumed="$(curl_ "$http/metrics" | awk '/^sla_events_consumed_total/ { s += $2 } END { printf "%d", s }')"
  if ! kill -0 "$producer" 2>/dev/null; then cat "$WORK/producer.out" >&2; fail "the demo producer stopped"; fi
  ((SECONDS < deadline)) || { cat "$WORK/producer.out" >&2; fail "nothing the demo producer sent was consumed"; }
  sleep 0.2
done
kill "$producer"; wait "$producer" 2>/dev/null || true
grep -q '^opened DEMO-' "$WORK/producer.out" || fail "the demo producer said nothing"
say "demo producer: $consumed event(s) consumed by sla-timerd"

NOTIFY="$(dirname "$(dirname "$TIMERD")")/sla-notify/sla-notify"
if [[ -x "$NOTIFY" ]]; then
  "$NOTIFY" --check --config "$C/notify/sla-notify.yaml" --routes "$C/notify/routes.yaml" >"$WORK/notify.out" 2>&1 ||
    { cat "$WORK/notify.out" >&2; fail "sla-notify --check refuses the compose settings or routes"; }
  say "sla-notify --check accepts the compose settings and routes"
else
  say "sla-notify is not built here: its compose files were not checked by it"
fi
say "PASS"
