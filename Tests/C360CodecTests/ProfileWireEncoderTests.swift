import C360Codec
import C360Core
import C360Generator
import C360Model
import SwiftProtobuf
import Testing

/// The hand-written profile encoder writes exactly SwiftProtobuf's bytes for the plain profile's
/// message, for random profiles that set every field (and leave each out), with extreme numbers
/// and instants, unrecognised enum values, -0.0, long and non-ASCII strings, and unknown fields
/// carried by the messages a profile takes from events (identity, address, consent).
@Suite struct ProfileWireEncoderTests {
    /// A plain profile, as the evaluator gives it, encoded into the bytes SwiftProtobuf writes for
    /// its message (`C360_V1_Profile(_:)`), which decode back to that message.
    @Test(arguments: 0..<400)
    func plainProfileIsSwiftProtobufsBytes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 40_000)
        let profile = try random.profile()
        let message = C360_V1_Profile(profile)
        #expect(ProfileWireEncoder.encode(profile) == (try message.serializedBytes() as [UInt8]))
        var response = C360_V1_GetProfileResponse()
        response.profile = message
        let fast = ProfileWireEncoder.getProfileResponse(profile)
        #expect(fast == (try response.serializedBytes() as [UInt8]))
        #expect(try C360_V1_GetProfileResponse(serializedBytes: fast) == response)
    }

    /// A profile encoded once without its `as_of` and answered at another time: the bytes of the
    /// whole profile with that time, whatever else the profile holds.
    @Test(arguments: 0..<300)
    func profileWithoutAsOfTakesAnyAsOf(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 20_000)
        var profile = try random.profile()
        let parts = ProfileWithoutAsOf(profile)
        profile.asOf = random.instant()
        var response = C360_V1_GetProfileResponse()
        response.profile = C360_V1_Profile(profile)
        #expect(parts.getProfileResponse(asOf: profile.asOf) == (try response.serializedBytes() as [UInt8]))
        #expect(parts.profile(asOf: profile.asOf) == (try response.profile.serializedBytes() as [UInt8]))
    }

    /// A batch of profiles encoded one by one gives the bytes of the whole response encoded at once.
    @Test(arguments: 0..<100)
    func batchOfEncodedProfilesIsSwiftProtobufsBytes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 30_000)
        var response = C360_V1_BatchGetProfilesResponse()
        var parts: [(customerID: String, result: ProfileWireEncoder.BatchResult)] = []
        for _ in 0..<random.int(0...5) {
            var result = C360_V1_ProfileResult()
            result.customerID = random.string()
            if random.int(0...1) == 0 {
                let profile = try random.profile()
                result.profile = C360_V1_Profile(profile)
                parts.append((result.customerID, .profile(ProfileWireEncoder.encode(profile))))
            } else {
                var error = C360_V1_LookupError()
                error.code = C360_V1_LookupError.Code(rawValue: random.int(-2...4)) ?? .unspecified
                error.message = random.string()
                result.error = error
                parts.append((result.customerID, .error(error)))
            }
            response.results.append(result)
        }
        #expect(ProfileWireEncoder.batchGetProfilesResponse(parts) == (try response.serializedBytes() as [UInt8]))
    }

    /// Lengths around the one-byte limit of a nested message's length prefix (127, 128, 16,383,
    /// 16,384 bytes): the contents are moved along exactly when the length needs more bytes.
    @Test(arguments: [0, 1, 120, 121, 122, 123, 124, 125, 126, 127, 128, 16_370, 16_376, 16_377, 16_378, 16_379, 16_380, 70_000])
    func nestedLengthsAtVarintBoundaries(length: Int) throws {
        var profile = Profile()
        profile.details.firstName = String(repeating: "x", count: length)
        var response = C360_V1_GetProfileResponse()
        response.profile = C360_V1_Profile(profile)
        #expect(ProfileWireEncoder.getProfileResponse(profile) == (try response.serializedBytes() as [UInt8]))
    }
}

