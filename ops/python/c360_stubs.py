"""Python stubs for c360's API, generated from proto/ with grpcio-tools into a temporary directory:
shared by the interoperability tests and the reliability tools."""
import pathlib
import shutil
import sys
import tempfile
import types

ROOT = pathlib.Path(__file__).resolve().parents[2]


def generate():
    """Generates and imports the modules; returns them as attributes: event, profile, service,
    service_grpc, health, health_grpc."""
    out = tempfile.mkdtemp(prefix="c360-stubs-")
    from grpc_tools import protoc
    import grpc_tools

    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    # grpc.health.v1 comes from grpcio-health-checking, the standard client, not from our copy.
    protos = [str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto" / "c360").rglob("*.proto")]
    code = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *protos])
    assert code == 0, "grpc_tools.protoc failed"
    sys.path.insert(0, out)
    try:
        from c360.v1 import event_pb2, profile_pb2, profile_service_pb2, profile_service_pb2_grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
    finally:
        # Imported, the modules need their files no more; removed now rather than at exit, which
        # the tools' worker processes (forked, ended by multiprocessing) never reach.
        shutil.rmtree(out, ignore_errors=True)

    return types.SimpleNamespace(event=event_pb2, profile=profile_pb2, service=profile_service_pb2,
                                 service_grpc=profile_service_pb2_grpc, health=health_pb2, health_grpc=health_pb2_grpc)
