#!/usr/bin/env bash
# The reliability suite in one command: crash cycles (SIGKILL under concurrent appends), a full
# disk, fuzzing (libFuzzer), a soak under mixed load, erasure as a property over random histories,
# and access control (TLS, scopes, redaction, audit). Prints a summary and writes
# ops/reliability/results/reliability-<mode>.json; exits 1 if any part failed.
# Usage: ops/reliability/run.sh [--short | --full] [--c360 BIN] [--only PART...]
#   --short  CI: 5 crash cycles, 30 s per fuzz target, a 1-minute soak, 20 random histories (debug build)
#   --full   100 crash cycles, 300 s per fuzz target, a 10-minute soak, 200 random histories (release build)
#   --only   run only these parts (crash disk_full fuzz soak erasure security) and keep the others'
#            last results from the results file; every part records when it ran
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=full
binary=""
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --short) mode=short; shift ;;
    --full) mode=full; shift ;;
    --c360) binary="$2"; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
    *) echo "usage: $0 [--short | --full] [--c360 BIN] [--only PART...]" >&2; exit 2 ;;
  esac
done
ops/install-deps.sh protobuf-compiler openssl procps
python3 -m pip install --quiet --disable-pip-version-check grpcio grpcio-tools grpcio-health-checking grpcio-reflection pytest
if [ -z "$binary" ]; then
  configuration=$([ "$mode" = full ] && echo release || echo debug)
  swift build -c "$configuration" --product c360
  binary="$(swift build -c "$configuration" --show-bin-path)/c360"
fi
exec python3 ops/reliability/run.py --mode "$mode" --c360 "$binary" ${only[@]+--only "${only[@]}"}
