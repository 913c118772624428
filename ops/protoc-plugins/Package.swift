// swift-tools-version:6.0
// Builds the protoc plugins that ops/generate-protos.sh runs. Kept apart from the main package so
// that building c360 never builds the plugins (they take minutes), and the generated code is committed.
import PackageDescription

let package = Package(
    name: "c360-protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    ],
    targets: []
)
