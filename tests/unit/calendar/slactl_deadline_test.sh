#!/usr/bin/env bash
# slactl deadline end to end: single mode, --batch with a bad line in the
# middle, error exit codes and load errors with file:line:col.
# Usage: slactl_deadline_test.sh SLACTL DATA_DIR
set -u
slactl=$1
data=$2
fail=0

check() {  # name expected actual
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1"
    echo "  expected: $2"
    echo "  actual:   $3"
    fail=1
  else
    echo "ok   $1"
  fi
}

out=$("$slactl" deadline --policy "$data/policy.yaml" --calendar mx-business \
  --start 2026-04-02T23:00:00Z --duration 2h)
check "single: over Good Friday" '{"deadline": "2026-04-06T16:00:00Z"}' "$out"

out=$("$slactl" deadline --policy "$data/policy.yaml" --calendar 24x7 --start 2026-04-02T23:00:00Z --duration 2d)
check "single: 24x7 2d" '{"deadline": "2026-04-04T23:00:00Z"}' "$out"

# The ICS offsite (Wednesday 2026-04-15) is skipped by nbd from Tuesday.
out=$("$slactl" deadline --policy "$data/policy.yaml" --calendar mx-business \
  --start 2026-04-14T16:00:00Z --duration nbd)
check "single: nbd over ICS holiday" '{"deadline": "2026-04-17T00:00:00Z"}' "$out"

out=$(printf '%s\n' \
  '{"calendar":"mx-business","start":"2026-04-10T15:00:00Z","duration":"9h"}' \
  'not json' \
  '{"calendar":"nope","start":"2026-04-10T15:00:00Z","duration":"9h"}' \
  '{"calendar":"mx-business","start":"2026-04-10T15:00:00Z","duration":"9x"}' \
  '{"calendar":"mx-business","start":"yesterday","duration":"9h"}' \
  '{"calendar":"mx-business","start":"2026-04-11T18:00:00Z","duration":"1bd"}' \
  '{"calendar":"mx-business","start":"2026-04-10T15:00:00Z"}' \
  | "$slactl" deadline --policy "$data/policy.yaml" --batch)
lines=$(printf '%s\n' "$out" | wc -l)
check "batch: one line per input" 7 "$lines"
check "batch line 1" '{"deadline": "2026-04-11T00:00:00Z"}' "$(sed -n 1p <<<"$out")"
check "batch line 2" '{"error": "invalid JSON object"}' "$(sed -n 2p <<<"$out")"
check "batch line 3" '{"error": "unknown calendar '"'"'nope'"'"' (known: 24x7, mx-business)"}' "$(sed -n 3p <<<"$out")"
[[ "$(sed -n 4p <<<"$out")" == '{"error": "invalid duration '"'"'9x'"'"': unknown unit'* ]] || { echo "FAIL batch line 4: $(sed -n 4p <<<"$out")"; fail=1; }
[[ "$(sed -n 5p <<<"$out")" == '{"error": "invalid RFC 3339 time'* ]] || { echo "FAIL batch line 5: $(sed -n 5p <<<"$out")"; fail=1; }
check "batch line 6" '{"deadline": "2026-04-14T00:00:00Z"}' "$(sed -n 6p <<<"$out")"
check "batch line 7" '{"error": "missing string field '"'"'duration'"'"'"}' "$(sed -n 7p <<<"$out")"

err=$("$slactl" deadline --policy "$data/policy.yaml" --calendar nope --start 2026-04-02T23:00:00Z --duration 2h 2>&1 >/dev/null)
rc=$?
check "error: exit code" 1 "$rc"
[[ "$err" == *"unknown calendar 'nope'"* ]] || { echo "FAIL error message: $err"; fail=1; }

err=$("$slactl" deadline --policy "$data/bad.yaml" --calendar broken --start 2026-04-02T23:00:00Z --duration 2h 2>&1 >/dev/null)
rc=$?
check "load error: exit code" 1 "$rc"
[[ "$err" == *"bad.yaml:4:15: calendars.broken.timezone: unknown time zone 'Europe/Nowhere'"* ]] || { echo "FAIL load error: $err"; fail=1; }
[[ "$err" == *"bad.yaml:6:17: calendars.broken.hours.mon-fri[0]: invalid time '25:00'"* ]] || { echo "FAIL load error 2: $err"; fail=1; }

"$slactl" deadline --policy "$data/missing.yaml" --calendar x --start 2026-04-02T23:00:00Z --duration 2h 2>/dev/null
check "missing policy: exit code" 1 "$?"

exit $fail
