"""The c360 gRPC API driven by an independent client: Python grpcio with stubs generated from proto/."""
import socket
import threading
import time

import grpc
import pytest

from conftest import make_event


def append(stubs, api, events, **kwargs):
    return api.AppendEvents(stubs.service.AppendEventsRequest(events=events), timeout=10, **kwargs)


def test_append_then_get_profile_reflects_it_at_once(stubs, api):
    response = append(stubs, api, [make_event(stubs, f"a{i}", "py_c1", "order", total=1000 + i) for i in range(3)])
    assert [r.WhichOneof("result") for r in response.results] == ["seq"] * 3
    profile = api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_c1", min_seq=response.last_seq), timeout=5).profile
    assert profile.customer_id == "py_c1"
    assert profile.purchases.online_orders == 3
    assert profile.purchases.lifetime_value[0].minor_units == 3003
    assert profile.seq == response.last_seq


def test_read_your_writes_on_another_connection(stubs, server, api):
    response = append(stubs, api, [make_event(stubs, "ryw1", "py_ryw", "web")])
    with grpc.insecure_channel(server.address) as other:
        other_api = stubs.service_grpc.ProfileServiceStub(other)
        profile = other_api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_ryw", min_seq=response.last_seq), timeout=5).profile
    assert profile.seq >= response.last_seq


def test_lookup_by_identity(stubs, api):
    append(stubs, api, [make_event(stubs, "id1", "py_c2", "customer", email="Grace.Hopper@Example.com")])
    e = stubs.event
    request = stubs.service.GetProfileRequest(identity=e.Identity(type=e.IDENTITY_TYPE_EMAIL, value="grace.hopper@example.com"))
    assert api.GetProfile(request, timeout=5).profile.customer_id == "py_c2"


def test_duplicate_event_id_returns_the_first_seq(stubs, api):
    first = append(stubs, api, [make_event(stubs, "dup1", "py_dup", "web")])
    second = append(stubs, api, [make_event(stubs, "dup1", "py_dup", "web")])
    assert second.results[0].duplicate_of_seq == first.results[0].seq


def test_batch_get_profiles_marks_the_missing_one(stubs, api):
    append(stubs, api, [make_event(stubs, "b1", "py_b1", "web"), make_event(stubs, "b2", "py_b2", "web")])
    response = api.BatchGetProfiles(stubs.service.BatchGetProfilesRequest(customer_ids=["py_b1", "py_nobody", "py_b2"]), timeout=5)
    assert [r.customer_id for r in response.results] == ["py_b1", "py_nobody", "py_b2"]
    assert [r.WhichOneof("result") for r in response.results] == ["profile", "error", "profile"]
    assert response.results[1].error.code == stubs.service.LookupError.CODE_NOT_FOUND


def test_timeline_paging_visits_every_event_once(stubs, api):
    events = [make_event(stubs, f"t{i}", "py_t", "web" if i % 3 else "order", seconds=1_767_225_600 + i) for i in range(23)]
    response = append(stubs, api, events)
    seqs = [r.seq for r in response.results]
    seen, token = [], ""
    while True:
        page = api.GetTimeline(stubs.service.GetTimelineRequest(customer_id="py_t", page_size=5, page_token=token), timeout=5)
        seen += [e.seq for e in page.events]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(seqs, reverse=True)
    orders = api.GetTimeline(stubs.service.GetTimelineRequest(customer_id="py_t", page_size=100, kinds=[stubs.service.EVENT_KIND_ORDER_PLACED]), timeout=5)
    assert len(orders.events) == 8
    assert all(e.event.WhichOneof("payload") == "order_placed" for e in orders.events)


def test_watch_profiles_delivers_a_change_within_100_ms_and_resumes(stubs, server, api):
    changes, started = [], threading.Event()

    def watch(after_seq, collected, stop_after):
        with grpc.insecure_channel(server.address) as ch:
            stream = stubs.service_grpc.ProfileServiceStub(ch).WatchProfiles(
                stubs.service.WatchProfilesRequest(customer_ids=["py_w"], after_seq=after_seq), timeout=10)
            started.set()
            for change in stream:
                collected.append((time.monotonic(), change))
                if len(collected) >= stop_after:
                    stream.cancel()
                    return

    watcher = threading.Thread(target=watch, args=(0, changes, 1))
    watcher.start()
    started.wait(5)
    time.sleep(0.3)  # let the watch subscribe before the append
    response = append(stubs, api, [make_event(stubs, "w1", "py_w", "web")])
    acknowledged = time.monotonic()
    watcher.join(10)
    assert changes, "no change arrived"
    arrived, change = changes[0]
    assert change.customer_id == "py_w" and change.seq == response.last_seq
    assert arrived - acknowledged < 0.1, f"change arrived {1000 * (arrived - acknowledged):.1f} ms after the ack"

    # While no one watches, two more changes; a watch resuming after the last seq seen gets them.
    missed = append(stubs, api, [make_event(stubs, "w2", "py_w", "web"), make_event(stubs, "w3", "py_w", "web")])
    resumed = []
    watch(change.seq, resumed, 1)
    assert resumed[0][1].seq == missed.last_seq
    assert resumed[0][1].profile.event_count == 3


