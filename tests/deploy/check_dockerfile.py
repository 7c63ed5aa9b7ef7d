"""Checks the Dockerfile against a staging tree made the way its build stage
makes one (deploy.install): `DESTDIR=STAGE cmake --install ... --prefix /usr
--strip` and runtime-deps.sh. There is no container engine here, so this is
what keeps the Dockerfile and the install rules in step.

    check_dockerfile.py SOURCE_DIR STAGE

- both stages are Debian bookworm; the build stage runs deploy/local/setup.sh,
  `cmake --install` with DESTDIR=/staging --prefix /usr, runtime-deps.sh
- every `COPY --from=build /staging/...` source exists in STAGE
- the runtime stage runs as a non-root user, has a HEALTHCHECK on /healthz,
  listens on all interfaces (SLA_HTTP_ADDRESS=0.0.0.0), and its entrypoint
  and settings file exist in STAGE
- .dockerignore keeps what the build needs in the context
"""
import fnmatch
import os
import re
import sys


def fail(msg):
    print(f"check_dockerfile: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


src, stage = sys.argv[1], sys.argv[2]
text = open(os.path.join(src, "Dockerfile")).read().replace("\\\n", " ")
lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
froms = [l for l in lines if l.startswith("FROM ")]
if len(froms) < 2 or not all("bookworm" in f for f in froms):
    fail(f"not a multi-stage bookworm build: {froms}")
build_end = lines.index(froms[1])
build, runtime = lines[:build_end], lines[build_end:]
build_runs = " ".join(l for l in build if l.startswith("RUN "))
for needed in ("deploy/local/setup.sh", "DESTDIR=/staging cmake --install", "--prefix /usr",
               "deploy/packaging/runtime-deps.sh"):
    if needed not in build_runs:
        fail(f"the build stage does not run '{needed}'")
for l in runtime:
    m = re.match(r"COPY --from=build (\S+) (\S+)$", l)
    if m:
        rel = m.group(1)
        if not rel.startswith("/staging/"):
            fail(f"COPY from outside the staging tree: {l}")
        if not os.path.exists(os.path.join(stage, rel[len("/staging/"):])):
            fail(f"{rel} is not in the staging tree the install rules make")
users = [l.split()[1] for l in runtime if l.startswith("USER ")]
if not users or users[-1].split(":")[0] in ("root", "0"):
    fail(f"the runtime stage runs as root ({users})")
if not any(l.startswith("HEALTHCHECK") and "/healthz" in l for l in runtime):
    fail("no HEALTHCHECK on /healthz")
if not any(re.match(r"ENV SLA_HTTP_ADDRESS=0\.0\.0\.0\b", l) for l in runtime):
    fail("the image's HTTP stays on loopback (SLA_HTTP_ADDRESS)")
entry = [l for l in runtime if l.startswith("ENTRYPOINT")][-1]
binary = re.search(r'"(/usr/bin/[^"]+)"', entry).group(1)
if not os.access(os.path.join(stage, binary.lstrip("/")), os.X_OK):
    fail(f"the entrypoint {binary} is not in the staging tree")
cmd = [l for l in runtime if l.startswith("CMD ")][-1]
for path in re.findall(r'"(/etc/[^"]+)"', cmd):
    if not os.path.isfile(os.path.join(stage, path.lstrip("/"))):
        fail(f"CMD names {path}, which the install rules do not make")

ignore = [l.strip() for l in open(os.path.join(src, ".dockerignore")) if l.strip() and not l.startswith("#")]
for needed in ("CMakeLists.txt", "CMakePresets.json", "cmake/SlaPackaging.cmake", "deploy/local/setup.sh",
               "deploy/packaging/runtime-deps.sh", "deploy/policies/sample.yaml", "deploy/config/sla-timerd.yaml",
               "libs/README.md", "services/CMakeLists.txt", "proto", "README.md", "docs/deploy.md",
               "tests/CMakeLists.txt", "tools/loadgen"):
    for pat in ignore:
        p = pat.rstrip("/")
        if fnmatch.fnmatch(needed, p) or needed.startswith(p + "/"):
            fail(f".dockerignore pattern {pat} leaves {needed} out of the build context")
print("check_dockerfile: ok")
