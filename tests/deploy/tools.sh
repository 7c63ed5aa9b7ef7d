#!/usr/bin/env bash
# Installs the pinned tools the deployment tests use, under a cache folder
# (${SLA_CACHE:-$HOME/.cache/sla-timer}/tools), and prints nothing when they
# are there already (a few milliseconds), so setup.sh and every test can call
# it. Serialised with flock: ctest runs tests in parallel.
#   tools.sh            # both
#   tools.sh helm       # prints the helm binary's path
#   tools.sh validate   # prints the kubernetes-validate binary's path
#
# helm: built from the Go module proxy (`go install helm.sh/helm/v4/cmd/helm`)
#   with the first Go >= 1.26 found (PATH, /usr/local/go); with an older Go
#   (>= 1.21) the go command fetches the pinned toolchain itself
#   (`GOTOOLCHAIN`). Debian bookworm's golang-go (1.19) is too old for both.
# kubernetes-validate: from PyPI into a venv, every package pinned
#   (tests/deploy/requirements.txt), with Debian's python3-venv.
set -euo pipefail

HELM_VERSION=v4.3.2
GO_MIN_MINOR=26                       # helm v4.3.2's go.mod: go 1.26.0
GO_TOOLCHAIN=go1.26.8                 # fetched by an older Go (GOTOOLCHAIN) when no Go >= 1.26 is installed
here=$(cd "$(dirname "$0")" && pwd)
cache=${SLA_CACHE:-$HOME/.cache/sla-timer}/tools
mkdir -p "$cache"
what=${1:-all}

helm_bin=$cache/helm-$HELM_VERSION/bin/helm
venv=$cache/kubernetes-validate-$(sha256sum "$here/requirements.txt" | cut -c1-12)
validate_bin=$venv/bin/kubernetes-validate

say() { echo "deploy tools: $*" >&2; }

go_ok() {  # go_ok GO: a Go binary recent enough for helm
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  [[ $v =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= GO_MIN_MINOR))
}

find_go() {
  local g
  for g in "$(command -v go || true)" /usr/local/go/bin/go; do
    if [[ -n $g && -x $g ]] && go_ok "$g"; then echo "$g"; return 0; fi
  done
  # An older Go (>= 1.21) fetches the pinned toolchain itself, as a module
  # from its configured module proxy (GOTOOLCHAIN); the go command checks it
  # against the checksum database.
  for g in "$(command -v go || true)" /usr/local/go/bin/go; do
    [[ -n $g && -x $g ]] || continue
    if GOTOOLCHAIN=$GO_TOOLCHAIN GOPATH=$cache/go GOMODCACHE=$cache/go/mod "$g" env GOVERSION >/dev/null 2>&1; then
      say "using $GO_TOOLCHAIN through GOTOOLCHAIN (the installed $("$g" env GOVERSION) is older than 1.$GO_MIN_MINOR)"
      echo "GOTOOLCHAIN=$GO_TOOLCHAIN $g"
      return 0
    fi
  done
  say "no Go >= 1.$GO_MIN_MINOR (nor one >= 1.21 that can fetch $GO_TOOLCHAIN): install Go to build helm $HELM_VERSION"
  return 1
}

install_helm() {
  [[ -x $helm_bin ]] && return 0
  local go toolchain=local
  go=$(find_go)
  if [[ $go == GOTOOLCHAIN=* ]]; then toolchain=${go%% *}; toolchain=${toolchain#GOTOOLCHAIN=}; go=${go#* }; fi
  say "building helm $HELM_VERSION with $(GOTOOLCHAIN=$toolchain GOPATH=$cache/go GOMODCACHE=$cache/go/mod "$go" env GOVERSION) (go install, once; a few minutes)"
  GOBIN=$cache/helm-$HELM_VERSION/bin GOPATH=$cache/go GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build \
    GOFLAGS=-modcacherw CGO_ENABLED=0 GOTOOLCHAIN=$toolchain \
    "$go" install -trimpath -ldflags="-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  "$helm_bin" version >/dev/null
  # Only the binary is kept: the module and build caches (over 1 GB) and a
  # fetched toolchain served this one build.
  rm -rf "$cache/go"
}

install_validate() {
  [[ -f $venv/.complete ]] && return 0
  say "installing kubernetes-validate into $venv (pinned: tests/deploy/requirements.txt)"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r "$here/requirements.txt"
  "$validate_bin" --version >/dev/null
  touch "$venv/.complete"
}

exec 9>"$cache/.lock"
flock 9
case $what in
  helm) install_helm; echo "$helm_bin" ;;
  validate) install_validate; echo "$validate_bin" ;;
  all) install_helm; install_validate ;;
  *) say "usage: tools.sh [helm|validate|all]"; exit 2 ;;
esac
