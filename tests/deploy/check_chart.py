"""Checks on the manifests `helm template` rendered (deploy.helm).

    check_chart.py default|full RENDERED.yaml

What a cluster would not tell us until it hurt: every container runs as
non-root on a read-only root filesystem with every capability dropped; the
probes point at the right endpoints; the pod gets longer to stop than the
daemon's flush timeout; the settings file the pods read has the HTTP
address a probe can reach and the policy path that is mounted; the policy
is mounted as a whole folder (a subPath mount would never see an update);
secrets come from Secret references and never sit in a ConfigMap.
Prints the settings file (for the daemon to load) to SETTINGS_OUT when set.
"""
import os
import sys

import yaml


def fail(msg):
    print(f"check_chart: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    expected = {"ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget"}
    if mode == "full":
        expected |= {"ServiceMonitor", "PrometheusRule"}
    missing = expected - set(by_kind)
    if missing:
        fail(f"{mode}: no {sorted(missing)} rendered (got {sorted(by_kind)})")

    deployments = {d["metadata"]["name"]: d for d in by_kind["Deployment"]}
    configmaps = {d["metadata"]["name"]: d for d in by_kind["ConfigMap"]}
    timerd = [d for d in deployments.values()
              if d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "timerd"]
    notify = [d for d in deployments.values()
              if d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "notify"]
    if len(timerd) != 1:
        fail(f"{mode}: {len(timerd)} sla-timerd Deployments")
    if (mode == "full") != (len(notify) == 1) or len(notify) > 1:
        fail(f"{mode}: {len(notify)} sla-notify Deployments (expected {'1' if mode == 'full' else 'none'})")

    for dep in deployments.values():
        pod = dep["spec"]["template"]["spec"]
        name = dep["metadata"]["name"]
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            fail(f"{name}: pod securityContext.runAsNonRoot is not true")
        if pod.get("automountServiceAccountToken") is not False:
            fail(f"{name}: the service account token is mounted (no API is called)")
        for c in pod["containers"]:
            sc = c.get("securityContext", {})
            if not (sc.get("runAsNonRoot") and sc.get("readOnlyRootFilesystem")
                    and sc.get("allowPrivilegeEscalation") is False
                    and sc.get("capabilities", {}).get("drop") == ["ALL"]):
                fail(f"{name}/{c['name']}: not non-root + read-only root + no escalation + drop ALL: {sc}")
            if sc.get("runAsUser", 0) == 0:
                fail(f"{name}/{c['name']}: runs as uid 0")
            for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                                ("readinessProbe", "/readyz")):
                got = c.get(probe, {}).get("httpGet", {}).get("path")
                if got != path:
                    fail(f"{name}/{c['name']}: {probe} is {got}, expected {path}")
            if "limits" not in c.get("resources", {}) or "requests" not in c["resources"]:
                fail(f"{name}/{c['name']}: no resource requests and limits")
            for env in c.get("env", []):
                if "value" in env and any(s in env["name"] for s in ("PASSWORD", "TOKEN", "SECRET")):
                    fail(f"{name}: {env['name']} is a literal value, not a Secret reference")

    dep = timerd[0]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    if c["args"][:1] != ["--config"]:
        fail(f"sla-timerd args: {c['args']}")
    settings_path = c["args"][1]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    settings_dir = os.path.dirname(settings_path)
    if settings_dir not in mounts:
        fail(f"{settings_path} is not under a mounted folder ({sorted(mounts)})")
    vols = {v["name"]: v for v in pod["volumes"]}
    cm_name = vols[mounts[settings_dir]["name"]]["configMap"]["name"]
    settings = yaml.safe_load(configmaps[cm_name]["data"][os.path.basename(settings_path)])
    if settings["http"]["address"] != "0.0.0.0":
        fail(f"the pods' HTTP address is {settings['http']['address']}: probes from the kubelet cannot reach it")
    port = c["ports"][0]["containerPort"]
    if settings["http"]["port"] != port:
        fail(f"HTTP port {settings['http']['port']} in the settings, container port {port}")
    flush_ms = settings.get("flush_timeout_ms", 30000)
    if pod["terminationGracePeriodSeconds"] * 1000 <= flush_ms:
        fail(f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']} is not longer than "
             f"flush_timeout_ms {flush_ms}")
    ann = dep["spec"]["template"]["metadata"].get("annotations", {})
    if "checksum/settings" not in ann:
        fail("no checksum/settings annotation: a settings change would not roll the pods")
    for key in ("sasl_password", "password"):
        for section in ("kafka", "redis"):
            if settings.get(section, {}).get(key):
                fail(f"a {section} {key} sits in the settings ConfigMap")
    policy = settings["policy"]
    if mode == "full":
        pdir = os.path.dirname(policy)
        if pdir not in mounts:
            fail(f"the policy {policy} is not in a mounted folder")
        if mounts[pdir].get("subPath"):
            fail("the policy is mounted with subPath: ConfigMap updates would never reach the daemon")
        pcm = configmaps[vols[mounts[pdir]["name"]]["configMap"]["name"]]
        if os.path.basename(policy) not in pcm["data"]:
            fail(f"the policy ConfigMap has no {os.path.basename(policy)}")
        names = {e["name"] for e in c["env"]}
        for var in ("SLA_KAFKA_SASL_USERNAME", "SLA_KAFKA_SASL_PASSWORD", "SLA_REDIS_PASSWORD", "SLA_HTTP_TOKENS"):
            if var not in names:
                fail(f"full values: {var} is not set from a Secret")
        n = notify[0]["spec"]["template"]["spec"]["containers"][0]
        # kafka.tls.caSecret: the CA file each container is told about sits
        # in a mounted Secret holding that key.
        for name, pod_spec, container in (("sla-timerd", pod, c),
                                          ("sla-notify", notify[0]["spec"]["template"]["spec"], n)):
            env = {e["name"]: e.get("value") for e in container["env"]}
            ca = env.get("SLA_KAFKA_PROPERTY_SSL_CA_LOCATION")
            cmounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
            cvols = {v["name"]: v for v in pod_spec["volumes"]}
            if not ca or os.path.dirname(ca) not in cmounts:
                fail(f"{name}: the Kafka CA {ca} is not in a mounted folder")
            secret = cvols[cmounts[os.path.dirname(ca)]["name"]].get("secret", {})
            if secret.get("secretName") != "kafka-ca" or os.path.basename(ca) not in [i["path"] for i in secret.get("items", [])]:
                fail(f"{name}: the Kafka CA {ca} does not come from the kafka-ca Secret: {secret}")
        if n["args"] != ["--config", "/etc/sla-timer/sla-notify.yaml"]:
            fail(f"sla-notify args: {n['args']}")
        ncm = configmaps[notify[0]["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"]]
        nsettings = yaml.safe_load(ncm["data"]["sla-notify.yaml"])
        if nsettings["routes"] != "/etc/sla-timer/routes.yaml" or "routes.yaml" not in ncm["data"]:
            fail("sla-notify's routes file is not /etc/sla-timer/routes.yaml from its ConfigMap")
        if nsettings["http"] != {"address": "0.0.0.0", "port": 8081, "allowed_hosts": ["notify.example.com"]}:
            fail(f"sla-notify's HTTP (address and port from the chart, allowed_hosts from the values): {nsettings['http']}")
        for sm in by_kind["ServiceMonitor"]:
            eps = sm["spec"]["endpoints"]
            if not eps or eps[0].get("path") != "/metrics" or eps[0].get("port") != "http":
                fail(f"ServiceMonitor {sm['metadata']['name']}: endpoints {eps}")
        alerts = set()
        for g in by_kind["PrometheusRule"][0]["spec"]["groups"]:
            for r in g["rules"]:
                if not r.get("alert") or not r.get("expr"):
                    fail(f"PrometheusRule: a rule without alert/expr: {r}")
                alerts.add(r["alert"])
        # Without values.metrics.prometheusRule.groups (the full values set none),
        # the chart renders deploy/observability/alerts.yaml.
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "observability", "alerts.yaml")) as f:
            repo = {r["alert"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]}
        if alerts != repo:
            fail(f"PrometheusRule alerts {sorted(alerts)} are not deploy/observability/alerts.yaml's {sorted(repo)}")
    else:
        if not policy.startswith("/usr/share/sla-timer/policies/"):
            fail(f"default values: the policy is {policy}, expected the image's seed policy")
    out = os.environ.get("SETTINGS_OUT")
    if out:
        with open(out, "w") as f:
            yaml.safe_dump(settings, f)
    print(f"check_chart: {mode}: {len(docs)} manifests ok")


main()
