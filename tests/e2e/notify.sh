#!/usr/bin/env bash
# sla-notify end to end: sla-timerd -> a real Apache Kafka broker ->
# sla-notify -> a fake PagerDuty receiver over HTTPS (a CA made here with
# the openssl tool), all on 127.0.0.1.
#   deliver: every page sla-timerd produced reaches PagerDuty, across a
#            kill -9 of sla-notify in the middle of its deliveries (a
#            duplicate carries the same dedup_key); then SIGTERM drains.
#   ack:     a signed PagerDuty v3 webhook `incident.acknowledged` sent to
#            sla-notify becomes page_acknowledged on the input topic, and
#            sla-timerd stops that ladder (/v1/tickets/{id} pages[].stopped).
# Usage: notify.sh CASE SLA_TIMERD SLACTL SLA_NOTIFY SRC
set -euo pipefail
E2E_NAME="notify-$1"
TIMERD="$2"
SLACTL="$3"
NOTIFY="$4"
SRC="$5"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

NOTIFY_PID=""
NOTIFY_HTTP=""
RECEIVER_PID=""
PD_SECRET="e2e-pagerduty-webhook-secret"

notify_cleanup() {
  stop_pid "$NOTIFY_PID" 20
  stop_pid "$RECEIVER_PID" 5
}

now_ms() { date +%s%3N; }
lines() { grep -c . "$1" || true; }
rfc3339_ms() { date -u -d "@$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }

start_receiver() {  # DELAY_MS
  bash "$SRC/tests/integration/notify/make_test_ca.sh" "$WORK/ca"
  "$PY" "$HERE/notify_receiver.py" --cert "$WORK/ca/server.pem" --key "$WORK/ca/server.key" \
    --log "$WORK/received.jsonl" --delay-ms "$1" >"$WORK/receiver.port" 2>"$WORK/receiver.err" &
  RECEIVER_PID=$!
  local _
  for _ in $(seq 100); do [[ -s "$WORK/receiver.port" ]] && break; sleep 0.1; done
  RECEIVER_PORT="$(head -n 1 "$WORK/receiver.port")"
  [[ -n "$RECEIVER_PORT" ]] || fail "the receiver printed no port"
  say "fake PagerDuty on https://127.0.0.1:$RECEIVER_PORT (delay $1 ms)"
  cat >"$WORK/routes.yaml" <<YAML
dashboard_url: http://sla.example.test
destinations:
  - name: pagerduty
    type: pagerduty
    url: https://127.0.0.1:$RECEIVER_PORT/v2/enqueue
    routing_key_env: E2E_PD_ROUTING_KEY
    concurrency: 4
    backoff_initial_ms: 100
    backoff_max_ms: 1000
routes:
  - match: {target: [t3, duty-manager, cto]}
    to: [pagerduty]
YAML
}

start_notify() {  # NAME
  local name="$1"
  [[ -f "$WORK/$name.out" ]] && mv "$WORK/$name.out" "$WORK/$name.out.$(date +%s%N)"
  env SLA_KAFKA_BROKERS="$BOOTSTRAP" SLA_KAFKA_CLIENT_ID="$name" \
    SLA_KAFKA_PROPERTY_SESSION_TIMEOUT_MS=6000 SLA_KAFKA_PROPERTY_HEARTBEAT_INTERVAL_MS=500 \
    SLA_NOTIFY_TOPIC_INPUT="$INPUT_TOPIC" SLA_NOTIFY_CA_FILE="$WORK/ca/ca.pem" \
    SLA_NOTIFY_PAGERDUTY_WEBHOOK_SECRET="$PD_SECRET" SLA_NOTIFY_COMMIT_INTERVAL_MS=200 \
    E2E_PD_ROUTING_KEY=R0UTINGKEY \
    "$NOTIFY" --routes "$WORK/routes.yaml" --http-port 0 </dev/null >"$WORK/$name.out" 2>>"$WORK/$name.err" &
  NOTIFY_PID=$!
  local deadline=$((SECONDS + 30))
  NOTIFY_HTTP=""
  while [[ -z "$NOTIFY_HTTP" ]]; do
    NOTIFY_HTTP="$(http_address_in "$WORK/$name.out")"
    [[ -n "$NOTIFY_HTTP" ]] && break
    kill -0 "$NOTIFY_PID" 2>/dev/null || fail "sla-notify exited before serving HTTP: $(tail -n 5 "$WORK/$name.err")"
    ((SECONDS < deadline)) || fail "sla-notify printed no HTTP address within 30s"
    sleep 0.1
  done
  say "sla-notify $name (pid $NOTIFY_PID) HTTP on $NOTIFY_HTTP"
}

wait_notify_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until [[ "$(curl_ -o /dev/null -w '%{http_code}' "$NOTIFY_HTTP/readyz")" == 200 ]]; do
    kill -0 "$NOTIFY_PID" 2>/dev/null || fail "sla-notify exited while waiting for /readyz"
    ((SECONDS < deadline)) || fail "sla-notify not ready after ${READY_TIMEOUT}s: $(curl_ "$NOTIFY_HTTP/readyz")"
    sleep 0.25
  done
  say "sla-notify ready"
}

