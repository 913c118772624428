"""The console over plain HTTP, with `requests`: headers, sign-in, CSRF, the JSON API against the
gRPC API, the page weight."""
import json
import re

import pytest
import requests
from google.protobuf.json_format import MessageToDict


def signed_in(console, token):
    """A requests session signed in through the sign-in form, as a browser would."""
    session = requests.Session()
    form = session.get(console.url + "/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = session.post(console.url + "/sign-in", data={"csrf": csrf, "next": "/", "token": console.tokens[token]}, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert "c360_session" in session.cookies
    return session


def page_csrf(session, url):
    return re.search(r'name="csrf" value="([^"]+)"', session.get(url).text).group(1)


def test_every_response_carries_the_security_headers(console):
    for path in ("/sign-in", "/assets/console.css", "/no-such-page", "/api/v1/customers/cust_1"):
        response = requests.get(console.url + path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_need_a_session_and_the_api_a_token(console):
    page = requests.get(console.url + "/customers/cust_1", allow_redirects=False)
    assert page.status_code == 303
    assert page.headers["Location"] == "/sign-in?next=%2Fcustomers%2Fcust_1"
    api = requests.get(console.url + "/api/v1/customers/cust_1")
    assert api.status_code == 401
    assert api.headers["WWW-Authenticate"] == "Bearer"
    assert api.json()["error"]["code"] == "UNAUTHENTICATED"
    wrong = requests.get(console.url + "/api/v1/customers/cust_1", headers={"Authorization": "Bearer c360_not-a-token"})
    assert wrong.status_code == 401


def test_the_session_cookie_is_httponly_and_strict(console):
    session = requests.Session()
    form = session.get(console.url + "/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = session.post(console.url + "/sign-in", data={"csrf": csrf, "next": "/", "token": console.tokens["reader"]}, allow_redirects=False)
    cookie = [value for key, value in answer.raw.headers.items() if key.lower() == "set-cookie" and "c360_session=" in value][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie


def test_sign_in_with_a_wrong_token_is_refused_and_audited(console):
    session = requests.Session()
    csrf = page_csrf(session, console.url + "/sign-in")
    answer = session.post(console.url + "/sign-in", data={"csrf": csrf, "next": "/", "token": "c360_wrong"}, allow_redirects=False)
    assert answer.status_code == 401
    assert "That access token is not valid." in answer.text
    assert "c360_session" not in session.cookies
    audit = [json.loads(line) for line in (console.directory / "data" / "audit.jsonl").read_text().splitlines()]
    assert any(entry["action"] == "denied" and entry.get("method") == "console sign-in" and entry["status"] == "UNAUTHENTICATED" for entry in audit)


def test_sign_in_without_its_form_token_is_refused(console):
    # No cookie from the form: a cross-site sign-in (login CSRF) cannot carry it.
    answer = requests.post(console.url + "/sign-in", data={"csrf": "forged", "next": "/", "token": console.tokens["agent"]}, allow_redirects=False)
    assert answer.status_code == 403
    assert "c360_session" not in answer.cookies


def test_a_post_without_the_csrf_token_changes_nothing(console):
    session = signed_in(console, "privacy-officer")
    target = console.url + "/customers/cust_11/erase"
    missing = session.post(target, data={"customer_id": "cust_11"}, allow_redirects=False)
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    forged = session.post(target, data={"customer_id": "cust_11", "csrf": "forged"}, allow_redirects=False)
    assert forged.status_code == 403
    # The right token from another site (an Origin that is not the console) is refused too.
    csrf = page_csrf(session, target)
    cross_site = session.post(target, data={"customer_id": "cust_11", "csrf": csrf}, headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert cross_site.status_code == 403
    without_session = requests.post(target, data={"customer_id": "cust_11", "csrf": csrf}, allow_redirects=False)
    assert without_session.status_code == 403
    assert console.profile("cust_11").customer_id == "cust_11"


def test_a_reader_cannot_erase_and_the_refusal_is_audited(console):
    session = signed_in(console, "agent")
    page = session.get(console.url + "/customers/cust_12/erase")
    assert page.status_code == 403
    assert "lacks the scope erase" in page.text
    customer = session.get(console.url + "/customers/cust_12")
    assert "Erase this customer" not in customer.text
    audit = [json.loads(line) for line in (console.directory / "data" / "audit.jsonl").read_text().splitlines()]
    assert any(entry["action"] == "denied" and entry.get("actor") == "agent" and entry.get("method", "").endswith("/EraseCustomer") for entry in audit)


def test_the_json_profile_is_the_grpc_profile(console):
    for token in ("agent", "reader"):
        headers = {"Authorization": f"Bearer {console.tokens[token]}"}
        grpc_profile = MessageToDict(console.profile("cust_21", token=token), preserving_proto_field_name=True)
        answer = requests.get(console.url + "/api/v1/customers/cust_21", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"] == "application/json"
        json_profile = answer.json()["profile"]
        for profile in (grpc_profile, json_profile):
            profile.pop("as_of")
        assert json_profile == grpc_profile
    assert json_profile["personal_data_redacted"] is True
    assert "email" not in json_profile.get("details", {})


def test_the_json_api_finds_by_identity_pages_and_filters(console):
    headers = {"Authorization": f"Bearer {console.tokens['agent']}"}
    email = console.profile("cust_22").details.email
    by_email = requests.get(console.url + "/api/v1/customers", params={"email": email}, headers=headers).json()
    assert by_email["profile"]["customer_id"] == "cust_22"
    two = requests.get(console.url + "/api/v1/customers", params={"email": email, "phone": "+1"}, headers=headers)
    assert two.status_code == 400 and two.json()["error"]["field"] == "identity"

    first = requests.get(console.url + "/api/v1/customers/cust_22/timeline", params={"page_size": 5}, headers=headers).json()
    second = requests.get(console.url + "/api/v1/customers/cust_22/timeline",
                          params={"page_size": 5, "page_token": first["next_page_token"]}, headers=headers).json()
    request = console.stubs.service.GetTimelineRequest(customer_id="cust_22", page_size=10)
    grpc_seqs = [e.seq for e in console.api.GetTimeline(request, metadata=console.metadata("agent"), timeout=30).events]
    assert [int(e["seq"]) for e in first["events"] + second["events"]] == grpc_seqs

    orders = requests.get(console.url + "/api/v1/customers/cust_22/timeline", params={"kind": "order_placed"}, headers=headers).json()
    assert orders["events"] and all("order_placed" in e["event"] for e in orders["events"])
    bad = requests.get(console.url + "/api/v1/customers/cust_22/timeline", params={"kind": "nonsense"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "kind"
    late = requests.get(console.url + "/api/v1/customers/cust_22/timeline", params={"occurred_after": "yesterday"}, headers=headers)
    assert late.status_code == 400 and late.json()["error"]["field"] == "occurred_after"
    missing = requests.get(console.url + "/api/v1/customers/nobody", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_a_min_seq_the_store_has_not_reached_is_a_clear_error(console):
    headers = {"Authorization": f"Bearer {console.tokens['agent']}"}
    ahead = requests.get(console.url + "/api/v1/customers/cust_24", params={"min_seq": 10**15}, headers=headers)
    assert ahead.status_code == 503
    assert ahead.json()["error"]["code"] == "UNAVAILABLE"
    assert "has not reached min_seq" in ahead.json()["error"]["message"]
    reached = requests.get(console.url + "/api/v1/customers/cust_24", params={"min_seq": 1}, headers=headers)
    assert reached.status_code == 200


def test_segment_counts_are_the_members_listsegment_returns(console):
    headers = {"Authorization": f"Bearer {console.tokens['reader']}"}
    segments = requests.get(console.url + "/api/v1/segments", headers=headers).json()["segments"]
    assert {s["name"] for s in segments} == {"vip_at_risk", "high_intent", "big_spender"}
    for segment in segments:
        members, token = [], ""
        while True:
            page = console.api.ListSegment(console.stubs.service.ListSegmentRequest(segment=segment["name"], page_size=500, page_token=token),
                                           metadata=console.metadata("reader"), timeout=30)
            members += page.customer_ids
            token = page.next_page_token
            if not token:
                break
        assert segment["members"] == len(members), segment["name"]
        api_page = requests.get(console.url + f"/api/v1/segments/{segment['name']}/members", params={"page_size": 7}, headers=headers).json()
        assert api_page.get("customer_ids", []) == members[:7]


def test_every_documented_path_answers(console):
    headers = {"Authorization": f"Bearer {console.tokens['reader']}"}
    document = requests.get(console.url + "/api/v1/openapi.json").json()
    email = console.profile("cust_23").details.email
    for path in document["paths"]:
        concrete = path.replace("{customer}", "cust_23").replace("{segment}", "big_spender")
        params = {"email": email} if path == "/api/v1/customers" else {}
        answer = requests.get(console.url + concrete, params=params, headers=headers)
        assert answer.status_code == 200, (path, answer.text)


@pytest.mark.parametrize("path", ["/", "/customers/cust_42", "/segments", "/segments/big_spender"])
def test_each_page_with_its_assets_weighs_under_200_kb(console, path):
    session = signed_in(console, "agent")
    page = session.get(console.url + path)
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page.text)
    assert set(assets) == {"/assets/console.css", "/assets/console.js", "/assets/icon.svg"}
    total = len(page.content) + sum(len(session.get(console.url + asset).content) for asset in assets)
    assert total < 200 * 1024, f"{path}: {total} bytes"


def test_signing_out_ends_the_session(console):
    session = signed_in(console, "reader")
    assert session.get(console.url + "/customers/cust_25", allow_redirects=False).status_code == 200
    csrf = page_csrf(session, console.url + "/")
    out = session.post(console.url + "/sign-out", data={"csrf": csrf}, allow_redirects=False)
    assert out.status_code == 303 and out.headers["Location"] == "/sign-in"
    # The old cookie, sent again by hand, opens nothing.
    stale = requests.get(console.url + "/customers/cust_25", cookies={"c360_session": "x"}, allow_redirects=False)
    assert stale.status_code == 303
    assert session.get(console.url + "/customers/cust_25", allow_redirects=False).status_code == 303


def test_the_console_serves_tls_with_the_servers_certificate_and_secure_cookies(console, tmp_path):
    import subprocess
    import c360_server
    from conftest import c360_binary
    key, certificate = tmp_path / "server.key", tmp_path / "server.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    secret, entry = __import__("conftest").create_token("tls-reader", ["read"])
    config = tmp_path / "c360.yaml"
    config.write_text(f"tls:\n  certificate_chain: {certificate}\n  private_key: {key}\naccess:\n  tokens:\n"
                      + "".join("  " + line + "\n" for line in entry.strip("\n").split("\n")))
    server = c360_server.start(c360_binary(), tmp_path / "data", "--config", str(config))
    try:
        base = f"https://127.0.0.1:{server.console_port}"
        session = requests.Session()
        session.trust_env = False  # else $REQUESTS_CA_BUNDLE would replace the certificate given here
        session.verify = str(certificate)
        form = session.get(base + "/sign-in")
        assert form.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = session.post(base + "/sign-in", data={"csrf": csrf, "next": "/", "token": secret}, allow_redirects=False)
        cookie = [value for key, value in answer.raw.headers.items() if key.lower() == "set-cookie" and "c360_session=" in value][0]
        assert "Secure" in cookie and "HttpOnly" in cookie
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{server.console_port}/sign-in", timeout=5)
    finally:
        c360_server.stop(server)
