"""`c360 bench load`, the benchmark's load generator on libnghttp2's client session, against a real
`c360 serve`: every append carries its own event id, every lookup reaches a random customer, and
what the server answered is what the generator reports."""
import json
import subprocess

import grpc

from conftest import c360_binary


def load(server, *arguments):
    output = subprocess.run([str(c360_binary()), "bench", "load", "--target", server.address, *arguments],
                            check=True, capture_output=True, text=True, timeout=120).stdout
    return json.loads(output)


def test_appends_carry_unique_event_ids(stubs, server):
    figures = load(server, "--rpc", "append-events", "--customers", "40", "-c", "3", "-m", "8", "-n", "600", "-t", "2")
    assert figures["requests"] == 600 and figures["succeeded"] == 600 and figures["failed"] == 0, figures
    # Every call appended a new event: none was a duplicate of another call's.
    assert figures["counts"] == {"appended": 600}, figures
    with grpc.insecure_channel(server.address) as channel:
        api = stubs.service_grpc.ProfileServiceStub(channel)
        timelines = [api.GetTimeline(stubs.service.GetTimelineRequest(customer_id=f"cust_{n}", page_size=1000), timeout=10)
                     for n in range(1, 41)]
    ids = [logged.event.event_id for timeline in timelines for logged in timeline.events]
    assert len(ids) == 600 and len(set(ids)) == 600


def test_lookups_reach_random_customers_and_failures_are_counted(server):
    load(server, "--rpc", "append-events", "--customers", "40", "-n", "400", "-m", "4")
    found = load(server, "--rpc", "get-profile", "--customers", "40", "-c", "2", "-m", "4", "-n", "400")
    assert found["succeeded"] == 400 and found["failed"] == 0, found
    assert found["p50_ms"] > 0 and found["p99_ms"] >= found["p50_ms"]
    # cust_41 … cust_80 do not exist: about half the lookups end NOT_FOUND, each counted as a failure.
    mixed = load(server, "--rpc", "get-profile", "--customers", "80", "-n", "400")
    assert mixed["requests"] == 400 and mixed["succeeded"] + mixed["failed"] == 400, mixed
    assert set(mixed["failures"]) == {"grpc-status 5"}, mixed
    assert 100 < mixed["failed"] < 300, mixed


def test_a_fixed_body_for_any_http2_server(server, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"\x00\x00\x00\x00\x00")
    unknown = load(server, "--rpc", "fixed", "--path", "/no.Such/Method", "--body-file", str(body), "-n", "50")
    assert unknown["failures"] == {"grpc-status 12": 50}, unknown


def ingest(server, *arguments):
    output = subprocess.run([str(c360_binary()), "bench", "ingest", "--server", server.address, *arguments],
                            check=True, capture_output=True, text=True, timeout=120).stdout
    return json.loads(output)


def test_bulk_ingest_sends_the_generated_data_set_serialized_before_the_clock(stubs, server):
    arguments = ["--customers", "30", "--events", "1500", "--seed", "5", "--batch", "400", "--in-flight", "2"]
    first = ingest(server, *arguments)
    assert (first["appended"], first["duplicates"], first["rejected"]) == (1500, 0, 0), first
    assert (first["calls"], first["failed_calls"]) == (4, 0), first
    # The same bytes again: every event a duplicate of the first run's, so each call carried the
    # events the generator made, and the server acknowledged each one.
    again = ingest(server, *arguments)
    assert (again["appended"], again["duplicates"], again["failed_calls"]) == (0, 1500, 0), again
    generated = subprocess.run([str(c360_binary()), "generate", "--customers", "30", "--events", "1500", "--seed", "5"],
                               check=True, capture_output=True, text=True, timeout=60).stdout.splitlines()
    ids = {event["event_id"] for event in map(json.loads, generated) if event.get("customer_id") == "cust_7"}
    with grpc.insecure_channel(server.address) as channel:
        api = stubs.service_grpc.ProfileServiceStub(channel)
        timeline = api.GetTimeline(stubs.service.GetTimelineRequest(customer_id="cust_7", page_size=1000), timeout=10)
    # The server may hold other tests' appends for cust_7 too (the server is shared).
    assert ids and ids <= {logged.event.event_id for logged in timeline.events}
