# Shared by the deployment tests (sourced, not run): a work folder removed on
# exit, failure reporting, and one short run of an sla-timerd binary on its
# embedded broker. The caller sets NAME before sourcing.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../e2e/procs.sh
source "$SRC/tests/e2e/procs.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sla-$NAME.XXXXXX")"
DAEMON_PID=""
cleanup() {
  local rc=$?
  [[ -n "$DAEMON_PID" ]] && stop_pid "$DAEMON_PID" 10
  if ((rc != 0)) && [[ -n "${CI:-}${SLA_DEPLOY_KEEP:-}" ]]; then
    echo "$NAME: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
set -E
trap 'echo "$NAME: command failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

fail() { echo "$NAME: FAIL: $*" >&2; exit 1; }
say() { echo "$NAME: $*"; }

# run_embedded LABEL DIR SLA_TIMERD ARGS...: runs `SLA_TIMERD --embedded
# --http-port 0 ARGS` in folder DIR until /readyz answers 200 (partitions
# assigned, policy loaded), checks /healthz and /metrics, sends SIGTERM and
# requires exit 0 within 30 s. Its output is in $WORK/LABEL.out and .err.
run_embedded() {
  local label="$1" dir="$2" bin
  bin="$(readlink -f "$3")"
  shift 3
  : >"$WORK/$label.out"
  : >"$WORK/$label.err"
  (cd "$dir" && exec "$bin" --embedded --http-port 0 --plain-logs "$@") \
    </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err" &
  DAEMON_PID=$!
  local http="" deadline=$((SECONDS + 60))
  while :; do
    http="$(sed -n 's#^HTTP: \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$WORK/$label.out" 2>/dev/null | head -n 1)"
    if [[ -n "$http" && "$(curl_ -o /dev/null -w '%{http_code}' "$http/readyz")" == 200 ]]; then break; fi
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      wait "$DAEMON_PID" && rc=0 || rc=$?
      DAEMON_PID=""
      cat "$WORK/$label.out" "$WORK/$label.err" >&2
      fail "$label: sla-timerd exited ($rc) before /readyz answered 200"
    fi
    ((SECONDS < deadline)) || { cat "$WORK/$label.out" "$WORK/$label.err" >&2; fail "$label: /readyz not 200 within 60 s"; }
    sleep 0.1
  done
  [[ "$(curl_ -o /dev/null -w '%{http_code}' "$http/healthz")" == 200 ]] || fail "$label: /healthz is not 200"
  grep -q '^# TYPE' <<<"$(curl_ "$http/metrics")" || fail "$label: /metrics has no Prometheus text"
  kill -TERM "$DAEMON_PID"
  local rc=0 waited=0
  while kill -0 "$DAEMON_PID" 2>/dev/null && ((waited < 300)); do sleep 0.1; waited=$((waited + 1)); done
  kill -0 "$DAEMON_PID" 2>/dev/null && fail "$label: still running 30 s after SIGTERM"
  wait "$DAEMON_PID" || rc=$?
  DAEMON_PID=""
  ((rc == 0)) || { cat "$WORK/$label.err" >&2; fail "$label: exit $rc after SIGTERM, not 0"; }
  say "$label: ready on $http, exit 0 on SIGTERM"
}
