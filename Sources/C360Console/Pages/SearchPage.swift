import C360Model

/// Finding a customer by customer id or by one of their identities.
enum SearchPage {
    /// What a search may look a customer up by, in the order the form offers them.
    static let keys: [(parameter: String, label: String, identity: C360_V1_IdentityType?)] = [
        ("customer_id", "Customer id", nil), ("email", "Email", .email), ("phone", "Phone", .phone),
        ("loyalty_id", "Loyalty id", .loyaltyID), ("cookie_id", "Cookie id", .cookieID), ("device_id", "Device id", .deviceID),
    ]

    static func render(_ layout: PageLayout, type: String = "customer_id", value: String = "", error: String? = nil) -> HTML {
        layout.render(title: "Find a customer", """
            <h1>Find a customer</h1>
            <p class="sub">By customer id, or by an email address, phone number, loyalty id, cookie id or device id linked to them.</p>
            \(error.map { message -> HTML in "<p class=\"alert\" role=\"alert\">\(message)</p>" } ?? "")
            <div class="card">\(form(type: type, value: value))</div>
            """)
    }

    static func form(type: String, value: String) -> HTML {
        let options: [HTML] = keys.map { key in
            "<option value=\"\(key.parameter)\"\(HTML(trusted: key.parameter == type ? " selected" : ""))>\(key.label)</option>"
        }
        return """
            <form class="inline" method="get" action="/search" role="search">
            <label for="search-type">Find by<select id="search-type" name="type">\(options)</select></label>
            <label for="search-value">Value<input id="search-value" name="value" type="search" required maxlength="512" value="\(value)" autocomplete="off"></label>
            <button type="submit">Find</button>
            </form>
            """
    }
}