# Page ids delivered to /v2/enqueue so far (triggers), one per line, unique.
delivered_ids() {
  [[ -s "$WORK/received.jsonl" ]] || return 0
  "$PY" - "$WORK/received.jsonl" <<'PY'
import json, sys
ids = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] != "/v2/enqueue": continue
    b = json.loads(r["body"])
    if b.get("event_action") == "trigger": ids.add(b["payload"]["custom_details"]["page_id"])
print("\n".join(sorted(ids)))
PY
}

# Opens N enterprise P0 tickets 25 minutes ago: each pages t3 at once, and
# its ladder's next levels (10 and 20 minutes on) are already due.
p0_tickets() {  # PREFIX N OPENED_MS
  local i
  for ((i = 0; i < $2; i++)); do
    printf '{"eventId":"%s-%d-o","ticketId":"%s-%d","tenantId":"acme","occurredAt":"%s","opened":{"plan":"enterprise","severity":"P0","status":"open"}}\n' \
      "$1" "$i" "$1" "$i" "$(rfc3339_ms "$3")"
  done
}

case_deliver() {
  start_redis
  start_kafka 4
  "$BROKER" create-topic "$WORK/kafka" sla.pages 2 || fail "could not create sla.pages"
  "$BROKER" create-topic "$WORK/kafka" sla.notify.dlq 1 || fail "could not create sla.notify.dlq"
  start_receiver 40
  p0_tickets E2E 40 "$(($(now_ms) - 25 * 60 * 1000))" >"$WORK/events.jsonl"
  produce "$WORK/events.jsonl"
  start_timerd a
  wait_ready a
  wait_committed "$(lines "$WORK/events.jsonl")"
  collect "$WORK/pages.jsonl" sla.pages
  local pages
  pages="$(lines "$WORK/pages.jsonl")"
  ((pages >= 40)) || fail "sla-timerd produced only $pages pages for 40 P0 tickets"
  say "sla-timerd produced $pages pages"

  start_notify n1
  # Kill it while deliveries are in flight (the receiver answers each after 40 ms).
  local deadline=$((SECONDS + 60)) got=0
  while :; do
    got="$(delivered_ids | grep -c . || true)"
    ((got >= 10)) && break
    ((SECONDS < deadline)) || fail "only $got pages delivered within 60s"
    sleep 0.05
  done
  kill -KILL "$NOTIFY_PID"
  wait "$NOTIFY_PID" 2>/dev/null || true
  NOTIFY_PID=""
  got="$(delivered_ids | grep -c . || true)"
  say "sla-notify killed with SIGKILL after $got of $pages pages delivered"
  ((got < pages)) || fail "every page was delivered before the kill: the test proves nothing (raise the delay)"

  start_notify n2
  wait_notify_ready
  deadline=$((SECONDS + 120))
  while :; do
    got="$(delivered_ids | grep -c . || true)"
    ((got >= pages)) && break
    ((SECONDS < deadline)) || fail "only $got of $pages pages delivered after the restart"
    sleep 0.2
  done
  "$PY" - "$WORK/pages.jsonl" "$WORK/received.jsonl" <<'PY' || fail "delivered pages differ from sla.pages"
import collections, json, sys
pages = {}
for line in open(sys.argv[1]):
    v = json.loads(line)["event"]
    pages[v["pageId"]] = v["dedupKey"]
seen = collections.Counter()
for line in open(sys.argv[2]):
    r = json.loads(line)
    b = json.loads(r["body"])
    assert r["path"] == "/v2/enqueue", r["path"]
    assert b["routing_key"] == "R0UTINGKEY"
    pid = b["payload"]["custom_details"]["page_id"]
    assert pid in pages, "unknown page " + pid
    assert b["dedup_key"] == pages[pid], (pid, b["dedup_key"], pages[pid])
    seen[pid] += 1
missing = set(pages) - set(seen)
assert not missing, "never delivered: %s" % sorted(missing)[:5]
dups = sum(n - 1 for n in seen.values())
print("notify-deliver: %d pages delivered, %d duplicate deliveries (same dedup_key)" % (len(pages), dups))
PY
  # SIGTERM drains and exits 0.
  kill -TERM "$NOTIFY_PID"
  local rc=0
  wait "$NOTIFY_PID" || rc=$?
  NOTIFY_PID=""
  ((rc == 0)) || fail "sla-notify exited $rc after SIGTERM"
  say "sla-notify stopped cleanly"
  stop_timerd a
}

