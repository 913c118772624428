#!/usr/bin/env bash
# The main job on a fresh machine: installs the Debian packages, builds c360 (release), generates a
# demo data set, ingests it, prints one customer's profile, then serves the gRPC API and the customer
# console on it until stopped with Ctrl-C (SIGINT) or SIGTERM.
# Usage: ops/demo.sh [customers] [events]     (default 10000 customers, 200000 events)
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-10000}
events=${2:-200000}
listen=${C360_SERVER_LISTEN:-127.0.0.1:50051}
ops/install-deps.sh
swift build -c release --product c360
c360=$(swift build -c release --show-bin-path)/c360
data=./c360-data
config=ops/c360.example.yaml
rm -rf "$data" demo.ndjson
"$c360" generate --customers "$customers" --events "$events" --seed 1 --out demo.ndjson
"$c360" validate demo.ndjson --examples 2
"$c360" ingest demo.ndjson --data "$data" --config "$config"
"$c360" stats --data "$data"
echo
echo "The profile of customer cust_42:"
"$c360" get cust_42 --data "$data" --config "$config"
echo
echo "Members of the segment big_spender (first 5 of $("$c360" segment big_spender --data "$data" --config "$config" | wc -l)):"
"$c360" segment big_spender --data "$data" --config "$config" --limit 5
cat <<MSG

Serving the API on $listen, and the customer console on http://127.0.0.1:8360/ (open it in a
browser on this machine; cust_42 is at http://127.0.0.1:8360/customers/cust_42). From another terminal:

  $c360 get cust_42 --server $listen
  $c360 timeline cust_42 --limit 5 --server $listen
  $c360 segment vip_at_risk --server $listen

or from Python (pip install grpcio grpcio-tools; stubs from proto/):

  python -m grpc_tools.protoc -I proto --python_out=. --grpc_python_out=. proto/c360/v1/*.proto
  python -c 'import grpc; from c360.v1 import profile_service_pb2 as m, profile_service_pb2_grpc as g
  api = g.ProfileServiceStub(grpc.insecure_channel("$listen"))
  print(api.GetProfile(m.GetProfileRequest(customer_id="cust_42")).profile)'

Stop the server with Ctrl-C.
MSG
exec "$c360" serve --data "$data" --config "$config" --listen "$listen"
