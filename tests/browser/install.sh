#!/usr/bin/env bash
# Installs the browser tests' npm packages (playwright-core, pinned in
# package.json and package-lock.json) under a cache folder,
# ${SLA_CACHE:-$HOME/.cache/sla-timer}/browser-<hash of the lock file>, and
# prints that folder (its node_modules is what run.mjs imports from). A no-op
# when they are there already. Serialised with flock: ctest may run tests in
# parallel. No browser is downloaded: playwright-core ships none, and the
# tests launch Debian's /usr/bin/chromium (deploy/local/setup.sh installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${SLA_CACHE:-$HOME/.cache/sla-timer}
dir=$cache/browser-$(sha256sum "$here/package-lock.json" | cut -c1-12)
mkdir -p "$cache"
exec 9>"$cache/browser.lock"
flock 9
if [[ ! -f $dir/.installed ]]; then
  command -v npm >/dev/null || { echo "browser tests: npm is missing (deploy/local/setup.sh installs it)" >&2; exit 1; }
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  echo "browser tests: installing playwright-core into $dir" >&2
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$dir/.installed"
fi
echo "$dir"
