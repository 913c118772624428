#!/usr/bin/env bash
# The benchmark: c360 beside PostgreSQL 15 and the ceilings (nghttpd and bare swift-nio-http2 for
# HTTP/2; raw RocksDB synced writes, and c360's write layout in raw RocksDB, for storage), in one
# run on one generated data set. Installs what it needs, builds c360 in release mode, writes
# ops/bench/results/bench-<mode>.{json,md}.
# Usage: ops/bench/run.sh [--short | --full]
#   --short  CI smoke test (5,000 customers, 50,000 events; checks every figure is produced)
#   (none)   100,000 customers, 2,000,000 events
#   --full   1,000,000 customers, 10,000,000 events
set -euo pipefail
cd "$(dirname "$0")/../.."
ops/install-deps.sh postgresql-15 nghttp2-client nghttp2-server procps libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev gcc
swift build -c release --product c360
exec python3 ops/bench/bench.py --c360 "$(swift build -c release --show-bin-path)/c360" "$@"
