public import C360Core
import C360Model

extension ProjectionWireCodec {
    /// The projection's bytes: what SwiftProtobuf writes for the same `c360.store.v1.Projection`.
    public static func encode(_ projection: Projection) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 2_048)
        write(projection, to: &writer)
        return writer.finish()
    }

    public static func decode(_ bytes: [UInt8]) throws(ProtobufWireError) -> Projection {
        try bytes.decoded(by: decode)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> Projection {
        var reader = ProtobufWireReader(bytes)
        var projection = Projection()
        try read(&reader, into: &projection)
        return projection
    }

    /// A stored projection with only `parts` decoded (and the header: version, seq, customer id,
    /// event count): the others stay in `bytes`, shared rather than copied, and are written back
    /// from there as they are (`Projection.retained`). What folding an event needs, when the
    /// event changes one or two parts. Those left in their bytes are not checked: decoding them
    /// later (`decodeRetained`) reports what is wrong with them.
    public static func decode(_ bytes: [UInt8], parts: Projection.Parts) throws(ProtobufWireError) -> Projection {
        if parts == .all { return try decode(bytes) }
        var decoding = parts
        while true {
            var projection = Projection()
            var ranges = Projection.Retained.Ranges()
            let scattered = try bytes.decoded { (raw) throws(ProtobufWireError) -> Projection.Parts in
                var reader = ProtobufWireReader(raw)
                return try read(&reader, into: &projection, decoding: decoding, ranges: &ranges)
            }
            guard scattered.isEmpty else {
                decoding.formUnion(scattered)
                continue
            }
            var retained: Projection.Parts = []
            for index in ranges.indices where !ranges[index].isEmpty {
                retained.insert(Projection.Parts(rawValue: 1 << index))
            }
            projection.retain(Projection.Retained(bytes: bytes, parts: retained, ranges: ranges))
            return projection
        }
    }

    /// Decodes those of `parts` that `projection` holds in their stored bytes.
    public static func decodeRetained(_ parts: Projection.Parts, in projection: inout Projection) throws(ProtobufWireError) {
        guard let retained = projection.retained else { return }
        let decoding = retained.parts.intersection(parts)
        guard !decoding.isEmpty else { return }
        projection.markDecoded(decoding)
        let result = retained.bytes.withUnsafeBytes { all in
            Result { () throws(ProtobufWireError) in
                for index in retained.ranges.indices where decoding.contains(Projection.Parts(rawValue: 1 << index)) {
                    // Only the part's own fields are in its range: reading them sets that part alone.
                    var reader = ProtobufWireReader(UnsafeRawBufferPointer(rebasing: all[retained.ranges[index]]))
                    try read(&reader, into: &projection)
                }
            }
        }
        try result.get()
    }

    /// The customer id of a stored projection (`customer_id`, field 3), the rest skipped: what
    /// warming the store's caches needs of each projection, without decoding it. Empty for an
    /// anonymous subject's projection.
    public static func customerID(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> String {
        var reader = ProtobufWireReader(bytes)
        var customerID = ""
        while let (number, wireType) = try reader.nextField() {
            if number == 3, wireType == .lengthDelimited {
                customerID = try reader.string()
            } else {
                let start = reader.offset
                _ = try reader.skip(wireType, number: number, fieldStart: start)
            }
        }
        return customerID
    }

    // MARK: The c360.v1 messages a projection holds, kept as the generated structs

    static func write(_ identity: C360_V1_Identity, to writer: inout ProtobufWireWriter) {
        if identity.type.rawValue != 0 { writer.int64Field(1, Int64(identity.type.rawValue)) }
        if !identity.value.isEmpty { writer.stringField(2, identity.value) }
        writer.unknown(identity.unknownFields)
    }

    static func read(_ reader: inout ProtobufWireReader, into identity: inout C360_V1_Identity) throws(ProtobufWireError) {
        try EventWireDecoder.decode(&reader, into: &identity)
    }

    static func write(_ money: C360_V1_Money, to writer: inout ProtobufWireWriter) {
        if money.minorUnits != 0 { writer.int64Field(1, money.minorUnits) }
        if !money.currency.isEmpty { writer.stringField(2, money.currency) }
        writer.unknown(money.unknownFields)
    }

    static func read(_ reader: inout ProtobufWireReader, into money: inout C360_V1_Money) throws(ProtobufWireError) {
        try EventWireDecoder.decode(&reader, into: &money)
    }

    static func write(_ customer: C360_V1_CustomerUpserted, to writer: inout ProtobufWireWriter) {
        // Optional fields: written when present, whatever their value.
        if customer.hasFirstName { writer.stringField(1, customer.firstName) }
        if customer.hasLastName { writer.stringField(2, customer.lastName) }
        if customer.hasEmail { writer.stringField(3, customer.email) }
        if customer.hasPhone { writer.stringField(4, customer.phone) }
        if customer.hasDateOfBirth { writer.stringField(5, customer.dateOfBirth) }
        if customer.gender.rawValue != 0 { writer.int64Field(6, Int64(customer.gender.rawValue)) }
        if customer.hasAddress {
            let address = customer.address
            writer.messageField(7) { writer in
                if !address.line1.isEmpty { writer.stringField(1, address.line1) }
                if !address.line2.isEmpty { writer.stringField(2, address.line2) }
                if !address.city.isEmpty { writer.stringField(3, address.city) }
                if !address.region.isEmpty { writer.stringField(4, address.region) }
                if !address.postalCode.isEmpty { writer.stringField(5, address.postalCode) }
                if !address.country.isEmpty { writer.stringField(6, address.country) }
                writer.unknown(address.unknownFields)
            }
        }
        if customer.loyaltyTier.rawValue != 0 { writer.int64Field(8, Int64(customer.loyaltyTier.rawValue)) }
        if customer.hasLoyaltyPoints { writer.int64Field(9, customer.loyaltyPoints) }
        if customer.hasSignupDate { writer.stringField(10, customer.signupDate) }
        if customer.hasAcquisitionChannel { writer.stringField(11, customer.acquisitionChannel) }
        if customer.hasConsent {
            let consent = customer.consent
            writer.messageField(12) { writer in
                if consent.emailMarketing { writer.boolField(1, true) }
                if consent.smsMarketing { writer.boolField(2, true) }
                if consent.personalisation { writer.boolField(3, true) }
                writer.unknown(consent.unknownFields)
            }
        }
        writer.unknown(customer.unknownFields)
    }

    static func read(_ reader: inout ProtobufWireReader, into customer: inout C360_V1_CustomerUpserted) throws(ProtobufWireError) {
        try EventWireDecoder.decode(&reader, into: &customer)
    }
}
