#!/usr/bin/env bash
# Measures the service figures of SPEC 7 on this machine: sla-timerd as a
# process against a real Apache Kafka broker (KRaft, tests/e2e/kafka_broker.sh)
# and a real redis-server, all on 127.0.0.1 free ports, driven by sla-loadgen.
# Not a test (minutes of CPU on both cores); the numbers go to
# docs/benchmarks.md ("Service").
#
#   measure.sh [BUILD_DIR]        default BUILD_DIR = build/release
#
#   1. throughput: pre-produce EVENTS lifecycle events to tickets.events
#      (PARTITIONS partitions), start sla-timerd, time until every event's
#      offset is committed to Redis (so consumed, applied, outputs acked,
#      state committed).
#   1b. limit (with the throughput phase, LIMIT=0 skips it): what Kafka itself
#      allows here, no daemon in the way (sla-kafka-limit, bare librdkafka
#      clients): a bare consumer reads the same EVENTS input records, then a
#      bare producer writes again every record the daemon produced to its
#      output topics (same keys, values, headers, partitions; topics
#      limit.sla.*). Ceiling = EVENTS / (consume s + produce s); the
#      service's sustained rate is printed as a fraction of it.
#   2. breach-to-Kafka latency: LAT_TICKETS tickets whose response breach is
#      due at known instants over LAT_SPREAD seconds; sla.escalations uses
#      LogAppendTime, so a record's timestamp is when it is in the topic.
#      Then again with LAT_BG_RATE lifecycle events/s of background load.
#   3. restart-to-ready: for each size in TICKETS, fill that many open
#      tickets into an emptied Redis (as the daemon commits them) for
#      tickets.restart, start sla-timerd on it, time until /readyz is 200;
#      then SIGTERM and start again (a restart proper), RESTARTS starts in
#      all. Prints a SCALE line per size: state and Redis bytes per ticket,
#      ready times, the daemon's resident memory when ready and its peak.
#
# Environment: EVENTS (2000000), PARTITIONS (8), TICKETS (1000000; a list
# such as "100000 1000000 10000000" measures each size), RESTARTS (3),
# READY_TIMEOUT (120: seconds a start may take to be ready),
# LAT_TICKETS (600), LAT_SPREAD (60), LAT_BG_RATE (20000; 0 skips), LIMIT (1; 0 skips),
# BASE (another build directory: its sla-timerd restarts too, alternated with
# this one's, on the same filled Redis), ONLY (throughput|latency|restart: run one part; latency implies throughput's
# daemon with EVENTS events), PERF=1 (perf record the daemon during the
# throughput run into WORK/perf.data; PERF_ARGS, default "-F 1999 -g", and
# PERF_SECONDS, default 10, set how), KEEP=1 (keep the work directory),
# SLA_TIMERD_ENV (extra VAR=value settings for the daemon, space-separated),
# TIMERD_CONFIG (a config file for the daemon, e.g. with kafka properties).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"
BUILD="${1:-$SRC/build/release}"
TIMERD="$BUILD/services/sla-timerd/sla-timerd"
LOADGEN="$BUILD/tools/loadgen/sla-loadgen"
KAFKA_LIMIT="$BUILD/tools/loadgen/sla-kafka-limit"
BROKER="$SRC/tests/e2e/kafka_broker.sh"
# shellcheck source=../../tests/e2e/procs.sh
source "$SRC/tests/e2e/procs.sh"  # free_port, port_open, curl_, stop_pid
POLICY="$SRC/deploy/policies/sample.yaml"
EVENTS="${EVENTS:-2000000}"
PARTITIONS="${PARTITIONS:-8}"
TICKETS="${TICKETS:-1000000}"
LAT_TICKETS="${LAT_TICKETS:-600}"
LAT_SPREAD="${LAT_SPREAD:-60}"
LAT_BG_RATE="${LAT_BG_RATE:-20000}"
LIMIT="${LIMIT:-1}"
ONLY="${ONLY:-}"

