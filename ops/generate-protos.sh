#!/usr/bin/env bash
# Regenerates the Swift code for everything under proto/ and writes it into the source tree.
# The generated files are committed; run this after changing a .proto, and commit the result.
# `ops/generate-protos.sh --check` fails when the committed code is not what proto/ generates.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq protobuf-compiler
fi

plugins=ops/protoc-plugins
swift build -c release --package-path "$plugins" --product protoc-gen-swift >/dev/null
bin=$(swift build -c release --package-path "$plugins" --show-bin-path)

out=Sources/C360Model/Generated
rm -f "$out"/*.pb.swift
protoc -I proto \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --swift_out="$out" \
  --swift_opt=Visibility=Public,FileNaming=DropPath \
  $(find proto/c360 -name '*.proto' | sort)

if [ "${1:-}" = "--check" ]; then
  git diff --exit-code -- "$out" || { echo "generated code is out of date: run ops/generate-protos.sh" >&2; exit 1; }
  [ -z "$(git status --porcelain -- "$out")" ] || { echo "generated code is out of date: run ops/generate-protos.sh" >&2; exit 1; }
fi
