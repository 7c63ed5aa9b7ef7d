#!/usr/bin/env bash
# End-to-end tests of the HTTP plane (SPEC 6.2 round 2), each against a real
# Kafka broker and redis-server (lib.sh):
#   two_instances  two daemons, each owning half of the input partitions,
#                  give the same at-risk answer and show every ticket (the
#                  views are read from the compacted sla.deadlines topic).
#   kafka_stall    the broker is stopped (SIGSTOP) for 15 s: /healthz
#                  answers throughout, 19 in 20 within 50 ms and none over
#                  500 ms, and the at-risk query (from the view, not the
#                  loop) answers 200 throughout.
# Usage: http_plane.sh CASE SLA_TIMERD SLACTL [SOURCE_DIR]
set -euo pipefail

CASE="${1:?usage: http_plane.sh CASE SLA_TIMERD SLACTL [SOURCE_DIR]}"
TIMERD="${2:?sla-timerd path}"
SLACTL="${3:?slactl path}"
SRC="${4:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
E2E_NAME="e2e.http_$CASE"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

now_ms() { date +%s%3N; }

# open_tickets N PREFIX: N tickets opened in the last hour, still open, over
# four tenants and every plan and severity of the sample policy.
open_tickets() {
  "$PY" - "$1" "$2" "$(now_ms)" <<'PYEOF'
import datetime, sys
n, prefix, now = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
plans = ["starter", "pro", "enterprise"]
sevs = ["P0", "P1", "P2", "P3"]
tenants = ["acme", "globex", "initech", "hooli"]
for i in range(n):
    t = now - 3_600_000 + (i * 7919) % 3_500_000
    ts = datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    print('{"eventId":"%s-%d-o","ticketId":"%s-%d","tenantId":"%s","occurredAt":"%s","opened":{"plan":"%s","severity":"%s","status":"open"}}'
          % (prefix, i, prefix, i, tenants[i % 4], ts, plans[i % 3], sevs[(i // 3) % 4]))
PYEOF
}

# view_tickets NAME: how many tickets the instance's view holds.
view_tickets() {
  curl_ "${TIMERD_HTTP[$1]}/v1/tickets?at_risk_within=1m&limit=1" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["view"]["tickets"])' 2>/dev/null || echo 0
}

wait_view() {  # NAME N
  local deadline=$((SECONDS + 60)) n=0
  while :; do
    n="$(view_tickets "$1")"
    ((n >= $2)) && break
    ((SECONDS < deadline)) || fail "$1's view holds $n of $2 tickets after 60 s"
    sleep 0.5
  done
  say "$1's view holds $n tickets"
}

# The answer without what depends on the moment asked (now, deadline_in_ms,
# overdue, view freshness).
stable_answer() {
  "$PY" -c '
import json, sys
a = json.load(sys.stdin)
for t in a["tickets"]:
    t.pop("deadline_in_ms"); t.pop("overdue")
for g in a["by_plan_severity"]:
    g.pop("overdue")
print(json.dumps({k: a[k] for k in ("count", "returned", "tickets", "by_plan_severity", "filters")}, sort_keys=True))'
}

case_two_instances() {
  start_redis
  start_kafka 4
  local n=400
  open_tickets "$n" HP >"$WORK/events.jsonl"
  start_timerd a
  start_timerd b
  wait_ready a
  wait_ready b
  produce "$WORK/events.jsonl"
  wait_committed "$n"
  wait_view a "$n"
  wait_view b "$n"
  local q ans_a ans_b
  for q in "at_risk_within=30d&limit=50" "at_risk_within=30d&limit=7&tenant=globex" \
           "at_risk_within=30d&limit=20&plan=enterprise&severity=P1" "at_risk_within=30d&limit=1000&metric=resolution"; do
    ans_a="$(curl_ "${TIMERD_HTTP[a]}/v1/tickets?$q" | stable_answer)"
    ans_b="$(curl_ "${TIMERD_HTTP[b]}/v1/tickets?$q" | stable_answer)"
    [[ -n "$ans_a" && "$ans_a" == "$ans_b" ]] || fail "a and b answer $q differently: a=$ans_a b=$ans_b"
    say "same answer for $q: $(cut -c1-120 <<<"$ans_a")..."
  done
  # Every ticket from both: half of them are on the other instance's partitions.
  local i code_a code_b
  for i in $(seq 0 37 $((n - 1))); do
    code_a="$(curl_ -o /dev/null -w '%{http_code}' "${TIMERD_HTTP[a]}/v1/tickets/HP-$i")"
    code_b="$(curl_ -o /dev/null -w '%{http_code}' "${TIMERD_HTTP[b]}/v1/tickets/HP-$i")"
    [[ "$code_a" == 200 && "$code_b" == 200 ]] || fail "HP-$i: a answered $code_a, b answered $code_b"
  done
  curl_ "${TIMERD_HTTP[b]}/v1/tickets/HP-1" | grep -q '"tenant_id":"globex"' || fail "no tenant_id in the ticket view"
  stop_timerd a
  stop_timerd b
}

case_kafka_stall() {
  start_redis
  start_kafka 4
  open_tickets 200 KS >"$WORK/events.jsonl"
  start_timerd a
  wait_ready a
  produce "$WORK/events.jsonl"
  wait_committed 200
  wait_view a 200
  local broker
  broker="$(cat "$WORK/kafka/broker.pid")"
  kill -STOP "$broker"
  say "broker $broker stopped (SIGSTOP)"
  # Every answer is timed. A /healthz that waited on the loop would take
  # 1-10 s (the metadata call, a full producer queue), so one answer over
  # 500 ms fails the test; 19 in 20 must come within 50 ms. Single answers
  # between the two are scheduling noise on a loaded 2-core machine (a run
  # with five builds beside it saw one at 56 ms), and are reported.
  local end=$((SECONDS + 15)) n=0 t code ms slow="" qt times=()
  while ((SECONDS < end)); do
    read -r code t < <(curl --noproxy '*' -s -o /dev/null --max-time 2 -w '%{http_code} %{time_total}\n' \
      "${TIMERD_HTTP[a]}/healthz" || echo "000 2")
    ms="$("$PY" -c "print(int(float('$t') * 1000))")"
    times+=("$ms")
    n=$((n + 1))
    if [[ "$code" != 200 || $ms -gt 500 ]]; then slow="/healthz answered $code in $ms ms"; break; fi
    read -r code qt < <(curl --noproxy '*' -s -o /dev/null --max-time 2 -w '%{http_code} %{time_total}\n' \
      "${TIMERD_HTTP[a]}/v1/tickets?at_risk_within=30d&limit=100" || echo "000 2")
    [[ "$code" == 200 ]] || { slow="the at-risk query answered $code"; break; }
    sleep 0.1
  done
  kill -CONT "$broker"
  say "broker resumed (SIGCONT)"
  [[ -z "$slow" ]] || fail "during the stall: $slow"
  local summary
  summary="$("$PY" - "${times[@]}" <<'PYEOF'
import sys
t = sorted(int(x) for x in sys.argv[1:])
p95 = t[max(0, -(-len(t) * 95 // 100) - 1)]
over = sum(1 for x in t if x > 50)
print(f"{len(t)} {t[len(t) // 2]} {p95} {t[-1]} {over}")
PYEOF
)"
  local count p50 p95 worst over
  read -r count p50 p95 worst over <<<"$summary"
  say "/healthz answered $count times during a 15 s broker stall: p50 $p50 ms, p95 $p95 ms, slowest $worst ms, $over over 50 ms"
  ((count >= 20)) || fail "only $count /healthz answers during the stall"
  ((p95 <= 50)) || fail "/healthz p95 $p95 ms during the stall (over 50 ms)"
  wait_ready a
  stop_timerd a
}

e2e_init
"case_$CASE"
PASSED=1
say "PASS"
