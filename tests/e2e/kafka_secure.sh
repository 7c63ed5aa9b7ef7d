#!/usr/bin/env bash
# End-to-end tests of sla-timerd on a Kafka broker that takes clients only
# over SASL_SSL (SCRAM-SHA-512 over TLS; kafka_broker.sh with
# SLA_KAFKA_SECURITY=sasl_ssl: a CA and broker certificate made by the test,
# the SCRAM user written when the storage is formatted). The daemon, slactl
# produce and slactl tail get only the SASL_SSL address and the settings an
# operator would give them (SLA_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM,
# _SASL_USERNAME, _SASL_PASSWORD, SLA_KAFKA_PROPERTY_SSL_CA_LOCATION).
#   sasl_ssl          events flow in and every output `slactl replay`
#                     expects comes out, nothing else
#   sasl_ssl_refused  a wrong password, then a CA that did not sign the
#                     broker's certificate: the daemon keeps running and
#                     answering /healthz, and /readyz says why it is not
#                     ready (SASL authentication failed; certificate verify
#                     failed); SIGTERM still stops it with exit 0
# Usage: kafka_secure.sh CASE SLA_TIMERD SLACTL [SOURCE_DIR]
set -euo pipefail

CASE="${1:?usage: kafka_secure.sh CASE SLA_TIMERD SLACTL [SOURCE_DIR]}"
TIMERD="${2:?sla-timerd path}"
SLACTL="${3:?slactl path}"
SRC="${4:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
E2E_NAME="e2e.kafka_$CASE"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v openssl >/dev/null 2>&1 || fail "openssl not found (bash deploy/local/setup.sh installs it)"

# The broker with its SASL_SSL listener; BOOTSTRAP becomes that listener's
# address and the client settings are exported for slactl (lib.sh's produce
# and collect) and inherited by sla-timerd. The input topic is created over
# the loopback PLAINTEXT listener the broker keeps for administration.
start_secure_kafka() {
  SLA_KAFKA_SECURITY=sasl_ssl start_kafka "$1"
  local line
  while IFS= read -r line; do
    [[ "$line" == SLA_KAFKA_*=* ]] || continue
    export "${line?}"
  done < <("$BROKER" client-env "$WORK/kafka")
  BOOTSTRAP="$SLA_KAFKA_BROKERS"
  [[ "$SLA_KAFKA_SECURITY_PROTOCOL" == sasl_ssl ]] || fail "the broker gave no SASL_SSL client settings"
  say "SASL_SSL listener on $BOOTSTRAP (SCRAM-SHA-512 user $SLA_KAFKA_SASL_USERNAME, CA $SLA_KAFKA_PROPERTY_SSL_CA_LOCATION)"
}

case_sasl_ssl() {
  start_redis
  start_secure_kafka 4
  "$PY" "$HERE/gen_events.py" --tickets 300 --seed 21 --prefix SS >"$WORK/events.jsonl"
  produce "$WORK/events.jsonl"
  local total
  total="$(grep -c . "$WORK/events.jsonl")"
  expected_outputs "$WORK/events.jsonl" "$WORK/expected.jsonl"
  say "$total events produced over SASL_SSL; $(grep -c . "$WORK/expected.jsonl") outputs expected"
  start_timerd a
  wait_ready a
  wait_committed "$total" 180
  collect "$WORK/outputs.jsonl"
  [[ -s "$WORK/outputs.jsonl" ]] || fail "no outputs read back over SASL_SSL"
  check_outputs "$WORK/expected.jsonl" "$WORK/outputs.jsonl"
  say "$(grep -c . "$WORK/outputs.jsonl") outputs read back over SASL_SSL match slactl replay"
  stop_timerd a
}

# wait_reason NAME TEXT: until NAME's /readyz is 503 with TEXT in its
# reason; NAME must stay alive and keep answering /healthz meanwhile.
wait_reason() {
  local name="$1" body="" deadline=$((SECONDS + 60))
  while :; do
    kill -0 "${TIMERD_PIDS[$name]}" 2>/dev/null || fail "sla-timerd $name exited (it must wait for Kafka, not stop)"
    [[ "$(curl_ -o /dev/null -w '%{http_code}' "${TIMERD_HTTP[$name]}/healthz" || true)" == 200 ]] ||
      fail "$name /healthz is not 200 while Kafka refuses it"
    body="$(curl_ -w '\n%{http_code}' "${TIMERD_HTTP[$name]}/readyz" || true)"
    [[ "${body##*$'\n'}" == 503 && "$body" == *"$2"* ]] && break
    ((SECONDS < deadline)) || fail "$name /readyz never said '$2' within 60s (last: ${body%$'\n'*})"
    sleep 0.25
  done
  say "$name not ready, as it should be: ${body%$'\n'*}"
}

case_sasl_ssl_refused() {
  start_redis
  start_secure_kafka 1
  start_timerd wrongpw SLA_KAFKA_SASL_PASSWORD="not-the-password"
  wait_reason wrongpw "Authentication failed"
  stop_timerd wrongpw

  # A CA of its own, which did not sign the broker's certificate.
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=some other CA" \
    -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.crt" >"$WORK/openssl.err" 2>&1 ||
    fail "openssl could not make the untrusted CA: $(tail -n 3 "$WORK/openssl.err")"
  start_timerd untrusted SLA_KAFKA_PROPERTY_SSL_CA_LOCATION="$WORK/other-ca.crt"
  wait_reason untrusted "certificate verify failed"
  stop_timerd untrusted

  # And with the right settings the same broker takes it: the refusals
  # above were the password and the CA, nothing else.
  start_timerd good
  wait_ready good
  stop_timerd good
}

e2e_init
case "$CASE" in
  sasl_ssl | sasl_ssl_refused) "case_$CASE" ;;
  *) fail "unknown case '$CASE' (sasl_ssl, sasl_ssl_refused)" ;;
esac
PASSED=1
say "passed"