case_ack() {
  start_redis
  start_kafka 4
  "$BROKER" create-topic "$WORK/kafka" sla.pages 2 || fail "could not create sla.pages"
  start_receiver 0
  # One P0 ticket opened now: t3 is paged at once; the next level in 10 minutes.
  p0_tickets ACK 1 "$(now_ms)" >"$WORK/events.jsonl"
  produce "$WORK/events.jsonl"
  start_timerd a
  wait_ready a
  start_notify n1
  wait_notify_ready
  local deadline=$((SECONDS + 60)) key=""
  while [[ -z "$key" ]]; do
    [[ -s "$WORK/received.jsonl" ]] && key="$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l)["body"])
    if b.get("event_action") == "trigger": print(b["dedup_key"]); break' "$WORK/received.jsonl")"
    [[ -n "$key" ]] && break
    ((SECONDS < deadline)) || fail "the page for ACK-0 never reached PagerDuty"
    sleep 0.1
  done
  say "PagerDuty got the page, dedup_key $key"
  # The ticket view trails the outputs (it is read from sla.deadlines): wait,
  # bounded, for the snapshot that records the ladder.
  local view
  deadline=$((SECONDS + 10))
  while :; do
    view="$(curl_ "${TIMERD_HTTP[a]}/v1/tickets/ACK-0")"
    "$PY" -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]).get("pages") else 1)' "$view" && break
    ((SECONDS < deadline)) || fail "the ticket view shows no ladder 10s after the page: $view"
    sleep 0.1
  done
  "$PY" -c 'import json,sys; p=json.loads(sys.argv[1])["pages"]; assert not p[0]["stopped"], p' "$view" ||
    fail "the ladder should be running before the ack: $view"

  # PagerDuty's v3 webhook, signed with the subscription's secret.
  local body sig code
  body="$(printf '{"event":{"id":"01E2E","event_type":"incident.acknowledged","resource_type":"incident","occurred_at":"%s","agent":{"summary":"Ana Oncall","type":"user_reference"},"data":{"id":"Q1","type":"incident","incident_key":"%s"}}}' "$(rfc3339_ms "$(now_ms)")" "$key")"
  code="$(curl_ -o /dev/null -w '%{http_code}' -H 'X-PagerDuty-Signature: v1=0000' -H 'Content-Type: application/json' \
    --data-binary "$body" "$NOTIFY_HTTP/v1/pagerduty/webhook")"
  [[ "$code" == 401 ]] || fail "a badly signed webhook got $code, not 401"
  sig="$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$PD_SECRET" -r | cut -d' ' -f1)"
  code="$(curl_ -o "$WORK/ack.out" -w '%{http_code}' -H "X-PagerDuty-Signature: v1=$sig" -H 'Content-Type: application/json' \
    --data-binary "$body" "$NOTIFY_HTTP/v1/pagerduty/webhook")"
  [[ "$code" == 202 ]] || fail "the signed webhook got $code: $(cat "$WORK/ack.out")"
  say "webhook accepted: $(cat "$WORK/ack.out")"
  deadline=$((SECONDS + 30))
  while :; do
    view="$(curl_ "${TIMERD_HTTP[a]}/v1/tickets/ACK-0")"
    "$PY" -c 'import json,sys; p=json.loads(sys.argv[1])["pages"]; sys.exit(0 if p and all(x["stopped"] for x in p) else 1)' "$view" && break
    ((SECONDS < deadline)) || fail "the ladder did not stop after the ack: $view"
    sleep 0.2
  done
  say "the ladder stopped: $("$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["pages"]))' "$view")"
  stop_timerd a
}

e2e_init
# Ours first, then lib.sh's (which reads the exit status). set +e first: under
# set -e, `(exit $rc)` of a failed test would end the trap before lib.sh's
# cleanup stopped the broker, Redis and sla-timerd.
trap 'rc=$?; set +e; notify_cleanup; (exit $rc); e2e_cleanup' EXIT
case "$1" in
  deliver) case_deliver ;;
  ack) case_ack ;;
  *) fail "unknown case $1" ;;
esac
PASSED=1
say "PASS"
