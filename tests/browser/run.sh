#!/usr/bin/env bash
# The dashboard in a real browser (label `browser`): sla-timerd --embedded with
# tests/browser/policy.yaml on a free 127.0.0.1 port, fed the fixed stream of
# events.py (times relative to now) through `slactl produce`, then
# dashboard.mjs drives Debian's chromium through playwright-core (pinned,
# installed by install.sh into a cache folder; no browser is downloaded).
#   run.sh SLA_TIMERD SLACTL SRC [SCREENSHOT_DIR]
# With SCREENSHOT_DIR, a PNG of each page is written there (docs/screenshots
# are made this way).
set -euo pipefail
TIMERD=$1 SLACTL=$2 SRC=$3 SHOTS=${4:-}
HERE="$SRC/tests/browser"
E2E_NAME=browser
# shellcheck source=../e2e/procs.sh
source "$SRC/tests/e2e/procs.sh"

fail() { echo "browser: FAIL: $*" >&2; exit 1; }
[[ -x /usr/bin/chromium ]] || fail "no /usr/bin/chromium (bash deploy/local/setup.sh installs Debian's chromium)"
command -v node >/dev/null || fail "node is missing"
MODULES="$(bash "$HERE/install.sh")/node_modules"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sla-browser.XXXXXX")"
PID=""
cleanup() {
  local rc=$?
  stop_pid "$PID" 20
  if ((rc != 0)); then
    echo "----- sla-timerd output" >&2
    tail -n 40 "$WORK/timerd.out" "$WORK/timerd.err" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

: >"$WORK/timerd.out"
SLA_HTTP_ADDRESS=127.0.0.1 SLA_COMMIT_INTERVAL_MS=100 \
  "$TIMERD" --embedded --policy "$HERE/policy.yaml" --http-port 0 </dev/null >"$WORK/timerd.out" 2>"$WORK/timerd.err" &
PID=$!
BASE="" BROKERS="" deadline=$((SECONDS + 60))
while [[ -z $BASE || -z $BROKERS ]]; do
  kill -0 "$PID" 2>/dev/null || fail "sla-timerd exited before serving HTTP"
  ((SECONDS < deadline)) || fail "sla-timerd printed no HTTP address within 60 s"
  BASE="$({ sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$WORK/timerd.out" || true; } | head -n 1)"
  BROKERS="$({ sed -n 's#^embedded Kafka-protocol broker: \(.*\)$#\1#p' "$WORK/timerd.out" || true; } | head -n 1)"
  sleep 0.1
done
echo "browser: sla-timerd on $BASE, broker $BROKERS"

NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
python3 "$HERE/events.py" "$NOW" >"$WORK/events.jsonl"
"$SLACTL" produce --brokers "$BROKERS" --topic tickets.events --json --file "$WORK/events.jsonl" >/dev/null ||
  fail "slactl produce failed"

# The view holds every ticket once their snapshots are read back from
# sla.deadlines (and B-1's page has gone out).
want=$(python3 -c 'import json,sys; print(len({json.loads(l)["ticketId"] for l in open(sys.argv[1])}))' "$WORK/events.jsonl")
deadline=$((SECONDS + 60))
while :; do
  n="$(curl_ "$BASE/v1/pages?state=unacked" | python3 -c 'import json,sys; print(json.load(sys.stdin)["view"]["tickets"])' 2>/dev/null || echo 0)"
  unacked="$(curl_ "$BASE/v1/pages?state=unacked" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' 2>/dev/null || echo 0)"
  ((n >= want && unacked >= 1)) && break
  ((SECONDS < deadline)) || fail "the view holds $n of $want tickets ($unacked unacknowledged pages) after 60 s"
  sleep 0.2
done
echo "browser: the view holds $n tickets"

SLA_BASE="$BASE" SLA_SHOTS="$SHOTS" NODE_PATH="$MODULES" \
  timeout 180 node "$HERE/dashboard.mjs" "$MODULES/playwright-core/index.mjs"
