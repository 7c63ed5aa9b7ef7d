#!/usr/bin/env bash
# deploy.sample_config: deploy/config/sla-timerd.yaml (every setting with its
# default) is accepted by the daemon: sla-timerd --config on it runs on the
# embedded broker until ready and stops with exit 0 on SIGTERM, from a folder
# that is not the repository (its relative default policy is found in the
# source tree the binary was built from). The same file with one key
# misspelt must be refused (exit 2, naming the file, line and key), so a
# sample that drifts from the reader's keys fails here.
#   sample_config.sh SLA_TIMERD
set -euo pipefail
NAME=deploy.sample_config
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
TIMERD="${1:?sla-timerd path}"
SAMPLE="$SRC/deploy/config/sla-timerd.yaml"

mkdir -p "$WORK/elsewhere"
run_embedded sample "$WORK/elsewhere" "$TIMERD" --config "$SAMPLE"

sed 's/^poll_batch:/poll_batchh:/' "$SAMPLE" >"$WORK/typo.yaml"
grep -q '^poll_batchh:' "$WORK/typo.yaml" || fail "the sample has no top-level poll_batch line to misspell"
rc=0
"$TIMERD" --embedded --http-port 0 --config "$WORK/typo.yaml" >"$WORK/typo.out" 2>&1 </dev/null || rc=$?
((rc == 2)) || { cat "$WORK/typo.out" >&2; fail "a misspelt key gave exit $rc, expected 2"; }
grep -q "typo.yaml:[0-9]*:[0-9]*.*poll_batchh" "$WORK/typo.out" || { cat "$WORK/typo.out" >&2; fail "the error does not name file:line:col and the key"; }
say "PASS"
