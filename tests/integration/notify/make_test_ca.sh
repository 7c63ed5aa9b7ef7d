#!/usr/bin/env bash
# make_test_ca.sh DIR: a throw-away certificate authority for the notify
# tests, made with the openssl tool (Debian `openssl`). Writes into DIR:
#   ca.pem            the test CA (what sla-notify's `tls.ca_file` trusts)
#   server.pem/.key   a server certificate for 127.0.0.1 and localhost
#   wronghost.pem/.key  signed by the CA, but for other.example only
#   other-ca.pem      a second CA that signed nothing the tests serve
# Idempotent: does nothing when DIR holds certificates made less than a day
# ago (they are valid for two); tests running in parallel share DIR (flock).
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
exec 9>.lock
flock 9
if [[ -s ca.pem && -s server.pem && -s wronghost.pem && -s other-ca.pem && -z "$(find ca.pem -mmin +1440)" ]]; then
  exit 0
fi
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sla-notify test CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another test CA" \
  -keyout other-ca.key -out other-ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
leaf() {  # name san
  q openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
leaf server "IP:127.0.0.1,DNS:localhost"
leaf wronghost "DNS:other.example"
