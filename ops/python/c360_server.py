"""Starting and stopping a real `c360 serve` on 127.0.0.1: shared by the interoperability tests and
the reliability tools."""
import re
import select
import subprocess


class Server:
    def __init__(self, process, port, data, log):
        self.process = process
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.data = data
        self.log = log


def start(binary, data_directory, *extra, timeout=60):
    """Starts `c360 serve` on 127.0.0.1 (a free port) over `data_directory` and waits until it
    reports its port. Its standard error goes to `<data_directory>.log`, beside the data directory
    (never a pipe nobody reads, which would block the server once full)."""
    log_path = str(data_directory).rstrip("/") + ".log"
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [str(binary), "serve", "--data", str(data_directory), "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=log, text=True)
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    match = re.search(r"on 127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        process.wait()
        with open(log_path) as log:
            raise RuntimeError(f"c360 serve did not report its port: {line!r}\n{log.read()[-4000:]}")
    return Server(process, int(match.group(1)), str(data_directory), log_path)


def stop(server, timeout=20):
    """Stops the server with SIGTERM; kills it (and raises) if it does not stop in time."""
    server.process.terminate()
    try:
        server.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise
    finally:
        server.process.stdout.close()
