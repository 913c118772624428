"""HTTP/2 at the frame level against a real `c360 serve`, with Python's `h2` and `hyperframe`
(written from RFC 9113 and the gRPC over HTTP/2 specification, independent of libnghttp2): bad and
hostile input fails the call or the connection it came on, with a clear status, costs bounded
memory, and never stops the server from serving everyone else."""
import socket
import struct
import tempfile
import time

import grpc
import h2.config
import h2.connection
import h2.events
import pytest
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame, SettingsFrame

from conftest import start_server, stop_server

LIMIT = 65_536
PROFILES = "/c360.v1.ProfileService/"
EVERY_RPC = [PROFILES + name for name in (
    "GetProfile", "BatchGetProfiles", "GetTimeline", "AppendEvents", "AppendEventStream", "EraseCustomer",
    "WatchProfiles", "ListSegment", "WatchSegment", "CreateBackup")] + [
    "/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"]


@pytest.fixture(scope="module")
def abused():
    server = start_server(tempfile.mkdtemp(prefix="c360-abuse-") + "/data", "--max-request-bytes", str(LIMIT))
    yield server
    stop_server(server)
    assert server.process.returncode == 0, f"c360 serve exited with {server.process.returncode} after SIGTERM"


def rss_kib(server):
    with open(f"/proc/{server.process.pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


def still_serving(server):
    """The server is up and answers a new client."""
    assert server.process.poll() is None, "the server died"
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    with grpc.insecure_channel(server.address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


class Client:
    """One HTTP/2 connection with h2's state machine, plus raw writes for what h2 would refuse."""

    def __init__(self, address):
        host, port = address.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()
        self.responses = {}
        self.closed = False

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def start(self, stream_id, path, extra=()):
        self.conn.send_headers(stream_id, [(":method", "POST"), (":scheme", "http"), (":path", path),
                                           (":authority", "localhost"), ("content-type", "application/grpc"),
                                           ("te", "trailers"), *extra])
        self.flush()

    def send(self, stream_id, data, end=True):
        self.conn.send_data(stream_id, data, end_stream=end)
        self.flush()

    def read_until(self, done, seconds=10):
        """Reads events until `done()` is true, the connection ends, or `seconds` pass."""
        deadline = time.monotonic() + seconds
        while not done() and not self.closed and time.monotonic() < deadline:
            try:
                data = self.sock.recv(65_536)
            except (ConnectionResetError, socket.timeout):
                data = b""
            if not data:
                self.closed = True
                break
            for event in self.conn.receive_data(data):
                stream = getattr(event, "stream_id", None)
                if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    self.responses.setdefault(stream, {}).update(dict(event.headers))
                elif isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamReset):
                    self.responses.setdefault(stream, {})["reset"] = event.error_code
                elif isinstance(event, h2.events.StreamEnded):
                    self.responses.setdefault(stream, {})["ended"] = True
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.closed = True
            self.flush()

    def finished(self, stream_id):
        response = self.responses.get(stream_id, {})
        return "ended" in response or "reset" in response

    def close(self):
        self.sock.close()


def grpc_prefix(length):
    return b"\x00" + struct.pack(">I", length)


def test_a_request_over_the_limit_is_resource_exhausted_on_every_rpc(abused):
    client = Client(abused.address)
    for index, path in enumerate(EVERY_RPC):
        stream = 1 + 2 * index
        client.start(stream, path)
        # Only the prefix announcing one byte too many, and a little of the body: the server
        # answers from the prefix, without waiting for (or buffering) the rest.
        client.send(stream, grpc_prefix(LIMIT + 1) + b"\x00" * 100, end=False)
        client.read_until(lambda: client.finished(stream))
        response = client.responses.get(stream, {})
        assert response.get("grpc-status") == "8", f"{path}: {response}"
        assert str(LIMIT) in response.get("grpc-message", ""), f"{path}: {response}"
    client.close()
    still_serving(abused)


def test_a_bad_stream_fails_alone_and_the_connection_serves_the_next(abused, stubs):
    client = Client(abused.address)
    client.start(1, PROFILES + "GetProfile")
    client.send(1, grpc_prefix(10) + b"abc")  # the body ends inside the message
    client.read_until(lambda: client.finished(1))
    assert client.responses[1].get("grpc-status") == "13", client.responses[1]

    client.start(3, PROFILES + "GetProfile")
    client.send(3, grpc_prefix(3) + b"\xff\xff\xff")  # not a GetProfileRequest
    client.read_until(lambda: client.finished(3))
    assert client.responses[3].get("grpc-status") == "3", client.responses[3]

    request = stubs.service.GetProfileRequest(customer_id="cust_nobody").SerializeToString()
    client.start(5, PROFILES + "GetProfile")
    client.send(5, grpc_prefix(len(request)) + request)
    client.read_until(lambda: client.finished(5))
    assert client.responses[5].get("grpc-status") == "5", client.responses[5]  # NOT_FOUND: served
    assert not client.closed
    client.close()


def test_error_messages_do_not_echo_unbounded_input(abused):
    client = Client(abused.address)
    path = "/" + "x" * 12_000
    client.start(1, path)
    client.send(1, grpc_prefix(0))
    client.read_until(lambda: client.finished(1))
    response = client.responses[1]
    assert response.get("grpc-status") == "12", response
    assert 0 < len(response["grpc-message"]) <= 1_024
    client.close()


def test_an_oversized_header_list_resets_its_stream_alone(abused, stubs):
    client = Client(abused.address)
    client.start(1, PROFILES + "GetProfile", extra=[("x-padding", "p" * 40_000)])
    client.read_until(lambda: client.finished(1))
    assert "reset" in client.responses.get(1, {}), client.responses
    request = stubs.service.GetProfileRequest(customer_id="cust_nobody").SerializeToString()
    client.start(3, PROFILES + "GetProfile")
    client.send(3, grpc_prefix(len(request)) + request)
    client.read_until(lambda: client.finished(3))
    assert client.responses[3].get("grpc-status") == "5", client.responses
    client.close()


def test_rapid_resets_cost_bounded_memory_and_leave_others_served(abused):
    before = rss_kib(abused)
    client = Client(abused.address)
    try:
        for stream in range(1, 20_001, 2):
            client.start(stream, PROFILES + "WatchProfiles")
            client.conn.reset_stream(stream)
            if stream % 200 == 1:
                client.flush()
        client.flush()
        client.read_until(lambda: False, seconds=3)
    except (BrokenPipeError, ConnectionResetError, h2.exceptions.ProtocolError):
        pass  # the server may end the connection: that is one acceptable answer
    client.close()
    still_serving(abused)
    assert rss_kib(abused) - before < 64 * 1024


@pytest.mark.parametrize("frame", ["ping", "settings"])
def test_a_flood_of_frames_that_need_an_answer_ends_that_connection(abused, frame):
    before = rss_kib(abused)
    host, port = abused.address.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize())
    payload = (PingFrame(0, opaque_data=b"12345678") if frame == "ping" else SettingsFrame(0)).serialize()
    closed = False
    started = time.monotonic()
    # Never read the answers: the server must not queue them without bound.
    sock.setblocking(False)
    chunk = payload * 1_000
    while time.monotonic() - started < 10:
        try:
            sock.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    sock.close()
    assert closed, "the server kept accepting a flood it never had answered"
    still_serving(abused)
    assert rss_kib(abused) - before < 64 * 1024


