"""An independent cross-check of c360's profiles: the metrics SQL can express, computed by SQL in
SQLite over the raw NDJSON that c360 ingested, compared field by field with the profiles c360
serves over gRPC for 10,000 generated customers.

The SQL knows nothing of c360's code: it reads the JSON lines, attributes anonymous browsing to the
customer whose login carried the same cookie, and decides each order's and each ticket's state by
its latest event by occurred_at, the line breaking ties."""
import sqlite3
import subprocess
import tempfile

import grpc
import pytest

from conftest import c360_binary, start_server, stop_server

CUSTOMERS = 10_000
EVENTS = 120_000
AS_OF = "2026-11-01T00:00:00Z"
AS_OF_US = 1_793_491_200 * 1_000_000

# Microseconds since the epoch of an RFC 3339 time with optional milliseconds ("...:05.631Z").
MICROS = "((CAST(strftime('%s', {0}) AS INTEGER) * 1000 + CASE WHEN length({0}) > 20 THEN CAST(substr({0}, 21, 3) AS INTEGER) ELSE 0 END) * 1000)"

SQL = f"""
CREATE VIEW ev AS
  SELECT line, doc,
         coalesce(json_extract(doc, '$.customer_id'), '') AS cust,
         json_extract(doc, '$.identities[0].value') AS cookie,
         json_extract(doc, '$.occurred_at') AS ts
  FROM raw;
-- A login carries the customer id and the cookie: it links the cookie's anonymous browsing.
CREATE TABLE links AS SELECT cookie, min(cust) AS cust FROM ev WHERE cust != '' AND cookie IS NOT NULL GROUP BY cookie;
CREATE TABLE owned AS
  SELECT ev.line, ev.doc, ev.ts, {MICROS.format('ev.ts')} AS us, date(ev.ts) AS day,
         CASE WHEN ev.cust != '' THEN ev.cust ELSE links.cust END AS owner
  FROM ev LEFT JOIN links ON ev.cust = '' AND links.cookie = ev.cookie;
CREATE INDEX owned_owner ON owned(owner);

CREATE TABLE orders AS
  SELECT owner, line, us, day,
         json_extract(doc, '$.order_placed.order_id') AS oid,
         json_extract(doc, '$.order_placed.channel') AS channel,
         CAST(json_extract(doc, '$.order_placed.total.minor_units') AS INTEGER) AS total,
         (SELECT sum(json_extract(item.value, '$.quantity')) FROM json_each(json_extract(doc, '$.order_placed.items')) AS item) AS items,
         coalesce(json_extract(doc, '$.order_placed.status'), 'ORDER_STATUS_PLACED') AS status
  FROM owned WHERE json_extract(doc, '$.order_placed') IS NOT NULL;
CREATE INDEX orders_owner ON orders(owner);
CREATE TABLE changes AS
  SELECT owner, line, us,
         json_extract(doc, '$.order_status_changed.order_id') AS oid,
         json_extract(doc, '$.order_status_changed.status') AS status,
         coalesce(CAST(json_extract(doc, '$.order_status_changed.refunded.minor_units') AS INTEGER), 0) AS refund
  FROM owned WHERE json_extract(doc, '$.order_status_changed') IS NOT NULL;
CREATE INDEX changes_owner ON changes(owner, oid);
-- An order's status is set by its placement and by its status changes: the latest by occurred_at
-- decides, the log position (the file's line) breaking a tie.
CREATE TABLE status_events AS
  SELECT owner, oid, us, line, status FROM orders
  UNION ALL SELECT owner, oid, us, line, status FROM changes;
CREATE INDEX status_events_order ON status_events(owner, oid);
CREATE TABLE final_status AS
  SELECT o.owner, o.oid, o.total,
         (SELECT s.status FROM status_events s WHERE s.owner = o.owner AND s.oid = o.oid ORDER BY s.us DESC, s.line DESC LIMIT 1) AS status,
         (SELECT coalesce(sum(refund), 0) FROM changes c WHERE c.owner = o.owner AND c.oid = o.oid) AS refund
  FROM orders o;
CREATE INDEX final_status_owner ON final_status(owner);

CREATE TABLE expected AS
  SELECT c.owner AS customer_id,
    (SELECT count(*) FROM orders o WHERE o.owner = c.owner AND channel = 'ORDER_CHANNEL_ONLINE') AS online_orders,
    (SELECT count(*) FROM orders o WHERE o.owner = c.owner AND channel = 'ORDER_CHANNEL_INSTORE') AS instore_orders,
    (SELECT count(*) FROM orders o WHERE o.owner = c.owner AND channel = 'ORDER_CHANNEL_MOBILE') AS mobile_orders,
    (SELECT count(*) FROM orders o WHERE o.owner = c.owner AND channel = 'ORDER_CHANNEL_MARKETPLACE') AS marketplace_orders,
    (SELECT count(*) FROM orders o WHERE o.owner = c.owner) AS total_orders,
    (SELECT coalesce(sum(items), 0) FROM orders o WHERE o.owner = c.owner) AS items_bought,
    -- Each order not cancelled contributes its total less its refunds, never below zero.
    (SELECT coalesce(sum(max(0, total - refund)), 0) FROM final_status f WHERE f.owner = c.owner
       AND status != 'ORDER_STATUS_CANCELLED') AS lifetime_value,
    (SELECT coalesce(sum(refund), 0) FROM changes ch WHERE ch.owner = c.owner AND refund > 0) AS refunded,
    (SELECT count(*) FROM final_status f WHERE f.owner = c.owner AND status = 'ORDER_STATUS_CANCELLED') AS cancelled_orders,
    (SELECT count(*) FROM final_status f WHERE f.owner = c.owner AND status = 'ORDER_STATUS_RETURNED') AS returned_orders,
    (SELECT min(us) FROM orders o WHERE o.owner = c.owner) AS first_order_us,
    (SELECT max(us) FROM orders o WHERE o.owner = c.owner) AS last_order_us,
    (SELECT count(*) FROM orders o WHERE o.owner = c.owner AND day BETWEEN date('{AS_OF}', '-29 days') AND date('{AS_OF}')) AS recent_orders,
    (SELECT count(*) FROM owned w WHERE w.owner = c.owner AND json_extract(doc, '$.web_event') IS NOT NULL) AS web_events,
    (SELECT count(*) FROM owned w WHERE w.owner = c.owner AND json_extract(doc, '$.web_event.type') = 'WEB_EVENT_TYPE_PRODUCT_VIEW') AS product_views,
    (SELECT count(*) FROM owned w WHERE w.owner = c.owner AND json_extract(doc, '$.web_event') IS NOT NULL
       AND day BETWEEN date('{AS_OF}', '-29 days') AND date('{AS_OF}')) AS recent_web_events,
    (SELECT count(*) FROM owned w WHERE w.owner = c.owner AND json_extract(doc, '$.web_event.type') = 'WEB_EVENT_TYPE_PRODUCT_VIEW'
       AND day BETWEEN date('{AS_OF}', '-29 days') AND date('{AS_OF}')) AS recent_product_views,
    (SELECT max(us) FROM owned w WHERE w.owner = c.owner AND json_extract(doc, '$.web_event.type') = 'WEB_EVENT_TYPE_LOGIN_SUCCESS') AS last_login_us,
    (SELECT count(*) FROM owned m WHERE m.owner = c.owner AND json_extract(doc, '$.email_event.type') = 'EMAIL_EVENT_TYPE_SENT') AS emails_sent,
    (SELECT count(*) FROM owned m WHERE m.owner = c.owner AND json_extract(doc, '$.email_event.type') = 'EMAIL_EVENT_TYPE_OPENED') AS emails_opened,
    (SELECT count(*) FROM owned m WHERE m.owner = c.owner AND json_extract(doc, '$.email_event.type') = 'EMAIL_EVENT_TYPE_CLICKED') AS emails_clicked,
    (SELECT max(us) FROM owned m WHERE m.owner = c.owner AND json_extract(doc, '$.email_event.type') = 'EMAIL_EVENT_TYPE_SENT') AS last_email_sent_us,
    (SELECT count(DISTINCT json_extract(doc, '$.ticket_event.ticket_id')) FROM owned t
       WHERE t.owner = c.owner AND json_extract(doc, '$.ticket_event') IS NOT NULL) AS total_tickets,
    (SELECT count(*) FROM (
       SELECT json_extract(doc, '$.ticket_event.type') AS type,
              row_number() OVER (PARTITION BY json_extract(doc, '$.ticket_event.ticket_id') ORDER BY us DESC, line DESC) AS newest
       FROM owned t WHERE t.owner = c.owner AND json_extract(doc, '$.ticket_event') IS NOT NULL)
     WHERE newest = 1 AND type != 'TICKET_EVENT_TYPE_RESOLVED') AS open_tickets
  FROM (SELECT DISTINCT owner FROM owned WHERE owner LIKE 'cust_%') AS c;
"""

