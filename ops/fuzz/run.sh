#!/usr/bin/env bash
# Fuzzing with libFuzzer: builds the fuzz targets with `--sanitize=fuzzer --sanitize=address` (a
# build directory of their own, .build/fuzz), runs each for SECONDS on a copy of the committed seed
# corpus, and prints per target the executions and crashes. A crashing input is saved under
# ops/fuzz/regressions/<target>/, where `swift test` (FuzzRegressionTests) replays it from then on.
# Exits 1 if any target crashed.
# Usage: ops/fuzz/run.sh [SECONDS per target, default 60] [--results FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=60
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --results) results="$2"; shift 2 ;;
    *) seconds="$1"; shift ;;
  esac
done
ops/install-deps.sh
swift build --build-path .build/fuzz --sanitize=fuzzer --sanitize=address --product c360-fuzz-ndjson
swift build --build-path .build/fuzz --sanitize=fuzzer --sanitize=address --product c360-fuzz-rpc
swift build --build-path .build/fuzz --sanitize=fuzzer --sanitize=address --product c360-fuzz-codec
bin=$(swift build --build-path .build/fuzz --sanitize=fuzzer --sanitize=address --show-bin-path)

summary=()
failed=0
for target in ndjson rpc codec; do
  work=$(mktemp -d /tmp/c360-fuzz-$target.XXXXXX)
  cp ops/fuzz/corpus/$target/* "$work/"
  artifacts=$(mktemp -d /tmp/c360-fuzz-artifacts-$target.XXXXXX)
  # The target's own temporary files (the RPC target's store): libFuzzer ends the process without
  # running the harness's cleanup, so they go with this directory.
  scratch=$(mktemp -d /tmp/c360-fuzz-scratch-$target.XXXXXX)
  log="$artifacts/fuzz.log"
  set +e
  # One process, bounded by time; rss_limit guards against a runaway allocation being missed.
  TMPDIR="$scratch" LSAN_OPTIONS="suppressions=$PWD/ops/fuzz/lsan.supp:print_suppressions=0" "$bin/c360-fuzz-$target" "$work" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || echo 0)
  crashes=$(find "$artifacts" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' | wc -l)
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=1
    mkdir -p ops/fuzz/regressions/$target
    find "$artifacts" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -exec cp {} ops/fuzz/regressions/$target/ \;
    echo "fuzz $target: FAILED (exit $status); inputs saved in ops/fuzz/regressions/$target; log:" >&2
    tail -40 "$log" >&2
  fi
  summary+=("\"$target\": {\"seconds\": $seconds, \"executions\": ${executions:-0}, \"crashes\": $crashes, \"exit\": $status}")
  echo "fuzz $target: ${executions:-0} executions in ${seconds} s, $crashes crashes" >&2
  rm -rf "$work" "$scratch"
  # A failure's artifacts and log stay for inspection (its inputs are also copied above).
  if [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ]; then rm -rf "$artifacts"; fi
done
json="{$(IFS=,; echo "${summary[*]}")}"
echo "$json"
[ -n "$results" ] && echo "$json" > "$results"
exit $failed
