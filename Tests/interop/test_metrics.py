"""The metrics endpoint of a real `c360 serve`, scraped over HTTP as Prometheus would: each counter
moves by exactly what the calls between two scrapes did."""
import pathlib
import re
import tempfile
import threading
import time
import urllib.error
import urllib.request

import grpc
import pytest

from conftest import make_event, start_server, stop_server

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def scrape(server):
    """Every sample of the exposition, by name and labels, e.g. ('c360_events_rejected_total', 'reason="erased"')."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        samples[(match.group(1), (match.group(2) or "")[1:-1])] = float(match.group(3))
    return samples


def delta(before, after, name, labels=""):
    return after.get((name, labels), 0) - before.get((name, labels), 0)


@pytest.fixture(scope="module")
def metered():
    server = start_server(tempfile.mkdtemp(prefix="c360-metrics-") + "/data")
    yield server
    stop_server(server)


def test_counters_move_by_what_the_calls_did(stubs, metered):
    assert metered.metrics_port, "the server did not report its metrics port"
    with grpc.insecure_channel(metered.address) as channel:
        api = stubs.service_grpc.ProfileServiceStub(channel)
        service = stubs.service
        before = scrape(metered)

        events = [make_event(stubs, f"m-{n}", "cust_metrics_1") for n in range(3)]
        api.AppendEvents(service.AppendEventsRequest(events=events), timeout=10)
        # One duplicate, one invalid (no customer and no identity), one new.
        invalid = make_event(stubs, "m-bad", "")
        api.AppendEvents(service.AppendEventsRequest(events=[events[0], invalid, make_event(stubs, "m-4", "cust_metrics_2")]), timeout=10)
        for customer in ["cust_metrics_1", "cust_metrics_2", "cust_metrics_1", "cust_nobody"]:
            try:
                api.GetProfile(service.GetProfileRequest(customer_id=customer), timeout=10)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
        api.EraseCustomer(service.EraseCustomerRequest(customer_id="cust_metrics_2", request_id="DSR-m"), timeout=30)
        refused = api.AppendEvents(service.AppendEventsRequest(events=[make_event(stubs, "m-5", "cust_metrics_2")]), timeout=10)
        assert refused.results[0].WhichOneof("result") == "error"

        after = scrape(metered)
    assert delta(before, after, "c360_events_appended_total") == 4
    assert delta(before, after, "c360_events_duplicate_total") == 1
    assert delta(before, after, "c360_events_rejected_total", 'reason="invalid_argument"') == 1
    assert delta(before, after, "c360_events_rejected_total", 'reason="erased"') == 1
    assert delta(before, after, "c360_erasures_total") == 1
    assert delta(before, after, "c360_lookup_duration_seconds_count") == 4
    assert delta(before, after, "c360_append_duration_seconds_count") == 3
    # Three appends, one group commit each (they were sent one after another), seven events in all.
    assert delta(before, after, "c360_commit_batch_events_count") == 3
    assert delta(before, after, "c360_commit_batch_events_sum") == 7
    # RocksDB's figures are there and make sense: the events are in memtables or SST files.
    assert after[("c360_rocksdb_memtable_bytes", "")] + after[("c360_rocksdb_sst_bytes", "")] > 0
    assert ("c360_rocksdb_pending_compaction_bytes", "") in after
    assert after[("c360_rocksdb_block_cache_hits", "")] + after[("c360_rocksdb_block_cache_misses", "")] > 0
    assert ("c360_rocksdb_sst_files", "") in after
    # Exported (a new server's data is in memtables: WarmCachesTests checks the block cache's figure).
    assert ("c360_rocksdb_block_cache_bytes", "") in after
    assert ("c360_rocksdb_table_readers_bytes", "") in after
    # The customer left is kept in memory as stored, or waits to be written behind in its place.
    assert after[("c360_projection_cache_stored_bytes", "")] > 0


def test_stream_subscribers_count_open_watches(stubs, metered):
    with grpc.insecure_channel(metered.address) as channel:
        api = stubs.service_grpc.ProfileServiceStub(channel)
        watch = api.WatchProfiles(stubs.service.WatchProfilesRequest(customer_ids=["cust_watch"]))
        received, ended = [], []

        def read():
            try:
                for change in watch:
                    received.append(change)
            except grpc.RpcError as error:
                ended.append(error.code())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.time() + 10
        while scrape(metered).get(("c360_stream_subscribers", 'stream="profiles"'), 0) != 1 and time.time() < deadline:
            time.sleep(0.05)
        assert scrape(metered)[("c360_stream_subscribers", 'stream="profiles"')] == 1
        watch.cancel()
        deadline = time.time() + 10
        while scrape(metered).get(("c360_stream_subscribers", 'stream="profiles"'), 1) != 0 and time.time() < deadline:
            time.sleep(0.05)
        assert scrape(metered)[("c360_stream_subscribers", 'stream="profiles"')] == 0
        reader.join(timeout=10)
        # The watch ended because this side cancelled it, not with an error from the server.
        assert ended == [grpc.StatusCode.CANCELLED]


def test_only_get_metrics(metered):
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{metered.metrics_port}/other", timeout=10)
    assert missing.value.code == 404
    request = urllib.request.Request(f"http://127.0.0.1:{metered.metrics_port}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as wrong_method:
        urllib.request.urlopen(request, timeout=10)
    assert wrong_method.value.code == 405


def test_dashboard_and_alerts_name_only_metrics_the_server_exports(metered):
    """Runs after the tests above, which made every metric appear at least once."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metered.metrics_port}/metrics", timeout=10) as response:
        exported = set(re.findall(r"^# TYPE (\S+) ", response.read().decode(), re.MULTILINE))
    root = pathlib.Path(__file__).resolve().parents[2]
    for path in [root / "ops" / "grafana" / "c360-dashboard.json", root / "ops" / "prometheus" / "c360-rules.yml"]:
        # A source's metrics exist only with a source configured: Tests/sources checks those names.
        named = {name for name in re.findall(r"\b(c360_[a-z0-9_]+)", path.read_text()) if not name.startswith("c360_source_")}
        families = {re.sub(r"_(bucket|sum|count)$", "", name) if re.sub(r"_(bucket|sum|count)$", "", name) in exported else name for name in named}
        assert families - exported == set(), f"{path.name} names metrics c360 does not export"
