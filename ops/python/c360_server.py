"""Starting and stopping a real `c360 serve` on 127.0.0.1: shared by the interoperability tests and
the reliability tools."""
import os
import pathlib
import re
import select
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def binary():
    """The c360 binary the tests run: $C360_BIN, else the debug build, else the release build."""
    configured = os.environ.get("C360_BIN")
    if configured:
        return pathlib.Path(configured)
    for candidate in (ROOT / ".build" / "debug" / "c360", ROOT / ".build" / "release" / "c360"):
        if candidate.exists():
            return candidate
    raise RuntimeError("build c360 first (swift build), or set C360_BIN")


class Server:
    def __init__(self, process, port, data, log, metrics_port=None, console_port=None):
        self.process = process
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.data = data
        self.log = log
        # Where GET /metrics answers, unless the server was started with `--metrics-listen off`.
        self.metrics_port = metrics_port
        # Where the console and its JSON API answer, unless started with `--console-listen off`.
        self.console_port = console_port


def start(binary, data_directory, *extra, timeout=60):
    """Starts `c360 serve` on 127.0.0.1 (a free port) over `data_directory` and waits until it
    reports its port. Its standard error goes to `<data_directory>.log`, beside the data directory
    (never a pipe nobody reads, which would block the server once full). Metrics are served on a
    free port of their own too, and so is the console, unless `extra` says otherwise."""
    if "--metrics-listen" not in extra:
        extra = (*extra, "--metrics-listen", "127.0.0.1:0")
    if "--console-listen" not in extra:
        extra = (*extra, "--console-listen", "127.0.0.1:0")
    log_path = str(data_directory).rstrip("/") + ".log"
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [str(binary), "serve", "--data", str(data_directory), "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=log, bufsize=0)
    line = read_line(process.stdout, timeout)
    match = re.search(r"on 127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        process.wait()
        with open(log_path) as log:
            raise RuntimeError(f"c360 serve did not report its port: {line!r}\n{log.read()[-4000:]}")
    metrics_port = None
    if "off" not in extra[extra.index("--metrics-listen") + 1:extra.index("--metrics-listen") + 2]:
        metrics = re.search(r"metrics on http://[^:]+:(\d+)/metrics", read_line(process.stdout, timeout))
        metrics_port = int(metrics.group(1)) if metrics else None
    console_port = None
    if "off" not in extra[extra.index("--console-listen") + 1:extra.index("--console-listen") + 2]:
        console = re.search(r"console on https?://[^:]+:(\d+)/", read_line(process.stdout, timeout))
        console_port = int(console.group(1)) if console else None
    return Server(process, int(match.group(1)), str(data_directory), log_path, metrics_port, console_port)


def read_line(pipe, timeout):
    """One line from an unbuffered pipe, or "" if none comes within `timeout` seconds. Byte by byte:
    a buffered read could take the next line too, and select() would then wait for it in vain."""
    line = bytearray()
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([pipe], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            break
        byte = pipe.read(1)
        if not byte:
            break
        line += byte
    return line.decode(errors="replace")


def stop(server, timeout=40):
    """Stops the server with SIGTERM; kills it (and raises) if it does not stop in time. A stop may
    take up to 10 s for calls to finish and 15 s more for RocksDB's compactions (README, Guarantees)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise
    finally:
        server.process.stdout.close()
