#!/usr/bin/env bash
# Drives GetProfile with h2load (Debian's nghttp2-client) against a release build of `c360 serve`
# on a generated data set, and writes the figures to ops/bench/results/getprofile-h2load.txt.
# Usage: ops/bench/getprofile-h2load.sh [customers] [events] [requests]
#        (default 100000 customers, 1000000 events, 50000 requests per run)
set -euo pipefail
cd "$(dirname "$0")/../.."
customers=${1:-100000}
events=${2:-1000000}
requests=${3:-50000}
ops/install-deps.sh nghttp2-client
swift build -c release --product c360
c360=$(swift build -c release --show-bin-path)/c360
work=$(mktemp -d /tmp/c360-bench.XXXXXX)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

"$c360" generate --customers "$customers" --events "$events" --seed 1 --out "$work/events.ndjson"
"$c360" ingest "$work/events.ndjson" --data "$work/data" >/dev/null
python3 ops/bench/make-getprofile-body.py cust_42 "$work/body.bin"

"$c360" serve --data "$work/data" --listen 127.0.0.1:0 > "$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do grep -q "serving" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.out")
url="http://127.0.0.1:$port/c360.v1.ProfileService/GetProfile"
headers=(-H 'content-type: application/grpc' -H 'te: trailers')

# h2load counts every HTTP 200 as a success, and gRPC errors also arrive as 200: check one call's
# grpc-status with nghttp first.
out=ops/bench/results/getprofile-h2load.txt
mkdir -p "$(dirname "$out")"
{
  echo "# GetProfile over h2load, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $customers customers, $events events"
  echo "# body: ops/bench/make-getprofile-body.py cust_42 (gRPC prefix + GetProfileRequest{customer_id})"
  status=$(nghttp -v -n "${headers[@]}" -d "$work/body.bin" "$url" | sed -n 's/.*grpc-status: \([0-9]*\).*/\1/p' | head -1)
  echo "# one call checked with nghttp: grpc-status ${status:-missing}"
  [ "$status" = "0" ] || { echo "GetProfile did not succeed (grpc-status ${status:-missing})" >&2; exit 1; }
  for shape in "-c 1 -m 1" "-c 16 -m 32"; do
    echo
    echo "\$ h2load -n $requests $shape -H 'content-type: application/grpc' -H 'te: trailers' -d body.bin $url"
    rm -f "$work/latency.tsv"  # h2load appends to an existing log
    # shellcheck disable=SC2086
    h2load -n "$requests" $shape "${headers[@]}" -d "$work/body.bin" --log-file "$work/latency.tsv" "$url" \
      | grep -E "^finished|^requests:|^status codes|time for request"
    # h2load prints min/max/mean only; percentiles come from its per-request log (third column: µs).
    python3 - "$work/latency.tsv" <<'PY'
import sys
latencies = sorted(int(line.split("\t")[2]) for line in open(sys.argv[1]) if line.strip())
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000
print(f"latency ms: p50 {pick(0.50):.3f}  p90 {pick(0.90):.3f}  p99 {pick(0.99):.3f}  p99.9 {pick(0.999):.3f}  (n={len(latencies)})")
PY
  done
} | tee "$out"