/// splitmix64: reproducible random values for the property tests.
struct Random {
    private var generator: SeededRandom
    init(seed: UInt64) { generator = SeededRandom(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    mutating func int64() -> Int64 {
        switch int(0...5) {
        case 0: return 0
        case 1: return [Int64.min, Int64.max, -1, 1, 127, 128, -128][int(0...6)]
        case 2: return Int64(int(-300...300))
        default: return Int64(bitPattern: next()) >> UInt64(int(0...62))
        }
    }

    mutating func int32() -> Int32 { Int32(truncatingIfNeeded: int64()) }
    mutating func uint64() -> UInt64 { chance(20) ? 0 : (chance(10) ? UInt64.max : next() >> UInt64(int(0...63))) }

    mutating func double() -> Double {
        switch int(0...4) {
        case 0: return 0
        case 1: return -0.0
        case 2: return [Double.infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.5][int(0...4)]
        default: return Double(int(-1_000_000...1_000_000)) / 7
        }
    }

    mutating func string() -> String {
        switch int(0...4) {
        case 0: return ""
        case 1: return String(repeating: "é☺😈", count: int(1...60))
        case 2: return String(repeating: "a", count: int(100...300))
        default: return "s\(next() % 100_000)"
        }
    }

    mutating func enumValue() -> Int { chance(10) ? int(-3...40) : int(0...4) }

    mutating func timestamp() -> Google_Protobuf_Timestamp {
        var timestamp = Google_Protobuf_Timestamp()
        timestamp.seconds = int64()
        timestamp.nanos = chance(50) ? 0 : Int32(int(0...999_999_999))
        return timestamp
    }

    /// A message carrying an unknown field (number 99, a varint), as a newer writer would leave.
    mutating func withUnknownField<M: Message>(_ type: M.Type) throws -> M {
        chance(15) ? try M(serializedBytes: [0x98, 0x06, UInt8(int(0...127))]) : M()
    }

    mutating func money() throws -> C360_V1_Money {
        var money = try withUnknownField(C360_V1_Money.self)
        money.minorUnits = int64()
        money.currency = chance(80) ? "GBP" : string()
        return money
    }

    mutating func identity() throws -> C360_V1_Identity {
        var identity = try withUnknownField(C360_V1_Identity.self)
        identity.type = C360_V1_IdentityType(rawValue: enumValue()) ?? .unspecified
        identity.value = string()
        return identity
    }

    /// Any instant, down to the microsecond, the extremes among them.
    mutating func instant() -> Instant {
        switch int(0...5) {
        case 0: return Instant(microsecondsSinceEpoch: [Int64.min, Int64.max, -1, 0, 1, -1_000_000][int(0...5)])
        case 1: return Instant(microsecondsSinceEpoch: int64())
        default: return Instant(microsecondsSinceEpoch: Int64(int(-2_000_000_000...4_000_000_000)) * 1_000_000 + Int64(int(0...999_999)))
        }
    }

    mutating func optionalInstant() -> Instant? { chance(50) ? instant() : nil }

    mutating func profileMoney() -> Profile.Money {
        Profile.Money(minorUnits: int64(), currency: chance(80) ? "GBP" : string())
    }

    /// A plain profile with every field set or left at its default, optional parts present or not.
    mutating func profile() throws -> Profile {
        var profile = Profile()
        profile.customerID = string()
        var details = Profile.Details()
        details.firstName = string(); details.lastName = string(); details.email = string(); details.phone = string()
        details.dateOfBirth = string()
        if chance(50) { details.age = int32() }
        details.gender = C360_V1_Gender(rawValue: enumValue()) ?? .unspecified
        if chance(60) {
            var address = try withUnknownField(C360_V1_Address.self)
            address.line1 = string(); address.line2 = string(); address.city = string()
            address.region = string(); address.postalCode = string(); address.country = string()
            details.address = address
        }
        details.loyaltyTier = C360_V1_LoyaltyTier(rawValue: enumValue()) ?? .unspecified
        details.loyaltyPoints = int64()
        details.signupDate = string()
        details.acquisitionChannel = string()
        if chance(60) {
            var consent = try withUnknownField(C360_V1_ConsentFlags.self)
            consent.emailMarketing = chance(50); consent.smsMarketing = chance(50); consent.personalisation = chance(50)
            details.consent = consent
        }
        profile.details = details

        var purchases = Profile.Purchases()
        purchases.onlineOrders = int64(); purchases.instoreOrders = int64(); purchases.mobileOrders = int64()
        purchases.marketplaceOrders = int64(); purchases.totalOrders = int64(); purchases.itemsBought = int64()
        purchases.lifetimeValue = (0..<int(0...3)).map { _ in profileMoney() }
        purchases.firstOrderAt = optionalInstant()
        purchases.lastOrderAt = optionalInstant()
        purchases.lastOrderID = string()
        purchases.lastOrderStatus = C360_V1_OrderStatus(rawValue: enumValue()) ?? .unspecified
        for _ in 0..<int(0...5) {
            var product = Profile.ProductCount()
            product.productID = string(); product.name = string(); product.category = string()
            product.quantity = int64(); product.orders = int64()
            purchases.topProducts.append(product)
        }
        purchases.cancelledOrders = int64(); purchases.returnedOrders = int64()
        purchases.refunded = (0..<int(0...2)).map { _ in profileMoney() }
        purchases.itemsPerOrder = double()
        if chance(50) { purchases.averageOrderValue = profileMoney() }
        purchases.preferredChannel = C360_V1_OrderChannel(rawValue: enumValue()) ?? .unspecified
        for _ in 0..<int(0...5) {
            var category = Profile.CategoryCount()
            category.category = string(); category.quantity = int64(); category.orders = int64()
            purchases.topCategories.append(category)
        }
        profile.purchases = purchases

        var activity = Profile.Activity()
        activity.lastLoginAt = optionalInstant(); activity.lastVisitAt = optionalInstant()
        activity.lastActiveAt = optionalInstant(); activity.lastEmailSentAt = optionalInstant()
        activity.lastEmailOpenedAt = optionalInstant(); activity.lastEmailClickedAt = optionalInstant()
        activity.webEvents = int64(); activity.pageViews = int64(); activity.productViews = int64()
        activity.sessions = int64(); activity.loginFailures = int64(); activity.emailsSent = int64()
        activity.emailsOpened = int64(); activity.emailsClicked = int64(); activity.unsubscribed = chance(50)
        for _ in 0..<int(0...3) {
            var error = Profile.RecentError()
            error.page = string(); error.message = string(); error.count = int64(); error.lastAt = instant()
            activity.recentErrors.append(error)
        }
        activity.emailOpenRate = double(); activity.emailClickRate = double()
        profile.activity = activity

        var support = Profile.Support()
        support.openTickets = int64(); support.totalTickets = int64()
        support.lastTicketAt = optionalInstant()
        support.openTicketIDs = (0..<int(0...4)).map { _ in string() }
        if chance(50) { support.averageSatisfaction = double() }
        support.reopenedTickets = int64(); support.escalations = int64()
        profile.support = support

        profile.seq = uint64()
        profile.projectionVersion = UInt32(truncatingIfNeeded: uint64())
        profile.asOf = instant()
        profile.eventCount = uint64()
        for _ in 0..<int(0...4) {
            var linked = Profile.LinkedIdentity()
            linked.identity = try identity()
            linked.linkedByEventID = string(); linked.linkedSeq = uint64(); linked.linkedAt = instant()
            linked.mergedFromAnonymous = chance(50)
            profile.identities.append(linked)
        }
        for _ in 0..<int(0...2) {
            var conflict = Profile.IdentityConflict()
            conflict.identity = try identity()
            conflict.eventID = string(); conflict.seq = uint64(); conflict.at = instant()
            conflict.reason = C360_V1_IdentityConflictReason(rawValue: enumValue()) ?? .unspecified
            profile.identityConflicts.append(conflict)
        }
        profile.recent.windowDays = int32(); profile.recent.webEvents = int64(); profile.recent.pageViews = int64()
        profile.recent.productViews = int64(); profile.recent.sessions = int64(); profile.recent.orders = int64()

        var derived = Profile.Derived()
        derived.lifecycleStage = C360_V1_LifecycleStage(rawValue: enumValue()) ?? .unspecified
        if chance(50) { derived.daysSinceLastOrder = int64() }
        if chance(60) {
            var rfm = Profile.RfmScores()
            rfm.recency = int32(); rfm.frequency = int32(); rfm.monetary = int32()
            derived.rfm = rfm
        }
        derived.healthScore = int32(); derived.churnRisk = chance(50); derived.hasOpenSupportIssue = chance(50)
        derived.opportunities.channelExpansion = chance(50)
        derived.opportunities.tierUpgrade = chance(50)
        derived.opportunities.appAdoption = chance(50)
        profile.derived = derived
        profile.personalDataRedacted = chance(30)
        return profile
    }
}
