#!/usr/bin/env bash
# Installs the pinned API test tools (schemathesis, openapi-spec-validator;
# tests/integration/api/requirements.txt, hashes required) into a venv under
# ${SLA_CACHE:-$HOME/.cache/sla-timer}/tools and prints the venv's bin
# folder. Prints only that when they are there already; serialised with
# flock (ctest runs tests in parallel). deploy/local/setup.sh need not run
# it: the test does, once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${SLA_CACHE:-$HOME/.cache/sla-timer}/tools
mkdir -p "$cache"
venv=$cache/api-tools-$(sha256sum "$here/requirements.txt" | cut -c1-12)
exec 9>"$cache/.api-lock"
flock 9
if [[ ! -f $venv/.complete ]]; then
  echo "api tools: installing schemathesis and openapi-spec-validator into $venv (pinned)" >&2
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r "$here/requirements.txt"
  "$venv/bin/schemathesis" --version >/dev/null
  touch "$venv/.complete"
fi
echo "$venv/bin"
