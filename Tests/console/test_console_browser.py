"""The console in a real browser (Debian's Chromium driven by Playwright) against a real
`c360 serve`: finding customers, the profile against GetProfile, the journey's paging and
filters, live updates, erasure, redaction, the keyboard, and the screenshots shown in the README."""
import re
import time
import uuid

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from conftest import screenshot_directory, sign_in


def money(amount):
    """The console's way of writing money: grouped major units, the currency's decimals, the code."""
    decimals = 0 if amount.currency in ("JPY", "KRW") else 2
    major, minor = divmod(abs(amount.minor_units), 10 ** decimals)
    text = f"{major:,}" + (f".{minor:0{decimals}d}" if decimals else "")
    return ("-" if amount.minor_units < 0 else "") + f"{text} {amount.currency}"


def field(page, name):
    return page.locator(f'[data-field="{name}"]').first.inner_text().strip()


def link_identity(console, customer_id, identity_type, value):
    e = console.stubs.event
    event = e.Event(event_id=f"link-{uuid.uuid4()}", customer_id=customer_id, source="console-test", occurred_at=Timestamp(seconds=1_767_225_600))
    event.identity_linked.CopyFrom(e.IdentityLinked(identity=e.Identity(type=identity_type, value=value)))
    assert console.append(event).results[0].WhichOneof("result") == "seq"


def test_find_a_customer_by_each_identity(console, agent_page):
    e = console.stubs.event
    link_identity(console, "cust_31", e.IDENTITY_TYPE_LOYALTY_ID, "LOY-31-XYZ")
    link_identity(console, "cust_31", e.IDENTITY_TYPE_DEVICE_ID, "dev-31-abc")
    profile = console.profile("cust_31")
    cookie = next(i.identity.value for i in profile.identities if i.identity.type == e.IDENTITY_TYPE_COOKIE_ID)
    searches = {"Customer id": "cust_31", "Email": profile.details.email, "Phone": profile.details.phone,
                "Loyalty id": "LOY-31-XYZ", "Cookie id": cookie, "Device id": "dev-31-abc"}
    for label, value in searches.items():
        agent_page.goto(console.url + "/")
        agent_page.get_by_label("Find by").select_option(label=label)
        agent_page.get_by_label("Value").fill(value)
        agent_page.get_by_role("button", name="Find").click()
        agent_page.wait_for_url(console.url + "/customers/cust_31")
        assert field(agent_page, "customer_id") == "cust_31", label
    agent_page.goto(console.url + "/")
    agent_page.get_by_label("Find by").select_option(label="Email")
    agent_page.get_by_label("Value").fill("nobody@example.com")
    agent_page.get_by_role("button", name="Find").click()
    assert agent_page.get_by_role("alert").inner_text() == "No customer has that email."


def test_the_profile_page_shows_what_getprofile_returns(console, agent_page):
    agent_page.goto(console.url + "/customers/cust_42")
    profile = console.profile("cust_42")
    p, d = profile.purchases, profile.derived
    assert field(agent_page, "customer_id") == "cust_42"
    assert field(agent_page, "details.email") == profile.details.email
    assert field(agent_page, "details.phone") == profile.details.phone
    assert field(agent_page, "purchases.lifetime_value") == (", ".join(money(m) for m in p.lifetime_value) or "none")
    assert field(agent_page, "purchases.average_order_value") == (money(p.average_order_value) if p.average_order_value.currency else "—")
    for name, value in [("purchases.total_orders", p.total_orders), ("purchases.online_orders", p.online_orders),
                        ("purchases.instore_orders", p.instore_orders), ("purchases.mobile_orders", p.mobile_orders),
                        ("purchases.marketplace_orders", p.marketplace_orders), ("support.open_tickets", profile.support.open_tickets),
                        ("recent.web_events", profile.recent.web_events), ("recent.orders", profile.recent.orders)]:
        assert field(agent_page, name) == f"{value:,}", name
    assert field(agent_page, "derived.health_score") == f"{d.health_score} / 100"
    assert field(agent_page, "derived.rfm") == f"{d.rfm.recency} · {d.rfm.frequency} · {d.rfm.monetary}"
    assert field(agent_page, "derived.churn_risk") == ("yes" if d.churn_risk else "no")
    stage = console.stubs.profile.LifecycleStage.Name(d.lifecycle_stage).removeprefix("LIFECYCLE_STAGE_").lower().replace("_", " ")
    assert field(agent_page, "derived.lifecycle_stage") == stage
    assert field(agent_page, "activity.email_open_rate") == f"{round(profile.activity.email_open_rate * 100)}%"
    open_ids = field(agent_page, "support.open_ticket_ids")
    assert open_ids == (" ".join(profile.support.open_ticket_ids) or "none")
    rows = agent_page.locator('[data-field="identities"] tr')
    assert rows.count() == len(profile.identities)
    # The pictures are there, as SVG with a title a screen reader reads.
    assert agent_page.locator("svg.chart").count() == 2
    assert agent_page.locator("svg.chart > title").nth(1).text_content().startswith("Activity per day:")


