#!/usr/bin/env bash
# The main job on a fresh machine: installs the Debian packages, builds c360 (release), generates a
# demo data set, ingests it and prints one customer's profile.
# Usage: ops/demo.sh [customers] [events]     (default 10000 customers, 200000 events)
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-10000}
events=${2:-200000}
ops/install-deps.sh
swift build -c release --product c360
c360=$(swift build -c release --show-bin-path)/c360
data=./c360-data
rm -rf "$data" demo.ndjson
"$c360" generate --customers "$customers" --events "$events" --seed 1 --out demo.ndjson
"$c360" ingest demo.ndjson --data "$data"
"$c360" stats --data "$data"
echo
echo "The profile of customer cust_42:"
"$c360" get cust_42 --data "$data"
echo
echo "Try: $c360 timeline cust_42 --limit 5 --data $data"
