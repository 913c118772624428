#!/usr/bin/env bash
# Regenerates the Swift code for everything under proto/ and writes it into the source tree:
# messages into Sources/C360Model/Generated, gRPC services into Sources/C360Service/Generated.
# The generated files are committed; run this after changing a .proto, and commit the result.
# `ops/generate-protos.sh --check` fails when the committed code is not what proto/ generates.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
  ops/install-deps.sh protobuf-compiler
fi

plugins=ops/protoc-plugins
swift build -c release --package-path "$plugins" --product protoc-gen-swift >/dev/null
swift build -c release --package-path "$plugins" --product protoc-gen-grpc-swift-2 >/dev/null
bin=$(swift build -c release --package-path "$plugins" --show-bin-path)

messages=Sources/C360Model/Generated
services=Sources/C360Service/Generated
mkdir -p "$messages" "$services"
rm -f "$messages"/*.pb.swift "$services"/*.grpc.swift
protos=$(cd proto && find c360 grpc -name '*.proto' | sort)

(cd proto && protoc \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --swift_out="../$messages" \
  --swift_opt=Visibility=Public,FileNaming=DropPath \
  $protos)

(cd proto && protoc \
  --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
  --grpc-swift_out="../$services" \
  --grpc-swift_opt=Visibility=Public,FileNaming=DropPath,Server=true,Client=true,ExtraModuleImports=C360Model \
  c360/v1/profile_service.proto grpc/health/v1/health.proto)

if [ "${1:-}" = "--check" ]; then
  if ! git diff --exit-code --stat -- "$messages" "$services" || [ -n "$(git status --porcelain -- "$messages" "$services")" ]; then
    echo "generated code is out of date: run ops/generate-protos.sh and commit the result" >&2
    exit 1
  fi
fi
