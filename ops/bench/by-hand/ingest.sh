#!/usr/bin/env bash
# Bulk ingest by hand, as the benchmark's first row but without PostgreSQL and the ceilings: the
# default data set (`c360 bench ingest`, batches of 1,000, 4 in flight) into a new server. Prints
# the load generator's JSON line, its CPU, the server's CPU by thread and per event, and its peak
# memory. For comparing two builds or two settings within minutes, which this machine's hour
# needs (the README's steps table).
# Usage: [C360=path] [CONFIG=file.yaml] [EVENTS=2000000] [CUSTOMERS=100000] [KEEP=dir] ops/bench/by-hand/ingest.sh
#   THREADS=seconds: also print each server thread's share of a core every so many seconds (threads.py).
#   KEEP: keep the store in this directory (for appends.sh); otherwise a temporary one, removed.
set -euo pipefail
c360=${C360:-.build/release/c360}
events=${EVENTS:-2000000}
customers=${CUSTOMERS:-100000}
work=$(mktemp -d)
data=${KEEP:-$work/data}
rm -rf "$data"
port=$((20000 + RANDOM % 20000))
"$c360" serve --data "$data" --listen "127.0.0.1:$port" --console-listen "127.0.0.1:$((port + 1))" ${CONFIG:+--config "$CONFIG"} > "$work/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 $server 2>/dev/null || { echo "c360 serve exited:" >&2; cat "$work/serve.out" >&2; exit 1; }
    sleep 0.2
done
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
if [ -n "${THREADS:-}" ]; then python3 "$(dirname "$0")/threads.py" $server "$THREADS" & fi
before=$(cpu)
/usr/bin/time -f "load generator: %U s user, %S s system" \
    "$c360" bench ingest --server "127.0.0.1:$port" --customers "$customers" --events "$events" --seed 1
after=$(cpu)
for task in /proc/$server/task/*; do echo "$(cat "$task/comm") $(awk '{print $14 + $15}' "$task/stat")"; done |
    awk '{cpu[$1] += $NF} END {printf "server CPU by thread:"; for (name in cpu) printf " %s %.1f s", name, cpu[name] / 100; print ""}'
echo "server CPU per event: $(awk -v t=$((after - before)) -v n="$events" 'BEGIN {printf "%.1f", t / 100 / n * 1e6}') µs; $(grep VmHWM "/proc/$server/status")"
kill -TERM $server
wait $server || true
