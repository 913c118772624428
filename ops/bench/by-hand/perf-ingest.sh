#!/usr/bin/env bash
# A profile of bulk ingest: `perf record -F 999 -g` of the server for DURATION s, DELAY s into
# `c360 bench ingest` of 1,000,000 events over 100,000 customers into a new server (the server is
# busiest then: warmed up, its memtables filling). `perf report -i OUT --sort comm,sym` reads it.
# Usage: [C360=path] [CONFIG=file.yaml] [OUT=perf.data] [DELAY=4] [DURATION=8] ops/bench/by-hand/perf-ingest.sh
set -euo pipefail
c360=${C360:-.build/release/c360}
out=${OUT:-perf.data}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$c360" serve --data "$work/data" --listen "127.0.0.1:$port" --console-listen "127.0.0.1:$((port + 1))" ${CONFIG:+--config "$CONFIG"} > "$work/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 $server 2>/dev/null || { echo "c360 serve exited:" >&2; cat "$work/serve.out" >&2; exit 1; }
    sleep 0.2
done
"$c360" bench ingest --server "127.0.0.1:$port" --customers 100000 --events 1000000 --seed 1 > "$work/ingest.out" &
load=$!
sleep "${DELAY:-4}"
perf record -F 999 -g -p $server -o "$out" -- sleep "${DURATION:-8}"
wait $load
tail -1 "$work/ingest.out"
kill -TERM $server
wait $server || true
