public import C360Model

/// Takes the personal fields out of what a lookup returns, for callers allowed to read profiles
/// but not the personal data in them (column-level access control): a personalisation service
/// needs the lifecycle stage and the RFM scores, not the customer's name and address.
///
/// Personal here means what identifies the person directly: first and last name, email, phone,
/// date of birth, postal address, and the values of linked identities (emails, phones, cookie,
/// device and loyalty ids). Derived figures stay, age among them (whole years), as do the
/// customer id, which callers already hold to ask.
public enum PersonalDataRedaction {
    public static func redact(_ profile: inout Profile) {
        profile.details.firstName = ""
        profile.details.lastName = ""
        profile.details.email = ""
        profile.details.phone = ""
        profile.details.dateOfBirth = ""
        profile.details.address = nil
        for index in profile.identities.indices {
            profile.identities[index].identity.value = ""
        }
        for index in profile.identityConflicts.indices {
            profile.identityConflicts[index].identity.value = ""
        }
        profile.personalDataRedacted = true
    }

    public static func redact(_ event: inout C360_V1_Event) {
        for index in event.identities.indices {
            event.identities[index].value = ""
        }
        switch event.payload {
        case .customerUpserted(var upsert):
            upsert.clearFirstName()
            upsert.clearLastName()
            upsert.clearEmail()
            upsert.clearPhone()
            upsert.clearDateOfBirth()
            upsert.clearAddress()
            event.payload = .customerUpserted(upsert)
        case .identityLinked(var link):
            link.identity.value = ""
            event.payload = .identityLinked(link)
        case .identityUnlinked(var unlink):
            unlink.identity.value = ""
            event.payload = .identityUnlinked(unlink)
        default:
            break
        }
    }
}
