#!/usr/bin/env bash
# End-to-end smoke test: sla-timerd as a process against a real Apache Kafka
# broker (KRaft, single node, tests/e2e/kafka_broker.sh) and a real
# redis-server, everything on 127.0.0.1. Passes when /readyz turns ready
# (partitions of the input topic assigned, Redis reachable) and SIGTERM makes
# sla-timerd exit 0. Always stops what it started.
#
#   smoke.sh [SLA_TIMERD [SOURCE_DIR]]
#
# Defaults: SOURCE_DIR = the repository holding this script,
# SLA_TIMERD = SOURCE_DIR/build/ci/services/sla-timerd/sla-timerd.
# Needs java, mvn (first run, to fetch the broker's jars), python3,
# redis-server and curl.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${2:-$(cd "$HERE/../.." && pwd)}"
TIMERD="${1:-$SRC/build/ci/services/sla-timerd/sla-timerd}"
BROKER="$HERE/kafka_broker.sh"
READY_TIMEOUT="${SLA_E2E_READY_TIMEOUT:-90}"

fail() { echo "e2e.smoke: FAIL: $*" >&2; exit 1; }
say() { echo "e2e.smoke: $*"; }

[[ -x "$TIMERD" ]] || fail "no sla-timerd executable at $TIMERD (build it: cmake --build --preset ci --target sla-timerd)"
for tool in java python3 redis-server curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sla-e2e-smoke.XXXXXX")"
REDIS_PID=""
TIMERD_PID=""
PASSED=0

stop_pid() {  # PID TIMEOUT_SECONDS: TERM, then KILL; reaps our child
  local pid="$1" limit="$2" deadline
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  stop_pid "$TIMERD_PID" 30
  "$BROKER" stop "$WORK/kafka" >/dev/null 2>&1
  stop_pid "$REDIS_PID" 10
  if ((PASSED == 0)); then
    for f in "$WORK/sla-timerd.out" "$WORK/sla-timerd.err" "$WORK/redis.log" "$WORK/kafka/logs/server.log"; do
      [[ -s "$f" ]] || continue
      echo "----- last lines of $f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  if [[ -n "${SLA_E2E_KEEP:-}" ]]; then echo "e2e.smoke: kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

t0=$SECONDS

# --- Redis ------------------------------------------------------------------
REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$WORK" --logfile "$WORK/redis.log" </dev/null >/dev/null 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do port_open "$REDIS_PORT" && break; sleep 0.1; done
port_open "$REDIS_PORT" || fail "redis-server did not listen on 127.0.0.1:$REDIS_PORT"
say "redis-server on 127.0.0.1:$REDIS_PORT"

# --- Kafka ------------------------------------------------------------------
BOOTSTRAP="$("$BROKER" start "$WORK/kafka")" || fail "the Kafka broker did not start"
say "Kafka broker on $BOOTSTRAP ($((SECONDS - t0))s)"
# The consumer does not create topics: the input topic must exist for
# partitions to be assigned. Outputs are created on first produce.
"$BROKER" create-topic "$WORK/kafka" tickets.events 4 || fail "could not create tickets.events"

# --- sla-timerd -------------------------------------------------------------
SLA_KAFKA_BROKERS="$BOOTSTRAP" \
SLA_REDIS_HOST=127.0.0.1 SLA_REDIS_PORT="$REDIS_PORT" \
SLA_HTTP_ADDRESS=127.0.0.1 \
SLA_TOPIC_INPUT=tickets.events \
  "$TIMERD" --http-port 0 --policy "$SRC/deploy/policies/sample.yaml" \
  </dev/null >"$WORK/sla-timerd.out" 2>"$WORK/sla-timerd.err" &
TIMERD_PID=$!

HTTP=""
deadline=$((SECONDS + 30))
while [[ -z "$HTTP" ]]; do
  HTTP="$(sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$WORK/sla-timerd.out" | head -n 1)"
  [[ -n "$HTTP" ]] && break
  kill -0 "$TIMERD_PID" 2>/dev/null || fail "sla-timerd exited before serving HTTP"
  ((SECONDS < deadline)) || fail "sla-timerd printed no HTTP address within 30s"
  sleep 0.1
done
say "sla-timerd HTTP on $HTTP"

curl_() { curl --noproxy '*' -s --max-time 5 "$@"; }

status=""
body=""
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
  kill -0 "$TIMERD_PID" 2>/dev/null || fail "sla-timerd exited while waiting for /readyz"
  body="$(curl_ -w '\n%{http_code}' "$HTTP/readyz" || true)"
  status="${body##*$'\n'}"
  body="${body%$'\n'*}"
  [[ "$status" == 200 ]] && break
  ((SECONDS < deadline)) || fail "/readyz not ready after ${READY_TIMEOUT}s: $status $body"
  sleep 0.25
done
say "/readyz: $body ($((SECONDS - t0))s since start)"

[[ "$(curl_ -o /dev/null -w '%{http_code}' "$HTTP/healthz")" == 200 ]] || fail "/healthz is not 200"
metrics="$(curl_ "$HTTP/metrics")" || fail "GET /metrics failed"
grep -q '^# TYPE' <<<"$metrics" || fail "/metrics has no Prometheus text"

# --- SIGTERM: flush, commit, leave the group, exit 0 -------------------------
kill -TERM "$TIMERD_PID"
rc=0
deadline=$((SECONDS + 30))
while kill -0 "$TIMERD_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
if kill -0 "$TIMERD_PID" 2>/dev/null; then fail "sla-timerd still running 30s after SIGTERM"; fi
wait "$TIMERD_PID" || rc=$?
TIMERD_PID=""
((rc == 0)) || fail "sla-timerd exited $rc after SIGTERM"

PASSED=1
say "passed in $((SECONDS - t0))s"
