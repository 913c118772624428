#!/usr/bin/env bash
# The test command: installs what a fresh machine lacks, checks that the generated protobuf code
# matches proto/, builds, and runs every test (unit, RocksDB, command-line and crash tests).
# Usage: ops/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh protobuf-compiler
ops/generate-protos.sh --check
swift build --build-tests
swift test --skip-build
