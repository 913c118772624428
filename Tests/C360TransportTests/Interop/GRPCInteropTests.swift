import C360TestSupport
import C360Transport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Conformance with the gRPC project's interoperability test cases: `grpc.testing.TestService`
/// served on c360's transport (a real server on 127.0.0.1), each case driven by Python grpcio
/// (`Tests/interop/grpc_interop_client.py`), over plaintext and over TLS.
@Suite(.serialized) struct GRPCInteropTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let client = repository.appendingPathComponent("Tests/interop/grpc_interop_client.py").path

    static let cases = [
        "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
        "timeout_on_sleeping_server", "cancel_after_begin", "cancel_after_first_response", "status_code_and_message",
        "special_status_message", "custom_metadata", "unimplemented_method", "unimplemented_service",
    ]

    @Test(arguments: cases)
    func plaintext(_ testCase: String) async throws {
        let server = try await GRPCServer.bind(host: "127.0.0.1", port: 0, routes: { InteropTestService.routes })
        defer { server.close() }
        let (status, output) = try await Self.run(["--server_port", String(server.port ?? 0), "--test_case", testCase])
        #expect(status == 0, "\(testCase): \(output)")
        #expect(output.contains("PASS \(testCase)"), "\(output)")
    }

    /// Every case over one TLS connection (ALPN h2), the server's certificate checked by the client.
    @Test func overTLS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("c360-interop-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeCertificates(in: directory)
        let tls = try GRPCServer.tlsContext(certificateChain: directory.appendingPathComponent("server.pem").path,
                                            privateKey: directory.appendingPathComponent("server.key").path,
                                            clientCertificateAuthorities: nil)
        let server = try await GRPCServer.bind(host: "127.0.0.1", port: 0, tls: tls, routes: { InteropTestService.routes })
        defer { server.close() }
        let (status, output) = try await Self.run([
            "--server_port", String(server.port ?? 0), "--test_case", "all", "--use_tls", "true",
            "--ca_file", directory.appendingPathComponent("ca.pem").path,
        ])
        #expect(status == 0, "\(output)")
        #expect(output.components(separatedBy: "PASS ").count - 1 == Self.cases.count, "\(output)")
    }

    /// Runs the Python client; waits for it on a thread of its own, not on the cooperative pool
    /// the server's calls run on. Its standard error follows its output.
    static func run(_ arguments: [String]) async throws -> (Int32, String) {
        let finished = try await ChildProcess.run("python3", [client] + arguments)
        return (finished.status, finished.stdout + finished.stderr)
    }

    /// A certificate authority and a server certificate for 127.0.0.1 and localhost, by openssl.
    static func makeCertificates(in directory: URL) throws {
        func openssl(_ arguments: [String]) throws {
            let openssl = try ChildProcess("openssl", arguments, directory: directory.path)
            guard openssl.waitForExit() == 0 else { throw CocoaError(.executableLoad) }
        }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + curve + ["-days", "2", "-subj", "/CN=c360 interop CA", "-keyout", "ca.key", "-out", "ca.pem"])
        try openssl(["req"] + curve + ["-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(to: directory.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                     "-days", "2", "-extfile", "san.ext", "-out", "server.pem"])
    }
}
