#!/usr/bin/env bash
# The binaries together: sla-timerd --embedded (in-process Kafka-protocol
# broker on loopback + in-memory store), `slactl produce` of JSON-lines
# events, `slactl tail` of the output topics, the HTTP API, and a clean
# SIGTERM. Usage: cli_test.sh SLA_TIMERD SLACTL SOURCE_DIR [ENCODING]
# ENCODING json: the daemon writes proto3-JSON outputs (topics.encoding), and
# tail, the ticket view (sla.deadlines) and the compliance report
# (sla.escalations) must read them by their content-type header.
set -euo pipefail
timerd=$1 slactl=$2 src=$3 encoding=${4:-protobuf}
export SLA_TOPIC_ENCODING=$encoding
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"  # $work, cleanup at exit, fail, start_daemon

start_daemon "$src/deploy/policies/trackmyvend.yaml"

# An enterprise P0 opened 20 minutes ago (15 min 24x7 response: breached at
# once), one answered in time, and a line that is not an event.
now=$(date -u +%s)
t_old=$(date -u -d "@$((now - 1200))" +%Y-%m-%dT%H:%M:%SZ)
t_now=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
cat >"$work/events.jsonl" <<JSON
{"eventId":"c1","ticketId":"CLI-1","tenantId":"acme","occurredAt":"$t_old","opened":{"plan":"enterprise","severity":"P0"}}
{"eventId":"c2","ticketId":"CLI-2","tenantId":"acme","occurredAt":"$t_now","opened":{"plan":"pro","severity":"P2"}}
{"eventId":"c3","ticketId":"CLI-2","tenantId":"acme","occurredAt":"$t_now","responded":{}}
{"not":"an event"}
JSON
if "$slactl" produce --brokers "$brokers" --file "$work/events.jsonl" 2>"$work/produce.err"; then
  fail "produce should report the bad line"
fi
grep -q '3 event(s) produced' "$work/produce.err" || fail "produce: $(cat "$work/produce.err")"
# Unknown JSON fields are ignored (as in protobuf): what is missing is named.
grep -q '^line 4: missing_field' "$work/produce.err" || fail "produce did not name line 4: $(cat "$work/produce.err")"

"$slactl" tail --brokers "$brokers" --topics sla.escalations,sla.pages --idle-timeout 8 >"$work/tail.jsonl" &
tail_pid=$!
for _ in $(seq 150); do
  grep -q 'CLI-1/response/0/breached/0' "$work/tail.jsonl" 2>/dev/null && grep -q 'CLI-2/response/0/met/0' "$work/tail.jsonl" && break
  sleep 0.2
done
kill "$tail_pid" 2>/dev/null || true
grep -q '"eventId":"CLI-1/response/0/breached/0"' "$work/tail.jsonl" || fail "no breach for CLI-1: $(cat "$work/tail.jsonl")"
grep -q '"eventId":"CLI-2/response/0/met/0"' "$work/tail.jsonl" || fail "no met for CLI-2"
grep -q '"pageId":"CLI-1/response/0/page/p0p1-oncall/1/oncall/0/0"' "$work/tail.jsonl" || fail "no page for CLI-1"
# Every output rendered as an event (none fell back to raw bytes).
! grep -q '"payload"' "$work/tail.jsonl" || fail "tail printed raw payloads: $(cat "$work/tail.jsonl")"

# The ticket snapshots (a JSON one is printed as the topic holds it).
"$slactl" tail --brokers "$brokers" --topics sla.deadlines --max 1 --idle-timeout 20 >"$work/deadlines.jsonl"
grep -q '"ticketId":"CLI-' "$work/deadlines.jsonl" || fail "no sla.deadlines snapshot: $(cat "$work/deadlines.jsonl")"

# The HTTP API sees the ticket.
# (Bodies are read whole before grep -q: under pipefail, grep -q closing the
# pipe at its first match made curl fail with SIGPIPE on a long /metrics.)
grep -q '"ticket_id":"CLI-1"' <<<"$(curl -s "$http/v1/tickets/CLI-1")" || fail "GET /v1/tickets/CLI-1"
grep -q '^sla_events_consumed_total{kind="opened"} 2' <<<"$(curl -s "$http/metrics")" || fail "metrics: opened count"
# The compliance report reads sla.escalations back: CLI-1's breach and
# CLI-2's met response.
from=$(date -u -d "@$((now - 86400))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$((now + 86400))" +%Y-%m-%dT%H:%M:%SZ)
report=""
for _ in $(seq 100); do
  report=$(curl -s "$http/v1/reports/compliance?from=$from&to=$to&metric=response")
  grep -q '"breached":1' <<<"$report" && grep -q '"met":1' <<<"$report" && break
  sleep 0.2
done
grep -q '"breached":1' <<<"$report" && grep -q '"met":1' <<<"$report" || fail "compliance report: $report"

# SIGTERM: flush, commit, exit 0.
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc == 0 ]] || fail "daemon exit code $rc after SIGTERM"
grep -q 'stopped cleanly' "$work/err" "$work/out" || fail "no clean stop message"
echo "cli_test: ok"
