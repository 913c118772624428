"""TLS, mutual TLS and bearer tokens against a real `c360 serve`, with Python grpcio as the client:
certificates made by openssl for the test, tokens made by `c360 token create`."""
import json
import os
import pathlib
import re
import subprocess
import tempfile

import grpc
import pytest

from conftest import c360_binary, make_event, start_server, stop_server


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=directory)


def make_certificate(directory, name, ca, server):
    """A certificate for `name` signed by `ca`; a server's names 127.0.0.1 and localhost."""
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=directory)
    extensions = pathlib.Path(directory) / f"{name}.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n" if server
                          else "extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=directory)


def create_token(name, *scopes):
    """`c360 token create`: the secret and the YAML entry it prints."""
    output = subprocess.run([str(c360_binary()), "token", "create", "--name", name,
                             *[arg for scope in scopes for arg in ("--scope", scope)]],
                            check=True, capture_output=True, text=True).stdout
    secret = re.search(r"^token: (c360_\S+)$", output, re.M).group(1)
    entry = output.split("# under access.tokens in the configuration file:\n", 1)[1]
    return secret, entry


@pytest.fixture(scope="module")
def pki():
    directory = tempfile.mkdtemp(prefix="c360-pki-")
    make_ca(directory, "ca")
    make_ca(directory, "rogue-ca")
    make_certificate(directory, "server", "ca", server=True)
    make_certificate(directory, "client", "ca", server=False)
    make_certificate(directory, "rogue-client", "rogue-ca", server=False)
    return pathlib.Path(directory)


@pytest.fixture(scope="module")
def tokens():
    return {name: create_token(name, *scopes) for name, scopes in {
        "reader": ["read"], "pii-reader": ["read", "read:pii"], "writer": ["write"], "eraser": ["erase"]}.items()}


def write_config(directory, pki, tokens, mutual):
    lines = ["tls:", f"  certificate_chain: {pki / 'server.pem'}", f"  private_key: {pki / 'server.key'}"]
    if mutual:
        lines.append(f"  client_ca: {pki / 'ca.pem'}")
    lines += ["access:", "  tokens:"]
    for _, entry in tokens.values():
        lines += ["  " + line for line in entry.strip("\n").split("\n")]
    path = pathlib.Path(directory) / "c360.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def serve(pki, tokens, mutual):
    directory = tempfile.mkdtemp(prefix="c360-security-")
    config = write_config(directory, pki, tokens, mutual)
    return start_server(directory + "/data", "--config", str(config))


def bearer(tokens, name):
    return (("authorization", f"Bearer {tokens[name][0]}"),)


def credentials(pki, client=None):
    chain = key = None
    if client:
        chain, key = (pki / f"{client}.pem").read_bytes(), (pki / f"{client}.key").read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=(pki / "ca.pem").read_bytes(), private_key=key, certificate_chain=chain)


def test_tls_serves_with_tokens_and_redacts_without_read_pii(stubs, pki, tokens):
    server = serve(pki, tokens, mutual=False)
    try:
        with grpc.secure_channel(server.address, credentials(pki)) as channel:
            api = stubs.service_grpc.ProfileServiceStub(channel)
            event = make_event(stubs, "u1", "tls-1", kind="customer", email="ada.tls@example.org", first="Adelheid")
            appended = api.AppendEvents(stubs.service.AppendEventsRequest(events=[event]), metadata=bearer(tokens, "writer"), timeout=10)
            assert appended.results[0].seq == 1
            request = stubs.service.GetProfileRequest(customer_id="tls-1")
            redacted = api.GetProfile(request, metadata=bearer(tokens, "reader"), timeout=10).profile
            assert redacted.personal_data_redacted
            assert redacted.details.email == "" and redacted.details.first_name == ""
            assert all(linked.identity.value == "" for linked in redacted.identities)
            full = api.GetProfile(request, metadata=bearer(tokens, "pii-reader"), timeout=10).profile
            assert not full.personal_data_redacted
            assert full.details.email == "ada.tls@example.org" and full.details.first_name == "Adelheid"
            with pytest.raises(grpc.RpcError) as denied:
                api.AppendEvents(stubs.service.AppendEventsRequest(events=[event]), metadata=bearer(tokens, "reader"), timeout=10)
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.RpcError) as anonymous:
                api.GetProfile(request, timeout=10)
            assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # A plaintext client cannot talk to a TLS port.
        with grpc.insecure_channel(server.address) as plain:
            with pytest.raises(grpc.RpcError) as refused:
                stubs.service_grpc.ProfileServiceStub(plain).GetProfile(request, metadata=bearer(tokens, "reader"), timeout=3)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        stop_server(server)
    assert server.process.returncode == 0


