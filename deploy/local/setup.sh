#!/usr/bin/env bash
# Installs every Debian package sla-timer needs to build, test and run.
# Idempotent: when everything is already installed it returns in well under a
# second without touching the network. See libs/README.md for why each
# package was chosen.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates curl
  clang libclang-rt-14-dev  # the `clang` preset (libFuzzer and sanitizer runtimes)
  clang-tidy                # `ctest -L tidy` with the checked-in .clang-tidy
  # core libraries
  libexpected-dev        # tl::expected: sla::Result<T>
  libabsl-dev            # absl::TimeZone (cctz) over the system tzdata
  tzdata
  libyaml-cpp-dev        # policy YAML with line/column marks
  libical-dev            # RFC 5545 ICS holiday import
  nlohmann-json3-dev     # JSON in slactl and HTTP bodies
  libcli11-dev           # command-line parsing
  libspdlog-dev          # structured logs in adapters
  # wire format
  libprotobuf-dev protobuf-compiler
  # adapters
  libboost1.81-dev       # Boost.Asio / Beast (HTTP), asio steady_timer baseline
  librdkafka-dev         # Kafka client + mock cluster
  libhiredis-dev         # Redis client
  libjemalloc-dev        # sla-timerd's allocator (less CPU per event than glibc malloc)
  prometheus-cpp-dev     # /metrics
  libssl-dev             # sla-notify: HTTPS client (Beast over OpenSSL), HMAC-SHA256 signatures
  openssl                # the notify tests make their own certificate authority
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server           # integration tests against a real Redis
  redis-tools            # redis-cli: the e2e tests read the committed offsets
  default-jre-headless   # Apache Kafka broker (KRaft) for e2e tests
  maven                  # fetches the Kafka broker's jars from Maven Central (tests/e2e)
  python3                # golden-scenario checker (tests/scenarios), e2e helpers
  # deployment tests (tests/deploy)
  dpkg-dev               # dpkg-shlibdeps: the Debian package's Depends (CPack)
  python3-venv           # kubernetes-validate's venv (tests/deploy/tools.sh)
  python3-yaml           # compose file checks (tests/deploy/check_compose.py)
  prometheus             # promtool check rules on deploy/observability/ (tests/deploy/observability.sh)
  # browser tests (tests/browser): playwright-core drives this chromium
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# helm (v4, built from the Go module proxy) and kubernetes-validate (PyPI,
# in a venv), pinned, under ${SLA_CACHE:-~/.cache/sla-timer}: the deployment
# tests use them. A no-op once they are there. SLA_SETUP_DEPLOY_TOOLS=0
# skips them (the Dockerfile's build stage does).
# Without them only deploy.helm fails (saying why), not
# the whole run.
if [[ "${SLA_SETUP_DEPLOY_TOOLS:-1}" != 0 ]]; then
  bash "$(dirname "$0")/../../tests/deploy/tools.sh" ||
    echo "setup: WARNING: helm / kubernetes-validate could not be installed; the deploy.helm test will fail" >&2
fi
