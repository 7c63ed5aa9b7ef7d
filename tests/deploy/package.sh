#!/usr/bin/env bash
# deploy.package: the Debian package built by CPack from the build tree and
# inspected the way dpkg sees it: its name (sla-timer_<version>_amd64.deb),
# control fields (Depends from dpkg-shlibdeps), conffiles and maintainer
# scripts (dpkg-deb -I), its files (dpkg-deb -c): the binaries (stripped),
# the systemd unit naming /usr/bin and /etc, /etc/sla-timer/sla-timerd.yaml
# and policy.yaml, the seed policies. Then the packaged sla-timerd is run from
# the extracted tree (dpkg-deb -x): --version, and on its embedded broker with
# its default policy path and with the packaged settings.
#   package.sh BUILD_DIR VERSION
set -euo pipefail
NAME=deploy.package
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
BUILD="${1:?build dir}"
VERSION="${2:?version}"
ARCH="$(dpkg --print-architecture)"

command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps not found (dpkg-dev; bash deploy/local/setup.sh installs it)"
cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log" >&2; fail "cpack failed"; }
DEB="$WORK/pkg/sla-timer_${VERSION}_${ARCH}.deb"
[[ -f "$DEB" ]] || { ls "$WORK/pkg" >&2; fail "no sla-timer_${VERSION}_${ARCH}.deb"; }
say "built $(basename "$DEB") ($(($(stat -c %s "$DEB") / 1024)) KiB)"

info="$(dpkg-deb -I "$DEB")"
field() { dpkg-deb -f "$DEB" "$1"; }
[[ "$(field Package)" == sla-timer ]] || fail "Package: $(field Package)"
[[ "$(field Version)" == "$VERSION" ]] || fail "Version: $(field Version)"
[[ "$(field Architecture)" == "$ARCH" ]] || fail "Architecture: $(field Architecture)"
for dep in librdkafka1 libhiredis libyaml-cpp libc6; do
  grep -q "$dep" <<<"$(field Depends)" || fail "Depends lacks $dep: $(field Depends)"
done
for script in conffiles postinst prerm postrm; do
  grep -qw "$script" <<<"$info" || fail "no $script in the control archive"
done
conffiles="$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles)"
for f in /etc/sla-timer/sla-timerd.yaml /etc/sla-timer/policy.yaml; do
  grep -qx "$f" <<<"$conffiles" || fail "$f is not a conffile (an upgrade would overwrite an operator's edits)"
done

contents="$(dpkg-deb -c "$DEB" | awk '{print $6}')"
for f in ./usr/bin/sla-timerd ./usr/bin/slactl ./usr/lib/systemd/system/sla-timerd.service \
  ./etc/sla-timer/sla-timerd.yaml ./etc/sla-timer/policy.yaml ./usr/share/sla-timer/config/sla-timerd.yaml \
  ./usr/share/doc/sla-timer/README.md ./usr/share/doc/sla-timer/docs/deploy.md; do
  grep -qx "$f" <<<"$contents" || fail "$f is not in the package"
done
for p in "$SRC"/deploy/policies/*.yaml; do
  grep -qx "./usr/share/sla-timer/policies/$(basename "$p")" <<<"$contents" || fail "seed policy $(basename "$p") is not in the package"
done
if grep -v '^\./\(usr\|etc\)/' <<<"$contents" | grep -qv '^\./$'; then
  fail "files outside /usr and /etc: $(grep -v '^\./\(usr\|etc\)/' <<<"$contents" | grep -v '^\./$' | head -n 5)"
fi

ROOT="$WORK/root"
dpkg-deb -x "$DEB" "$ROOT"
if readelf -S "$ROOT/usr/bin/sla-timerd" | grep -q '\.debug_info'; then fail "the packaged sla-timerd is not stripped"; fi
got="$("$ROOT/usr/bin/sla-timerd" --version)"
[[ "$got" == "sla-timerd $VERSION" ]] || fail "packaged --version: '$got'"
grep -qx 'ExecStart=/usr/bin/sla-timerd --config /etc/sla-timer/sla-timerd.yaml' "$ROOT/usr/lib/systemd/system/sla-timerd.service" ||
  fail "the unit's ExecStart: $(grep ExecStart= "$ROOT/usr/lib/systemd/system/sla-timerd.service")"
grep -qx 'policy: /etc/sla-timer/policy.yaml' "$ROOT/etc/sla-timer/sla-timerd.yaml" || fail "the packaged settings do not name /etc/sla-timer/policy.yaml"
"$ROOT/usr/bin/slactl" validate "$ROOT/etc/sla-timer/policy.yaml" >/dev/null || fail "the packaged policy.yaml does not validate"

mkdir -p "$WORK/elsewhere"
run_embedded packaged "$WORK/elsewhere" "$ROOT/usr/bin/sla-timerd"
grep -q "using $ROOT/usr/share/sla-timer/policies/sample.yaml" "$WORK/packaged.out" "$WORK/packaged.err" ||
  fail "the packaged daemon did not find its seed policy beside it"
# The packaged settings (as the unit passes them), the policy from the tree.
run_embedded packaged-config "$WORK/elsewhere" "$ROOT/usr/bin/sla-timerd" \
  --config "$ROOT/etc/sla-timer/sla-timerd.yaml" --policy "$ROOT/etc/sla-timer/policy.yaml"
say "PASS"
