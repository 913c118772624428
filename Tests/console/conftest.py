"""Fixtures for the console tests: a real `c360 serve` on 127.0.0.1 over generated data, with
access tokens and segments, its console on a port of its own; Python grpcio for the API side; and
Debian's Chromium, driven by Playwright, as the browser."""
import os
import pathlib
import re
import shutil
import subprocess
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

TOKEN_SCOPES = {
    "reader": ["read"],
    "agent": ["read:pii"],
    "privacy-officer": ["read:pii", "erase"],
    "loader": ["write"],
}




def create_token(name, scopes):
    output = subprocess.run([str(c360_binary()), "token", "create", "--name", name, *[a for s in scopes for a in ("--scope", s)]],
                            check=True, capture_output=True, text=True).stdout
    secret = re.search(r"^token: (c360_\S+)$", output, re.M).group(1)
    entry = output.split("# under access.tokens in the configuration file:\n", 1)[1]
    return secret, entry


class Console:
    """The running server: the console's base URL, the gRPC address, the tokens' secrets."""

    def __init__(self, server, tokens, stubs, directory):
        self.server = server
        self.url = f"http://127.0.0.1:{server.console_port}"
        self.address = server.address
        self.tokens = tokens
        self.stubs = stubs
        self.directory = pathlib.Path(directory)
        self.channel = grpc.insecure_channel(server.address)
        self.api = stubs.service_grpc.ProfileServiceStub(self.channel)

    def metadata(self, token):
        return (("authorization", f"Bearer {self.tokens[token]}"),)

    def profile(self, customer_id, token="agent"):
        request = self.stubs.service.GetProfileRequest(customer_id=customer_id)
        return self.api.GetProfile(request, metadata=self.metadata(token), timeout=30).profile

    def append(self, *events):
        request = self.stubs.service.AppendEventsRequest(events=list(events))
        return self.api.AppendEvents(request, metadata=self.metadata("loader"), timeout=30)


@pytest.fixture(scope="session")
def stubs():
    return c360_stubs.generate()


@pytest.fixture(scope="session")
def console(stubs):
    directory = tempfile.mkdtemp(prefix="c360-console-")
    made = {name: create_token(name, scopes) for name, scopes in TOKEN_SCOPES.items()}
    example = (ROOT / "ops" / "c360.example.yaml").read_text()
    segments = example[example.index("\nsegments:\n"):example.index("\n# TLS for")]
    # A lookup waits for a min_seq ahead of the store at most a second (the tests ask for one).
    lines = [segments.strip("\n"), "limits:", "  max_min_seq_wait_seconds: 1", "access:", "  tokens:"]
    for _, entry in made.values():
        lines += ["  " + line for line in entry.strip("\n").split("\n")]
    config = pathlib.Path(directory) / "c360.yaml"
    config.write_text("\n".join(lines) + "\n")
    data = pathlib.Path(directory) / "data"
    ndjson = pathlib.Path(directory) / "demo.ndjson"
    subprocess.run([str(c360_binary()), "generate", "--customers", "3000", "--events", "60000", "--seed", "7", "--out", str(ndjson)],
                   check=True, capture_output=True)
    subprocess.run([str(c360_binary()), "ingest", str(ndjson), "--data", str(data), "--config", str(config)], check=True, capture_output=True)
    server = c360_server.start(c360_binary(), data, "--config", str(config))
    assert server.console_port, "the console did not report its port"
    console = Console(server, {name: secret for name, (secret, _) in made.items()}, stubs, directory)
    yield console
    console.channel.close()
    c360_server.stop(server)
    assert server.process.returncode == 0, f"c360 serve exited with {server.process.returncode} after SIGTERM"


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Debian's chromium is needed: apt-get install chromium")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root in CI, where Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


def sign_in(browser, console, token, width=1280, height=900):
    """A new browser context signed in to the console with the named token."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(console.url + "/sign-in")
    page.get_by_label("Access token").fill(console.tokens[token])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/")
    return context, page


@pytest.fixture()
def agent_page(browser, console):
    context, page = sign_in(browser, console, "agent")
    yield page
    context.close()


def screenshot_directory():
    """Where the tests save their screenshots: `C360_SCREENSHOTS` (ops/console/screenshots to
    refresh the committed ones), otherwise a temporary directory."""
    configured = os.environ.get("C360_SCREENSHOTS")
    path = pathlib.Path(configured) if configured else pathlib.Path(tempfile.mkdtemp(prefix="c360-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path