STAGE = """CASE WHEN last_order_us IS NULL THEN 'LIFECYCLE_STAGE_PROSPECT'
  WHEN ({as_of} - last_order_us) / 86400000000 <= 30 THEN 'LIFECYCLE_STAGE_ACTIVE'
  WHEN ({as_of} - last_order_us) / 86400000000 <= 90 THEN 'LIFECYCLE_STAGE_AT_RISK'
  WHEN ({as_of} - last_order_us) / 86400000000 <= 365 THEN 'LIFECYCLE_STAGE_LAPSING'
  ELSE 'LIFECYCLE_STAGE_CHURNED' END""".format(as_of=AS_OF_US)


def micros(profile, message, field):
    return getattr(profile.__getattribute__(message), field).ToMicroseconds() if profile.__getattribute__(message).HasField(field) else None


def test_profiles_equal_sql_over_the_raw_events(stubs):
    work = tempfile.mkdtemp(prefix="c360-crosscheck-")
    events = f"{work}/events.ndjson"
    data = f"{work}/data"
    binary = str(c360_binary())
    subprocess.run([binary, "generate", "--customers", str(CUSTOMERS), "--events", str(EVENTS), "--seed", "9", "--out", events], check=True, capture_output=True)
    subprocess.run([binary, "ingest", events, "--data", data], check=True, capture_output=True)

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE raw(line INTEGER PRIMARY KEY, doc TEXT)")
    with open(events, encoding="utf-8") as lines:
        db.executemany("INSERT INTO raw VALUES (?, ?)", ((number, line) for number, line in enumerate(lines, 1)))
    db.executescript(SQL)
    columns = [row[1] for row in db.execute("PRAGMA table_info(expected)")]
    expected = {row[0]: dict(zip(columns, row)) for row in db.execute("SELECT * FROM expected")}
    for customer_id, stage in db.execute(f"SELECT customer_id, {STAGE} FROM expected"):
        expected[customer_id]["lifecycle_stage"] = stage
    assert len(expected) == CUSTOMERS
    anonymous_attributed = db.execute("SELECT count(*) FROM owned o JOIN ev ON ev.line = o.line WHERE ev.cust = '' AND o.owner IS NOT NULL").fetchone()[0]
    assert anonymous_attributed > 1_000, "the data set exercises merged anonymous browsing"

    server = start_server(data)
    try:
        channel = grpc.insecure_channel(server.address)
        api = stubs.service_grpc.ProfileServiceStub(channel)
        profiles = {}
        ids = sorted(expected)
        for start in range(0, len(ids), 1_000):
            request = stubs.service.BatchGetProfilesRequest(customer_ids=ids[start:start + 1_000])
            request.as_of.FromJsonString(AS_OF)
            for result in api.BatchGetProfiles(request, timeout=60).results:
                assert result.HasField("profile"), result
                profiles[result.profile.customer_id] = result.profile
        channel.close()
    finally:
        stop_server(server)

    mismatches = []
    for customer_id, want in expected.items():
        p = profiles[customer_id]
        purchases, activity = p.purchases, p.activity
        gbp = {m.currency: m.minor_units for m in purchases.lifetime_value}.get("GBP", 0)
        refunded = {m.currency: m.minor_units for m in purchases.refunded}.get("GBP", 0)
        got = {
            "online_orders": purchases.online_orders, "instore_orders": purchases.instore_orders,
            "mobile_orders": purchases.mobile_orders, "marketplace_orders": purchases.marketplace_orders,
            "total_orders": purchases.total_orders, "items_bought": purchases.items_bought,
            "lifetime_value": gbp, "refunded": refunded,
            "cancelled_orders": purchases.cancelled_orders, "returned_orders": purchases.returned_orders,
            "first_order_us": micros(p, "purchases", "first_order_at"), "last_order_us": micros(p, "purchases", "last_order_at"),
            "recent_orders": p.recent.orders, "web_events": activity.web_events, "product_views": activity.product_views,
            "recent_web_events": p.recent.web_events, "recent_product_views": p.recent.product_views,
            "last_login_us": micros(p, "activity", "last_login_at"),
            "emails_sent": activity.emails_sent, "emails_opened": activity.emails_opened, "emails_clicked": activity.emails_clicked,
            "last_email_sent_us": micros(p, "activity", "last_email_sent_at"),
            "total_tickets": p.support.total_tickets, "open_tickets": p.support.open_tickets,
            "lifecycle_stage": stubs.profile.LifecycleStage.Name(p.derived.lifecycle_stage),
        }
        for field, value in want.items():
            if field != "customer_id" and got[field] != value:
                mismatches.append(f"{customer_id}.{field}: SQL {value}, c360 {got[field]}")
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:10]}"
    # The comparison is not vacuous: the data set has every kind of figure.
    assert sum(w["recent_web_events"] for w in expected.values()) > 0
    assert sum(w["returned_orders"] for w in expected.values()) > 0
    assert sum(w["cancelled_orders"] for w in expected.values()) > 0
    assert {w["lifecycle_stage"] for w in expected.values()} == {
        "LIFECYCLE_STAGE_PROSPECT", "LIFECYCLE_STAGE_ACTIVE", "LIFECYCLE_STAGE_AT_RISK", "LIFECYCLE_STAGE_LAPSING", "LIFECYCLE_STAGE_CHURNED"}
