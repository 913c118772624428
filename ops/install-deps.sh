#!/usr/bin/env bash
# Installs the Debian packages c360 builds and runs with, if they are missing.
# Usage: ops/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(librocksdb-dev libnghttp2-dev libpq-dev libjemalloc-dev pkg-config "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # apt on the system's /tmp: its downloads run as its own user, which a caller's private TMPDIR
  # (ops/test.sh's) need not let in.
  $sudo env -u TMPDIR apt-get update -qq
  $sudo env -u TMPDIR DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
