public import C360Core
package import C360Model
import Foundation
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

/// gRPC server reflection (`grpc.reflection.v1`, and the same under `grpc.reflection.v1alpha` for
/// older tools): lists the services and hands out the API's file descriptors, so that grpcurl,
/// grpcui and Postman can call c360 without its .proto files. Serves only the public API (c360.v1,
/// health, reflection), never the storage format. Open to every caller, like health: it says
/// nothing about customers.
public struct ReflectionService: Sendable {
    package static let versions = ["grpc.reflection.v1", "grpc.reflection.v1alpha"]

    /// Serialized file descriptors by file name.
    private let files: [String: Data]
    /// Each file's imports, by file name.
    private let imports: [String: [String]]
    /// The file that defines each fully-qualified service, method, message and enum.
    private let fileBySymbol: [String: String]
    private let services: [String]

    /// - Throws: `.internalError` if the embedded descriptors (generated code) cannot be read.
    public init() throws(C360Error) {
        let set: Google_Protobuf_FileDescriptorSet
        do {
            guard let bytes = Data(base64Encoded: APIDescriptors.fileDescriptorSet, options: .ignoreUnknownCharacters) else {
                throw C360Error(.internalError, "the embedded file descriptors are not base64")
            }
            set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
        } catch {
            throw C360Error(.internalError, "the embedded file descriptors cannot be read: \(error)")
        }
        var descriptors = set.file
        // v1alpha is v1 under another package name: the same messages, field for field.
        if let v1 = descriptors.first(where: { $0.package == "grpc.reflection.v1" }) {
            descriptors.append(Self.renamed(v1, from: "grpc.reflection.v1", to: "grpc.reflection.v1alpha"))
        }
        var files: [String: Data] = [:]
        var imports: [String: [String]] = [:]
        var fileBySymbol: [String: String] = [:]
        var services: [String] = []
        for file in descriptors {
            // Encoding a message just decoded cannot fail.
            files[file.name] = try! file.serializedBytes()
            imports[file.name] = file.dependency
            let prefix = file.package.isEmpty ? "" : file.package + "."
            func add(_ message: Google_Protobuf_DescriptorProto, in scope: String) {
                let name = scope + message.name
                fileBySymbol[name] = file.name
                for nested in message.nestedType { add(nested, in: name + ".") }
                for nested in message.enumType { fileBySymbol[name + "." + nested.name] = file.name }
            }
            for message in file.messageType { add(message, in: prefix) }
            for enumeration in file.enumType { fileBySymbol[prefix + enumeration.name] = file.name }
            for service in file.service {
                let name = prefix + service.name
                fileBySymbol[name] = file.name
                services.append(name)
                for method in service.method { fileBySymbol[name + "." + method.name] = file.name }
            }
        }
        self.files = files
        self.imports = imports
        self.fileBySymbol = fileBySymbol
        self.services = services.sorted()
    }

    package func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices:
            response.listServicesResponse = .with { list in
                list.service = services.map { name in .with { $0.name = name } }
            }
        case .fileByFilename(let name):
            response.messageResponse = fileResponse(name, missing: "no file named \(name)")
        case .fileContainingSymbol(let symbol):
            let name = fileBySymbol[symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol]
            response.messageResponse = fileResponse(name, missing: "no symbol named \(symbol)")
        case .fileContainingExtension(let request):
            response.errorResponse = Self.error(.notFound, "the API defines no extensions (asked for \(request.containingType) #\(request.extensionNumber))")
        case .allExtensionNumbersOfType(let type):
            if fileBySymbol[type] != nil {
                response.allExtensionNumbersResponse = .with { $0.baseTypeName = type }
            } else {
                response.errorResponse = Self.error(.notFound, "no message named \(type)")
            }
        case nil:
            response.errorResponse = Self.error(.invalidArgument, "the request asks for nothing")
        }
        return response
    }

    /// The file and, after it, every file it imports directly or not (each once), as clients need
    /// them to build the descriptors.
    private func fileResponse(_ name: String?, missing: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard let name, files[name] != nil else { return .errorResponse(Self.error(.notFound, missing)) }
        var ordered: [String] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.first {
            pending.removeFirst()
            guard seen.insert(next).inserted, files[next] != nil else { continue }
            ordered.append(next)
            pending += imports[next] ?? []
        }
        return .fileDescriptorResponse(.with { $0.fileDescriptorProto = ordered.compactMap { files[$0] } })
    }

    private static func error(_ code: RPCError.Code, _ message: String) -> Grpc_Reflection_V1_ErrorResponse {
        .with {
            $0.errorCode = Int32(code.rawValue)
            $0.errorMessage = message
        }
    }

    /// `file` moved to another package: its name, package and every type reference in it.
    static func renamed(_ file: Google_Protobuf_FileDescriptorProto, from old: String, to new: String) -> Google_Protobuf_FileDescriptorProto {
        var file = file
        file.name = file.name.replacingOccurrences(of: old.replacingOccurrences(of: ".", with: "/"), with: new.replacingOccurrences(of: ".", with: "/"))
        file.package = new
        func retarget(_ type: String) -> String {
            type.hasPrefix(".\(old).") ? ".\(new)." + type.dropFirst(old.count + 2) : type
        }
        for index in file.messageType.indices {
            for field in file.messageType[index].field.indices where file.messageType[index].field[field].hasTypeName {
                file.messageType[index].field[field].typeName = retarget(file.messageType[index].field[field].typeName)
            }
        }
        for service in file.service.indices {
            for method in file.service[service].method.indices {
                file.service[service].method[method].inputType = retarget(file.service[service].method[method].inputType)
                file.service[service].method[method].outputType = retarget(file.service[service].method[method].outputType)
            }
        }
        return file
    }
}
