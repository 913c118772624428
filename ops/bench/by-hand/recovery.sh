#!/usr/bin/env bash
# Recovery after a crash in bulk ingest, by hand: `kill -9` of a new server AT seconds into
# `c360 bench ingest` of the default data set, then the time from starting `c360 serve` on a copy
# of what it left to the server listening, with the recovery `c360 serve` logs (events folded,
# projections, seconds). The crashed store can be kept (KEEP=dir) and recovered again on fresh
# copies by other builds (STORE=dir), so that two builds recover the same log (the README's
# steps table, steps 80 and 81).
# Usage: [C360=path] [CONFIG=file.yaml] [AT=12] [KEEP=dir] ops/bench/by-hand/recovery.sh
#        STORE=dir [C360=path] ops/bench/by-hand/recovery.sh      (recover a kept store only)
set -euo pipefail
c360=${C360:-.build/release/c360}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
serve() {
    "$c360" serve --data "$1" --listen "127.0.0.1:$port" --console-listen off --metrics-listen off ${CONFIG:+--config "$CONFIG"} > "$2" 2>&1 &
    server=$!
    until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 $server 2>/dev/null || { echo "c360 serve exited:" >&2; cat "$2" >&2; exit 1; }
        sleep 0.02
    done
}
store=${STORE:-}
if [ -z "$store" ]; then
    store=${KEEP:-$work/crashed}
    rm -rf "$store"
    serve "$store" "$work/first.out"
    "$c360" bench ingest --server "127.0.0.1:$port" --customers 100000 --events 2000000 --seed 1 > /dev/null 2>&1 &
    load=$!
    sleep "${AT:-12}"
    kill -9 $server; wait $server 2>/dev/null || true
    kill $load 2>/dev/null || true; wait $load 2>/dev/null || true
    echo "killed at ${AT:-12} s of the bulk ingest"
fi
cp -r "$store" "$work/data"
start=$(date +%s.%N)
serve "$work/data" "$work/serve.out"
end=$(date +%s.%N)
echo "start to listening: $(echo "$end - $start" | bc) s"
grep "recovered after an unclean stop" "$work/serve.out" || echo "nothing to recover"
kill -TERM $server; wait $server || true
