#!/usr/bin/env bash
# integration.openapi: the OpenAPI document of sla-timerd's HTTP API.
#  - libs/http/openapi.json is a valid OpenAPI 3.1 document
#    (openapi-spec-validator), and GET /openapi.json serves exactly it
#  - schemathesis (property-based, from the document) exercises every
#    operation against a running daemon (--embedded --demo: real tickets,
#    pages and reports): no 5xx, every status and body as documented
# Both tools pinned with hashes (requirements.txt), installed by tools.sh.
#   openapi.sh SLA_TIMERD SRC
set -euo pipefail
TIMERD="$(readlink -f "${1:?sla-timerd path}")"
SRC="$(readlink -f "${2:?source folder}")"
NAME=integration.openapi
# shellcheck source=../../e2e/procs.sh
source "$SRC/tests/e2e/procs.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sla-openapi.XXXXXX")"
PID=""
cleanup() {
  local rc=$?
  [[ -n "$PID" ]] && stop_pid "$PID" 10
  if ((rc != 0)); then tail -n 20 "$WORK/timerd.err" >&2 || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "$NAME: FAIL: $*" >&2; exit 1; }
say() { echo "$NAME: $*"; }

BIN="$(bash "$SRC/tests/integration/api/tools.sh")" || fail "the API tools could not be installed (tools.sh)"
DOC="$SRC/libs/http/openapi.json"
"$BIN/openapi-spec-validator" "$DOC" || fail "libs/http/openapi.json is not a valid OpenAPI document"

: >"$WORK/timerd.out"
(cd "$SRC" && exec "$TIMERD" --embedded --demo --http-port 0 --plain-logs) </dev/null \
  >"$WORK/timerd.out" 2>"$WORK/timerd.err" &
PID=$!
HTTP="" deadline=$((SECONDS + 60))
until [[ -n "$HTTP" && "$(curl_ -o /dev/null -w '%{http_code}' "$HTTP/readyz")" == 200 ]]; do
  HTTP="$(sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$WORK/timerd.out" 2>/dev/null | head -n 1 || true)"
  kill -0 "$PID" 2>/dev/null || fail "sla-timerd exited"
  ((SECONDS < deadline)) || fail "sla-timerd not ready within 60 s"
  sleep 0.1
done
curl_ "$HTTP/openapi.json" >"$WORK/served.json"
cmp -s "$DOC" "$WORK/served.json" || fail "GET /openapi.json does not serve libs/http/openapi.json"
# The compliance report answers 503 while sla.escalations is first read:
# wait (bounded) until it answers, so every 5xx below is a finding.
deadline=$((SECONDS + 60))
until [[ "$(curl_ -o /dev/null -w '%{http_code}' "$HTTP/v1/reports/compliance?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z")" == 200 ]]; do
  ((SECONDS < deadline)) || fail "/v1/reports/compliance not answering 200 within 60 s"
  sleep 0.2
done
say "sla-timerd on $HTTP; running schemathesis"
# Checks: every one schemathesis has (no 5xx, status codes, content types,
# headers and bodies as documented, schema-violating requests refused, ...)
# but positive_data_acceptance: some valid-looking requests are refused by
# rules JSON Schema cannot state (from before to, at_risk_within at most 400
# days, a page id's structure, a calendar of the loaded policy), with a
# documented 400/404.
# A fixed seed and example count, and a fixed Python hash seed (with
# randomised string hashing the same --seed did not always generate the
# same requests): the same requests every run. The filter_too_much health
# check is off: it says the generator rejected too many of the values it
# drew before making a request (it failed one CI run in about ten, on
# POST /v1/pages/{page_id}/ack), which is not a finding about the API.
(cd "$WORK" && PYTHONHASHSEED=0 "$BIN/schemathesis" run "$HTTP/openapi.json" --url "$HTTP" --checks all \
  --exclude-checks positive_data_acceptance --suppress-health-check filter_too_much \
  --max-examples "${SLA_SCHEMATHESIS_EXAMPLES:-40}" --seed 19 --workers 1 --no-color \
  --request-timeout 10) >"$WORK/schemathesis.log" 2>&1 || { cat "$WORK/schemathesis.log" >&2; fail "schemathesis found problems"; }
tail -n 15 "$WORK/schemathesis.log"
say "ok"
