public import C360Model

extension ProjectionFold {
    /// Only the fields present in the upsert change: several sources can each own some fields.
    func applyCustomer(_ upsert: C360_V1_CustomerUpserted, to projection: inout Projection) {
        var details = projection.details
        if upsert.hasFirstName { details.firstName = upsert.firstName }
        if upsert.hasLastName { details.lastName = upsert.lastName }
        if upsert.hasEmail { details.email = upsert.email }
        if upsert.hasPhone { details.phone = upsert.phone }
        if upsert.hasDateOfBirth { details.dateOfBirth = upsert.dateOfBirth }
        if upsert.gender != .unspecified { details.gender = upsert.gender }
        if upsert.hasAddress { details.address = upsert.address }
        if upsert.loyaltyTier != .unspecified { details.loyaltyTier = upsert.loyaltyTier }
        if upsert.hasLoyaltyPoints { details.loyaltyPoints = upsert.loyaltyPoints }
        if upsert.hasSignupDate { details.signupDate = upsert.signupDate }
        if upsert.hasAcquisitionChannel { details.acquisitionChannel = upsert.acquisitionChannel }
        if upsert.hasConsent { details.consent = upsert.consent }
        projection.details = details

    }
}

extension C360_V1_Identity {
    public init(type: C360_V1_IdentityType, value: String) {
        self.init()
        self.type = type
        self.value = value
    }
}
