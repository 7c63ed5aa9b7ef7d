# Shared by the end-to-end tests (sourced, not run): a real redis-server and
# a real Apache Kafka broker (kafka_broker.sh) on 127.0.0.1 free ports,
# sla-timerd processes started, killed and stopped by name, and the checks
# on what they produced. Everything started here is stopped on exit; the
# work directory is removed unless the test failed or SLA_E2E_KEEP is set.
#
# The caller sets E2E_NAME, TIMERD, SLACTL and SRC, then calls e2e_init.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BROKER="$HERE/kafka_broker.sh"
# shellcheck source=procs.sh
source "$HERE/procs.sh"
READY_TIMEOUT="${SLA_E2E_READY_TIMEOUT:-90}"
INPUT_TOPIC=tickets.events

declare -A TIMERD_PIDS=()
declare -A TIMERD_HTTP=()
REDIS_PID=""
REDIS_PORT=""
BOOTSTRAP=""
PASSED=0
WORK=""

fail() { echo "$E2E_NAME: FAIL: $*" >&2; exit 1; }
say() { echo "$E2E_NAME: $*"; }

e2e_cleanup() {
  local rc=$? name
  trap - EXIT INT TERM ERR
  set +e
  for name in "${!TIMERD_PIDS[@]}"; do stop_pid "${TIMERD_PIDS[$name]}" 30; done
  local job
  for job in $(jobs -p); do kill "$job" 2>/dev/null; done  # a background slactl tail
  [[ -n "$WORK" ]] && "$BROKER" stop "$WORK/kafka" >/dev/null 2>&1
  stop_pid "$REDIS_PID" 10
  if ((PASSED == 0)) && [[ -n "$WORK" ]]; then
    for f in "$WORK"/*.err "$WORK/redis.log" "$WORK/kafka/logs/server.log"; do
      [[ -s "$f" ]] || continue
      echo "----- last lines of $f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  if [[ -n "${SLA_E2E_KEEP:-}" || (((PASSED == 0)) && -n "${CI:-}") ]]; then
    echo "$E2E_NAME: kept $WORK" >&2
  elif [[ -n "$WORK" ]]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}

e2e_init() {
  [[ -x "$TIMERD" ]] || fail "no sla-timerd executable at $TIMERD"
  [[ -x "$SLACTL" ]] || fail "no slactl executable at $SLACTL"
  local tool
  for tool in java redis-server redis-cli curl; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (bash deploy/local/setup.sh installs it)"
  done
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/sla-$E2E_NAME.XXXXXX")"
  trap e2e_cleanup EXIT
  # set -e stops a test at a command that fails outside `||`, `&&` or `if`:
  # say which (and say so for a signal), so no failure goes without a reason.
  set -E
  trap 'echo "$E2E_NAME: command failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
  trap 'echo "$E2E_NAME: FAIL: interrupted (SIGINT)" >&2; exit 130' INT
  trap 'echo "$E2E_NAME: FAIL: terminated (SIGTERM)" >&2; exit 143' TERM
}

# start_redis [durable]: redis-server on a free port (the same port again
# when called after stop_redis); "durable" keeps an append-only file synced
# on every write, so a restart finds the state again.
start_redis() {
  [[ -n "$REDIS_PORT" ]] || REDIS_PORT="$(free_port)"
  local persistence=(--save '' --appendonly no)
  [[ "${1:-}" == durable ]] && persistence=(--save '' --appendonly yes --appendfsync always)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 "${persistence[@]}" \
    --dir "$WORK" --logfile "$WORK/redis.log" </dev/null >/dev/null 2>&1 &
  REDIS_PID=$!
  local _
  for _ in $(seq 100); do port_open "$REDIS_PORT" && break; sleep 0.1; done
  port_open "$REDIS_PORT" || fail "redis-server did not listen on 127.0.0.1:$REDIS_PORT"
  say "redis-server on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
  stop_pid "$REDIS_PID" 10
  REDIS_PID=""
  say "redis-server stopped"
}

# start_kafka [PARTITIONS [TopicCommand args...]]: starts the broker and
# creates the input topic with PARTITIONS partitions (and e.g.
# --config max.message.bytes=N).
start_kafka() {
  local partitions="${1:-4}"
  BOOTSTRAP="$("$BROKER" start "$WORK/kafka")" || fail "the Kafka broker did not start"
  say "Kafka broker on $BOOTSTRAP"
  # The consumer does not create topics; outputs are created on first produce.
  "$BROKER" create-topic "$WORK/kafka" "$INPUT_TOPIC" "$partitions" "${@:2}" || fail "could not create $INPUT_TOPIC"
}

# http_address_in FILE: the http://host:port a daemon printed in FILE
# ("HTTP: http://.../"), or nothing yet. Never fails: the file may not exist
# yet (a background job's redirection creates it only once that process is
# scheduled) and sed on a missing file exits 2, which under pipefail and
# set -e ended a test (e2e.crash, e2e.notify_deliver).
http_address_in() {
  { sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$1" 2>/dev/null || true; } | head -n 1
}

# start_timerd NAME [VAR=VALUE...]: sla-timerd with the sample policy, HTTP
# on a free port; returns once it printed its HTTP address.
start_timerd() {
  local name="$1"
  shift
  # A restart under the same name: the earlier run's output is kept aside.
  [[ -f "$WORK/$name.out" ]] && mv "$WORK/$name.out" "$WORK/$name.out.$(date +%s%N)"
  # The file exists before the loop below reads it: the background job's
  # redirection creates it only once that process is scheduled, and sed on a
  # missing file exits 2, which under pipefail and set -e ended the test.
  : >"$WORK/$name.out"
  env SLA_KAFKA_BROKERS="$BOOTSTRAP" \
    SLA_KAFKA_CLIENT_ID="$name" \
    SLA_REDIS_HOST=127.0.0.1 SLA_REDIS_PORT="$REDIS_PORT" \
    SLA_HTTP_ADDRESS=127.0.0.1 \
    SLA_TOPIC_INPUT="$INPUT_TOPIC" \
    "$@" \
    "$TIMERD" --http-port 0 --policy "$SRC/deploy/policies/sample.yaml" \
    </dev/null >"$WORK/$name.out" 2>>"$WORK/$name.err" &
  TIMERD_PIDS[$name]=$!
  local http="" deadline=$((SECONDS + 30))
  while [[ -z "$http" ]]; do
    http="$(http_address_in "$WORK/$name.out")"
    [[ -n "$http" ]] && break
    kill -0 "${TIMERD_PIDS[$name]}" 2>/dev/null || fail "sla-timerd $name exited before serving HTTP"
    ((SECONDS < deadline)) || fail "sla-timerd $name printed no HTTP address within 30s"
    sleep 0.1
  done
  TIMERD_HTTP[$name]="$http"
  say "sla-timerd $name (pid ${TIMERD_PIDS[$name]}) HTTP on $http"
}

wait_not_ready() {  # NAME REASON_SUBSTRING
  local name="$1" body deadline=$((SECONDS + 30))
  while :; do
    body="$(curl_ "${TIMERD_HTTP[$name]}/readyz" || true)"
    [[ "$body" == *"$2"* ]] && break
    ((SECONDS < deadline)) || fail "$name /readyz never said '$2' (last: $body)"
    sleep 0.2
  done
  say "$name not ready: $body"
}

wait_ready() {  # NAME
  local name="$1" body status deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    kill -0 "${TIMERD_PIDS[$name]}" 2>/dev/null || fail "sla-timerd $name exited while waiting for /readyz"
    body="$(curl_ -w '\n%{http_code}' "${TIMERD_HTTP[$name]}/readyz" || true)"
    status="${body##*$'\n'}"
    [[ "$status" == 200 ]] && break
    ((SECONDS < deadline)) || fail "$name /readyz not ready after ${READY_TIMEOUT}s: ${body%$'\n'*}"
    sleep 0.25
  done
  say "$name ready: ${body%$'\n'*}"
}

# metric NAME SERIES_PREFIX: the sum of the samples whose line starts with
# SERIES_PREFIX (e.g. 'sla_dlq_total{reason="undecodable"}'). A scrape that
# fails (a busy host: curl's 5 s limit) is tried again, then fails the test
# with that reason rather than through set -e without one.
metric() {
  local text="" attempt
  for attempt in 1 2 3; do
    text="$(curl_ "${TIMERD_HTTP[$1]}/metrics")" && break
    text=""
    ((attempt < 3)) || fail "GET /metrics of $1 failed 3 times"
    sleep 0.5
  done
  awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { printf "%d\n", s }' <<<"$text"
}

stop_timerd() {  # NAME: SIGTERM; it must exit 0 within 30 s
  local name="$1" pid="${TIMERD_PIDS[$1]}" rc=0 deadline=$((SECONDS + 30))
  if ! kill -TERM "$pid" 2>/dev/null; then
    wait "$pid" || rc=$?
    unset "TIMERD_PIDS[$name]"
    fail "sla-timerd $name had exited (status $rc) before SIGTERM"
  fi
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "sla-timerd $name still running 30s after SIGTERM"
  wait "$pid" || rc=$?
  unset "TIMERD_PIDS[$name]"
  ((rc == 0)) || fail "sla-timerd $name exited $rc after SIGTERM"
  say "$name stopped cleanly"
}

kill9_timerd() {  # NAME: after 0-190 ms, so it lands anywhere in a loop
  local pid="${TIMERD_PIDS[$1]}"
  sleep "$(printf '0.%03d' $((RANDOM % 200)))"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  unset "TIMERD_PIDS[$1]"
  say "$1 killed with SIGKILL"
}

# The input offsets committed to Redis with the state, summed over partitions.
committed_total() {
  local key total=0 v
  while read -r key; do
    [[ -n "$key" ]] || continue
    v="$(redis-cli -p "$REDIS_PORT" GET "$key")"
    total=$((total + ${v:-0}))
  done < <(redis-cli -p "$REDIS_PORT" --scan --pattern "*{$INPUT_TOPIC/*}:offset")
  echo "$total"
}

# wait_committed N [TIMEOUT [POLL]]: until N input records are committed in
# Redis; sets COMMITTED to the count seen. The topic's offsets are
# contiguous (no transactions), so the sum of the next offsets is the number
# of records consumed, applied and committed.
wait_committed() {
  local want="$1" limit="${2:-120}" poll="${3:-0.5}" deadline
  deadline=$((SECONDS + limit))
  while :; do
    COMMITTED="$(committed_total)"
    ((COMMITTED >= want)) && break
    ((SECONDS < deadline)) || fail "only $COMMITTED of $want input records committed after ${limit}s"
    sleep "$poll"
  done
  say "$COMMITTED input records committed (waited for $want)"
}

# produce FILE: proto3-JSON lines to the input topic as protobuf (slactl).
produce() {
  "$SLACTL" produce --brokers "$BOOTSTRAP" --topic "$INPUT_TOPIC" --file "$1" 2>>"$WORK/produce.err" ||
    fail "slactl produce $1 failed: $(tail -n 3 "$WORK/produce.err")"
}

# collect FILE [TOPICS]: every record of the output topics so far, as JSON lines.
collect() {
  local topics="${2:-sla.escalations,sla.pages}"
  "$SLACTL" tail --brokers "$BOOTSTRAP" --topics "$topics" --idle-timeout 8 >"$1" 2>>"$WORK/tail.err" ||
    fail "slactl tail failed: $(tail -n 3 "$WORK/tail.err")"
}

# The outputs `slactl replay` expects for an input file (tickets all closed).
# The generated streams may ack a ladder before its first page and may carry
# lines the daemon dead-letters: replay names them in replay.err (exit 3
# without --allow-rejects); the comparison with the daemon covers them.
expected_outputs() {  # EVENTS OUT
  "$SLACTL" replay --allow-rejects --policy "$SRC/deploy/policies/sample.yaml" --events "$1" >"$2" 2>"$WORK/replay.err" ||
    fail "slactl replay failed: $(tail -n 3 "$WORK/replay.err")"
}

check_outputs() {  # EXPECTED ACTUAL [--exactly-once]
  "$PY" "$HERE/check_outputs.py" --expected "$1" --actual "$2" "${@:3}" || fail "outputs differ from slactl replay"
}
