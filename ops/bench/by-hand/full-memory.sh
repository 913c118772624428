#!/usr/bin/env bash
# The memory budget at 1,000,000 customers by hand: `ops/bench/run.sh --full`'s sequence for c360
# alone, without PostgreSQL and the ceilings (a quarter of its time). 10,000,000 events into a new
# server; a snapshot; the server started again, then 20 s of small appends and 3,000,000 lookups.
# Prints each part's figures and the server's peak memory (VmHWM) after it.
# Usage: [C360=path] [CONFIG=file.yaml] ops/bench/by-hand/full-memory.sh
set -euo pipefail
c360=${C360:-.build/release/c360}
work=$(mktemp -d)
data=$work/data
port=$((20000 + RANDOM % 20000))
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
start() {
    "$c360" serve --data "$data" --listen "127.0.0.1:$port" --console-listen "127.0.0.1:$((port + 1))" ${CONFIG:+--config "$CONFIG"} >> "$work/serve.out" 2>&1 &
    server=$!
    until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 $server 2>/dev/null || { echo "c360 serve exited:" >&2; cat "$work/serve.out" >&2; exit 1; }
        sleep 0.2
    done
}
peak() { echo "$1: $(grep VmHWM "/proc/$server/status")"; }
start
"$c360" bench ingest --server "127.0.0.1:$port" --customers 1000000 --events 10000000 --seed 1
peak "after the bulk ingest"
kill -TERM $server; wait $server || true
"$c360" snapshot --data "$data" > /dev/null
start
"$c360" bench load --target "127.0.0.1:$port" -c 4 -m 16 --rpc append-events --customers 1000000 --seconds 20
peak "after the small appends"
"$c360" bench load --target "127.0.0.1:$port" -c 16 -m 32 --rpc get-profile --customers 1000000 -n 1000000
peak "after 1,000,000 lookups"
"$c360" bench load --target "127.0.0.1:$port" -c 16 -m 32 --rpc get-profile --customers 1000000 -n 2000000
peak "after 3,000,000 lookups"
kill -TERM $server; wait $server || true
