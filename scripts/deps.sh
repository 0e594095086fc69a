#!/usr/bin/env bash
# Installs what faultline needs to build and test, from Debian 12 packages.
# Idempotent: installs only what is missing. Package lists live in
# scripts/packages/*.txt (one package per line, '#' comments), one file per
# subsystem, so each says why it needs what.
#   scripts/deps.sh          everything: build, tests, benchmarks
#   scripts/deps.sh --demo   what building and running the demo needs: the
#                            toolchain, the -dev libraries, Redis, python3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(cat "$here"/packages/*.txt | sed 's/#.*//' | awk 'NF { print $1 }' | sort -u)
if [ "${1:-}" = --demo ]; then
    mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" |
        grep -E -- '-dev$|^(build-essential|cmake|pkg-config|redis-server|iproute2|util-linux|procps|python3)$')
    wanted+=(python3)
fi
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "deps: all ${#wanted[@]} packages present"
    exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