def test_erase_customer_then_erased_everywhere(stubs, api):
    append(stubs, api, [make_event(stubs, "e1", "py_erase", "customer", email="erase.me@example.org")])
    receipt = api.EraseCustomer(stubs.service.EraseCustomerRequest(customer_id="py_erase", request_id="DSR-PY-1"), timeout=60)
    assert receipt.events_removed == 1 and receipt.files_with_personal_data == 0
    with pytest.raises(grpc.RpcError) as lookup:
        api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_erase"), timeout=5)
    assert lookup.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as timeline:
        api.GetTimeline(stubs.service.GetTimelineRequest(customer_id="py_erase"), timeout=5)
    assert timeline.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    refused = append(stubs, api, [make_event(stubs, "e2", "py_erase", "web")])
    assert refused.results[0].error.code == "FAILED_PRECONDITION"
    assert refused.results[0].error.field == "customer_id"
    batch = api.BatchGetProfiles(stubs.service.BatchGetProfilesRequest(customer_ids=["py_erase"]), timeout=5)
    assert batch.results[0].error.code == stubs.service.LookupError.CODE_ERASED


def test_health_is_serving(stubs, channel):
    health = stubs.health_grpc.HealthStub(channel)
    assert health.Check(stubs.health.HealthCheckRequest(service=""), timeout=5).status == stubs.health.HealthCheckResponse.SERVING
    assert health.Check(stubs.health.HealthCheckRequest(service="c360.v1.ProfileService"), timeout=5).status == stubs.health.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as unknown:
        health.Check(stubs.health.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


# Bad requests: each gets a clear status, and the server keeps serving.

def test_empty_id_is_invalid_argument(stubs, api):
    with pytest.raises(grpc.RpcError) as error:
        api.GetProfile(stubs.service.GetProfileRequest(customer_id=""), timeout=5)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "customer_id" in error.value.details() or "key" in error.value.details()


def test_unknown_id_is_not_found(stubs, api):
    with pytest.raises(grpc.RpcError) as error:
        api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_never_seen"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_oversized_message_is_resource_exhausted(stubs, api):
    huge = make_event(stubs, "huge", "py_huge", "web")
    huge.web_event.page = "/" + "x" * (2 * 1024 * 1024)
    with pytest.raises(grpc.RpcError) as error:
        append(stubs, api, [huge])
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_c1"), timeout=5).profile.customer_id == "py_c1"


def test_batch_of_100_with_one_malformed_event(stubs, api):
    events = [make_event(stubs, f"m{i}", "py_m", "order", order_id=f"o{i}") for i in range(100)]
    events[37].order_placed.items[0].quantity = -3
    response = append(stubs, api, events)
    kinds = [r.WhichOneof("result") for r in response.results]
    assert kinds.count("seq") == 99
    bad = response.results[37]
    assert bad.index == 37 and bad.WhichOneof("result") == "error"
    assert bad.error.field == "order_placed.items[0].quantity"
    assert bad.error.code == "INVALID_ARGUMENT"
    profile = api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_m"), timeout=5).profile
    assert profile.purchases.online_orders == 99


def test_times_and_amounts_beyond_64_bits_of_microseconds_are_refused_not_fatal(stubs, api):
    """A timestamp whose seconds overflow microseconds in 64 bits, and amounts whose sum would
    overflow, once crashed the server (an arithmetic trap): now each is refused by field, and the
    server answers on."""
    from google.protobuf.timestamp_pb2 import Timestamp

    far = make_event(stubs, "far-1", "py_far", "web", seconds=10**13)
    rich = [make_event(stubs, f"rich-{i}", "py_far", "order", total=2**62) for i in range(3)]
    response = append(stubs, api, [far] + rich + [make_event(stubs, "near-1", "py_far", "web")])
    assert [r.WhichOneof("result") for r in response.results] == ["error"] * 4 + ["seq"]
    assert response.results[0].error.field == "occurred_at"
    assert all(r.error.field.endswith(".minor_units") for r in response.results[1:4])
    for request, field in [
        (stubs.service.GetProfileRequest(customer_id="py_far", as_of=Timestamp(seconds=-(10**13))), "as_of"),
        (stubs.service.GetProfileRequest(customer_id="py_far", as_of=Timestamp(seconds=0, nanos=-5)), "as_of"),
    ]:
        with pytest.raises(grpc.RpcError) as error:
            api.GetProfile(request, timeout=5)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(error.value.trailing_metadata()).get("c360-field") == field
    with pytest.raises(grpc.RpcError) as error:
        api.BatchGetProfiles(stubs.service.BatchGetProfilesRequest(customer_ids=["py_far"], as_of=Timestamp(seconds=10**13)), timeout=5)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        api.GetTimeline(stubs.service.GetTimelineRequest(customer_id="py_far", occurred_after=Timestamp(seconds=10**13)), timeout=5)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(error.value.trailing_metadata()).get("c360-field") == "occurred_after"
    profile = api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_far", as_of=Timestamp(seconds=253_402_300_799)), timeout=5).profile
    assert profile.customer_id == "py_far"


def test_deadline_shorter_than_the_call(stubs, api):
    with pytest.raises(grpc.RpcError) as error:
        api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_c1", min_seq=10**12), timeout=0.3)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_c1"), timeout=5).profile.customer_id == "py_c1"


