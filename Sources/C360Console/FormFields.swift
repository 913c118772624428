/// The fields of an `application/x-www-form-urlencoded` text: a query string or a form's body.
///
/// Hummingbird's query parameters percent-decode but leave `+` as it is, while browsers encode a
/// form's spaces as `+`; this reads both the way the HTML specification writes them.
public struct FormFields: Sendable, Equatable {
    /// Every name and value, in order; a name may repeat (`kind=a&kind=b`).
    public private(set) var pairs: [(name: String, value: String)]

    /// The most fields one form may carry, and the longest text read: a hostile client cannot make
    /// the console hold more.
    public static let maxFields = 64
    public static let maxBytes = 16_384

    public init(_ text: some StringProtocol) throws(FormFieldsError) {
        guard text.utf8.count <= Self.maxBytes else { throw .tooLong }
        pairs = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            guard pairs.count < Self.maxFields else { throw .tooManyFields }
            let equals = part.firstIndex(of: "=")
            let name = try Self.decode(Substring(equals.map { part[..<$0] } ?? part[...]))
            var value = ""
            if let equals { value = try Self.decode(Substring(part[part.index(after: equals)...])) }
            pairs.append((name, value))
        }
    }

    public init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The first value of `name`; `nil` when absent.
    public subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// The first value of `name`, `nil` when absent or empty (an untouched form field).
    public func nonEmpty(_ name: String) -> String? { self[name].flatMap { $0.isEmpty ? nil : $0 } }

    /// Every value of `name`, in order.
    public func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The text again, encoded: for links that carry a page's filters on.
    public var encoded: String {
        pairs.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
    }

    /// `fields` with `name` set to `value` (or removed for `nil`), the rest kept.
    public func setting(_ name: String, to value: String?) -> FormFields {
        var copy = pairs.filter { $0.name != name }
        if let value { copy.append((name, value)) }
        return FormFields(pairs: copy)
    }

    static func decode(_ text: Substring) throws(FormFieldsError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw .badPercentEncoding
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), so the result is safe in a
    /// query string and in a path segment.
    public static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}

public enum FormFieldsError: Error, Equatable, CustomStringConvertible {
    case tooLong, tooManyFields, badPercentEncoding, notUTF8, notAForm

    public var description: String {
        switch self {
        case .tooLong: "the form is longer than \(FormFields.maxBytes) bytes"
        case .tooManyFields: "the form has more than \(FormFields.maxFields) fields"
        case .badPercentEncoding: "the form has a % not followed by two hexadecimal digits"
        case .notUTF8: "the form is not UTF-8"
        case .notAForm: "the request is not a form (application/x-www-form-urlencoded)"
        }
    }
}
