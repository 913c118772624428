public import C360Model

/// A customer's profile as `ProfileEvaluator` evaluates it: plain values, which a lookup encodes
/// straight into a `GetProfileResponse` (`ProfileWireEncoder`) and segments and redaction read,
/// without SwiftProtobuf's messages on the hot path. `C360_V1_Profile(_:)` gives the API's message
/// for what is cold (the command line, change streams); the two encode to the same bytes.
///
/// The fields mirror `c360.v1.Profile`. What the message may leave out is optional here; the
/// parts the evaluator always sets (details, purchases, activity, support, recent, derived,
/// `as_of`) are not.
public struct Profile: Sendable, Equatable {
    public var customerID = ""
    public var details = Details()
    public var purchases = Purchases()
    public var activity = Activity()
    public var support = Support()
    public var seq: UInt64 = 0
    public var projectionVersion: UInt32 = 0
    public var asOf = Instant(microsecondsSinceEpoch: 0)
    public var eventCount: UInt64 = 0
    public var identities: [LinkedIdentity] = []
    public var identityConflicts: [IdentityConflict] = []
    public var recent = Recent()
    public var derived = Derived()
    public var personalDataRedacted = false

    public init() {}

    public struct Details: Sendable, Equatable {
        public var firstName = ""
        public var lastName = ""
        public var email = ""
        public var phone = ""
        public var dateOfBirth = ""
        /// Whole years at `as_of`; nil without a valid date of birth.
        public var age: Int32?
        public var gender: C360_V1_Gender = .unspecified
        public var address: C360_V1_Address?
        public var loyaltyTier: C360_V1_LoyaltyTier = .unspecified
        public var loyaltyPoints: Int64 = 0
        public var signupDate = ""
        public var acquisitionChannel = ""
        public var consent: C360_V1_ConsentFlags?

        public init() {}
    }

    public struct Money: Sendable, Equatable {
        public var minorUnits: Int64
        public var currency: String

        public init(minorUnits: Int64, currency: String) {
            self.minorUnits = minorUnits
            self.currency = currency
        }
    }

    public struct ProductCount: Sendable, Equatable {
        public var productID = ""
        public var name = ""
        public var category = ""
        public var quantity: Int64 = 0
        public var orders: Int64 = 0

        public init() {}
    }

    public struct CategoryCount: Sendable, Equatable {
        public var category = ""
        public var quantity: Int64 = 0
        public var orders: Int64 = 0

        public init() {}
    }

    public struct Purchases: Sendable, Equatable {
        public var onlineOrders: Int64 = 0
        public var instoreOrders: Int64 = 0
        public var mobileOrders: Int64 = 0
        public var marketplaceOrders: Int64 = 0
        public var totalOrders: Int64 = 0
        public var itemsBought: Int64 = 0
        public var lifetimeValue: [Money] = []
        public var firstOrderAt: Instant?
        public var lastOrderAt: Instant?
        public var lastOrderID = ""
        public var lastOrderStatus: C360_V1_OrderStatus = .unspecified
        public var topProducts: [ProductCount] = []
        public var cancelledOrders: Int64 = 0
        public var returnedOrders: Int64 = 0
        public var refunded: [Money] = []
        public var itemsPerOrder = 0.0
        public var averageOrderValue: Money?
        public var preferredChannel: C360_V1_OrderChannel = .unspecified
        public var topCategories: [CategoryCount] = []

        public init() {}
    }

    public struct RecentError: Sendable, Equatable {
        public var page = ""
        public var message = ""
        public var count: Int64 = 0
        public var lastAt = Instant(microsecondsSinceEpoch: 0)

        public init() {}
    }

    public struct Activity: Sendable, Equatable {
        public var lastLoginAt: Instant?
        public var lastVisitAt: Instant?
        public var lastActiveAt: Instant?
        public var lastEmailSentAt: Instant?
        public var lastEmailOpenedAt: Instant?
        public var lastEmailClickedAt: Instant?
        public var webEvents: Int64 = 0
        public var pageViews: Int64 = 0
        public var productViews: Int64 = 0
        public var sessions: Int64 = 0
        public var loginFailures: Int64 = 0
        public var emailsSent: Int64 = 0
        public var emailsOpened: Int64 = 0
        public var emailsClicked: Int64 = 0
        public var unsubscribed = false
        public var recentErrors: [RecentError] = []
        public var emailOpenRate = 0.0
        public var emailClickRate = 0.0

        public init() {}
    }

    public struct Support: Sendable, Equatable {
        public var openTickets: Int64 = 0
        public var totalTickets: Int64 = 0
        public var lastTicketAt: Instant?
        public var openTicketIDs: [String] = []
        /// Nil until a ticket is rated.
        public var averageSatisfaction: Double?
        public var reopenedTickets: Int64 = 0
        public var escalations: Int64 = 0

        public init() {}
    }

    public struct Recent: Sendable, Equatable {
        public var windowDays: Int32 = 0
        public var webEvents: Int64 = 0
        public var pageViews: Int64 = 0
        public var productViews: Int64 = 0
        public var sessions: Int64 = 0
        public var orders: Int64 = 0

        public init() {}
    }

    public struct RfmScores: Sendable, Equatable {
        public var recency: Int32 = 0
        public var frequency: Int32 = 0
        public var monetary: Int32 = 0

        public init() {}
    }

    public struct OpportunityFlags: Sendable, Equatable {
        public var channelExpansion = false
        public var tierUpgrade = false
        public var appAdoption = false

        public init() {}
    }

    public struct Derived: Sendable, Equatable {
        public var lifecycleStage: C360_V1_LifecycleStage = .unspecified
        /// Nil for a customer who never ordered.
        public var daysSinceLastOrder: Int64?
        /// Nil for a customer who never ordered.
        public var rfm: RfmScores?
        public var healthScore: Int32 = 0
        public var churnRisk = false
        public var hasOpenSupportIssue = false
        public var opportunities = OpportunityFlags()

        public init() {}
    }

    public struct LinkedIdentity: Sendable, Equatable {
        public var identity = C360_V1_Identity()
        public var linkedByEventID = ""
        public var linkedSeq: UInt64 = 0
        public var linkedAt = Instant(microsecondsSinceEpoch: 0)
        public var mergedFromAnonymous = false

        public init() {}
    }

    public struct IdentityConflict: Sendable, Equatable {
        public var identity = C360_V1_Identity()
        public var eventID = ""
        public var seq: UInt64 = 0
        public var at = Instant(microsecondsSinceEpoch: 0)
        public var reason: C360_V1_IdentityConflictReason = .unspecified

        public init() {}
    }
}
