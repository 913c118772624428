"""`c360 serve` takes each setting from its option, else the environment (C360_...), else the
configuration file, else the default — checked on a real server's listening address, metrics
endpoint and log format."""
import json
import os
import re
import socket
import subprocess
import tempfile

from conftest import c360_binary, c360_server


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(work, name, *options, environment=None):
    """Starts `c360 serve --config work/c360.yaml` and returns (listening port, metrics line or
    None, the first log line); stops it."""
    log_path = f"{work}/{name}.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("C360_") or key == "C360_BIN"}
    env.update(environment or {})
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(c360_binary()), "serve", "--config", f"{work}/c360.yaml", "--data", f"{work}/{name}", "--console-listen", "off", *options],
                                   stdout=subprocess.PIPE, stderr=log, bufsize=0, env=env)
    try:
        serving = c360_server.read_line(process.stdout, 60)
        match = re.search(r"on 127\.0\.0\.1:(\d+)", serving)
        assert match, f"serve did not start: {serving!r} {open(log_path).read()[-2000:]}"
        metrics = c360_server.read_line(process.stdout, 2).strip()
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()
    with open(log_path) as log:
        first = log.readline()
    return int(match.group(1)), metrics or None, first


def is_json(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_option_over_environment_over_file_over_default():
    work = tempfile.mkdtemp(prefix="c360-precedence-")
    file_port = free_port()
    with open(f"{work}/c360.yaml", "w") as config:
        config.write(f'server:\n  listen: "127.0.0.1:{file_port}"\n  metrics_listen: "off"\n  log_format: json\n')

    # The file alone: its port, no metrics, JSON logs.
    port, metrics, first = serve(work, "file")
    assert port == file_port
    assert metrics is None
    assert is_json(first), first

    # The environment over the file.
    environment_port = free_port()
    port, metrics, first = serve(work, "environment", environment={
        "C360_SERVER_LISTEN": f"127.0.0.1:{environment_port}", "C360_SERVER_LOG_FORMAT": "text",
        "C360_SERVER_METRICS_LISTEN": "127.0.0.1:0"})
    assert port == environment_port
    assert metrics and metrics.startswith("c360 metrics on http://127.0.0.1:"), metrics
    assert first and not is_json(first), first

    # Options over both.
    option_port = free_port()
    port, metrics, first = serve(work, "option", "--listen", f"127.0.0.1:{option_port}", "--log-format", "json", "--metrics-listen", "off",
                                 environment={"C360_SERVER_LISTEN": f"127.0.0.1:{environment_port}", "C360_SERVER_LOG_FORMAT": "text",
                                              "C360_SERVER_METRICS_LISTEN": "127.0.0.1:0"})
    assert port == option_port
    assert metrics is None
    assert is_json(first), first


def test_a_bad_environment_value_stops_serve_naming_the_variable():
    work = tempfile.mkdtemp(prefix="c360-precedence-")
    open(f"{work}/c360.yaml", "w").close()
    env = {**os.environ, "C360_LIMITS_MAX_CONCURRENT_STREAMS": "0"}
    result = subprocess.run([str(c360_binary()), "serve", "--config", f"{work}/c360.yaml", "--data", f"{work}/data"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "limits.max_concurrent_streams (set by $C360_LIMITS_MAX_CONCURRENT_STREAMS) must be at least 1" in result.stderr, result.stderr


def event_loop_threads(work, name, *options):
    """The event-loop threads of `c360 serve --config work/c360.yaml` once it listens."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("C360_", "NIO_")) or key == "C360_BIN"}
    process = subprocess.Popen([str(c360_binary()), "serve", "--config", f"{work}/c360.yaml", "--data", f"{work}/{name}",
                                "--listen", "127.0.0.1:0", "--metrics-listen", "off", "--console-listen", "off", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0, env=env)
    try:
        serving = c360_server.read_line(process.stdout, 60)
        assert "on 127.0.0.1:" in serving, serving
        names = []
        for task in os.listdir(f"/proc/{process.pid}/task"):
            with open(f"/proc/{process.pid}/task/{task}/comm") as comm:
                names.append(comm.read().strip())
        return sorted(name for name in names if name.startswith("NIO-SGLTN-"))
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


def test_event_loops_from_the_file_and_the_option():
    work = tempfile.mkdtemp(prefix="c360-loops-")
    with open(f"{work}/c360.yaml", "w") as config:
        config.write("server:\n  event_loops: 1\n")
    assert len(event_loop_threads(work, "file")) == 1
    assert len(event_loop_threads(work, "option", "--event-loops", "3")) == 3
    open(f"{work}/c360.yaml", "w").close()
    # Unset: one fewer than the cores c360 may use (cgroup limits count, so `config check` says), at least one.
    check = subprocess.run([str(c360_binary()), "config", "check", f"{work}/c360.yaml"], capture_output=True, text=True, timeout=60)
    reported = re.search(r"event loops: (\d+) \(one fewer than the cores\)", check.stdout)
    assert reported, check.stdout
    expected = int(reported.group(1))
    assert expected == 1 or expected < len(os.sched_getaffinity(0)), expected
    assert len(event_loop_threads(work, "default")) == expected
    result = subprocess.run([str(c360_binary()), "serve", "--config", f"{work}/c360.yaml", "--data", f"{work}/bad", "--event-loops", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--event-loops must be between 1 and 256" in result.stderr, result.stderr
