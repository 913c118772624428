import C360Core
@testable import C360PostgresSource
import Testing

@Suite struct PostgresSourceServiceTests {
    @Test("a lost connection, or a commit the store refuses for now (a full disk, its writer's queue full), is retried; what waiting cannot change stops the source", arguments: [
        (C360Error.Code.unavailable, true),
        (.resourceExhausted, true),
        (.invalidArgument, false),
        (.failedPrecondition, false),
        (.internalError, false),
    ])
    func retried(code: C360Error.Code, retried: Bool) {
        #expect((PostgresSourceService.retryReason(C360Error(code, "what happened")) != nil) == retried)
    }
}
