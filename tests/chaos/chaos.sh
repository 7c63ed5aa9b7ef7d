#!/usr/bin/env bash
# A randomized fault run (SPEC 8): several sla-timerd instances on one real
# Kafka broker and one real redis-server (tests/e2e/lib.sh), a steady input
# stream, and random faults for a bounded time, drawn from a seeded RNG:
#
#   kill9     kill -9 of an instance, started again 0-4 s later
#   pause     SIGSTOP of an instance for 7-11 s (past the 6 s session
#             timeout: the group gives its partitions away), then SIGCONT
#   redis     redis-server killed -9 (append-only file, fsync always),
#             started again 1-6 s later on the same port
#   broker    the Kafka broker stopped and started again (same data, ports)
#   rebalance an instance stopped with SIGTERM when all run, else one started
#
# Then heal (everything started and continued; the instances restarted
# without their consumption limit, so the backlog drains fast), wait until
# every input record is committed, and compare what landed in
# sla.escalations and sla.pages with `slactl replay` of the stream
# (tests/e2e/check_outputs.py): nothing missing, nothing unexpected,
# every duplicate byte-identical. Prints the seed, the faults by kind and the
# checker's counts.
#
# The stream: gen_events.py lifecycles (all in the past, closed), a quarter
# produced before the instances start and the rest in one batch a second
# while the faults run, faster than the instances may consume
# (SLA_MAX_EVENTS_PER_SECOND each). So the partitions are behind from start
# to end of the faults and fire on event time, and the outputs must be
# exactly replay's whatever the interleaving of faults (docs/chaos.md).
#
#   chaos.sh SLA_TIMERD SLACTL [SOURCE_DIR]
#
# Environment: SLA_CHAOS_SEED (reproduces a run's schedule), SLA_CHAOS_SECONDS
# (faults for this long, default 120), SLA_CHAOS_INSTANCES (default 3),
# SLA_CHAOS_RATE (events produced a second, default 250),
# SLA_CHAOS_CONSUME (each instance's events a second, default 60),
# SLA_E2E_KEEP (keep the work directory).
set -euo pipefail

TIMERD="${1:?usage: chaos.sh SLA_TIMERD SLACTL [SOURCE_DIR]}"
SLACTL="${2:?slactl path}"
SRC="${3:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
E2E_NAME="chaos"
# shellcheck source=../e2e/lib.sh
source "$SRC/tests/e2e/lib.sh"

SEED="${SLA_CHAOS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}"
DURATION="${SLA_CHAOS_SECONDS:-120}"
INSTANCES="${SLA_CHAOS_INSTANCES:-3}"
RATE="${SLA_CHAOS_RATE:-250}"
CONSUME="${SLA_CHAOS_CONSUME:-60}"
PARTITIONS=6
ALL_NAMES=(a b c d e)
NAMES=("${ALL_NAMES[@]:0:INSTANCES}")
declare -A FAULTS=([kill9]=0 [pause]=0 [redis]=0 [broker]=0 [rebalance]=0)
declare -A STOPPED=()   # name -> 1 while SIGSTOPped
LOG_FAULTS=()
R=0
PICKED=""
CHECK="(not checked)"
INPUT_RECORDS=0