say() { echo "measure: $*"; }
fail() { echo "measure: FAIL: $*" >&2; exit 1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
now_ms() { date +%s%3N; }
# CPU seconds (user + system) a process has used so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# CPU seconds per thread of a process (threads of one name summed).
thread_cpu() {
  local hz
  hz="$(getconf CLK_TCK)"
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm" 2>/dev/null)" "$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | awk -v hz="$hz" '{cpu[$1] += $2} END {for (n in cpu) if (cpu[n] > 0) printf "measure: thread %s %.2fs CPU\n", n, cpu[n] / hz}'
}

for f in "$TIMERD" "$LOADGEN" $([[ "$LIMIT" == 0 ]] || echo "$KAFKA_LIMIT"); do
  [[ -x "$f" ]] || fail "$f missing (cmake --build $BUILD --target sla-timerd sla-loadgen sla-kafka-limit)"
done
for tool in java python3 redis-server redis-cli curl; do command -v "$tool" >/dev/null || fail "$tool not found"; done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sla-measure.XXXXXX")"
REDIS_PID=""
TIMERD_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  stop_pid "$TIMERD_PID" 60
  "$BROKER" stop "$WORK/kafka" >/dev/null 2>&1
  stop_pid "$REDIS_PID" 10
  if [[ -n "${KEEP:-}" || $rc -ne 0 ]]; then echo "measure: kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


say "start $(date -u +%FT%TZ), load $(load), $(nproc) cores"

REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$WORK" --logfile "$WORK/redis.log" </dev/null >/dev/null 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do port_open "$REDIS_PORT" && break; sleep 0.1; done
port_open "$REDIS_PORT" || fail "redis-server did not listen"
BOOTSTRAP="$(SLA_KAFKA_HEAP="${SLA_KAFKA_HEAP:-1g}" "$BROKER" start "$WORK/kafka")" || fail "the Kafka broker did not start"
say "redis 127.0.0.1:$REDIS_PORT, kafka $BOOTSTRAP"
"$BROKER" create-topic "$WORK/kafka" tickets.events "$PARTITIONS"
"$BROKER" create-topic "$WORK/kafka" tickets.restart "$PARTITIONS"
"$BROKER" create-topic "$WORK/kafka" sla.escalations 1 --config message.timestamp.type=LogAppendTime
"$BROKER" create-topic "$WORK/kafka" sla.pages 1
"$BROKER" create-topic "$WORK/kafka" sla.deadlines 1 --config cleanup.policy=compact
"$BROKER" create-topic "$WORK/kafka" sla.dlq 1
OUTPUT_TOPICS=(sla.escalations sla.pages sla.deadlines sla.dlq)
if [[ "$LIMIT" != 0 ]]; then  # the limit phase's copies of the output topics, same settings
  "$BROKER" create-topic "$WORK/kafka" limit.sla.escalations 1 --config message.timestamp.type=LogAppendTime
  "$BROKER" create-topic "$WORK/kafka" limit.sla.pages 1
  "$BROKER" create-topic "$WORK/kafka" limit.sla.deadlines 1 --config cleanup.policy=compact
  "$BROKER" create-topic "$WORK/kafka" limit.sla.dlq 1
fi

# start_timerd NAME INPUT_TOPIC [VAR=value...]: starts sla-timerd, sets TIMERD_PID and HTTP.
start_timerd() {
  local name="$1" input="$2"
  shift 2
  : >"$WORK/$name.out"  # exists before the background job opens it (the sed below reads it)
  # shellcheck disable=SC2086
  env SLA_KAFKA_BROKERS="$BOOTSTRAP" SLA_REDIS_HOST=127.0.0.1 SLA_REDIS_PORT="$REDIS_PORT" \
    SLA_HTTP_ADDRESS=127.0.0.1 SLA_TOPIC_INPUT="$input" SLA_KAFKA_GROUP_ID="sla-$input" ${SLA_TIMERD_ENV:-} "$@" \
    "${TIMERD_BIN:-$TIMERD}" --http-port 0 --policy "$POLICY" ${TIMERD_CONFIG:+--config "$TIMERD_CONFIG"} </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
  TIMERD_PID=$!
  HTTP=""
  local deadline=$((SECONDS + 30))
  until [[ -n "$HTTP" ]]; do
    HTTP="$(sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$WORK/$name.out" | head -n 1)"
    [[ -n "$HTTP" ]] && break
    kill -0 "$TIMERD_PID" 2>/dev/null || { tail "$WORK/$name.err" >&2; fail "sla-timerd exited"; }
    ((SECONDS < deadline)) || fail "sla-timerd printed no HTTP address"
    sleep 0.01
  done
}

