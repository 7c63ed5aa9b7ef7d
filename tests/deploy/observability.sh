#!/usr/bin/env bash
# deploy.observability: deploy/observability/ as a platform team loads it.
#  - `promtool check rules` (Debian's prometheus package) on the alert rules
#  - the Helm chart's copy of the rules (helm/sla-timer/files/alerts.yaml) is
#    the same file
#  - the Grafana dashboard is JSON with unique panel ids
#  - every metric the rules and the dashboard name is exported: read from the
#    /metrics of a running sla-timerd (--embedded --demo, so outputs fire)
#    and of an sla-notify consuming its embedded broker
#   observability.sh SLA_TIMERD SLA_NOTIFY
set -euo pipefail
NAME=deploy.observability
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
TIMERD="$(readlink -f "${1:?sla-timerd path}")"
NOTIFY="$(readlink -f "${2:?sla-notify path}")"
OBS="$SRC/deploy/observability"
NOTIFY_PID=""
stop_notify() { [[ -n "$NOTIFY_PID" ]] && stop_pid "$NOTIFY_PID" 10; NOTIFY_PID=""; }
trap 'stop_notify; cleanup' EXIT

command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus; deploy/local/setup.sh installs it)"
promtool check rules "$OBS/alerts.yaml" || fail "promtool check rules deploy/observability/alerts.yaml"
cmp -s "$OBS/alerts.yaml" "$SRC/helm/sla-timer/files/alerts.yaml" ||
  fail "helm/sla-timer/files/alerts.yaml differs from deploy/observability/alerts.yaml (copy it)"
python3 - "$OBS/grafana-dashboard.json" <<'PY' || fail "grafana-dashboard.json"
import json, sys
d = json.load(open(sys.argv[1]))
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), f"duplicate panel ids {ids}"
assert d["uid"] and d["title"], "uid and title"
PY

wait_http() {  # FILE PID LABEL: the http://host:port the process printed
  local http="" deadline=$((SECONDS + 60))
  while [[ -z "$http" ]]; do
    http="$(sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$1" 2>/dev/null | head -n 1 || true)"
    [[ -n "$http" ]] && break
    kill -0 "$2" 2>/dev/null || fail "$3 exited: $(tail -n 5 "$1" "$1.err" 2>/dev/null)"
    ((SECONDS < deadline)) || fail "$3 printed no HTTP address within 60 s"
    sleep 0.1
  done
  echo "$http"
}

: >"$WORK/timerd.out"
(cd "$SRC" && exec "$TIMERD" --embedded --demo --http-port 0 --plain-logs) </dev/null \
  >"$WORK/timerd.out" 2>"$WORK/timerd.out.err" &
DAEMON_PID=$!
TIMERD_HTTP="$(wait_http "$WORK/timerd.out" "$DAEMON_PID" sla-timerd)"
BROKERS="$(sed -n 's#^embedded Kafka-protocol broker: ##p' "$WORK/timerd.out" | head -n 1)"
[[ -n "$BROKERS" ]] || fail "sla-timerd printed no embedded broker address"

cat >"$WORK/routes.yaml" <<YAML
destinations:
  - {name: sink, type: webhook, url: "https://127.0.0.1:$(free_port)/hook", secret_env: OBS_SECRET}
routes:
  - {match: {kind: page}, to: [sink]}
YAML
: >"$WORK/notify.out"
OBS_SECRET=s3cret SLA_KAFKA_BROKERS="$BROKERS" SLA_NOTIFY_HTTP_ADDRESS=127.0.0.1 \
  "$NOTIFY" --routes "$WORK/routes.yaml" --http-port 0 --plain-logs </dev/null \
  >"$WORK/notify.out" 2>"$WORK/notify.out.err" &
NOTIFY_PID=$!
NOTIFY_HTTP="$(wait_http "$WORK/notify.out" "$NOTIFY_PID" sla-notify)"

# Wait (bounded) until the demo has fired breaches and met clocks, so the
# labelled series the rules select exist.
deadline=$((SECONDS + 120))
until curl_ "$TIMERD_HTTP/metrics" >"$WORK/timerd.metrics" &&
  grep -q '^sla_fired_total{.*kind="breached"' "$WORK/timerd.metrics" &&
  grep -q '^sla_fired_total{.*kind="met"' "$WORK/timerd.metrics"; do
  ((SECONDS < deadline)) || fail "no breach and met fired by the demo within 120 s"
  sleep 0.5
done
curl_ "$NOTIFY_HTTP/metrics" >"$WORK/notify.metrics" || fail "sla-notify /metrics"
python3 "$HERE/check_observability.py" "$OBS/alerts.yaml" "$OBS/grafana-dashboard.json" \
  "$WORK/timerd.metrics" "$WORK/notify.metrics" || fail "rules or dashboard name metrics nobody exports"
say "ok"
