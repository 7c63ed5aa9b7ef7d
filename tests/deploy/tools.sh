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
#   with the first Go >= 1.26 found (PATH, /usr/local/go); with none, the Go
#   toolchain itself is fetched from the Go module proxy (the module
#   golang.org/toolchain, as `GOTOOLCHAIN` does) and checked against its
#   pinned SHA-256. Debian bookworm's golang-go (1.19) is too old for Helm 4.
# kubernetes-validate: from PyPI into a venv, every package pinned
#   (tests/deploy/requirements.txt), with Debian's python3-venv.
set -euo pipefail

HELM_VERSION=v4.3.2
GO_MIN_MINOR=26                       # helm v4.3.2's go.mod: go 1.26.0
GO_TOOLCHAIN=go1.26.8                 # fetched only when no Go >= 1.26 is installed
GO_TOOLCHAIN_SHA256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
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
  for g in "$(command -v go || true)" /usr/local/go/bin/go "$cache/$GO_TOOLCHAIN/go/bin/go"; do
    if [[ -n $g && -x $g ]] && go_ok "$g"; then echo "$g"; return 0; fi
  done
  # None: the toolchain module from the Go module proxy, as GOTOOLCHAIN fetches it.
  local zip=$cache/$GO_TOOLCHAIN.zip
  local url=https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-amd64.zip
  say "no Go >= 1.$GO_MIN_MINOR installed; fetching $GO_TOOLCHAIN from the Go module proxy"
  curl -fsSL --retry 3 -o "$zip.part" "$url"
  echo "$GO_TOOLCHAIN_SHA256  $zip.part" | sha256sum -c --quiet -
  rm -rf "$cache/$GO_TOOLCHAIN"
  mkdir -p "$cache/$GO_TOOLCHAIN"
  # The zip holds golang.org/toolchain@v0.0.1-.../ ; keep it as .../go.
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip.part" "$cache/$GO_TOOLCHAIN/x"
  mv "$cache/$GO_TOOLCHAIN"/x/golang.org/toolchain@* "$cache/$GO_TOOLCHAIN/go"
  rm -rf "$cache/$GO_TOOLCHAIN/x" "$zip.part"
  chmod +x "$cache/$GO_TOOLCHAIN"/go/bin/* "$cache/$GO_TOOLCHAIN"/go/pkg/tool/*/*
  go_ok "$cache/$GO_TOOLCHAIN/go/bin/go" || { say "the fetched $GO_TOOLCHAIN does not run"; return 1; }
  echo "$cache/$GO_TOOLCHAIN/go/bin/go"
}

install_helm() {
  [[ -x $helm_bin ]] && return 0
  local go
  go=$(find_go)
  say "building helm $HELM_VERSION with $("$go" env GOVERSION) (go install, once; a few minutes)"
  GOBIN=$cache/helm-$HELM_VERSION/bin GOPATH=$cache/go GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build \
    GOFLAGS=-modcacherw CGO_ENABLED=0 GOTOOLCHAIN=local \
    "$go" install -trimpath -ldflags="-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  "$helm_bin" version >/dev/null
  # Only the binary is kept: the module and build caches (over 1 GB) and a
  # fetched toolchain served this one build.
  rm -rf "$cache/go" "$cache/$GO_TOOLCHAIN"
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