stop_timerd() {
  local rc=0
  kill -TERM "$TIMERD_PID"
  wait "$TIMERD_PID" || rc=$?
  TIMERD_PID=""
  ((rc == 0)) || fail "sla-timerd exited $rc after SIGTERM"
}

wait_ready() {  # prints ms from $1 (epoch ms) to /readyz 200
  local t0="$1" deadline=$((SECONDS + ${READY_TIMEOUT:-120}))
  until [[ "$(curl_ -o /dev/null -w '%{http_code}' "$HTTP/readyz" || true)" == 200 ]]; do
    kill -0 "$TIMERD_PID" 2>/dev/null || fail "sla-timerd exited while starting"
    ((SECONDS < deadline)) || fail "/readyz not 200 after ${READY_TIMEOUT:-120} s"
    sleep 0.01
  done
  echo $(($(now_ms) - t0))
}

# --- 1. throughput ------------------------------------------------------------
if [[ -z "$ONLY" || "$ONLY" == throughput || "$ONLY" == latency ]]; then
  say "producing $EVENTS events to tickets.events ($PARTITIONS partitions)"
  "$LOADGEN" --policy "$POLICY" produce --brokers "$BOOTSTRAP" --topic tickets.events --events "$EVENTS"
  "$LOADGEN" wait-offsets --redis-port "$REDIS_PORT" --topic tickets.events --partitions "$PARTITIONS" \
    --events "$EVENTS" --timeout 900 >"$WORK/throughput.txt" &
  WAIT_PID=$!
  KAFKA_PID="$(cat "$WORK/kafka/broker.pid")"
  kafka_cpu0="$(cpu_s "$KAFKA_PID")"
  redis_cpu0="$(cpu_s "$REDIS_PID")"
  t0="$(now_ms)"
  start_timerd timerd tickets.events
  say "sla-timerd started (pid $TIMERD_PID), load $(load)"
  if [[ -n "${PERF:-}" ]]; then
    # shellcheck disable=SC2086  # PERF_ARGS is a list of options
    (sleep 5; perf record ${PERF_ARGS:--F 1999 -g} -p "$TIMERD_PID" -o "$WORK/perf.data" -- sleep "${PERF_SECONDS:-10}" >/dev/null 2>&1) &
  fi
  wait "$WAIT_PID" || { cat "$WORK/throughput.txt"; fail "wait-offsets failed"; }
  t1="$(now_ms)"
  timerd_cpu="$(cpu_s "$TIMERD_PID")"
  kafka_cpu="$(awk -v a="$(cpu_s "$KAFKA_PID")" -v b="$kafka_cpu0" 'BEGIN {printf "%.2f", a - b}')"
  redis_cpu="$(awk -v a="$(cpu_s "$REDIS_PID")" -v b="$redis_cpu0" 'BEGIN {printf "%.2f", a - b}')"
  cat "$WORK/throughput.txt"
  thread_cpu "$TIMERD_PID"
  say "CPU during the run: sla-timerd ${timerd_cpu}s (incl. start-up), kafka ${kafka_cpu}s, redis ${redis_cpu}s;" \
      "sla-timerd $(awk -v c="$timerd_cpu" -v n="$EVENTS" 'BEGIN {printf "%.1f", c * 1e6 / n}') us CPU per event" \
      "($(awk -v c="$timerd_cpu" -v n="$EVENTS" 'BEGIN {printf "%d", n / c}') events per CPU-second)"
  say "THROUGHPUT $EVENTS events committed $((t1 - t0)) ms after sla-timerd started" \
      "($((EVENTS * 1000 / (t1 - t0))) events/s incl. start-up), load $(load)"
  # The daemon's own views (sla.deadlines, sla.escalations read back) may
  # still be catching up when the last offset is committed: its CPU until it
  # is idle again (under 0.05 CPU-s in a second; at most 60 s) counts too.
  settled="$timerd_cpu"
  for ((i = 0; i < 60; i++)); do
    sleep 1
    cur="$(cpu_s "$TIMERD_PID")"
    if awk -v a="$cur" -v b="$settled" 'BEGIN {exit !(a - b < 0.05)}'; then settled="$cur"; break; fi
    settled="$cur"
  done
  say "CPU until idle again (views caught up, ${i}s later): sla-timerd ${settled}s," \
      "$(awk -v c="$settled" -v n="$EVENTS" 'BEGIN {printf "%.1f", c * 1e6 / n}') us CPU per event"
  curl_ "$HTTP/metrics" >"$WORK/metrics-throughput.txt" || true
  grep -E '^sla_(events_consumed|outputs_produced|open_tickets|pending_timers|loop_seconds)' "$WORK/metrics-throughput.txt" | head -n 30 || true
  SUSTAINED="$(sed -n 's/.*sustained_10_90_events_per_s=\([0-9]*\).*/\1/p' "$WORK/throughput.txt")"
