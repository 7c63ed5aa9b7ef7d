#!/usr/bin/env bash
# deploy.helm: the chart in helm/sla-timer checked by the real helm (v4,
# pinned, tools.sh) and the Kubernetes schemas (kubernetes-validate, pinned):
#  - helm lint --strict, with the default and with the full values
#  - helm template with both; every manifest validated (strict: unknown
#    fields rejected) against Kubernetes 1.25 (the chart's kubeVersion floor)
#    and 1.37; check_chart.py on what matters in a cluster (security context,
#    probes, grace period vs flush timeout, Secret references, the settings
#    the pods read)
#  - the rendered sla-timerd.yaml and policy loaded by the real sla-timerd,
#    sla-notify.yaml and routes.yaml checked by sla-notify --check (when built)
#  - a policy change leaves the pods' template alone (reloaded in place, no
#    restart); a settings change rolls them
#  - NOTES.txt says how to reach the dashboard
#  - values the schema or the templates must refuse are refused
#   helm.sh SLA_TIMERD
set -euo pipefail
NAME=deploy.helm
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
TIMERD="${1:?sla-timerd path}"
CHART="$SRC/helm/sla-timer"
FULL=(-f "$HERE/helm-full-values.yaml" --set-file "timerd.policy=$SRC/deploy/policies/trackmyvend.yaml")

HELM="$(bash "$HERE/tools.sh" helm)" || fail "helm could not be installed (tests/deploy/tools.sh)"
VALIDATE="$(bash "$HERE/tools.sh" validate)" || fail "kubernetes-validate could not be installed (tests/deploy/tools.sh)"
PY="$(dirname "$VALIDATE")/python"
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"
say "$("$HELM" version --short)"

"$HELM" lint --strict "$CHART" >"$WORK/lint-default.log" 2>&1 || { cat "$WORK/lint-default.log" >&2; fail "helm lint --strict (default values)"; }
"$HELM" lint --strict "$CHART" "${FULL[@]}" >"$WORK/lint-full.log" 2>&1 || { cat "$WORK/lint-full.log" >&2; fail "helm lint --strict (full values)"; }

render() {  # OUT ARGS...: helm template into OUT
  local out="$1"
  shift
  "$HELM" template sla "$CHART" --namespace sla "$@" >"$out" 2>"$out.err" || { cat "$out.err" >&2; fail "helm template $* failed"; }
}
render "$WORK/default.yaml"
render "$WORK/full.yaml" "${FULL[@]}"

for mode in default full; do
  for k8s in 1.25.0 1.37.0; do
    # CRD kinds (ServiceMonitor, PrometheusRule) have no schema there: a
    # warning, checked by check_chart.py instead.
    "$VALIDATE" --strict --quiet -k "$k8s" "$WORK/$mode.yaml" >"$WORK/validate-$mode-$k8s.log" 2>&1 ||
      { cat "$WORK/validate-$mode-$k8s.log" >&2; fail "$mode manifests do not validate against Kubernetes $k8s"; }
    if grep -v "Couldn't find schema for kind \(ServiceMonitor\|PrometheusRule\) " "$WORK/validate-$mode-$k8s.log" | grep -q .; then
      cat "$WORK/validate-$mode-$k8s.log" >&2
      fail "kubernetes-validate $k8s said more than the expected CRD warnings about the $mode manifests"
    fi
  done
  SETTINGS_OUT="$WORK/$mode-settings.yaml" "$PY" "$HERE/check_chart.py" "$mode" "$WORK/$mode.yaml"
done

# The settings the pods would read, and the policy from the full values'
# ConfigMap, loaded by the real daemon (on loopback: the environment wins
# over the pod's 0.0.0.0).
"$PY" - "$WORK/full.yaml" "$WORK/policy.yaml" <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-policy"):
        open(sys.argv[2], "w").write(d["data"]["policy.yaml"])
        break
else:
    sys.exit("no policy ConfigMap in the full render")
PY
mkdir -p "$WORK/run"
for mode in default full; do
  # brokers and Redis are never contacted in --embedded; only the keys and
  # their values are checked by the daemon's own reader.
  SLA_HTTP_ADDRESS=127.0.0.1 run_embedded "chart-$mode" "$WORK/run" "$TIMERD" \
    --config "$WORK/$mode-settings.yaml" --policy "$([[ $mode == full ]] && echo "$WORK/policy.yaml" || echo sample.yaml)"
