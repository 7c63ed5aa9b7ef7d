# Process and port helpers shared by the end-to-end tests (lib.sh) and the
# service measurements (tools/loadgen/measure.sh). Sourced, not run.

PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

curl_() { curl --noproxy '*' -s --max-time 5 "$@"; }

stop_pid() {  # PID TIMEOUT_SECONDS: TERM, then KILL; reaps our child
  local pid="$1" limit="$2" deadline
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
