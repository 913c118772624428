import C360Codec
import C360Core
import C360Model
@testable import C360Store
import RocksDB
import Synchronization
import Testing

/// A store whose projections were built by another fold keeps serving them while the configured
/// fold's are built from the log into the other keyspace, then switches to them in one step.
@Suite struct VersionBuildTests {
    typealias Resolution = IdentityResolutionTests

    /// The default fold, or one keeping `daysKept` days of activity, built while serving.
    static func configuration(daysKept: Int = ProjectionFold().dayBucketsKept) -> StoreConfiguration {
        var configuration = StoreConfiguration()
        configuration.fold.dayBucketsKept = daysKept
        configuration.profile.windowDays = min(configuration.profile.windowDays, daysKept)
        configuration.projectionRebuild = .whileServing
        // Written behind every few milliseconds: write behinds run during the build too.
        configuration.projectionWriteBehindSeconds = 0.005
        return configuration
    }

    /// Customers viewing products on 20 different days, some under cookies that later log in
    /// (merging the cookie's history into the customer).
    static func history(customers: Int) -> [[C360_V1_Event]] {
        var commits: [[C360_V1_Event]] = []
        for customer in 0..<customers {
            var commit = [Resolution.signup("signup-\(customer)", customer: "cust_\(customer)", email: "c\(customer)@example.com", day: 0)]
            for day in 0..<20 {
                commit.append(Resolution.productView("view-\(customer)-\(day)", customer: "cust_\(customer)", cookie: nil, day: Int64(day)))
            }
            if customer % 5 == 0 {
                commit.append(Resolution.productView("anon-\(customer)", cookie: "ck_\(customer)", day: 3))
                commit.append(Resolution.link("link-\(customer)", customer: "cust_\(customer)", cookie: "ck_\(customer)", day: 4))
            }
            commits.append(commit)
        }
        return commits
    }

    static func keyspaceIsEmpty(_ store: EventStore, _ family: ColumnFamily) -> Bool {
        let iterator = store.database.makeIterator(family)
        iterator.seekToFirst()
        return !iterator.isValid
    }

    @Test("a new fold is built while appends, lookups and an erasure go on; no call fails, every append is read back, and after the switch lookups serve the new fold, equal to a replay")
    func buildsWhileServing() async throws {
        try await withTemporaryDirectory { directory in
            let customers = 1_500
            do {
                let store = try EventStore(directory: directory, configuration: Self.configuration())
                for commit in Self.history(customers: customers) {
                    #expect(await store.append(commit).allSatisfy { $0.seq != nil })
                }
                store.close()
            }

            let store = try EventStore(directory: directory, configuration: Self.configuration(daysKept: 5))
            defer { store.close() }
            #expect(store.projectionVersionBuildDue)
            // Until the switch, the projections built by the old fold serve: 20 days each.
            #expect(try store.projection(customerID: "cust_1").days.count == 20)

            let building = Atomic(true)
            let appender = Task { () -> (appends: Int, failures: [String]) in
                var appends = 0
                var failures: [String] = []
                var erased = false
                while building.load(ordering: .acquiring) || appends < 50 || !erased {
                    let customer = "cust_\(appends % customers)"
                    guard customer != "cust_7" || !erased else { appends += 1; continue }
                    let event = Resolution.productView("live-\(appends)", customer: customer, cookie: nil, day: 25)
                    let outcome = await store.append([event])
                    guard case .appended(let seq) = outcome.first else {
                        failures.append("append \(appends): \(outcome)")
                        break
                    }
                    do {
                        // Read your writes: the lookup right after the append holds it.
                        let projection = try store.projection(customerID: customer)
                        if projection.seq < seq { failures.append("\(customer): projection at seq \(projection.seq) after an append at \(seq)") }
                    } catch {
                        failures.append("lookup of \(customer): \(error)")
                    }
                    if appends == 100 {
                        do {
                            let receipt = try await store.erase(customerID: "cust_7", requestID: "dsr-7")
                            if receipt.filesWithPersonalData != 0 { failures.append("the erasure found personal data in \(receipt.filesWithPersonalData) files") }
                            erased = true
                        } catch {
                            failures.append("erasure: \(error)")
                        }
                    }
                    appends += 1
                }
                return (appends, failures)
            }
            let build = try #require(try await store.buildProjectionVersion(threads: 1))
            building.store(false, ordering: .releasing)
            let (appends, failures) = await appender.value
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            #expect(build.events > 20 * UInt64(customers))
            // Appends during the build were folded again from the log before the switch.
            #expect(build.subjectsRefolded > 0, "no append arrived during the build (\(appends) appends)")
            #expect(!store.projectionVersionBuildDue)
            #expect(Self.keyspaceIsEmpty(store, store.projections.otherFamily), "the old fold's projections were not cleared")

            // The new fold serves: at most 5 days of activity, the appends' day included.
            for customer in [0, 1, 10, 700, customers - 1] {
                let projection = try store.projection(customerID: "cust_\(customer)")
                #expect(projection.days.count <= 5)
                #expect(projection.days.last?.productViews ?? 0 >= 1)
            }
            #expect(throws: C360Error.self) { try store.projection(customerID: "cust_7") }
            let replay = try await store.replay(fromSnapshot: false)
            #expect(replay.matchesLive, "\(replay.projectionsChanged) changed, \(replay.projectionsRemoved) removed by the replay")
        }
    }