def test_the_journey_pages_and_filters(console, agent_page):
    request = console.stubs.service.GetTimelineRequest(customer_id="cust_42", page_size=50)
    newest = [e.seq for e in console.api.GetTimeline(request, metadata=console.metadata("agent"), timeout=30).events]
    agent_page.goto(console.url + "/customers/cust_42")
    seqs = lambda: [int(c.inner_text()) for c in agent_page.locator('[data-field="timeline"] tr td:nth-child(5)').all()]
    assert seqs() == newest[:25]
    agent_page.get_by_role("link", name="Older events").click()
    assert seqs() == newest[25:50]
    agent_page.get_by_role("link", name="Newest events").click()
    assert seqs() == newest[:25]

    agent_page.get_by_label("order placed").check()
    agent_page.get_by_role("button", name="Apply").click()
    agent_page.wait_for_url(re.compile(r".*kind=order_placed.*"))
    kinds = {c.inner_text() for c in agent_page.locator('[data-field="timeline"] tr td:nth-child(2)').all()}
    assert kinds == {"order placed"}
    orders = console.stubs.service.GetTimelineRequest(customer_id="cust_42", page_size=25, kinds=[console.stubs.service.EVENT_KIND_ORDER_PLACED])
    assert seqs() == [e.seq for e in console.api.GetTimeline(orders, metadata=console.metadata("agent"), timeout=30).events]

    # A time range: only events on the chosen days.
    day = agent_page.locator('[data-field="timeline"] tr td:nth-child(1)').first.inner_text()[:10]
    agent_page.goto(console.url + f"/customers/cust_42?from={day}&to={day}")
    days = {c.inner_text()[:10] for c in agent_page.locator('[data-field="timeline"] tr td:nth-child(1)').all()}
    assert days == {day}
    agent_page.goto(console.url + "/customers/cust_42?from=2026-02-31")
    assert agent_page.get_by_role("alert").inner_text().startswith("from: is not a date")


def test_a_new_event_appears_on_the_open_page_within_a_second(console, agent_page):
    agent_page.goto(console.url + "/customers/cust_43")
    agent_page.wait_for_function("document.getElementById('live-status').textContent.startsWith('Live')")
    before = field(agent_page, "recent.web_events")
    e = console.stubs.event
    page_path = f"/live-test-{uuid.uuid4().hex[:8]}"
    event = e.Event(event_id=f"live-{uuid.uuid4()}", customer_id="cust_43", source="console-test", occurred_at=Timestamp(seconds=int(time.time())))
    event.web_event.CopyFrom(e.WebEvent(type=e.WEB_EVENT_TYPE_PAGE_VIEW, session_id="live", page=page_path))
    console.append(event)
    acknowledged = time.monotonic()
    agent_page.get_by_text(page_path).wait_for(timeout=1_000)
    print(f"live update on the page {1000 * (time.monotonic() - acknowledged):.0f} ms after the append's acknowledgement")
    assert field(agent_page, "recent.web_events") == f"{int(before.replace(',', '')) + 1:,}"
    assert agent_page.url == console.url + "/customers/cust_43"


def test_a_live_update_waits_while_someone_edits_the_filters(console, agent_page):
    agent_page.goto(console.url + "/customers/cust_46")
    agent_page.wait_for_function("document.getElementById('live-status').textContent.startsWith('Live')")
    checkbox = agent_page.get_by_label("ticket", exact=True)
    checkbox.check()
    e = console.stubs.event
    page_path = f"/while-editing-{uuid.uuid4().hex[:8]}"
    event = e.Event(event_id=f"edit-{uuid.uuid4()}", customer_id="cust_46", source="console-test", occurred_at=Timestamp(seconds=int(time.time())))
    event.web_event.CopyFrom(e.WebEvent(type=e.WEB_EVENT_TYPE_PAGE_VIEW, session_id="edit", page=page_path))
    console.append(event)
    agent_page.wait_for_timeout(1_500)
    # Not swapped while the form has focus: the box stays ticked and focused.
    assert checkbox.is_checked()
    assert agent_page.evaluate("document.activeElement.id") == "kind-ticket_event"
    assert agent_page.get_by_text(page_path).count() == 0
    # Focus leaves the form: the update follows.
    agent_page.locator("h1").click()
    agent_page.get_by_text(page_path).wait_for(timeout=2_000)


def test_a_read_only_token_sees_no_personal_data(browser, console):
    context, page = sign_in(browser, console, "reader")
    try:
        page.goto(console.url + "/customers/cust_44")
        email = console.profile("cust_44").details.email
        assert "Personal data is hidden" in page.locator("main").inner_text()
        assert field(page, "details.email") == "—"
        assert email not in page.content()
        assert page.locator("text=Erase this customer").count() == 0
    finally:
        context.close()