done
grep -q "policy loaded: policy trackmyvend" "$WORK/chart-full.out" "$WORK/chart-full.err" ||
  fail "the full values' policy ConfigMap did not load as the trackmyvend policy"

# sla-notify's rendered settings and routes, checked by sla-notify itself
# when it is built.
NOTIFY="$(dirname "$(dirname "$TIMERD")")/sla-notify/sla-notify"
if [[ -x "$NOTIFY" ]]; then
  "$PY" - "$WORK/full.yaml" "$WORK/notify" <<'PY'
import os, sys, yaml
os.makedirs(sys.argv[2], exist_ok=True)
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-notify"):
        for name, text in d["data"].items():
            open(os.path.join(sys.argv[2], name), "w").write(text)
        break
else:
    sys.exit("no sla-notify ConfigMap in the full render")
PY
  PD_ROUTING_KEY_SUPPORT=test-key "$NOTIFY" --check --config "$WORK/notify/sla-notify.yaml" \
    --routes "$WORK/notify/routes.yaml" >"$WORK/notify-check.out" 2>&1 ||
    { cat "$WORK/notify-check.out" >&2; fail "sla-notify --check refuses the chart's rendered settings or routes"; }
  say "sla-notify --check accepts the chart's rendered settings and routes"
fi

# A policy change must not touch the pod template (the daemon reloads the
# mounted file); a settings change must (it is read once at start).
pod_template() {  # RENDERED: the sla-timerd Deployment's pod template
  "$PY" -c '
import sys, yaml, json
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment" and d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "timerd":
        print(json.dumps(d["spec"]["template"], sort_keys=True))' "$1"
}
render "$WORK/policy2.yaml" "${FULL[@]}" --set-file "timerd.policy=$SRC/deploy/policies/sample.yaml"
render "$WORK/settings2.yaml" "${FULL[@]}" --set timerd.config.poll_ms=100
[[ "$(pod_template "$WORK/full.yaml")" == "$(pod_template "$WORK/policy2.yaml")" ]] ||
  fail "a policy change alters the pod template: it would restart the pods instead of a reload"
cmp -s "$WORK/full.yaml" "$WORK/policy2.yaml" && fail "the policy change did not reach the rendered ConfigMap"
[[ "$(pod_template "$WORK/full.yaml")" != "$(pod_template "$WORK/settings2.yaml")" ]] ||
  fail "a settings change leaves the pod template alone: the pods would keep the old settings"

# NOTES.txt tells where the dashboard is.
"$HELM" install sla "$CHART" --dry-run=client --namespace sla "${FULL[@]}" >"$WORK/notes.txt" 2>&1 ||
  { cat "$WORK/notes.txt" >&2; fail "helm install --dry-run=client failed"; }
grep -q "port-forward service/sla-sla-timer 8080:8080" "$WORK/notes.txt" || { sed -n '/^NOTES:/,$p' "$WORK/notes.txt" >&2; fail "NOTES do not say how to reach the dashboard"; }

# Values that must be refused, and the message that says why.
refuse() {  # EXPECTED_MESSAGE ARGS...
  local want="$1"
  shift
  if "$HELM" template sla "$CHART" "$@" >"$WORK/refused.yaml" 2>"$WORK/refused.err"; then
    fail "helm template $* was accepted"
  fi
  grep -q -- "$want" "$WORK/refused.err" || { cat "$WORK/refused.err" >&2; fail "helm template $* refused without '$want'"; }
}
refuse "replicas" --set timerd.replicas=0
refuse "must be longer than timerd.config.flush_timeout_ms" --set timerd.terminationGracePeriodSeconds=30
refuse "must be longer than timerd.config.flush_timeout_ms" --set timerd.config.flush_timeout_ms=60000
refuse "sasl_password" --set timerd.config.kafka.sasl_password=hunter2
refuse "security_protocol" --set timerd.config.kafka.security_protocol=tls
refuse "poll_bach" --set timerd.config.poll_bach=1
say "PASS"