def test_mutual_tls_needs_a_client_certificate_from_the_configured_ca(stubs, pki, tokens):
    server = serve(pki, tokens, mutual=True)
    request = stubs.service.GetProfileRequest(customer_id="nobody")
    try:
        with grpc.secure_channel(server.address, credentials(pki, client="client")) as channel:
            with pytest.raises(grpc.RpcError) as missing:
                stubs.service_grpc.ProfileServiceStub(channel).GetProfile(request, metadata=bearer(tokens, "reader"), timeout=10)
            # Through TLS and the token check: the call reached the store.
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        for client in (None, "rogue-client"):
            with grpc.secure_channel(server.address, credentials(pki, client=client)) as channel:
                with pytest.raises(grpc.RpcError) as refused:
                    stubs.service_grpc.ProfileServiceStub(channel).GetProfile(request, metadata=bearer(tokens, "reader"), timeout=5)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, client
    finally:
        stop_server(server)


def test_command_line_client_sends_the_token_from_the_environment(stubs, tokens):
    directory = tempfile.mkdtemp(prefix="c360-token-cli-")
    config = pathlib.Path(directory) / "c360.yaml"
    config.write_text("access:\n  tokens:\n" + "".join("  " + line + "\n" for _, entry in tokens.values() for line in entry.strip("\n").split("\n")))
    server = start_server(directory + "/data", "--config", str(config))
    try:
        events = pathlib.Path(directory) / "events.ndjson"
        events.write_text(json.dumps({"eventId": "c1", "customerId": "cli-1", "occurredAt": "2026-01-01T00:00:00Z", "source": "test",
                                      "webEvent": {"type": "WEB_EVENT_TYPE_PAGE_VIEW", "sessionId": "s", "page": "/"}}) + "\n")
        command = [str(c360_binary()), "ingest", str(events), "--server", server.address]
        anonymous = subprocess.run(command, capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "C360_TOKEN"})
        assert anonymous.returncode != 0
        assert "access token" in anonymous.stdout + anonymous.stderr
        allowed = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "C360_TOKEN": tokens["writer"][0]})
        assert allowed.returncode == 0, allowed.stderr
        got = subprocess.run([str(c360_binary()), "get", "cli-1", "--server", server.address], capture_output=True, text=True,
                             env={**os.environ, "C360_TOKEN": tokens["reader"][0]})
        assert got.returncode == 0, got.stderr
        assert '"personal_data_redacted": true' in got.stdout
    finally:
        stop_server(server)
    audit = [json.loads(line) for line in (pathlib.Path(directory) / "data" / "audit.jsonl").read_text().splitlines()]
    assert [entry["status"] for entry in audit] == ["UNAUTHENTICATED"]


def test_serving_beyond_loopback_without_tokens_is_refused():
    directory = tempfile.mkdtemp(prefix="c360-open-")
    result = subprocess.run([str(c360_binary()), "serve", "--data", directory + "/data", "--listen", "0.0.0.0:0", "--metrics-listen", "off", "--console-listen", "off"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--allow-unauthenticated" in result.stderr