def test_sign_in_with_a_wrong_token_is_refused(browser, console):
    context = browser.new_context()
    page = context.new_page()
    page.goto(console.url + "/customers/cust_1")
    page.wait_for_url(re.compile(r".*/sign-in\?next=.*"))
    page.get_by_label("Access token").fill("c360_wrong-token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "That access token is not valid."
    page.get_by_label("Access token").fill(console.tokens["agent"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/customers/cust_1")
    context.close()


def test_erasure_from_the_page(browser, console):
    profile = console.profile("cust_45")
    email = profile.details.email.encode()
    context, page = sign_in(browser, console, "privacy-officer")
    try:
        page.goto(console.url + "/customers/cust_45")
        page.get_by_role("link", name="Erase this customer…").click()
        heading = page.get_by_role("heading", level=1).inner_text()
        assert "cust_45" in heading and profile.details.first_name in heading
        page.get_by_label("The erasure request's reference").fill("DSR-TEST-45")
        page.get_by_role("button", name="Erase cust_45 permanently").click()
        assert field(page, "files_with_personal_data") == "0"
        assert int(field(page, "files_verified")) > 0
        assert int(field(page, "events_removed")) > 0
        assert field(page, "tombstone.request_id") == "DSR-TEST-45"
        receipt_url = page.url
        page.goto(console.url + "/customers/cust_45")
        assert page.get_by_role("heading", level=1).inner_text() == "Erased"
        page.goto(console.url + "/")
        page.get_by_label("Find by").select_option(label="Email")
        page.get_by_label("Value").fill(profile.details.email)
        page.get_by_role("button", name="Find").click()
        assert page.get_by_role("alert").inner_text() == "No customer has that email."
        assert receipt_url.endswith("/customers/cust_45/erase")
    finally:
        context.close()
    with pytest.raises(grpc.RpcError) as raised:
        console.profile("cust_45")
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    import requests
    api = requests.get(console.url + "/api/v1/customers/cust_45", headers={"Authorization": f"Bearer {console.tokens['agent']}"})
    assert api.status_code == 410 and api.json()["error"]["code"] == "ERASED"
    # No file of the data directory holds the customer's email any more (RocksDB keeps the bytes
    # of deleted keys until compaction; the erasure compacts them away).
    for path in (console.directory / "data").rglob("*"):
        if path.is_file() and path.name != "LOCK":
            assert email not in path.read_bytes(), path
    import json
    audit = [json.loads(line) for line in (console.directory / "data" / "audit.jsonl").read_text().splitlines()]
    erasures = [entry for entry in audit if entry["action"] == "erase" and entry.get("request_id") == "DSR-TEST-45"]
    assert len(erasures) == 1 and erasures[0]["actor"] == "privacy-officer"


def test_segments_and_their_members(console, agent_page):
    agent_page.goto(console.url + "/segments")
    counts = {cell.get_attribute("data-segment"): int(cell.inner_text().replace(",", "")) for cell in agent_page.locator("td[data-segment]").all()}
    assert set(counts) == {"vip_at_risk", "high_intent", "big_spender"}
    agent_page.get_by_role("link", name="big_spender").click()
    first = agent_page.locator('[data-field="members"] li').all_inner_texts()
    assert len(first) == min(50, counts["big_spender"])
    listed = console.api.ListSegment(console.stubs.service.ListSegmentRequest(segment="big_spender", page_size=100),
                                     metadata=console.metadata("reader"), timeout=30).customer_ids
    assert first == list(listed[:50])
    if counts["big_spender"] > 50:
        agent_page.get_by_role("link", name="Next page").click()
        assert agent_page.locator('[data-field="members"] li').all_inner_texts()[:50] == list(listed[50:100])


def test_usable_with_the_keyboard_and_every_input_labelled(console, agent_page):
    for path in ("/", "/customers/cust_42", "/segments", "/customers/cust_42/erase"):
        agent_page.goto(console.url + path)
        unlabelled = agent_page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
            .map(el => el.outerHTML)""")
        assert unlabelled == [], path
    # Find a customer with the keyboard alone: skip link, then Tab to the form, type, Enter.
    agent_page.goto(console.url + "/")
    agent_page.keyboard.press("Tab")
    assert agent_page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = []
    for _ in range(12):
        agent_page.keyboard.press("Tab")
        focused.append(agent_page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        if focused[-1] == "search-value":
            break
    assert "search-type" in focused and focused[-1] == "search-value", focused
    agent_page.keyboard.type("cust_42")
    agent_page.keyboard.press("Enter")
    agent_page.wait_for_url(console.url + "/customers/cust_42")
    # Focus is visible: the outline style applies to a focused link.
    agent_page.keyboard.press("Tab")
    outline = agent_page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline


@pytest.mark.parametrize("width,height,name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_screenshots(browser, console, width, height, name):
    directory = screenshot_directory()
    context, page = sign_in(browser, console, "privacy-officer", width=width, height=height)
    try:
        for path, title in [("/", "search"), ("/customers/cust_42", "customer"), ("/segments", "segments")]:
            page.goto(console.url + path)
            page.wait_for_load_state("networkidle") if path != "/customers/cust_42" else page.wait_for_function(
                "document.getElementById('live-status').textContent.startsWith('Live')")
            page.screenshot(path=str(directory / f"console-{title}-{name}.png"), full_page=path != "/customers/cust_42")
            # No horizontal scrolling at this width: the page fits.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (path, name)
    finally:
        context.close()
