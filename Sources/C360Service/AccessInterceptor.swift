import GRPCCore

/// Runs the access check before every call grpc-swift serves (the fast path checks its own), and
/// makes the caller known to the handler — for the whole call, streamed responses included — as
/// `Caller.current`, so that handlers can redact what the caller may not see; and binds the call's
/// `x-request-id`, if it carries one, as `RequestID.current` for the log lines it causes.
package struct AccessInterceptor: ServerInterceptor {
    let access: AccessControl

    package init(access: AccessControl) {
        self.access = access
    }

    package func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let requestID = RequestID.accepted(request.metadata[stringValues: RequestID.header].first(where: { _ in true }))
        return try await RequestID.$current.withValue(requestID) {
            let authorization = request.metadata[stringValues: "authorization"].first(where: { _ in true })
            let caller = try access.authorize(
                method: "/" + context.descriptor.fullyQualifiedMethod, authorization: authorization, peer: context.remotePeer
            ).get()
            var response = try await Caller.$current.withValue(caller) { try await next(request, context) }
            // A streaming response's body runs after this returns: it gets the caller and the id too.
            if case .success(var contents) = response.accepted {
                let producer = contents.producer
                contents.producer = { writer in
                    try await RequestID.$current.withValue(requestID) {
                        try await Caller.$current.withValue(caller) { try await producer(writer) }
                    }
                }
                response.accepted = .success(contents)
            }
            return response
        }
    }
}