fi

# --- 1b. limit: what Kafka allows with no daemon in the way ----------------------
if [[ "$LIMIT" != 0 && -n "${SUSTAINED:-}" ]]; then
  say "limit: bare consumer of the same $EVENTS input records, load $(load)"
  "$KAFKA_LIMIT" consume "$BOOTSTRAP" tickets.events "$EVENTS" | tee "$WORK/limit.txt"
  say "limit: bare producer of the daemon's output records again, load $(load)"
  "$KAFKA_LIMIT" produce "$BOOTSTRAP" limit. "${OUTPUT_TOPICS[@]}" | tee -a "$WORK/limit.txt"
  awk -v events="$EVENTS" -v sustained="$SUSTAINED" -v load="$(load)" '
    / consume / {for (i = 1; i <= NF; i++) if ($i ~ /^seconds=/) c = substr($i, 9)}
    / produce / {for (i = 1; i <= NF; i++) {if ($i ~ /^seconds=/) p = substr($i, 9); if ($i ~ /^records=/) n = substr($i, 9)}}
    END {if (c + p <= 0) exit 1; ceiling = events / (c + p);
      printf "measure: LIMIT bare consume %.2f s + bare produce of %d outputs %.2f s: ceiling %d events/s;" \
        " sla-timerd sustained %d events/s = %.2f of it, load %s\n", c, n, p, ceiling, sustained, sustained / ceiling, load}' \
    "$WORK/limit.txt" || fail "limit: no figures"
fi

# --- 2. latency -----------------------------------------------------------------
if [[ -z "$ONLY" || "$ONLY" == latency ]]; then
  curl_ "$HTTP/metrics" >"$WORK/metrics-before-latency.txt" || true
  say "latency: $LAT_TICKETS breaches over ${LAT_SPREAD}s, idle service, load $(load)"
  "$LOADGEN" --policy "$POLICY" latency --brokers "$BOOTSTRAP" --input tickets.events \
    --tickets "$LAT_TICKETS" --spread "$LAT_SPREAD" --lead 5
  say "load after: $(load)"
  if [[ "$LAT_BG_RATE" != 0 ]]; then
    say "latency: $LAT_TICKETS breaches over ${LAT_SPREAD}s with $LAT_BG_RATE events/s background, load $(load)"
    "$LOADGEN" --policy "$POLICY" latency --brokers "$BOOTSTRAP" --input tickets.events \
      --tickets "$LAT_TICKETS" --spread "$LAT_SPREAD" --lead 5 --background-rate "$LAT_BG_RATE"
    say "load after: $(load)"
  fi
  # How late the daemon's timers fired during the latency runs (both), from
  # its histogram: the part of the latency before the output is produced.
  curl_ "$HTTP/metrics" >"$WORK/metrics-latency.txt" || true
  awk 'FNR == 1 {f++} /^sla_firing_lateness_seconds_bucket\{mode="live"/ {match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); if (le != "+Inf") le = le * 1000;
       if (f == 1) before[le] = $2; else {n[++k] = $2 - before[le]; l[k] = le}}
       END {total = n[k]; if (total <= 0) exit; split("50 90 99", qs, " ");
       for (q = 1; q <= 3; q++) for (i = 1; i <= k; i++) if (n[i] >= qs[q] / 100 * total) {
         printf "measure: during the latency runs %d timers fired, p%s late by <= %s ms\n", total, qs[q], l[i]; break}}' \
    "$WORK/metrics-before-latency.txt" "$WORK/metrics-latency.txt" || true
