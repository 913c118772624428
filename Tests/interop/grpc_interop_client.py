"""A client of gRPC's interoperability test service (grpc.testing.TestService) on Python grpcio,
running the test cases of the gRPC project's interop-test-descriptions against any server.

c360's transport conformance tests (Tests/C360TransportTests/Interop) serve the test service on
c360's own gRPC layer and run this once per case:

    python3 Tests/interop/grpc_interop_client.py --server_port 50051 --test_case large_unary

Exit status 0 when the case passed; otherwise what failed is printed and the status is 1.
Stubs are generated from Tests/interop/proto with grpcio-tools into a temporary directory.
"""
import argparse
import atexit
import pathlib
import shutil
import sys
import tempfile

import grpc

PROTO = pathlib.Path(__file__).resolve().parent / "proto"

# Each call's deadline: generous, since the Swift test run starts hundreds of test cases at once on
# two cores (the served test service's calls run on their connection's event loop, out of the way of
# the other cases' work on the cooperative pool; there an EmptyCall once waited past 30 s). Deadlines
# as such are tested by timeout_on_sleeping_server, with its own.
DEADLINE = 30


def stubs():
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="grpc-testing-stubs-")
    # This client runs once per test case: its stubs must not pile up in /tmp.
    atexit.register(shutil.rmtree, out, True)
    # The files live under grpc_testing/ (their package is still grpc.testing): a grpc/testing/
    # directory would shadow grpcio's own `grpc` package in Python.
    protos = ["grpc_testing/empty.proto", "grpc_testing/messages.proto", "grpc_testing/test.proto"]
    code = protoc.main(["protoc", f"-I{PROTO}", f"--python_out={out}", f"--grpc_python_out={out}", *protos])
    assert code == 0, "grpc_tools.protoc failed"
    sys.path.insert(0, out)
    from grpc_testing import empty_pb2, messages_pb2, test_pb2_grpc

    return empty_pb2, messages_pb2, test_pb2_grpc


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def zeros(size):
    return b"\x00" * size


