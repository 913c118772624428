"""The server's logs as an operator ships them (`--log-format json`): one JSON object per line,
request ids carried through, and no personal data at any level — searched for every generated
customer's email, phone and name after a run of loads, lookups, timelines, bad requests and an
erasure at trace level."""
import json
import subprocess
import tempfile

import grpc

from conftest import c360_binary, make_event, start_server, stop_server


def test_json_logs_carry_request_ids_and_no_personal_data(stubs):
    work = tempfile.mkdtemp(prefix="c360-logs-")
    generated = work + "/customers.ndjson"
    subprocess.run([str(c360_binary()), "generate", "--customers", "200", "--events", "3000", "--seed", "11", "--out", generated], check=True)
    personal = set()
    customers = []
    with open(generated) as lines:
        for line in lines:
            event = json.loads(line)
            upsert = event.get("customer_upserted")
            if upsert:
                customers.append(event["customer_id"])
                for field in ("email", "phone"):
                    if upsert.get(field):
                        personal.add(upsert[field])
                if upsert.get("first_name") and upsert.get("last_name"):
                    personal.add(f'{upsert["first_name"]} {upsert["last_name"]}')
    assert len(personal) > 300, "the generated data must hold personal data to look for"

    server = start_server(work + "/data", "--log-format", "json", "--log-level", "trace")
    try:
        loaded = subprocess.run([str(c360_binary()), "ingest", generated, "--server", server.address], capture_output=True, text=True)
        assert loaded.returncode == 0, loaded.stderr
        with grpc.insecure_channel(server.address) as channel:
            api = stubs.service_grpc.ProfileServiceStub(channel)
            service = stubs.service
            emails = sorted(value for value in personal if "@" in value)
            for customer in customers[:50]:
                api.GetProfile(service.GetProfileRequest(customer_id=customer), timeout=10)
                api.GetTimeline(service.GetTimelineRequest(customer_id=customer, page_size=5), timeout=10)
            for email in emails[:20]:
                identity = stubs.event.Identity(type=stubs.event.IDENTITY_TYPE_EMAIL, value=email)
                api.GetProfile(service.GetProfileRequest(identity=identity), timeout=10)
            # Bad input that names personal data: a malformed email, an unknown email.
            bad = make_event(stubs, "bad-email", customers[0], kind="customer", email=emails[0].replace("@", " at "))
            api.AppendEvents(service.AppendEventsRequest(events=[bad]), timeout=10)
            try:
                missing = stubs.event.Identity(type=stubs.event.IDENTITY_TYPE_EMAIL, value="x" + emails[1])
                api.GetProfile(service.GetProfileRequest(identity=missing), timeout=10)
            except grpc.RpcError:
                pass
            api.EraseCustomer(service.EraseCustomerRequest(customer_id=customers[1], request_id="DSR-logs"), timeout=30,
                              metadata=[("x-request-id", "req-7f3a-logs")])
    finally:
        stop_server(server)

    with open(server.log) as log:
        text = log.read()
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    records = []
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        records.append(record)
    erased = [record for record in records if record["message"] == "customer erased"]
    assert erased and erased[0].get("request_id") == "req-7f3a-logs", erased
    found = sorted(value for value in personal if value in text)
    assert found == [], f"personal data in the server's log: {found[:5]}"
