"""Structural checks of deploy/compose/compose.yaml (deploy.compose): there
is no container engine here to run `docker compose config`, so this checks
what it would and what the setup relies on.

    check_compose.py SOURCE_DIR
"""
import os
import re
import sys

import yaml


def fail(msg):
    print(f"check_compose: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


src = sys.argv[1]
cdir = os.path.join(src, "deploy", "compose")
doc = yaml.safe_load(open(os.path.join(cdir, "compose.yaml")))
services = doc.get("services") or fail("no services")
for name in ("kafka", "kafka-init", "redis", "sla-timerd", "sla-notify", "demo-producer"):
    if name not in services:
        fail(f"no service {name}")

kafka = services["kafka"]
if not kafka["image"].startswith("apache/kafka:"):
    fail(f"kafka is {kafka['image']}, not the official apache/kafka image")
env = kafka["environment"]
if "controller" not in env.get("KAFKA_PROCESS_ROLES", "") or any("ZOOKEEPER" in k for k in env):
    fail("kafka is not a KRaft broker+controller")

conditions = {"service_started", "service_healthy", "service_completed_successfully"}
for name, svc in services.items():
    if "image" not in svc and "build" not in svc:
        fail(f"{name}: neither image nor build")
    for dep, spec in (svc.get("depends_on") or {}).items():
        if dep not in services:
            fail(f"{name} depends on unknown service {dep}")
        cond = spec.get("condition", "service_started")
        if cond not in conditions:
            fail(f"{name}: depends_on {dep} with unknown condition {cond}")
        if cond == "service_healthy" and "healthcheck" not in services[dep]:
            fail(f"{name} waits for {dep} to be healthy, which has no healthcheck")
    for vol in svc.get("volumes") or []:
        host = vol.split(":")[0]
        if host.startswith("."):
            if not os.path.exists(os.path.join(cdir, host)):
                fail(f"{name}: bind mount {host} does not exist")
        elif host not in (doc.get("volumes") or {}):
            fail(f"{name}: named volume {host} is not declared")
    if "build" in svc:
        ctx = os.path.join(cdir, svc["build"]["context"])
        if not os.path.isfile(os.path.join(ctx, svc["build"].get("dockerfile", "Dockerfile"))):
            fail(f"{name}: no Dockerfile in its build context")

# The sla-timer containers: the image the Dockerfile builds, locked down.
for name in ("sla-timerd", "sla-notify", "demo-producer"):
    svc = services[name]
    if svc.get("image") != services["sla-timerd"]["image"]:
        fail(f"{name} does not run the sla-timer image")
    if not svc.get("read_only") or svc.get("cap_drop") != ["ALL"]:
        fail(f"{name}: not read_only with every capability dropped")
    for var in (svc.get("environment") or {}):
        if not var.startswith("SLA_"):
            continue
        # Every SLA_ variable must be one the daemons read.
        known = False
        for path in ("services/sla-timerd/config.cpp", "libs/kafka/src/config.cpp",
                     "services/sla-notify/config.cpp"):
            p = os.path.join(src, path)
            if os.path.exists(p) and var in open(p).read():
                known = True
        if not known and not (var.startswith("SLA_KAFKA_") and var[10:] in
                              {"BROKERS", "SECURITY_PROTOCOL", "SASL_MECHANISM", "SASL_USERNAME",
                               "SASL_PASSWORD", "GROUP_ID", "CLIENT_ID"}):
            fail(f"{name}: {var} is read by no daemon")

timerd = services["sla-timerd"]
if timerd["environment"].get("SLA_HTTP_ADDRESS") != "0.0.0.0":
    fail("sla-timerd's HTTP listens on loopback inside its container: the published port reaches nothing")
grace = int(re.match(r"(\d+)s$", timerd["stop_grace_period"]).group(1))
if grace <= 30:
    fail(f"sla-timerd's stop_grace_period {grace}s is not longer than flush_timeout_ms (30 s)")
if services["sla-notify"].get("profiles") != ["notify"]:
    fail("sla-notify should wait for its routes behind the 'notify' profile")

# The topics created are the ones sla-timerd uses by default.
topics = open(os.path.join(cdir, "topics.sh")).read()
sample = yaml.safe_load(open(os.path.join(src, "deploy", "config", "sla-timerd.yaml")))
for key, t in sample["topics"].items():
    if key == "encoding":  # how the outputs are encoded, not a topic
        continue
    if not re.search(rf"\b{re.escape(t)}\b", topics):
        fail(f"topics.sh does not create {t}")
print(f"check_compose: {len(services)} services ok")
