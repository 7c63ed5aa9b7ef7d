#!/usr/bin/env bash
# deploy.install: `cmake --install` of the build tree into a staging prefix
# (what the Dockerfile's build stage does), then the installed tree on its
# own: `sla-timerd --version`, `slactl validate` on the installed policies,
# the installed daemon run from an unrelated folder with its default policy
# path (found in <prefix>/share/sla-timer/policies) and with the installed
# <prefix>/etc/sla-timer/sla-timerd.yaml, the systemd unit naming the
# installed paths. A broken install rule fails here. The staged tree is kept
# for deploy.e2e_smoke_installed.
#   install.sh BUILD_DIR STAGING_PREFIX VERSION
set -euo pipefail
NAME=deploy.install
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
BUILD="${1:?build dir}"
PREFIX="${2:?staging prefix}"
VERSION="${3:?project version}"

rm -rf "$PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" --strip >"$WORK/install.log" || { cat "$WORK/install.log" >&2; fail "cmake --install failed"; }
for f in bin/sla-timerd bin/slactl share/sla-timer/policies/sample.yaml share/sla-timer/config/sla-timerd.yaml \
  etc/sla-timer/sla-timerd.yaml etc/sla-timer/policy.yaml lib/systemd/system/sla-timerd.service \
  share/doc/sla-timer/README.md share/doc/sla-timer/docs/deploy.md; do
  [[ -s "$PREFIX/$f" ]] || fail "not installed: $f"
done

# sla-notify is installed whenever it is built.
if [[ -x "$BUILD/services/sla-notify/sla-notify" && ! -x "$PREFIX/bin/sla-notify" ]]; then
  fail "sla-notify is built but not installed"
fi

got="$("$PREFIX/bin/sla-timerd" --version)"
[[ "$got" == "sla-timerd $VERSION" ]] || fail "--version printed '$got', expected 'sla-timerd $VERSION'"

n=0
for p in "$PREFIX"/share/sla-timer/policies/*.yaml; do
  "$PREFIX/bin/slactl" validate "$p" >/dev/null || fail "installed policy does not validate: $p"
  n=$((n + 1))
done
((n >= 6)) || fail "only $n policies installed (the seeds and sample.yaml are 6)"
"$PREFIX/bin/slactl" validate "$PREFIX/etc/sla-timer/policy.yaml" >/dev/null

unit="$PREFIX/lib/systemd/system/sla-timerd.service"
grep -qx "ExecStart=$PREFIX/bin/sla-timerd --config $PREFIX/etc/sla-timer/sla-timerd.yaml" "$unit" ||
  fail "the unit's ExecStart does not name the installed paths: $(grep ExecStart= "$unit")"
grep -qx "policy: $PREFIX/etc/sla-timer/policy.yaml" "$PREFIX/etc/sla-timer/sla-timerd.yaml" ||
  fail "the installed settings do not point at the installed policy"

# The default policy path (deploy/policies/sample.yaml, relative) from a
# folder that has no deploy/: found by name beside the installed binary.
mkdir -p "$WORK/elsewhere"
run_embedded default-policy "$WORK/elsewhere" "$PREFIX/bin/sla-timerd"
grep -q "using $PREFIX/share/sla-timer/policies/sample.yaml" "$WORK/default-policy.out" "$WORK/default-policy.err" ||
  fail "the default policy was not taken from the installed share/sla-timer/policies"
# librdkafka's notice about the embedded broker's own client is not shown.
if grep -q 'bootstrap.servers' "$WORK/default-policy.out" "$WORK/default-policy.err"; then
  fail "--embedded still logs librdkafka's 'No bootstrap.servers configured'"
fi

# The installed settings file as the systemd unit uses it.
run_embedded installed-config "$WORK/elsewhere" "$PREFIX/bin/sla-timerd" --config "$PREFIX/etc/sla-timer/sla-timerd.yaml"
grep -q "policy loaded" "$WORK/installed-config.out" "$WORK/installed-config.err" || fail "no 'policy loaded' line"

# A second install over an edited settings file keeps the edit.
echo "# edited" >>"$PREFIX/etc/sla-timer/sla-timerd.yaml"
cmake --install "$BUILD" --prefix "$PREFIX" --strip >"$WORK/install2.log"
tail -n 1 "$PREFIX/etc/sla-timer/sla-timerd.yaml" | grep -qx '# edited' || fail "a reinstall overwrote the edited settings"
[[ -s "$PREFIX/etc/sla-timer/sla-timerd.yaml.new" ]] || fail "a reinstall over edited settings wrote no .new"
rm "$PREFIX/etc/sla-timer/sla-timerd.yaml.new"
# The Dockerfile's build stage: DESTDIR=/staging, prefix /usr. Its runtime
# stage copies from that tree; check_dockerfile.py holds the two together.
DOCKER_STAGE="$WORK/docker-staging"
DESTDIR="$DOCKER_STAGE" cmake --install "$BUILD" --prefix /usr --strip >"$WORK/install3.log" ||
  { cat "$WORK/install3.log" >&2; fail "DESTDIR install (as the Dockerfile does) failed"; }
grep -qx "policy: /etc/sla-timer/policy.yaml" "$DOCKER_STAGE/etc/sla-timer/sla-timerd.yaml" ||
  fail "with prefix /usr the settings do not name /etc/sla-timer/policy.yaml"
# Its runtime stage installs what runtime-deps.sh lists.
bash "$SRC/deploy/packaging/runtime-deps.sh" "$DOCKER_STAGE"/usr/bin/* >"$DOCKER_STAGE/runtime-packages.txt" ||
  fail "runtime-deps.sh failed"
grep -qx librdkafka1 "$DOCKER_STAGE/runtime-packages.txt" || fail "runtime-deps.sh does not list librdkafka1"
while read -r pkg; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    fail "runtime-deps.sh lists '$pkg', which is not an installed package"
done <"$DOCKER_STAGE/runtime-packages.txt"
/usr/bin/python3 "$HERE/check_dockerfile.py" "$SRC" "$DOCKER_STAGE"
say "PASS"