def test_garbage_bytes_and_http1_do_not_disturb_other_clients(stubs, server, api):
    for payload in (bytes(range(256)) * 64, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(payload)
            raw.settimeout(5)
            try:
                while raw.recv(4096):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
        assert api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_c1"), timeout=5).profile.customer_id == "py_c1"
    assert server.process.poll() is None, "the server died"


def test_client_streaming_append(stubs, api):
    def batches():
        for b in range(3):
            yield stubs.service.AppendEventsRequest(events=[make_event(stubs, f"s{b}_{i}", "py_stream", "web") for i in range(4)])

    response = api.AppendEventStream(batches(), timeout=10)
    assert [r.index for r in response.results] == list(range(12))
    assert all(r.WhichOneof("result") == "seq" for r in response.results)


def test_errors_of_the_event_loop_path_match_the_generic_path(stubs, api):
    # GetProfile, BatchGetProfiles and AppendEvents are answered by c360's own stream handler,
    # Timeline by grpc-swift: both write the same status, message and c360-field metadata.
    with pytest.raises(grpc.RpcError) as fast:
        api.GetProfile(stubs.service.GetProfileRequest(customer_id=""), timeout=5)
    with pytest.raises(grpc.RpcError) as generic:
        api.GetTimeline(stubs.service.GetTimelineRequest(customer_id=""), timeout=5)
    for error in (fast.value, generic.value):
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(error.trailing_metadata()).get("c360-field") == "customer_id"
        assert "customer_id" in error.details() and "required" in error.details()
    with pytest.raises(grpc.RpcError) as unknown:
        api.GetProfile(stubs.service.GetProfileRequest(customer_id="py_nobody_ünïcode"), timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    assert "py_nobody_ünïcode" in unknown.value.details()  # percent-encoded on the wire, decoded by grpcio
    too_many = stubs.service.AppendEventsRequest(events=[make_event(stubs, f"many{i}", "py_many", "web") for i in range(10_001)])
    with pytest.raises(grpc.RpcError) as limit:
        api.AppendEvents(too_many, timeout=10)
    assert limit.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert dict(limit.value.trailing_metadata()).get("c360-field") == "events"


def test_a_lookup_waiting_for_min_seq_is_answered_once_it_is_reached(stubs, server, api):
    # A min_seq ahead of the log is handed from the event-loop path to grpc-swift, which waits.
    first = append(stubs, api, [make_event(stubs, "wait0", "py_wait", "web")])
    future = api.GetProfile.future(stubs.service.GetProfileRequest(customer_id="py_wait", min_seq=first.last_seq + 1), timeout=10)
    time.sleep(0.2)
    assert not future.done()
    second = append(stubs, api, [make_event(stubs, "wait1", "py_wait", "web")])
    profile = future.result().profile
    assert profile.seq >= second.last_seq
