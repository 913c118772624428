import C360Core
import C360Model
import C360Service
import C360Transport
import C360Store

/// Every RPC c360 serves, by path: the one dispatch table. Each call is authorized first (access
/// control, audited when refused), then decoded and served by the service's one implementation.
enum C360Routes {
    static func make(service: ProfileRPCService, health: HealthRPCService, reflection: ReflectionService) -> GRPCRoutes {
        var routes = GRPCRoutes()
        let profiles = "/c360.v1.ProfileService/"

        routes.methods[profiles + "GetProfile"] = unary(service.access, .init(inline: { request, identity, respond in
            // Answered on the event loop when the store has what it asks for: no task, no hop.
            guard request.minSeq <= service.store.changes.lastSeq else { return false }
            respond(Result { () throws(C360Error) in
                RPCCalls.Encoded(bytes: try service.profileEncoded(request, personalData: service.access.seesPersonalData(identity.caller)))
            })
            return true
        }, body: { (request: C360_V1_GetProfileRequest) in RPCCalls.Encoded(bytes: try await service.getProfileEncoded(request)) }))
        routes.methods[profiles + "BatchGetProfiles"] = unary(service.access, .init(inline: { request, identity, respond in
            guard request.minSeq <= service.store.changes.lastSeq else { return false }
            respond(Result { () throws(C360Error) in
                try service.checkBatchRequest(request)
                return RPCCalls.Encoded(bytes: service.profilesEncoded(request, personalData: service.access.seesPersonalData(identity.caller)))
            })
            return true
        }, body: { (request: C360_V1_BatchGetProfilesRequest) in RPCCalls.Encoded(bytes: try await service.batchGetProfilesEncoded(request)) }))
        routes.methods[profiles + "GetTimeline"] = unary(service.access, .init { (request: C360_V1_GetTimelineRequest) in
            try service.getTimeline(request)
        })
        routes.methods[profiles + "AppendEvents"] = unary(service.access, .init(decode: RPCCalls.decodeEventsWithBytes, inline: { request, _, respond in
            // Handed to the store's writer, answered when it calls back: no task per append.
            service.appendEvents(request) { respond($0) }
            return true
        }, body: { request in try await service.appendEvents(request) }))
        routes.methods[profiles + "AppendEventStream"] = authorized(service.access) { call, identity in
            RPCCalls.streaming(call, identity: identity, request: C360_V1_AppendEventsRequest.self, response: C360_V1_AppendEventsResponse.self) { requests, write in
                try await write(try await service.appendEventStream(requests))
            }
        }
        routes.methods[profiles + "EraseCustomer"] = authorized(service.access) { call, identity in
            // Rare, and it needs the caller's address: its method is made per call.
            let peer = call.peer
            return RPCCalls.Unary(call: call, identity: identity, method: .init { (request: C360_V1_EraseCustomerRequest) in
                try await service.eraseCustomer(request, peer: peer)
            })
        }
        routes.methods[profiles + "WatchProfiles"] = authorized(service.access) { call, identity in
            RPCCalls.serverStreaming(call, identity: identity, response: C360_V1_ProfileChange.self) { (request: C360_V1_WatchProfilesRequest, write) in
                try await service.watchProfiles(request, write: write)
            }
        }
        routes.methods[profiles + "ListSegment"] = unary(service.access, .init { (request: C360_V1_ListSegmentRequest) in
            try service.listSegment(request)
        })
        routes.methods[profiles + "WatchSegment"] = authorized(service.access) { call, identity in
            RPCCalls.serverStreaming(call, identity: identity, response: C360_V1_SegmentEvent.self) { (request: C360_V1_WatchSegmentRequest, write) in
                try await service.watchSegment(request, write: write)
            }
        }
        routes.methods[profiles + "CreateBackup"] = unary(service.access, .init { (request: C360_V1_CreateBackupRequest) in
            try await service.createBackup(request)
        })

        routes.methods["/grpc.health.v1.Health/Check"] = unary(service.access, .init(inline: { request, _, respond in
            respond(Result { try health.check(request) })
            return true
        }, body: { (request: Grpc_Health_V1_HealthCheckRequest) in try health.check(request) }))
        routes.methods["/grpc.health.v1.Health/Watch"] = authorized(service.access) { call, identity in
            RPCCalls.serverStreaming(call, identity: identity, response: Grpc_Health_V1_HealthCheckResponse.self) { (request: Grpc_Health_V1_HealthCheckRequest, write) in
                try await health.watch(request, write: write)
            }
        }
        for version in ReflectionService.versions {
            routes.methods["/\(version).ServerReflection/ServerReflectionInfo"] = authorized(service.access) { call, identity in
                RPCCalls.streaming(call, identity: identity, request: Grpc_Reflection_V1_ServerReflectionRequest.self,
                                   response: Grpc_Reflection_V1_ServerReflectionResponse.self) { requests, write in
                    for try await request in requests {
                        try await write(reflection.answer(request))
                    }
                }
            }
        }
        return routes
    }

    /// A unary method's route: each call authorized, then served by `method`.
    private static func unary<Request, Response>(_ access: AccessControl, _ method: RPCCalls.UnaryMethod<Request, Response>) -> GRPCRoutes.Open {
        authorized(access) { call, identity in RPCCalls.Unary(call: call, identity: identity, method: method) }
    }

    /// Checks the caller before the call is served; a refused call ends with its status at once.
    private static func authorized(
        _ access: AccessControl, _ open: @escaping (GRPCServerCall, RPCCalls.Identity) -> any GRPCCallHandler
    ) -> GRPCRoutes.Open {
        { call in
            switch access.authorize(method: call.path, authorization: call.header("authorization"), peer: call.peer) {
            case .success(let caller):
                return open(call, RPCCalls.Identity(caller: caller, requestID: RequestID.accepted(call.header(RequestID.header))))
            case .failure(let error):
                let (status, trailers) = RPCCalls.status(of: error)
                call.finish(status, trailers: trailers)
                return RPCCalls.Refused()
            }
        }
    }
}
