#!/usr/bin/env bash
# Runs one libFuzzer target of the `fuzz` preset, then minimises what it found
# into tests/fuzz/<target>/corpus/ and replays that corpus with leak checks.
#   tests/fuzz/run.sh TARGET [RUNS] [extra libFuzzer flags...]
# TARGET: calendar, codec, http, policy or timerwheel; RUNS default 10000000.
# Needs `cmake --preset fuzz && cmake --build --preset fuzz` first (or another
# build of the targets named by SLA_FUZZ_BUILD, e.g. build/fuzz-ub: see
# tests/fuzz/README.md, "Two builds"). Work files
# (the growing corpus, crash artifacts, the log) go to <build>/runs/TARGET/.
# The long run has leak detection off (-detect_leaks=0): with it on, libFuzzer
# runs a full leak scan after every input that changes the malloc/free balance
# (protobuf's per-thread arenas, lazily built calendar years), which made
# targets 20-50x slower; the merged corpus is then replayed with leak
# detection on, so every kept input is leak-checked.
# libFuzzer's -timeout is wall time: at a low priority on a busy machine a
# fast input once "took" 14 s (the process was not scheduled), so the default
# here is 60 s (SLA_FUZZ_TIMEOUT); every input of the targets takes well
# under a second. A real hang is reported all the same, only later.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target=${1:?target: calendar, codec, http, policy or timerwheel}
runs=${2:-10000000}
shift $(( $# >= 2 ? 2 : 1 ))
src=tests/fuzz/$target
build=${SLA_FUZZ_BUILD:-build/fuzz}
bin=$PWD/$build/tests/fuzz/$target/${target}_fuzz
work=$PWD/$build/runs/$target
[[ -x $bin ]] || { echo "no $bin: cmake --preset fuzz && cmake --build --preset fuzz" >&2; exit 1; }
mkdir -p "$work/corpus" "$work/merged"
inputs=()
for d in "$src/corpus" "$src/seeds" "$src/regressions"; do [[ -d $d ]] && inputs+=("$root/$d"); done
[[ $target == policy ]] && inputs+=("$root/deploy/policies")  # the seed policies (read only: not the first dir)
dict=()
[[ -f $src/$target.dict ]] && dict=(-dict="$root/$src/$target.dict")
cd "$work"
echo "== fuzzing $target for $runs runs ($(date -u +%FT%TZ))"
nice -n 10 "$bin" -runs="$runs" -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$work/" \
  -timeout="${SLA_FUZZ_TIMEOUT:-60}" "${dict[@]}" "$@" corpus "${inputs[@]}" 2>&1 | tee "$work/fuzz.log" |
  grep -E 'INITED|pulse|DONE|stat::|^==[0-9]+==|^Done' || true
if compgen -G "$work/crash-*" >/dev/null || compgen -G "$work/timeout-*" >/dev/null ||
   compgen -G "$work/leak-*" >/dev/null || compgen -G "$work/oom-*" >/dev/null; then
  echo "== $target: findings in $work (see fuzz.log); not merging" >&2
  exit 1
fi
echo "== merging into $src/corpus ($(date -u +%FT%TZ))"
rm -rf "$work/merged" && mkdir -p "$work/merged"
nice -n 10 "$bin" -merge=1 -detect_leaks=0 "${dict[@]}" "$@" merged corpus "${inputs[@]}" > "$work/merge.log" 2>&1
rm -rf "${root:?}/$src/corpus" && cp -r merged "$root/$src/corpus"
echo "== replaying $(ls merged | wc -l) inputs ($(du -sh merged | cut -f1)) with leak detection"
nice -n 10 "$bin" -runs=0 -detect_leaks=1 "$@" merged 2>&1 | tail -3