now_ms() { date +%s%3N; }
lines() { grep -c . "$1" || true; }
# rnd N: R = 0..N-1 from the seeded RANDOM (the schedule is the seed's). Not
# through $(...): bash reseeds RANDOM in every subshell.
rnd() { R=$((RANDOM % $1)); }
running() {
  local n
  for n in "${NAMES[@]}"; do if [[ -n "${TIMERD_PIDS[$n]:-}" ]]; then echo "$n"; fi; done
}
stopped_names() {
  local n
  for n in "${NAMES[@]}"; do if [[ -z "${TIMERD_PIDS[$n]:-}" ]]; then echo "$n"; fi; done
}
pick() { rnd $#; local a=("$@"); PICKED="${a[$R]}"; }  # PICKED = one of the arguments
note() {
  local t=$(($(now_ms) - T0))
  LOG_FAULTS+=("$(printf '%4d.%ds %s' $((t / 1000)) $((t % 1000 / 100)) "$*")")
  say "fault: $*"
}

start_instance() {  # NAME [limit|free]
  local limit=(SLA_MAX_EVENTS_PER_SECOND="$CONSUME")
  if [[ "${2:-limit}" == free ]]; then limit=(); fi
  start_timerd "$1" "${limit[@]}"
}

# --- the stream -----------------------------------------------------------------

make_stream() {
  local tickets=$(((RATE * DURATION * 4 / 3) / 7 + 1))
  "$PY" "$HERE/gen_events.py" --tickets "$tickets" --seed "$SEED" --now "$(now_ms)" --prefix CH \
    >"$WORK/events.jsonl"
  TOTAL="$(lines "$WORK/events.jsonl")"
  PRE=$((TOTAL / 4))
  head -n "$PRE" "$WORK/events.jsonl" >"$WORK/pre.jsonl"
  tail -n +$((PRE + 1)) "$WORK/events.jsonl" | split -l "$RATE" -d -a 5 - "$WORK/chunk."
  say "$TOTAL events ($tickets tickets): $PRE before the start, then $RATE a second"
}

# The producer, in the background: one chunk a second; a chunk that fails
# (the broker restarting for longer than slactl's 30 s flush) is sent again.
produce_steadily() {
  local chunk next=$(($(now_ms) + 1000)) n=0
  for chunk in "$WORK"/chunk.*; do
    until "$SLACTL" produce --brokers "$BOOTSTRAP" --topic "$INPUT_TOPIC" --file "$chunk" 2>>"$WORK/produce.err"; do
      echo "chunk $chunk failed; again" >>"$WORK/produce.log"
      sleep 1
    done
    n=$((n + 1))
    echo "$n" >"$WORK/produced.chunks"
    while (($(now_ms) < next)); do sleep 0.05; done
    next=$((next + 1000))
  done
  echo done >>"$WORK/produced.chunks"
}

# --- faults -----------------------------------------------------------------------

fault_kill9() {
  local names victim
  mapfile -t names < <(running)
  ((${#names[@]} > 0)) || return 1
  pick "${names[@]}"
  victim="$PICKED"
  rnd 5
  local delay=$R
  note "kill -9 $victim, start again after ${delay}s"
  if [[ -n "${STOPPED[$victim]:-}" ]]; then kill -CONT "${TIMERD_PIDS[$victim]}"; unset "STOPPED[$victim]"; fi
  kill9_timerd "$victim"
  sleep "$delay"
  start_instance "$victim"
}

fault_pause() {
  local names victim
  mapfile -t names < <(running)
  ((${#names[@]} > 0)) || return 1
  pick "${names[@]}"
  victim="$PICKED"
  rnd 5
  local hold=$((7 + R))
  note "SIGSTOP $victim for ${hold}s"
  kill -STOP "${TIMERD_PIDS[$victim]}"
  STOPPED[$victim]=1
  sleep "$hold"
  kill -CONT "${TIMERD_PIDS[$victim]}"
  unset "STOPPED[$victim]"
}

fault_redis() {
  rnd 6
  local down=$((1 + R))
  note "redis-server kill -9, down ${down}s"
  kill -KILL "$REDIS_PID"
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=""
  sleep "$down"
  start_redis durable
}

fault_broker() {
  note "Kafka broker stop and start"
  "$BROKER" stop "$WORK/kafka" >/dev/null 2>>"$WORK/broker.err" || fail "the broker did not stop"
  "$BROKER" restart "$WORK/kafka" >/dev/null 2>>"$WORK/broker.err" || fail "the broker did not come back"
}

fault_rebalance() {
  local up down
  mapfile -t up < <(running)
  mapfile -t down < <(stopped_names)
  if ((${#down[@]} > 0)); then
    local joiner
    pick "${down[@]}"
    joiner="$PICKED"
    note "rebalance: $joiner joins"
    start_instance "$joiner"
  else
    local leaver
    pick "${up[@]}"
    leaver="$PICKED"
    note "rebalance: $leaver leaves (SIGTERM)"
    stop_timerd "$leaver"
  fi
}

# Every kind once first, in a seeded order (a short run sees them all), then
# drawn at random, the instance faults twice as often.
run_faults() {
  local first=(kill9 pause redis broker rebalance) kinds=(kill9 pause redis broker rebalance kill9 pause rebalance)
  local kind end=$((SECONDS + DURATION)) i j t
  for ((i = ${#first[@]} - 1; i > 0; i--)); do
    rnd $((i + 1))
    j=$R t="${first[$i]}" first[$i]="${first[$j]}" first[$j]="$t"
  done
  while ((SECONDS < end)); do
    rnd 5
    sleep "$((2 + R))"
    if ((${#first[@]} > 0)); then
      kind="${first[0]}"
      first=("${first[@]:1}")
    else
      pick "${kinds[@]}"
      kind="$PICKED"
    fi
    if "fault_$kind"; then FAULTS[$kind]=$((FAULTS[$kind] + 1)); fi
    check_alive
  done
}

# An instance that exited by itself is a failure (SPEC 8: it never stops).
check_alive() {
  local n
  for n in $(running); do
    kill -0 "${TIMERD_PIDS[$n]}" 2>/dev/null || fail "sla-timerd $n exited by itself: $(tail -n 5 "$WORK/$n.err")"
  done
}

# --- heal, drain, check ---------------------------------------------------------------

heal() {
  local n
  say "healing: every instance restarted without its consumption limit"
  [[ -n "$REDIS_PID" ]] || start_redis durable
  for n in "${!STOPPED[@]}"; do kill -CONT "${TIMERD_PIDS[$n]}"; done
  STOPPED=()
  check_alive
  for n in "${NAMES[@]}"; do
    if [[ -n "${TIMERD_PIDS[$n]:-}" ]]; then stop_timerd "$n"; fi
    start_instance "$n" free
  done
  for n in "${NAMES[@]}"; do wait_ready "$n"; done
}

# The input topic holds the generated stream, once: what the instances saw is
# what replay reads. (Replay takes the file in its event-time order, one clock
# for all tickets; a partition's records are that order's subsequence.)
count_input() {
  INPUT_RECORDS="$("$BROKER" end-offsets "$WORK/kafka" "$INPUT_TOPIC" | awk -F: '{ s += $NF } END { print s + 0 }')"
  ((INPUT_RECORDS == TOTAL)) ||
    fail "$INPUT_TOPIC holds $INPUT_RECORDS records, not the $TOTAL generated (a chunk sent twice?)"
}

summary() {
  local k total=0
  echo "chaos: seed $SEED (SLA_CHAOS_SEED=$SEED reproduces the fault schedule)"
  for k in kill9 pause redis broker rebalance; do total=$((total + FAULTS[$k])); done
  echo "chaos: $total faults in ${DURATION}s: kill9 ${FAULTS[kill9]}, pause ${FAULTS[pause]}, redis ${FAULTS[redis]}, broker ${FAULTS[broker]}, rebalance ${FAULTS[rebalance]}"
  printf 'chaos:   %s\n' "${LOG_FAULTS[@]}"
  echo "chaos: $TOTAL events generated, $INPUT_RECORDS input records in Kafka, $(lines "$WORK/produce.log") chunks sent again"
  echo "chaos: $CHECK"
}

e2e_init
RANDOM=$SEED
say "seed $SEED (SLA_CHAOS_SEED=$SEED reproduces the fault schedule); $INSTANCES instances, ${DURATION}s of faults"
start_redis durable
start_kafka "$PARTITIONS"
make_stream
produce "$WORK/pre.jsonl"
for n in "${NAMES[@]}"; do start_instance "$n"; done
for n in "${NAMES[@]}"; do wait_ready "$n"; done
T0=$(now_ms)
: >"$WORK/produce.log"
produce_steadily &
PRODUCER=$!
run_faults
# Production ends before the limits are lifted: caught up, a partition fires
# on the wall clock, which must not happen with half a lifecycle consumed.
say "faults over; waiting for the producer"
wait "$PRODUCER" || fail "the producer failed"
heal
count_input
expected_outputs "$WORK/events.jsonl" "$WORK/expected.jsonl"
wait_committed "$INPUT_RECORDS" 300 1
collect "$WORK/outputs.jsonl"
CHECK="$("$PY" "$HERE/check_outputs.py" --expected "$WORK/expected.jsonl" --actual "$WORK/outputs.jsonl" 2>"$WORK/check.err")" || {
  summary
  cat "$WORK/check.err" >&2
  fail "outputs differ from slactl replay (seed $SEED)"
}
summary
for n in "${NAMES[@]}"; do stop_timerd "$n"; done
PASSED=1
say "passed: lost 0"
