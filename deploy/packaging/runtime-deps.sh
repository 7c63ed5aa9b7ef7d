#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries the given
# binaries load (ldd, then dpkg -S), one a line, sorted: what a runtime image
# needs installed. The Dockerfile's build stage writes this list for its
# runtime stage; deploy.install checks it on the installed binaries.
#   runtime-deps.sh BINARY...
set -euo pipefail
(($# > 0)) || { echo "usage: runtime-deps.sh BINARY..." >&2; exit 2; }
declare -A libs=()
for bin in "$@"; do
  out="$(ldd "$bin")" || { echo "runtime-deps: ldd $bin failed" >&2; exit 1; }
  if grep -q 'not found' <<<"$out"; then
    echo "runtime-deps: $bin: unresolved libraries:" >&2
    grep 'not found' <<<"$out" >&2
    exit 1
  fi
  while read -r lib; do [[ -n "$lib" ]] && libs[$lib]=1; done \
    < <(awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' <<<"$out")
done
# dpkg knows a file by the path its package shipped it at: with merged /usr,
# /usr/lib/x86_64-linux-gnu/libc.so.6 may be /lib/... there, and the name
# ldd prints may be a symlink. One dpkg -S for every spelling of every file.
declare -A spelling_of=()
for lib in "${!libs[@]}"; do
  real="$(readlink -f "$lib")"
  for p in "$lib" "$real" "${lib#/usr}" "/usr$lib" "${real#/usr}" "/usr$real"; do spelling_of[$p]=$lib; done
done
declare -A pkg_of=()
while IFS= read -r line; do
  pkg="${line%%: *}"
  path="${line#*: }"
  [[ -n "${spelling_of[$path]:-}" ]] && pkg_of[${spelling_of[$path]}]="${pkg%%:*}"
done < <(dpkg -S "${!spelling_of[@]}" 2>/dev/null || true)
declare -A pkgs=()
for lib in "${!libs[@]}"; do
  [[ -n "${pkg_of[$lib]:-}" ]] || { echo "runtime-deps: no package holds $lib" >&2; exit 1; }
  pkgs[${pkg_of[$lib]}]=1
done
printf '%s\n' "${!pkgs[@]}" | sort