fi
if [[ -n "$TIMERD_PID" ]]; then stop_timerd; fi

# --- 3. restart-to-ready ---------------------------------------------------------
# For each size in TICKETS: an empty Redis, TICKETS open tickets filled into it,
# then RESTARTS starts of sla-timerd on them (the first from a cold group, the
# others restarts proper). Per size one SCALE line: state bytes per ticket,
# Redis used_memory per ticket, ready time of each start, the daemon's
# resident memory once ready (VmRSS) and its peak while loading (VmHWM).
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
redis_used() { redis-cli -p "$REDIS_PORT" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }
if [[ -z "$ONLY" || "$ONLY" == restart ]]; then
  for n in $TICKETS; do
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    mem0="$(redis_used)"
    say "filling $n open tickets into Redis for tickets.restart"
    "$LOADGEN" --policy "$POLICY" fill --redis-port "$REDIS_PORT" --topic tickets.restart \
      --partitions "$PARTITIONS" --tickets "$n" | tee "$WORK/fill-$n.txt"
    state_b="$(sed -n 's/.*(\([0-9]*\) bytes of state per ticket).*/\1/p' "$WORK/fill-$n.txt")"
    mem1="$(redis_used)"
    redis_b="$(awk -v a="$mem1" -v b="$mem0" -v n="$n" 'BEGIN {printf "%.0f", (a - b) / n}')"
    say "redis used_memory $mem1 bytes ($redis_b bytes per ticket over the empty instance's $mem0)"
    # BASE=<build dir>: that build's sla-timerd is started too, alternated
    # with this one's (base first), for a before/after on the same data.
    for bin in ${BASE:+"$BASE/services/sla-timerd/sla-timerd"} "$TIMERD"; do
      [[ -x "$bin" ]] || fail "$bin missing"
    done
    declare -A readies=() rss=() hwm=()
    for run in $(seq "${RESTARTS:-3}"); do
      for which in ${BASE:+base} this; do
        TIMERD_BIN="$TIMERD"
        [[ "$which" == base ]] && TIMERD_BIN="$BASE/services/sla-timerd/sla-timerd"
        say "restart $run ($which): load $(load)"
        redis_cpu0="$(cpu_s "$REDIS_PID")"
        t0="$(now_ms)"
        start_timerd "restart$run-$which" tickets.restart
        ms="$(wait_ready "$t0")"
        cpu="$(cpu_s "$TIMERD_PID")"
        redis_cpu="$(awk -v a="$(cpu_s "$REDIS_PID")" -v b="$redis_cpu0" 'BEGIN {printf "%.2f", a - b}')"
        rss[$which]="$(rss_kb "$TIMERD_PID" VmRSS)"
        hwm[$which]="$(rss_kb "$TIMERD_PID" VmHWM)"
        out="$WORK/restart$run-$which.out"
        loaded="$(grep -c "tickets loaded" "$out" || true)"
        tickets="$(sed -n 's/.*assigned tickets\.restart\/[0-9]*: \([0-9]*\) tickets loaded.*/\1/p' "$out" |
          awk '{s += $1} END {print s + 0}')"
        ((tickets == n)) || fail "restart $run ($which) loaded $tickets tickets, not $n"
        say "RESTART $run ($which): ready ${ms} ms after start (sla-timerd used ${cpu} CPU-s by then, redis ${redis_cpu});" \
            "$tickets tickets loaded in $loaded partitions; VmRSS $((rss[$which] / 1024)) MiB," \
            "VmHWM $((hwm[$which] / 1024)) MiB; load $(load)"
        readies[$which]="${readies[$which]:+${readies[$which]}/}$ms"
        stop_timerd
      done
    done
    for which in ${BASE:+base} this; do
      say "SCALE ($which) tickets=$n state_bytes_per_ticket=$state_b redis_used_memory=$mem1" \
          "redis_bytes_per_ticket=$redis_b ready_ms=${readies[$which]}" \
          "rss_mib=$((rss[$which] / 1024)) hwm_mib=$((hwm[$which] / 1024))" \
          "rss_bytes_per_ticket=$(awk -v r="${rss[$which]}" -v n="$n" 'BEGIN {printf "%.0f", r * 1024 / n}')"
    done
  done
fi
say "done $(date -u +%FT%TZ), load $(load)"
