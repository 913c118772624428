#!/usr/bin/env bash
# Small appends by hand, as the benchmark's row: 64 calls in flight (4 connections of 16 streams),
# one new page view per call, for 10 s, against a server on a copy of a store made by ingest.sh
# (KEEP=dir), so that every run starts from the same data. Prints the rate, the acknowledgement's
# percentiles, the server's CPU per append and its peak memory.
# Usage: STORE=dir [C360=path] [CONFIG=file.yaml] [DURATION=10] ops/bench/by-hand/appends.sh
set -euo pipefail
c360=${C360:-.build/release/c360}
: "${STORE:?STORE: a store made by ingest.sh with KEEP=dir}"
work=$(mktemp -d)
cp -r "$STORE" "$work/data"
port=$((20000 + RANDOM % 20000))
"$c360" serve --data "$work/data" --listen "127.0.0.1:$port" --console-listen "127.0.0.1:$((port + 1))" ${CONFIG:+--config "$CONFIG"} > "$work/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 $server 2>/dev/null || { echo "c360 serve exited:" >&2; cat "$work/serve.out" >&2; exit 1; }
    sleep 0.2
done
# The server warms its cache of stored projections in the background when it starts.
sleep 2
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(cpu)
result=$("$c360" bench load --target "127.0.0.1:$port" -c 4 -m 16 --rpc append-events --customers 100000 --seconds "${DURATION:-10}" | tail -1)
after=$(cpu)
python3 - "$result" $((after - before)) <<'PY'
import json, sys
figures, ticks = json.loads(sys.argv[1]), int(sys.argv[2])
counts = figures.get("counts", {})
stored = counts.get("appended", 0) + counts.get("duplicates", 0)
print(f"{stored / figures['seconds']:,.0f} appends/s, ack p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f}, "
      f"p99.9 {figures['p99_9_ms']:.2f}; server CPU {ticks / 100 / max(1, figures['requests']) * 1e6:.1f} µs per append; "
      f"{figures['failed']} failed")
PY
grep VmHWM "/proc/$server/status"
kill -TERM $server
wait $server || true
