#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus (committed under ops/fuzz/corpus/): NDJSON lines of every event
kind, valid and subtly broken; one request per RPC, each prefixed with the byte that selects it
(FuzzTargets.Method's order); and for the codec, every kind of event in binary, an append request,
a message with an unknown field and stored projections. Re-run only to change the seeds."""
import json
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
import c360_stubs  # noqa: E402

METHODS = ["getProfile", "batchGetProfiles", "getTimeline", "appendEvents", "appendEventStream", "eraseCustomer", "listSegment", "watchProfiles"]


def main(c360):
    stubs = c360_stubs.generate()
    ndjson = HERE / "corpus" / "ndjson"
    rpc = HERE / "corpus" / "rpc"
    ndjson.mkdir(parents=True, exist_ok=True)
    rpc.mkdir(parents=True, exist_ok=True)
    generated = pathlib.Path(tempfile.mkdtemp()) / "seed.ndjson"
    subprocess.run([c360, "generate", "--customers", "20", "--events", "400", "--seed", "5", "--out", str(generated)], check=True)
    lines = generated.read_text().splitlines()
    kinds = {}
    for line in lines:
        event = json.loads(line)
        kind = next(key for key in event if key.endswith(("_upserted", "_placed", "_changed", "_event", "_linked", "_unlinked")))
        kinds.setdefault(kind, line)
    seeds = list(kinds.values())
    broken = [
        seeds[0].replace('"occurred_at":"', '"occurred_at":"x'),
        seeds[0][: len(seeds[0]) // 2],
        '{"eventId": "e1", "source": "web", "occurredAt": "2026-01-01T00:00:00Z"}',
        '{"eventId": "e1", "customerId": "c1", "source": "web", "occurredAt": "2026-01-01T00:00:00Z", "webEvent": {}, "orderPlaced": {}}',
        '{"eventId": "", "customerId": "c1"}',
        '[]', '{}', 'null', '{"eventId": "\\ud800"}',
    ]
    for index, line in enumerate(seeds + broken):
        (ndjson / f"seed-{index:02d}.json").write_text(line)

    s = stubs.service
    from google.protobuf import json_format
    events = [json_format.Parse(line, stubs.event.Event()) for line in seeds]
    requests = {
        "getProfile": [s.GetProfileRequest(customer_id="cust_1"), s.GetProfileRequest(identity=stubs.event.Identity(type=1, value="a@b.example")),
                       s.GetProfileRequest(customer_id="cust_2", min_seq=10**9)],
        "batchGetProfiles": [s.BatchGetProfilesRequest(customer_ids=["cust_1", "", "nobody"])],
        "getTimeline": [s.GetTimelineRequest(customer_id="cust_3", page_size=3), s.GetTimelineRequest(customer_id="cust_3", page_token="garbage")],
        "appendEvents": [s.AppendEventsRequest(events=events)],
        "appendEventStream": [s.AppendEventsRequest(events=events[:2])],
        "eraseCustomer": [s.EraseCustomerRequest(customer_id="cust_4", request_id="DSR-1"), s.EraseCustomerRequest(customer_id="cust_5")],
        "listSegment": [s.ListSegmentRequest(segment="big_spender", page_size=2), s.ListSegmentRequest(segment="nope")],
        "watchProfiles": [s.WatchProfilesRequest(customer_ids=["cust_1"], after_seq=1)],
    }
    for selector, method in enumerate(METHODS):
        for index, request in enumerate(requests[method]):
            (rpc / f"{method}-{index}.bin").write_bytes(bytes([selector]) + request.SerializeToString())

    # The codec target: the first byte picks the message (modulo 3: Event, AppendEventsRequest, Projection).
    codec = HERE / "corpus" / "codec"
    codec.mkdir(parents=True, exist_ok=True)
    for index, event in enumerate(events):
        (codec / f"event-{index:02d}.bin").write_bytes(bytes([0]) + event.SerializeToString())
    (codec / "append-request.bin").write_bytes(bytes([1]) + s.AppendEventsRequest(events=events).SerializeToString())
    unknown_field = bytes([0x98, 0x06, 0x07])  # field 99, a varint no version of c360 declares
    (codec / "unknown-field.bin").write_bytes(bytes([0]) + events[0].SerializeToString() + unknown_field)
    # Selector 2: stored projections, one with every part present and one nearly empty.
    from c360.store.v1 import projection_pb2 as p
    full = p.Projection(version=3, seq=42, customer_id="cust_1", event_count=7)
    full.details.first_name = "Ada"
    full.details.address.city = "Norwich"
    full.details.consent.email_marketing = True
    full.orders.online = 2
    full.orders.spend.add(currency="GBP", minor_units=8598, orders=2)
    summary = full.orders.ledger.add(order_id="o1", placed_at_us=1, channel=1, status=4, placement_seq=3)
    summary.total.minor_units = 4299
    summary.total.currency = "GBP"
    summary.refunds.add(currency="GBP", minor_units=100, orders=1)
    full.orders.products.add(product_id="p1", name="Kettle", category="kitchen", quantity=1, orders=1)
    full.orders.categories.add(category="kitchen", quantity=1, orders=1)
    full.web.events = 3
    full.web.recent_errors.add(page="/checkout", message="timeout", count=1, last_at_us=5)
    full.email.sent = 1
    full.support.tickets.add(ticket_id="t1", latest_at_us=9, latest_seq=4, open=True)
    linked = full.identities.add(linked_by_event_id="e1", linked_seq=1, linked_at_us=2, merged_from_anonymous=True)
    linked.identity.type = 1
    linked.identity.value = "ada@example.com"
    full.identity_conflicts.add(event_id="e2", seq=2, at_us=3, reason=1)
    full.days.add(day=20000, web_events=1, orders=1)
    (codec / "projection-00.bin").write_bytes(bytes([2]) + full.SerializeToString())
    empty = p.Projection(version=3)
    empty.orders.SetInParent()
    (codec / "projection-01.bin").write_bytes(bytes([2]) + empty.SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/c360")