class Cases:
    def __init__(self, channel, empty, messages, services):
        self.empty = empty
        self.m = messages
        self.stub = services.TestServiceStub(channel)
        self.unimplemented = services.UnimplementedServiceStub(channel)

    def empty_unary(self):
        response = self.stub.EmptyCall(self.empty.Empty(), timeout=DEADLINE)
        check(response == self.empty.Empty(), f"EmptyCall answered {response!r}")
        check(response.ByteSize() == 0, "the response is not zero bytes")

    def large_unary(self):
        request = self.m.SimpleRequest(response_size=314159, payload=self.m.Payload(body=zeros(271828)))
        response = self.stub.UnaryCall(request, timeout=DEADLINE)
        check(response.payload.body == zeros(314159), f"payload of {len(response.payload.body)} bytes, not 314159 zeros")

    def client_streaming(self):
        sizes = [27182, 8, 1828, 45904]
        requests = (self.m.StreamingInputCallRequest(payload=self.m.Payload(body=zeros(n))) for n in sizes)
        response = self.stub.StreamingInputCall(requests, timeout=DEADLINE)
        check(response.aggregated_payload_size == 74922, f"aggregated_payload_size {response.aggregated_payload_size}, not 74922")

    def server_streaming(self):
        sizes = [31415, 9, 2653, 58979]
        request = self.m.StreamingOutputCallRequest(response_parameters=[self.m.ResponseParameters(size=n) for n in sizes])
        received = [len(r.payload.body) for r in self.stub.StreamingOutputCall(request, timeout=DEADLINE)]
        check(received == sizes, f"responses sized {received}, not {sizes}")

    def ping_pong(self):
        pairs = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
        outbox = Outbox()
        call = self.stub.FullDuplexCall(iter(outbox), timeout=DEADLINE)
        received = []
        for response_size, payload_size in pairs:
            outbox.put(self.m.StreamingOutputCallRequest(
                response_parameters=[self.m.ResponseParameters(size=response_size)], payload=self.m.Payload(body=zeros(payload_size))))
            received.append(len(next(call).payload.body))
        outbox.close()
        check(next(call, None) is None, "more than four responses")
        check(received == [p[0] for p in pairs], f"responses sized {received}")
        check(call.code() == grpc.StatusCode.OK, f"the call ended {call.code()}")

    def empty_stream(self):
        responses = list(self.stub.FullDuplexCall(iter([]), timeout=DEADLINE))
        check(responses == [], f"{len(responses)} responses to an empty stream")

    def custom_metadata(self):
        metadata = (("x-grpc-test-echo-initial", "test_initial_metadata_value"), ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab"))

        def echoed(call):
            initial = dict(call.initial_metadata())
            trailing = dict(call.trailing_metadata())
            check(initial.get("x-grpc-test-echo-initial") == "test_initial_metadata_value", f"initial metadata {initial}")
            check(trailing.get("x-grpc-test-echo-trailing-bin") == b"\xab\xab\xab", f"trailing metadata {trailing}")

        request = self.m.SimpleRequest(response_size=314159, payload=self.m.Payload(body=zeros(271828)))
        response, call = self.stub.UnaryCall.with_call(request, metadata=metadata, timeout=DEADLINE)
        check(len(response.payload.body) == 314159, "the unary response's payload")
        echoed(call)
        request = self.m.StreamingOutputCallRequest(response_parameters=[self.m.ResponseParameters(size=314159)], payload=self.m.Payload(body=zeros(271828)))
        call = self.stub.FullDuplexCall(iter([request]), metadata=metadata, timeout=DEADLINE)
        sizes = [len(r.payload.body) for r in call]
        check(sizes == [314159], f"full duplex responses sized {sizes}")
        echoed(call)

    def _echo_status(self, code, message):
        status = self.m.EchoStatus(code=code, message=message)
        try:
            self.stub.UnaryCall(self.m.SimpleRequest(response_status=status), timeout=DEADLINE)
            raise AssertionError("UnaryCall succeeded")
        except grpc.RpcError as error:
            check(error.code().value[0] == code, f"UnaryCall ended {error.code()}")
            check(error.details() == message, f"UnaryCall's message {error.details()!r}")
        call = self.stub.FullDuplexCall(iter([self.m.StreamingOutputCallRequest(response_status=status)]), timeout=DEADLINE)
        try:
            list(call)
            raise AssertionError("FullDuplexCall succeeded")
        except grpc.RpcError as error:
            check(error.code().value[0] == code, f"FullDuplexCall ended {error.code()}")
            check(error.details() == message, f"FullDuplexCall's message {error.details()!r}")

    def status_code_and_message(self):
        self._echo_status(2, "test status message")

    def special_status_message(self):
        self._echo_status(2, "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n")

    def unimplemented_method(self):
        try:
            self.stub.UnimplementedCall(self.empty.Empty(), timeout=DEADLINE)
            raise AssertionError("UnimplementedCall succeeded")
        except grpc.RpcError as error:
            check(error.code() == grpc.StatusCode.UNIMPLEMENTED, f"ended {error.code()}")

    def unimplemented_service(self):
        try:
            self.unimplemented.UnimplementedCall(self.empty.Empty(), timeout=DEADLINE)
            raise AssertionError("UnimplementedService succeeded")
        except grpc.RpcError as error:
            check(error.code() == grpc.StatusCode.UNIMPLEMENTED, f"ended {error.code()}")

    def cancel_after_begin(self):
        outbox = Outbox()
        future = self.stub.StreamingInputCall.future(iter(outbox), timeout=DEADLINE)
        future.cancel()
        outbox.close()
        check(future.cancelled(), "the call was not cancelled")
        try:
            future.result()
            raise AssertionError("the cancelled call succeeded")
        except grpc.FutureCancelledError:
            pass

    def cancel_after_first_response(self):
        outbox = Outbox()
        call = self.stub.FullDuplexCall(iter(outbox), timeout=DEADLINE)
        outbox.put(self.m.StreamingOutputCallRequest(
            response_parameters=[self.m.ResponseParameters(size=31415)], payload=self.m.Payload(body=zeros(27182))))
        check(len(next(call).payload.body) == 31415, "the first response")
        call.cancel()
        outbox.close()
        check(call.code() == grpc.StatusCode.CANCELLED, f"ended {call.code()}")

    def timeout_on_sleeping_server(self):
        outbox = Outbox()
        call = self.stub.FullDuplexCall(iter(outbox), timeout=0.001)
        outbox.put(self.m.StreamingOutputCallRequest(payload=self.m.Payload(body=zeros(27182))))
        try:
            list(call)
            raise AssertionError("the call outlived its deadline")
        except grpc.RpcError as error:
            check(error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"ended {error.code()}")
        finally:
            outbox.close()


class Outbox:
    """Request messages handed to grpcio's request iterator one at a time."""

    def __init__(self):
        import queue

        self.queue = queue.Queue()

    def put(self, message):
        self.queue.put(message)

    def close(self):
        self.queue.put(None)

    def __iter__(self):
        while (message := self.queue.get()) is not None:
            yield message


CASES = ["empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
         "timeout_on_sleeping_server", "cancel_after_begin", "cancel_after_first_response", "status_code_and_message",
         "special_status_message", "custom_metadata", "unimplemented_method", "unimplemented_service"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--test_case", required=True, help="one case, or 'all'")
    parser.add_argument("--use_tls", default="false")
    parser.add_argument("--ca_file", help="the certificate authority that signed the server's certificate")
    parser.add_argument("--server_host_override", default="localhost")
    args = parser.parse_args()
    empty, messages, services = stubs()
    target = f"{args.server_host}:{args.server_port}"
    if args.use_tls == "true":
        credentials = grpc.ssl_channel_credentials(root_certificates=pathlib.Path(args.ca_file).read_bytes())
        channel = grpc.secure_channel(target, credentials, options=[("grpc.ssl_target_name_override", args.server_host_override)])
    else:
        channel = grpc.insecure_channel(target)
    cases = Cases(channel, empty, messages, services)
    names = CASES if args.test_case == "all" else [args.test_case]
    failed = 0
    with channel:
        for name in names:
            try:
                getattr(cases, name)()
                print(f"PASS {name}")
            except Exception as error:  # noqa: BLE001  (every failure is reported, whatever it is)
                failed += 1
                print(f"FAIL {name}: {type(error).__name__}: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
