"""Fixtures for the interoperability tests: Python stubs generated from proto/ with grpcio-tools,
and a real `c360 serve` on 127.0.0.1 over a fresh data directory."""
import os
import pathlib
import re
import select
import subprocess
import sys
import tempfile
import time

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def c360_binary() -> pathlib.Path:
    configured = os.environ.get("C360_BIN")
    if configured:
        return pathlib.Path(configured)
    for candidate in (ROOT / ".build" / "debug" / "c360", ROOT / ".build" / "release" / "c360"):
        if candidate.exists():
            return candidate
    raise RuntimeError("build c360 first (swift build), or set C360_BIN")


@pytest.fixture(scope="session")
def stubs():
    """Generates the Python modules for proto/ into a temporary directory and imports them."""
    out = tempfile.mkdtemp(prefix="c360-stubs-")
    from grpc_tools import protoc
    import grpc_tools

    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    # grpc.health.v1 comes from grpcio-health-checking, the standard client, not from our copy.
    protos = [str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto" / "c360").rglob("*.proto")]
    code = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *protos])
    assert code == 0, "grpc_tools.protoc failed"
    sys.path.insert(0, out)
    from c360.v1 import event_pb2, profile_pb2, profile_service_pb2, profile_service_pb2_grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    class Stubs:
        pass

    s = Stubs()
    s.event = event_pb2
    s.profile = profile_pb2
    s.service = profile_service_pb2
    s.service_grpc = profile_service_pb2_grpc
    s.health = health_pb2
    s.health_grpc = health_pb2_grpc
    return s


class Server:
    def __init__(self, process, port, data):
        self.process = process
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.data = data


def start_server(data_directory, *extra):
    """Starts `c360 serve` on 127.0.0.1 (a free port) over `data_directory` and waits for it."""
    process = subprocess.Popen(
        [str(c360_binary()), "serve", "--data", data_directory, "--listen", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else ""
    match = re.search(r"on 127\.0\.0\.1:(\d+)", line)
    assert match, f"c360 serve did not report its port: {line!r} {process.stderr.read() if process.poll() is not None else ''}"
    return Server(process, int(match.group(1)), data_directory)


def stop_server(server):
    """Stops the server with SIGTERM; kills it (and fails) if it does not stop within 20 seconds."""
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise


@pytest.fixture(scope="module")
def server():
    server = start_server(tempfile.mkdtemp(prefix="c360-interop-") + "/data", "--max-request-bytes", "1048576")
    yield server
    stop_server(server)
    assert server.process.returncode == 0, f"c360 serve exited with {server.process.returncode} after SIGTERM"


@pytest.fixture()
def channel(server):
    with grpc.insecure_channel(server.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


@pytest.fixture()
def api(stubs, channel):
    return stubs.service_grpc.ProfileServiceStub(channel)


def make_event(stubs, event_id, customer_id, kind="web", seconds=1_767_225_600, **fields):
    """A valid event of the given kind."""
    from google.protobuf.timestamp_pb2 import Timestamp

    e = stubs.event
    event = e.Event(event_id=event_id, customer_id=customer_id, source="interop-test",
                    occurred_at=Timestamp(seconds=seconds))
    if kind == "web":
        event.web_event.CopyFrom(e.WebEvent(type=e.WEB_EVENT_TYPE_PAGE_VIEW, session_id=fields.get("session", "s1"), page="/"))
    elif kind == "order":
        total = e.Money(minor_units=fields.get("total", 2500), currency="GBP")
        event.order_placed.CopyFrom(e.OrderPlaced(
            order_id=fields.get("order_id", event_id), channel=e.ORDER_CHANNEL_ONLINE, total=total,
            items=[e.LineItem(product_id="sku_1", name="Tee", category="tops", quantity=fields.get("quantity", 1), unit_price=total)]))
    elif kind == "customer":
        event.customer_upserted.CopyFrom(e.CustomerUpserted(first_name=fields.get("first", "Ada"), email=fields["email"]))
    else:
        raise ValueError(kind)
    return event
