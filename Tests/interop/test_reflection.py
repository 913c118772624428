"""Server reflection with the standard Python client (grpcio-reflection): every service listed,
every message type of the API resolved from the server's descriptors alone, on v1alpha (what the
client speaks) and v1 (same messages, the newer service name); open without an access token."""
import pathlib
import tempfile

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from conftest import start_server, stop_server

SERVICES = {"c360.v1.ProfileService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"}


@pytest.fixture(scope="module")
def guarded_server():
    """A server with access control on: reflection must still answer without a token."""
    directory = tempfile.mkdtemp(prefix="c360-reflection-")
    config = pathlib.Path(directory) / "c360.yaml"
    config.write_text("access:\n  tokens:\n    - {name: someone, sha256: " + "ab" * 32 + ", scopes: [read]}\n")
    server = start_server(directory + "/data", "--config", str(config))
    yield server
    stop_server(server)


def api_message_names(stubs):
    names = []
    for module in (stubs.event, stubs.profile, stubs.service):
        def walk(descriptor):
            names.append(descriptor.full_name)
            for nested in descriptor.nested_types:
                walk(nested)
        for message in module.DESCRIPTOR.message_types_by_name.values():
            walk(message)
    return names


def test_reflection_lists_every_service_and_resolves_every_message(stubs, guarded_server):
    with grpc.insecure_channel(guarded_server.address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert set(database.get_services()) == SERVICES
        pool = DescriptorPool(database)
        service = pool.FindServiceByName("c360.v1.ProfileService")
        assert {method.name for method in service.methods} == {
            method.name for method in stubs.service.DESCRIPTOR.services_by_name["ProfileService"].methods}
        for method in service.methods:
            assert method.input_type.full_name and method.output_type.full_name
        names = api_message_names(stubs)
        assert len(names) > 40
        for name in names:
            resolved = pool.FindMessageTypeByName(name)
            local = stubs.event.DESCRIPTOR.pool.FindMessageTypeByName(name)
            assert [(f.name, f.number, f.type) for f in resolved.fields] == [(f.name, f.number, f.type) for f in local.fields], name
        assert pool.FindMessageTypeByName("google.protobuf.Timestamp").fields_by_name["seconds"].number == 1
        health = pool.FindServiceByName("grpc.health.v1.Health")
        assert {method.name for method in health.methods} == {"Check", "Watch"}


def test_reflection_v1_answers_and_reports_unknown_symbols(guarded_server):
    with grpc.insecure_channel(guarded_server.address) as channel:
        # The v1 messages are the v1alpha ones field for field: the same client classes serve.
        call = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                     request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                     response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                    reflection_pb2.ServerReflectionRequest(file_containing_symbol="c360.v1.ProfileService.GetProfile"),
                    reflection_pb2.ServerReflectionRequest(file_containing_symbol="c360.store.v1.Projection"),
                    reflection_pb2.ServerReflectionRequest(file_by_filename="c360/v1/profile_service.proto")]
        responses = list(call(iter(requests), timeout=10))
        assert len(responses) == 4
        assert {service.name for service in responses[0].list_services_response.service} == SERVICES
        from google.protobuf import descriptor_pb2
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw) for raw in responses[1].file_descriptor_response.file_descriptor_proto]
        assert files[0].name == "c360/v1/profile_service.proto"
        assert {"c360/v1/profile.proto", "c360/v1/event.proto", "google/protobuf/timestamp.proto"} <= {f.name for f in files}
        # The storage format is not part of the API and is not served.
        assert responses[2].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        assert responses[3].file_descriptor_response.file_descriptor_proto[0] == responses[1].file_descriptor_response.file_descriptor_proto[0]
