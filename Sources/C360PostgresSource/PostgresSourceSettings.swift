public import C360Mapping

/// One PostgreSQL database c360 follows: where it is, which tables, and the mapping of their rows.
public struct PostgresSourceSettings: Sendable {
    /// The source's name: in its events' position key, its metrics and `c360 source status`.
    public var name: String
    /// A libpq connection string (`host=127.0.0.1 port=5432 dbname=shop user=c360`), without
    /// `replication=`: the source adds it for the replication connection.
    public var connection: String
    /// The tables published and read (`orders`, or `schema.table`).
    public var tables: [String]
    public var mapping: Mapping
    /// The logical replication slot; default `c360_` and the name (non-alphanumerics as `_`).
    public var slot: String
    /// The publication; created for `tables` when it does not exist. Default as the slot.
    public var publication: String
    /// When set, a row deleted from this table erases the customer it names (a GDPR erasure,
    /// with the change's table and position as the request's reference) instead of being mapped.
    public var erasure: Erasure?

    /// Which table's deletes are erasures, and how a deleted row names its customer.
    public struct Erasure: Sendable {
        /// `customers`, or `schema.table`.
        public var table: String
        /// The customer id, a template over the deleted row's key columns (`shop-{id}`).
        public var customerID: TextTemplate

        public init(table: String, customerID: TextTemplate) {
            self.table = table
            self.customerID = customerID
        }
    }

    public init(
        name: String, connection: String, tables: [String], mapping: Mapping, slot: String? = nil, publication: String? = nil, erasure: Erasure? = nil
    ) {
        self.name = name
        self.erasure = erasure
        self.connection = connection
        self.tables = tables
        self.mapping = mapping
        let defaultName = "c360_" + String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        self.slot = slot ?? defaultName
        self.publication = publication ?? defaultName
    }
}
