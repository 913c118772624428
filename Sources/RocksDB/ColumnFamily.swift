/// A column family of an open `Database`, named when the database was opened.
///
/// It is a token: the handle itself stays inside the `Database` that issued it.
public struct ColumnFamily: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    let index: Int

    public var description: String { name }
}
