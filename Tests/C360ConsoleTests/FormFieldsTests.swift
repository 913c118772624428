@testable import C360Console
import Testing
import C360Service

@Suite struct FormFieldsTests {
    @Test func readsFormsAsBrowsersWriteThem() throws {
        let fields = try FormFields("type=email&value=ada+lovelace%40example.com&kind=web_event&kind=order_placed&empty=&flag")
        #expect(fields["type"] == "email")
        #expect(fields["value"] == "ada lovelace@example.com")
        #expect(fields.all("kind") == ["web_event", "order_placed"])
        #expect(fields["empty"] == "")
        #expect(fields.nonEmpty("empty") == nil)
        #expect(fields["flag"] == "")
        #expect(fields["missing"] == nil)
    }

    @Test func aLiteralPlusArrivesEncoded() throws {
        #expect(try FormFields("phone=%2B447700900123")["phone"] == "+447700900123")
        #expect(try FormFields("name=%C3%89lodie")["name"] == "Élodie")
    }

    @Test func encodingRoundTrips() throws {
        let original = FormFields(pairs: [("value", "a+b c&d=e/é%"), ("kind", "web_event"), ("page", "YWZ0ZXI6MTI=")])
        #expect(try FormFields(original.encoded) == original)
        #expect(!original.encoded.contains(" "))
    }

    @Test func refusesWhatItCannotRead() {
        #expect(throws: FormFieldsError.badPercentEncoding) { try FormFields("a=%G1") }
        #expect(throws: FormFieldsError.badPercentEncoding) { try FormFields("a=%4") }
        #expect(throws: FormFieldsError.notUTF8) { try FormFields("a=%FF%FE") }
        #expect(throws: FormFieldsError.tooManyFields) { try FormFields((0...FormFields.maxFields).map { "f\($0)=1" }.joined(separator: "&")) }
        #expect(throws: FormFieldsError.tooLong) { try FormFields("a=" + String(repeating: "x", count: FormFields.maxBytes)) }
    }

    @Test func settingReplacesOrRemoves() throws {
        let fields = try FormFields("kind=a&page=1")
        #expect(fields.setting("page", to: "2").encoded == "kind=a&page=2")
        #expect(fields.setting("page", to: nil).encoded == "kind=a")
    }
}

@Suite struct HTMLTests {
    @Test func interpolatedTextIsEscaped() {
        let name = "<script>alert('x')</script> & \"friends\""
        let html: HTML = "<p title=\"\(name)\">\(name)</p>"
        #expect(html.text == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;</p>")
    }

    @Test func markupGoesInAsItIs() {
        let inner: HTML = "<b>\("x<y")</b>"
        let outer: HTML = "<p>\(inner)\([inner, inner])\(42)</p>"
        #expect(outer.text == "<p><b>x&lt;y</b><b>x&lt;y</b><b>x&lt;y</b>42</p>")
    }
}

@Suite struct ConsoleSessionsTests {
    @Test func sessionsEndWhenIdleAndBeyondCapacity() {
        let sessions = ConsoleSessions(capacity: 3, idleTimeout: 60)
        let start = Date(timeIntervalSince1970: 1_000_000)
        let first = sessions.start(for: .unrestricted, now: start)
        let second = sessions.start(for: .unrestricted, now: start.addingTimeInterval(1))
        let third = sessions.start(for: .unrestricted, now: start.addingTimeInterval(2))
        // Using the first keeps it; the least recently used (the second) goes when a fourth starts.
        #expect(sessions.session(first.id, now: start.addingTimeInterval(3)) != nil)
        let fourth = sessions.start(for: .unrestricted, now: start.addingTimeInterval(4))
        #expect(sessions.count == 3)
        #expect(sessions.session(second.id, now: start.addingTimeInterval(5)) == nil)
        #expect(sessions.session(third.id, now: start.addingTimeInterval(5)) != nil)
        #expect(sessions.session(fourth.id, now: start.addingTimeInterval(5)) != nil)
        // Idle past the timeout: gone.
        #expect(sessions.session(fourth.id, now: start.addingTimeInterval(66)) == nil)
        sessions.end(third.id)
        #expect(sessions.session(third.id, now: start.addingTimeInterval(6)) == nil)
    }

    @Test func tokensAreRandomAndCookieSafe() {
        let tokens = Set((0..<100).map { _ in ConsoleSessions.randomToken() })
        #expect(tokens.count == 100)
        for token in tokens {
            #expect(token.count == 43)
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
        #expect(ConsoleSessions.sameSecret("abc", "abc"))
        #expect(!ConsoleSessions.sameSecret("abc", "abd"))
        #expect(!ConsoleSessions.sameSecret("abc", "abcd"))
    }
}

@Suite struct ConsoleRoutesTests {
    @Test func signInOnlyReturnsToThisConsole() {
        #expect(ConsoleRoutes.safeNext("/customers/cust_1?kind=web_event") == "/customers/cust_1?kind=web_event")
        #expect(ConsoleRoutes.safeNext("//evil.example/") == "/")
        #expect(ConsoleRoutes.safeNext("https://evil.example/") == "/")
        #expect(ConsoleRoutes.safeNext("/\\evil.example") == "/")
        #expect(ConsoleRoutes.safeNext("/sign-in") == "/")
        #expect(ConsoleRoutes.safeNext(nil) == "/")
    }

    @Test func theOpenAPIDocumentIsJSONAndDescribesEveryReadRoute() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.0.3")
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(Set(paths.keys) == [
            "/api/v1/customers/{customer}", "/api/v1/customers", "/api/v1/customers/{customer}/timeline",
            "/api/v1/segments", "/api/v1/segments/{segment}/members", "/api/v1/openapi.json",
        ])
    }
}

import Foundation
