"""Fixtures for the interoperability tests: Python stubs generated from proto/ with grpcio-tools,
and a real `c360 serve` on 127.0.0.1 over a fresh data directory."""
import pathlib
import sys
import tempfile

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops" / "python"))
from pytest_temporaries import pytest_configure, pytest_sessionfinish  # noqa: E402,F401
import c360_server  # noqa: E402
import c360_stubs  # noqa: E402

c360_binary = c360_server.binary




@pytest.fixture(scope="session")
def stubs():
    """The Python modules for proto/, generated into a temporary directory and imported."""
    return c360_stubs.generate()


def start_server(data_directory, *extra):
    """Starts `c360 serve` on 127.0.0.1 (a free port) over `data_directory` and waits for it."""
    return c360_server.start(c360_binary(), data_directory, *extra)


def stop_server(server):
    """Stops the server with SIGTERM; kills it (and fails) if it does not stop in time (`c360_server.stop`)."""
    c360_server.stop(server)


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
