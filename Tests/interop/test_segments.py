"""Segments over gRPC from Python: ListSegment and a WatchSegment stream that sees a customer
enter when an append crosses the threshold."""
import tempfile
import threading
import time

import grpc

from conftest import ROOT, make_event, start_server, stop_server


def test_watch_and_list_segment(stubs):
    server = start_server(tempfile.mkdtemp(prefix="c360-segments-") + "/data", "--config", str(ROOT / "ops" / "c360.example.yaml"))
    try:
        with grpc.insecure_channel(server.address) as channel:
            api = stubs.service_grpc.ProfileServiceStub(channel)
            now = int(time.time())
            api.AppendEvents(stubs.service.AppendEventsRequest(events=[make_event(stubs, "py-s1", "py_rich", "order", seconds=now, total=250_000)]), timeout=10)

            stream = api.WatchSegment(stubs.service.WatchSegmentRequest(segment="big_spender"), timeout=30)
            received = []

            def read():
                for event in stream:
                    received.append(event)
                    if event.kind == stubs.service.SegmentEvent.KIND_ENTER:
                        return

            reader = threading.Thread(target=read)
            reader.start()
            deadline = time.time() + 10
            while not any(e.kind == stubs.service.SegmentEvent.KIND_SYNCED for e in received) and time.time() < deadline:
                time.sleep(0.02)
            api.AppendEvents(stubs.service.AppendEventsRequest(events=[make_event(stubs, "py-s2", "py_new", "order", seconds=now, total=120_000)]), timeout=10)
            reader.join(timeout=20)
            stream.cancel()
            kinds = [stubs.service.SegmentEvent.Kind.Name(e.kind) for e in received]
            assert kinds == ["KIND_MEMBER", "KIND_SYNCED", "KIND_ENTER"], kinds
            assert [e.customer_id for e in received] == ["py_rich", "", "py_new"]
            assert received[-1].resume_token

            listed = api.ListSegment(stubs.service.ListSegmentRequest(segment="big_spender"), timeout=10)
            assert sorted(listed.customer_ids) == ["py_new", "py_rich"]
            try:
                api.ListSegment(stubs.service.ListSegmentRequest(segment="no_such_segment"), timeout=10)
                raise AssertionError("an unknown segment was listed")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
    finally:
        stop_server(server)
