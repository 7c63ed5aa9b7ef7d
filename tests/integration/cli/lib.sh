# Sourced by the cli scripts that run sla-timerd --embedded as a process
# (cli_test.sh, metrics_test.sh), with $timerd set: a work folder removed at
# exit (the daemon killed first if still running), fail(), start_daemon().

work=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- daemon output" >&2; cat "$work/out" "$work/err" >&2 || true; exit 1; }

# start_daemon POLICY: sla-timerd --embedded on POLICY, its output in
# $work/out and $work/err, its pid in $pid; sets $brokers and $http from the
# addresses it prints, and returns once /readyz answers 200 (the group has
# assigned the partitions).
start_daemon() {
  "$timerd" --embedded --http-port 0 --plain-logs --policy "$1" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 100); do
    grep -q '^HTTP: ' "$work/out" 2>/dev/null && break
    sleep 0.1
  done
  brokers=$(sed -n 's/^embedded Kafka-protocol broker: //p' "$work/out")
  http=$(sed -n 's|^HTTP: \(http://[^/]*\)/.*|\1|p' "$work/out")
  [[ -n $brokers && -n $http ]] || fail "daemon did not print its addresses"
  for _ in $(seq 150); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$http/readyz") == 200 ]] && break
    sleep 0.2
  done
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$http/readyz") == 200 ]] || fail "never ready"
}