def test_a_continuation_flood_ends_that_connection(abused):
    host, port = abused.address.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize())
    # A header block that never ends: HEADERS without END_HEADERS, then CONTINUATION after
    # CONTINUATION, each carrying one more literal header.
    literal = b"\x00\x01a\x01b"
    sock.sendall(HeadersFrame(1, data=b"\x83\x86", flags=["END_STREAM"]).serialize())
    closed = False
    try:
        for _ in range(10_000):
            sock.sendall(ContinuationFrame(1, data=literal).serialize())
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    if not closed:
        sock.settimeout(5)
        try:
            while sock.recv(65_536):
                pass
            closed = True
        except (ConnectionResetError, socket.timeout):
            closed = True
    sock.close()
    assert closed
    still_serving(abused)


def test_a_slow_reader_of_a_watch_is_held_back_without_growing_the_server(abused, stubs):
    """A client that opens a watch and never reads: HTTP/2 flow control stops the server's writes,
    the watch's writer waits (what the change feed holds for it is bounded too: 10,000 commits,
    then the watch ends RESOURCE_EXHAUSTED), and the server does not grow meanwhile."""
    from conftest import make_event
    client = Client(abused.address)
    # No window for the server's DATA at all: nothing of the watch can be delivered.
    client.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    client.flush()
    request = stubs.service.WatchProfilesRequest().SerializeToString()
    client.start(1, PROFILES + "WatchProfiles")
    client.send(1, grpc_prefix(len(request)) + request)
    before = rss_kib(abused)
    with grpc.insecure_channel(abused.address) as channel:
        api = stubs.service_grpc.ProfileServiceStub(channel)
        for batch in range(40):
            events = [make_event(stubs, f"slow-{batch}-{n}", f"cust_slow_{n % 500}") for n in range(500)]
            api.AppendEvents(stubs.service.AppendEventsRequest(events=events), timeout=30)
    client.read_until(lambda: client.finished(1), seconds=5)
    grown = rss_kib(abused) - before
    client.close()
    still_serving(abused)
    assert grown < 64 * 1024, f"the server grew by {grown} KiB while a watcher did not read"
