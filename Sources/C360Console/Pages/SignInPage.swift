/// Signing in with one of the API's access tokens.
enum SignInPage {
    static func render(_ layout: PageLayout, csrfToken: String, next: String, error: String? = nil) -> HTML {
        layout.render(title: "Sign in", """
            <h1>Sign in</h1>
            <p class="sub">With an access token of this c360 server (<code>c360 token create</code>); its scopes decide what you may see and do.</p>
            \(error.map { message -> HTML in "<p class=\"alert\" role=\"alert\">\(message)</p>" } ?? "")
            <div class="card">
            <form method="post" action="/sign-in" class="inline">
            <input type="hidden" name="csrf" value="\(csrfToken)">
            <input type="hidden" name="next" value="\(next)">
            <label for="sign-in-token">Access token<input id="sign-in-token" name="token" type="password" required autocomplete="off" size="48"></label>
            <button type="submit">Sign in</button>
            </form>
            </div>
            """)
    }
}
