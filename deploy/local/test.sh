#!/usr/bin/env bash
# The whole test suite, set-up included: installs the Debian packages
# (idempotent), configures, builds and runs every ctest tier through the `ci`
# workflow preset. Tests that need servers start and stop them themselves.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/setup.sh
cmake --workflow --preset ci
