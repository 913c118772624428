"""A full disk: the data directory on a small tmpfs of its own, filled up while the server appends.
Appends fail with RESOURCE_EXHAUSTED and store nothing, lookups keep working, nothing is corrupted,
and appending resumes once space returns. (The reserve is set to 2 MiB to fit the small filesystem.)"""
import os
import subprocess
import time

import grpc
import pytest

from conftest import c360_binary, make_event, start_server, stop_server
import small_disk  # noqa: E402  (ops/python, put on the path by conftest)


@pytest.fixture()
def small_filesystem():
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with small_disk.mounted("c360-full-disk-") as mountpoint:
        yield str(mountpoint)


def test_full_disk_refuses_appends_clearly_keeps_lookups_and_recovers(stubs, small_filesystem):
    filler = os.path.join(small_filesystem, "filler")
    data = os.path.join(small_filesystem, "data")
    small_disk.fill(filler, leave_bytes=12 << 20)
    config = os.path.join(small_filesystem, "c360.yaml")
    with open(config, "w") as out:
        out.write("storage:\n  reserved_disk_mb: 2\n")
    server = start_server(data, "--config", config)
    counts = {}
    try:
        with grpc.insecure_channel(server.address) as channel:
            api = stubs.service_grpc.ProfileServiceStub(channel)

            def batch(number):
                return [make_event(stubs, f"full-{number}-{i}", f"c{i % 20}") for i in range(500)]

            refused = None
            for number in range(400):
                events = batch(number)
                try:
                    api.AppendEvents(stubs.service.AppendEventsRequest(events=events), timeout=30)
                except grpc.RpcError as error:
                    refused = (events, error)
                    break
                for event in events:
                    counts[event.customer_id] = counts.get(event.customer_id, 0) + 1
            assert refused, "the filesystem never filled up"
            assert counts, "the first append was refused already: the test needs some room to start with"
            events, error = refused
            assert server.process.poll() is None, f"the server died (exit {server.process.returncode}):\n{open(server.log).read()[:12000]}"
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "the disk holding the data directory is full" in error.details() and "nothing was appended" in error.details()

            # Lookups keep working, and the refused batch left nothing behind.
            for customer, count in counts.items():
                profile = api.GetProfile(stubs.service.GetProfileRequest(customer_id=customer), timeout=10).profile
                assert profile.event_count == count, customer

            os.remove(filler)
            deadline = time.monotonic() + 60
            while True:
                try:
                    response = api.AppendEvents(stubs.service.AppendEventsRequest(events=events), timeout=30)
                    break
                except grpc.RpcError as again:
                    assert again.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, again.details()
                    assert time.monotonic() < deadline, "appending did not resume within 60 s of space returning"
                    time.sleep(0.5)
            assert all(result.WhichOneof("result") == "seq" for result in response.results)
            for event in events:
                counts[event.customer_id] = counts.get(event.customer_id, 0) + 1
            for customer, count in counts.items():
                profile = api.GetProfile(stubs.service.GetProfileRequest(customer_id=customer), timeout=10).profile
                assert profile.event_count == count, customer
    finally:
        stop_server(server)
    assert server.process.returncode == 0
    # Nothing corrupted: the log replays to exactly the projections that were served.
    replay = subprocess.run([str(c360_binary()), "replay", "--data", data], capture_output=True, text=True)
    assert replay.returncode == 0, replay.stderr
    assert "rebuilt projections equal the live ones" in replay.stdout