    @Test("a build that did not reach its switch leaves the old fold's projections serving; the next open clears what it wrote, and a new build switches")
    func unfinishedBuild() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory, configuration: Self.configuration())
                for commit in Self.history(customers: 30) { _ = await store.append(commit) }
                store.close()
            }
            do {
                // What a crash in the middle of a build leaves: part of the new fold's projections
                // written, the store never closed.
                let store = try await RecoveryTests.reopen(directory, Self.configuration(daysKept: 5))
                let target = store.projections.beginBuild()
                try store.projections.writeBuilt([(1, [1, 2, 3]), (2, [4, 5, 6])]) { _ in false }
                #expect(!Self.keyspaceIsEmpty(store, target))
            }
            let store = try await RecoveryTests.reopen(directory, Self.configuration(daysKept: 5))
            defer { store.close() }
            #expect(Self.keyspaceIsEmpty(store, store.projections.otherFamily))
            #expect(store.projectionVersionBuildDue)
            #expect(try store.projection(customerID: "cust_3").days.count == 20)
            let build = try #require(try await store.buildProjectionVersion())
            #expect(build.projections >= 30)
            #expect(try store.projection(customerID: "cust_3").days.count == 5)
            #expect(try await store.replay(fromSnapshot: false).matchesLive)
            // Nothing left to build.
            #expect(try await store.buildProjectionVersion() == nil)
        }
    }

    @Test("an erasure during a build removes the customer from the keyspace being built, and the build never writes the customer back")
    func erasureDuringBuild() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = Self.configuration()
            configuration.verifyErasure = true
            let store = try EventStore(directory: directory, configuration: configuration)
            defer { store.close() }
            let customer = Events.customer("crm-1", customer: "cust_1", first: "Wilhelmina", last: "Quockerwodger", email: "wq@example.com", phone: "+441632960001")
            #expect(await store.append([customer]).allSatisfy { $0.seq != nil })
            let subject = try store.subject(customerID: "cust_1")
            let projection = try store.projection(customerID: "cust_1")

            let target = store.projections.beginBuild()
            let isErased = { (subject: UInt64) throws(C360Error) -> Bool in try store.isErased(subject: subject) }
            // Built before the erasure: the erasure deletes it from the keyspace being built too.
            try store.projections.writeBuilt([(subject, ProjectionWireCodec.encode(projection))], unlessErased: isErased)
            let receipt = try await store.erase(customerID: "cust_1", requestID: "dsr-1")
            #expect(receipt.filesVerified > 0)
            #expect(receipt.filesWithPersonalData == 0)
            #expect(try store.database.get(StoreKeys.subject(subject), in: target) == nil)
            // Folded before the erasure, written after it: left out.
            try store.projections.writeBuilt([(subject, ProjectionWireCodec.encode(projection))], unlessErased: isErased)
            #expect(try store.database.get(StoreKeys.subject(subject), in: target) == nil)
            store.projections.endBuild()
        }
    }
}
