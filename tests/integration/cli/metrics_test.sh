#!/usr/bin/env bash
# /metrics of a running sla-timerd (--embedded: in-process Kafka-protocol
# broker, in-memory store) scraped as Prometheus would: the series the
# dashboards and alert rules in deploy/observability use exist, follow the
# conventions (seconds, build info, process metrics, up/ready gauges) and
# move with the traffic: breaches by metric with their reminders counted
# apart, met clocks, live firing lateness, policy reloads (good and bad).
# Usage: metrics_test.sh SLA_TIMERD SLACTL
set -euo pipefail
timerd=$1 slactl=$2
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"  # $work, cleanup at exit, fail, start_daemon

write_policy() {  # EXTRA_PLAN: a second plan's name (changes the policy)
  # Written aside and renamed: the daemon never reads half a file.
  cat >"$work/policy.new" <<YAML
version: 1
policy_id: metrics-test
plans:
  gold:
    severities:
      P1:
        response:   {within: 1m, calendar: 24x7, after_breach: {repeat: 1m, times: 3}}
        resolution: {within: 1h, calendar: 24x7}
  $1:
    severities:
      P1:
        response:   {within: 1h, calendar: 24x7}
YAML
  mv "$work/policy.new" "$work/policy.yaml"
}
write_policy silver

start_daemon "$work/policy.yaml"

scrape() { curl -sf "$http/metrics" >"$work/metrics" || fail "GET /metrics"; }
# value SERIES: the sample of the line that starts with SERIES and a space
# (labels as the exposition orders them), or "absent".
value() { awk -v s="$1" 'index($0, s " ") == 1 { print $NF; found = 1 } END { if (!found) print "absent" }' "$work/metrics"; }
# sum PREFIX: the sum of the samples of lines starting with PREFIX.
sum() { awk -v p="$1" 'index($0, p) == 1 { s += $NF } END { printf "%.6f\n", s }' "$work/metrics"; }
expect() {  # SERIES AWK_CONDITION_ON_v: e.g. expect sla_ready 'v == 1'
  local v
  v=$(value "$1")
  [[ $v != absent ]] || fail "$1 is not exported"
  awk -v v="$v" "BEGIN { exit !($2) }" || fail "$1 = $v, want $2"
}
# wait_for SERIES CONDITION: scrapes until it holds (20 s).
wait_for() {
  for _ in $(seq 100); do
    scrape
    v=$(value "$1")
    [[ $v != absent ]] && awk -v v="$v" "BEGIN { exit !($2) }" && return 0
    sleep 0.2
  done
  fail "$1 = $(value "$1") after 20 s, want $2"
}

# Before any traffic: the conventions.
scrape
version=$("$timerd" --version | awk '{print $2}')
expect "sla_build_info{service=\"sla-timerd\",version=\"$version\"}" 'v == 1'
expect sla_ready 'v == 1'
expect sla_kafka_up 'v == 1'
expect sla_redis_up 'v == 1'
expect sla_assigned_partitions 'v >= 1'
expect sla_pending_commits 'v >= 0'
expect sla_unacknowledged_outputs 'v >= 0'
expect process_resident_memory_bytes 'v > 1000000'
expect process_open_fds 'v > 3'
expect process_max_fds 'v > 3'
now=$(date -u +%s)
expect process_start_time_seconds "v > $now - 120 && v <= $now + 1"
expect process_cpu_seconds_total 'v > 0'
cpu_before=$(value process_cpu_seconds_total)
expect sla_policy_last_reload_successful 'v == 1'
expect sla_policy_last_reload_success_timestamp_seconds "v > $now - 120 && v <= $now + 1"
loaded_at=$(value sla_policy_last_reload_success_timestamp_seconds)
expect 'sla_policy_reloads_total{result="success"}' 'v == 0'
expect 'sla_policy_reloads_total{result="failure"}' 'v == 0'
expect 'sla_firing_lateness_seconds_count{mode="live"}' 'v == 0'
expect 'sla_firing_lateness_seconds_count{mode="catch_up"}' 'v == 0'
grep -q '^# TYPE sla_redis_latency_seconds histogram' "$work/metrics" || fail "no sla_redis_latency_seconds histogram"
if grep -q '_ms[_{ ]' "$work/metrics"; then fail "a series in milliseconds: $(grep -m1 '_ms[_{ ]' "$work/metrics")"; fi

# Traffic. M1 opened 3.5 min ago (1 min response): breached 2.5 min ago, and
# its after_breach reminders 1.5 and 0.5 min ago, all fired at once. M2 met.
# M3 opened 57 s ago: a timer due 3 s after it is armed, fired live.
now=$(date -u +%s)
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
cat >"$work/events.jsonl" <<JSON
{"eventId":"m1","ticketId":"M1","tenantId":"acme","occurredAt":"$(at $((now - 210)))","opened":{"plan":"gold","severity":"P1"}}
{"eventId":"m2","ticketId":"M2","tenantId":"acme","occurredAt":"$(at "$now")","opened":{"plan":"gold","severity":"P1"}}
{"eventId":"m2r","ticketId":"M2","tenantId":"acme","occurredAt":"$(at "$now")","responded":{}}
{"eventId":"m3","ticketId":"M3","tenantId":"acme","occurredAt":"$(at $((now - 57)))","opened":{"plan":"gold","severity":"P1"}}
JSON
"$slactl" produce --brokers "$brokers" --file "$work/events.jsonl" 2>"$work/produce.err" || fail "produce: $(cat "$work/produce.err")"

breached='sla_fired_total{kind="breached",metric="response",plan="gold",severity="P1"}'
wait_for "$breached" 'v == 2'
expect 'sla_fired_total{kind="breach_reminder",metric="response",plan="gold",severity="P1"}' 'v >= 2'
expect 'sla_fired_total{kind="met",metric="response",plan="gold",severity="P1"}' 'v == 1'
expect 'sla_events_consumed_total{kind="opened"}' 'v == 3'
# M3's timer was armed, then fell due: one live lateness observation, small.
# (M1's were overdue when they were armed: late input, not late timers.)
expect 'sla_firing_lateness_seconds_count{mode="live"}' 'v == 1'
expect 'sla_firing_lateness_seconds_sum{mode="live"}' 'v < 5'
expect 'sla_firing_lateness_seconds_count{mode="catch_up"}' 'v == 0'
expect 'sla_outputs_produced_total{topic="sla.escalations"}' 'v >= 5'
expect "$breached" 'v == 2'  # reminders never counted as breaches
expect process_cpu_seconds_total "v >= $cpu_before"

# A changed policy file is reloaded (the daemon checks its time every 2 s):
# counted once, with its time.
write_policy bronze
wait_for 'sla_policy_reloads_total{result="success"}' 'v == 1'
expect sla_policy_last_reload_successful 'v == 1'
expect sla_policy_last_reload_success_timestamp_seconds "v > $loaded_at"
reloaded_at=$(value sla_policy_last_reload_success_timestamp_seconds)
# A broken one: rejected, the old policy kept, the time of the one in force kept.
echo 'plans: [' >"$work/policy.new"
mv "$work/policy.new" "$work/policy.yaml"
wait_for 'sla_policy_reloads_total{result="failure"}' 'v == 1'
expect sla_policy_last_reload_successful 'v == 0'
expect sla_policy_last_reload_success_timestamp_seconds "v == $reloaded_at"
expect 'sla_policy_reloads_total{result="success"}' 'v == 1'

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc == 0 ]] || fail "daemon exit code $rc after SIGTERM"
echo "metrics_test: ok"
