#!/usr/bin/env bash
# libprotobuf-c (the C library c360 was first specified with) on c360's own data, beside c360's
# codec: generates C from proto/ with protoc-c, builds bench.c against Debian's libprotobuf-c, and
# times it on the events, projections and profile responses that `c360 bench codec --dump DIR`
# wrote into DIR.
# Usage: ops/bench/protobuf-c/run.sh DIR [ROUNDS]. Prints one JSON line.
#
# Debian bookworm's protoc-c (1.4.1) refuses proto3 `optional` fields ("code generator --c_out
# hasn't been updated to support optional fields in proto3"), which c360's events use for partial
# upserts (a field absent is not a field cleared). The measurement uses a copy of the protos with
# `optional` dropped: the same wire format, without the presence c360 needs — so protobuf-c could
# not read c360's events faithfully on this platform in any case.
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v protoc-c >/dev/null || [ ! -e /usr/include/protobuf-c/protobuf-c.h ] || [ ! -e /usr/include/google/protobuf/timestamp.proto ]; then
  ops/install-deps.sh libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev gcc >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r proto "$work/proto"
sed -i -E 's/^([[:space:]]*)optional /\1/' "$work/proto/c360/v1/event.proto" "$work/proto/c360/store/v1/projection.proto" \
  "$work/proto/c360/v1/profile.proto" "$work/proto/c360/v1/profile_service.proto"
(cd "$work/proto" && protoc-c --c_out="$work" c360/v1/event.proto c360/store/v1/projection.proto c360/v1/profile.proto c360/v1/profile_service.proto)
(cd /usr/include && protoc-c --c_out="$work" google/protobuf/timestamp.proto)
gcc -O2 -std=c11 -I"$work" -o "$work/bench" ops/bench/protobuf-c/bench.c \
  "$work/c360/v1/event.pb-c.c" "$work/c360/store/v1/projection.pb-c.c" "$work/c360/v1/profile.pb-c.c" \
  "$work/c360/v1/profile_service.pb-c.c" "$work/google/protobuf/timestamp.pb-c.c" -lprotobuf-c
"$work/bench" "$1" "${2:-3}"
