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
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
