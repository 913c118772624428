import C360Service

/// The frame of every console page: the header with search and navigation, who is signed in, and
/// the page's own content in `main`.
struct PageLayout {
    /// The signed-in session; `nil` on the sign-in page.
    var session: ConsoleSession?
    /// Whether access control is on (tokens configured): then the header offers to sign out.
    var accessEnforced: Bool

    func render(title: String, _ content: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · c360</title>
        <link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/assets/console.css">
        <script src="/assets/console.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <a class="brand" href="/">c360</a>
        <nav class="main" aria-label="Main">
        <a href="/">Find a customer</a>
        <a href="/segments">Segments</a>
        <a href="/api/v1/openapi.json">JSON API</a>
        </nav>
        \(who)
        </header>
        <main id="main">
        \(content)
        </main>
        </body>
        </html>
        """
    }

    private var who: HTML {
        guard let session else { return "" }
        guard accessEnforced else { return "<div class=\"who\"><span>Access control is off (loopback only)</span></div>" }
        return """
            <div class="who"><span>Signed in as <strong>\(session.caller.name)</strong></span>\
            <form method="post" action="/sign-out"><input type="hidden" name="csrf" value="\(session.csrfToken)">\
            <button type="submit">Sign out</button></form></div>
            """
    }
}

/// Pages with one message: not found, refused, erased.
enum MessagePage {
    static func render(_ layout: PageLayout, title: String, message: String, kind: String = "alert", searchAgain: Bool = true) -> HTML {
        layout.render(title: title, """
            <h1>\(title)</h1>
            <p class="\(HTML(trusted: kind == "ok" ? "ok" : kind == "note" ? "note" : "alert"))" role="\(HTML(trusted: kind == "alert" ? "alert" : "status"))">\(message)</p>
            \(searchAgain ? SearchPage.form(type: "customer_id", value: "") : "")
            """)
    }
}
