#!/usr/bin/env python3
"""The c360 benchmark: c360, PostgreSQL 15 and the physical ceilings, in one run, on one data set.

Run it through ops/bench/run.sh, which installs what it needs and builds c360 in release mode.
Writes ops/bench/results/bench-<mode>.json (every figure, the machine, the versions) and
ops/bench/results/bench-<mode>.md (the table the README shows). Exits 1 if any figure is missing.

Modes: --short (CI smoke test, under 3 minutes: checks that every figure is produced, not that it
is fast), default (100,000 customers, 2,000,000 events), --full (1,000,000 and 10,000,000).
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MODES = {
    "short": dict(customers=5_000, events=50_000, seconds=3, requests=5_000, freshness=200, storage_events=100_000),
    "default": dict(customers=100_000, events=2_000_000, seconds=10, requests=100_000, freshness=1_000, storage_events=1_000_000),
    "full": dict(customers=1_000_000, events=10_000_000, seconds=20, requests=200_000, freshness=2_000, storage_events=2_000_000),
}
PG_BIN = "/usr/lib/postgresql/15/bin"
LOOKUP_SHAPES = [("c1_m1", ["-c", "1", "-m", "1"]), ("c16_m1", ["-c", "16", "-m", "1"]), ("c16_m32", ["-c", "16", "-m", "32"])]
# The shapes the transport ceilings are measured at, by h2load and by c360's own load generator.
CEILING_SHAPES = [("c1_m1", ["-c", "1", "-m", "1"]), ("c16_m32", ["-c", "16", "-m", "32"])]
# Small appends: 64 calls in flight, as 4 connections of 16 streams.
APPEND_SHAPE = ["-c", "4", "-m", "16"]
# The projection size of the storage ceiling in c360's write layout: stored projections of the
# default data set average about a kilobyte (measured with RocksDB's `ldb scan` after a bulk load).
LAYOUT_PROJECTION_BYTES = 1_000


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command, **kwargs):
    """Runs a command, failing loudly with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(map(str, command))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def run_json(command):
    """Runs a `c360 bench …` driver and parses the one JSON line it prints."""
    return json.loads(run(command).strip().splitlines()[-1])


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentiles(latencies_us):
    """Nearest-rank p50/p99/p99.9 in milliseconds, as `c360 bench` reports them."""
    ordered = sorted(latencies_us)
    if not ordered:
        return {}

    def pick(q):
        rank = max(1, -(-int(q * len(ordered) * 1000) // 1000))
        return ordered[min(rank, len(ordered)) - 1] / 1000

    return {"p50_ms": pick(0.50), "p99_ms": pick(0.99), "p99_9_ms": pick(0.999)}


def proportional_set_kib(pids):
    """Proportional set size (shared pages divided among their users) summed over `pids`."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except OSError:
            pass
    return total


def peak_resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


# ---------------------------------------------------------------------------------------------
# h2load


def h2load(url, shape, requests, body=None, headers=()):
    """One h2load run; returns requests/s, counts and nearest-rank latency percentiles."""
    with tempfile.NamedTemporaryFile(suffix=".tsv") as latency_log:
        command = ["h2load", "-n", str(requests), *shape, "--log-file", latency_log.name]
        for header in headers:
            command += ["-H", header]
        if body:
            command += ["-d", body]
        output = run(command + [url])
        with open(latency_log.name) as lines:
            latencies = [int(line.split("\t")[2]) for line in lines if line.strip()]
    succeeded = int(re.search(r"requests: .* (\d+) succeeded", output).group(1))
    failed = int(re.search(r"requests: .* (\d+) failed", output).group(1))
    finished = re.search(r"finished in ([\d.]+)(s|ms|us)", output)
    seconds = float(finished.group(1)) / {"s": 1, "ms": 1e3, "us": 1e6}[finished.group(2)]
    return dict(requests=succeeded + failed, succeeded=succeeded, failed=failed, seconds=seconds,
                latencies_us=latencies)


def load(binary, target, shape, *arguments):
    """One run of `c360 bench load`, c360's load generator on libnghttp2's client session."""
    return run_json([binary, "bench", "load", "--target", target, *shape, *arguments])


def append_figures(figures):
    """A load run of AppendEvents calls in the terms of the small-appends row."""
    counts = figures.get("counts", {})
    stored = counts.get("appended", 0) + counts.get("duplicates", 0)
    result = dict(events=figures["requests"], appended=counts.get("appended", 0), duplicates=counts.get("duplicates", 0),
                  rejected=counts.get("rejected", 0) + counts.get("unreadable", 0), calls=figures["requests"],
                  failed_calls=figures["failed"], seconds=figures["seconds"], events_per_second=stored / figures["seconds"],
                  calls_per_second=figures["succeeded"] / figures["seconds"],
                  **{"ack_" + k: v for k, v in figures.items() if k.endswith("_ms")})
    if figures.get("failures"):
        result["first_error"] = str(figures["failures"])
    return result


def process_cpu_seconds(pids):
    """User and system CPU of `pids`, their threads, and the children they have waited for."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def thread_cpu_seconds(pid):
    """User and system CPU of each of `pid`'s threads now alive, summed by thread name."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_name = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return by_name
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        by_name[name] = by_name.get(name, 0) + (int(fields[11]) + int(fields[12])) / ticks
    return by_name


class CPUWindow:
    """The CPU a set of processes used from its start until `seconds()`. `pids` is called at both
    ends: processes come and go meanwhile (PostgreSQL's backends)."""

    def __init__(self, pids):
        self.pids = pids
        self.start = process_cpu_seconds(pids())

    def seconds(self):
        return process_cpu_seconds(self.pids()) - self.start


class ServerCPU:
    """A server's CPU over a measured window: in all, and by thread name (the threads alive at its
    end), so that a figure can say which of the server's threads its time went to."""

    def __init__(self, pid):
        self.pid = pid
        self.total = CPUWindow(lambda: [pid])
        self.threads = thread_cpu_seconds(pid)

    def figures(self, operations, unit):
        threads = {name: round(seconds - self.threads.get(name, 0), 2)
                   for name, seconds in sorted(thread_cpu_seconds(self.pid).items())
                   if seconds - self.threads.get(name, 0) >= 0.05}
        return {f"server_cpu_us_per_{unit}": self.total.seconds() / max(1, operations) * 1e6,
                "server_cpu_seconds_by_thread": threads}


def combine_runs(runs):
    """Rate over the runs' total time, percentiles over every request of every run."""
    seconds = sum(r["seconds"] for r in runs)
    succeeded = sum(r["succeeded"] for r in runs)
    figures = dict(requests=sum(r["requests"] for r in runs), succeeded=succeeded,
                   failed=sum(r["failed"] for r in runs), seconds=seconds,
                   requests_per_second=succeeded / seconds if seconds else 0)
    figures.update(percentiles([l for r in runs for l in r["latencies_us"]]))
    return figures


def combine_load_runs(runs):
    """Runs of c360's load generator: rate over the runs' total time, failures summed, and the
    latency percentiles of the run whose rate is the median (its JSON has no per-request times)."""
    seconds = sum(r["seconds"] for r in runs)
    succeeded = sum(r["succeeded"] for r in runs)
    middle = sorted(runs, key=lambda r: r["requests_per_second"])[len(runs) // 2]
    figures = {k: v for k, v in middle.items() if k.endswith("_ms")}
    figures.update(requests=sum(r["requests"] for r in runs), succeeded=succeeded, failed=sum(r["failed"] for r in runs),
                   seconds=seconds, requests_per_second=succeeded / seconds if seconds else 0, runs=len(runs))
    return figures


def grpc_request_body(customer_id, path):
    """A gRPC-framed GetProfileRequest{customer_id} (field 1, string), for h2load's -d."""
    value = customer_id.encode()
    message = bytes([0x0A, len(value)]) + value
    with open(path, "wb") as body:
        body.write(bytes([0]) + len(message).to_bytes(4, "big") + message)


# ---------------------------------------------------------------------------------------------
# c360


class C360Server:
    def __init__(self, binary, data, work):
        self.binary, self.data, self.work = binary, data, work
        self.process = None
        self.port = None
        self.console_port = None
        self.peaks = []  # peak resident memory (KiB) of each server process started

    def start(self, *options):
        port = free_port()
        self.console_port = free_port()
        self.out = open(os.path.join(self.work, "serve.out"), "a")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", f"127.0.0.1:{port}", "--metrics-listen", "127.0.0.1:0",
             "--console-listen", f"127.0.0.1:{self.console_port}", *options],
            stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                self.port = port
                return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"c360 serve exited with {self.process.returncode}")
                time.sleep(0.1)
        raise SystemExit("c360 serve did not start listening in 120 s")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.peaks.append(peak_resident_kib(self.process.pid))
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)
        self.out.close()


def layout_by_subject(binary, sizes, work):
    """Events/s of c360's log-first write layout by subject in raw RocksDB, as in the ceilings but
    for as many events as c360's bulk ingest (the ceilings write `storage_events`)."""
    log("ceiling beside c360's bulk ingest: the log-first layout by subject in raw RocksDB")
    directory = os.path.join(work, "rocksdb-layout-beside")
    figures = run_json([binary, "bench", "rocksdb", "--dir", directory, "--events", "1000", "--single-writes", "10",
                        "--layout-events", str(sizes["events"]),
                        "--layout-customers", str(sizes["customers"]),
                        "--layouts", "log-first-by-subject",
                        "--projection-bytes", str(LAYOUT_PROJECTION_BYTES)])
    shutil.rmtree(directory, ignore_errors=True)
    return figures["layout_log_first_by_subject_events_per_second"]


def bench_c360(binary, sizes, work, seed):
    figures = {}
    data = os.path.join(work, "c360-data")
    server = C360Server(binary, data, work)
    server.start()
    base = [binary, "bench"]

    # The layout bulk ingest is held against, measured just before and just after it: this
    # machine's rate drifts by a third within minutes, more than within one minute.
    layout_before = layout_by_subject(binary, sizes, work)
    log(f"c360 bulk ingest: {sizes['events']:,} events, {sizes['customers']:,} customers, batches of 1,000")
    cpu = ServerCPU(server.process.pid)
    figures["bulk_ingest"] = run_json(base + ["ingest", "--server", server.address, "--customers", str(sizes["customers"]),
                                              "--events", str(sizes["events"]), "--seed", str(seed)])
    figures["bulk_ingest"].update(cpu.figures(figures["bulk_ingest"]["appended"], "event"))
    server.stop()
    layout_after = layout_by_subject(binary, sizes, work)
    figures["bulk_ingest"]["layout_beside"] = dict(before=layout_before, after=layout_after,
                                                   mean=(layout_before + layout_after) / 2)

    # The snapshot is taken here: the small appends and freshness samples below are its tail.
    log("c360 snapshot")
    run([binary, "snapshot", "--data", data])
    server.start()

    log(f"c360 small appends: 64 calls in flight ({' '.join(APPEND_SHAPE)}), unique event ids, for {sizes['seconds']} s")
    cpu = ServerCPU(server.process.pid)
    figures["small_appends"] = append_figures(load(binary, server.address, APPEND_SHAPE, "--rpc", "append-events",
                                                   "--customers", str(sizes["customers"]), "--seconds", str(sizes["seconds"])))
    figures["small_appends"].update(cpu.figures(figures["small_appends"]["calls"], "append"))
    log(f"c360 freshness: {sizes['freshness']} appends watched on WatchProfiles")
    figures["freshness"] = run_json(base + ["freshness", "--server", server.address, "--samples", str(sizes["freshness"])])

    # The first lookups after the load evaluate each customer's profile, which later lookups find
    # kept (storage.cached_profiles): the first pass, three random lookups per customer, is
    # measured on its own and reaches about 95% of them; four more per customer, not measured,
    # leave about one in a thousand to evaluate, as PostgreSQL's buffers hold every page its load
    # wrote.
    first_pass = [("first_pass_c16_m32", ["-c", "16", "-m", "32"], 3 * sizes["customers"])]
    figures["lookups"] = measure_lookups(binary, server, sizes, first_pass)
    warm_profiles(binary, server, sizes, 4)
    figures["lookups"].update(measure_lookups(binary, server, sizes, [(name, shape, sizes["requests"]) for name, shape in LOOKUP_SHAPES]))

    figures["console"] = bench_console(server, sizes)

    figures["footprint"] = {"server_pss_kib_at_end": proportional_set_kib([server.process.pid])}
    server.stop()
    figures["footprint"]["server_peak_rss_kib"] = max(server.peaks)

    # The same server on one event loop per core (c360's default is one fewer, leaving a core to the
    # log writer and RocksDB): the peak lookup rate this gives up, and the tail of -c 16 -m 1 with
    # three threads taking turns on two cores beside the load generator.
    server.start("--event-loops", str(len(os.sched_getaffinity(0))))
    warm_profiles(binary, server, sizes, 7)
    figures["lookups_loop_per_core"] = measure_lookups(
        binary, server, sizes, [(name, shape, sizes["requests"]) for name, shape in LOOKUP_SHAPES if name != "c1_m1"])
    server.stop()
    disk = directory_bytes(data)
    logged = figures["bulk_ingest"]["appended"] + figures["small_appends"]["appended"] + figures["freshness"]["samples"] + 1
    figures["footprint"].update(disk_bytes=disk, events=logged, disk_bytes_per_event=disk / logged)

    log("c360 replay from the start")
    figures["replay"] = {"full": parse_replay(run([binary, "replay", "--data", data]))}
    log("c360 replay from the snapshot")
    figures["replay"]["snapshot_plus_tail"] = parse_replay(run([binary, "replay", "--data", data, "--from-snapshot"]))
    log("c360 lookups inside the process (no transport)")
    figures["store_lookups"] = run_json(base + ["lookups", "--data", data, "--customers", str(sizes["customers"]),
                                                "--lookups", str(min(sizes["requests"], 100_000))])
    return figures


def measure_lookups(binary, server, sizes, shapes):
    """GetProfile over random customers, each (name, load shape, requests), with the server's CPU
    per lookup."""
    figures = {}
    for name, shape, requests in shapes:
        cpu = ServerCPU(server.process.pid)
        result = load(binary, server.address, shape, "--rpc", "get-profile", "--customers", str(sizes["customers"]),
                      "-n", str(requests))
        result.update(cpu.figures(result["requests"], "request"))
        figures[name] = result
        log(f"c360 GetProfile {name}, random customers: {result['requests_per_second']:,.0f} requests/s, "
            f"{result['server_cpu_us_per_request']:.1f} µs of server CPU each")
    return figures


def warm_profiles(binary, server, sizes, per_customer):
    """Random lookups, not measured, so that nearly every profile is kept (1 - e^-per_customer of them)."""
    log(f"c360 GetProfile: {per_customer} random lookups per customer to keep their profiles (not measured)")
    load(binary, server.address, ["-c", "16", "-m", "32"], "--rpc", "get-profile", "--customers", str(sizes["customers"]),
         "-n", str(per_customer * sizes["customers"]))


def bench_console(server, sizes):
    """The customer console's pages over HTTP/1.1 on one kept-alive connection, one request at a
    time, each for a random customer of the whole data set: the time from sending the request to
    the last byte of the page (client included), and the page's size. The benchmark's server has no
    segments configured (they would change what every write costs), so the segment pages are
    measured by hand with the example configuration (README)."""
    import http.client
    import random

    pages = max(50, min(500, sizes["requests"] // 200))
    log(f"c360 console: {pages} pages of each kind, random customers")
    connection = http.client.HTTPConnection("127.0.0.1", server.console_port, timeout=60)
    # The first page starts the session (no tokens: loopback only); the rest send its cookie.
    connection.request("GET", "/")
    first = connection.getresponse()
    first.read()
    cookie = first.getheader("Set-Cookie").split(";", 1)[0]
    chooser = random.Random(11)
    figures = {}
    for name, path in (("customer page", lambda: f"/customers/cust_{chooser.randrange(1, sizes['customers'] + 1)}"),
                       ("search page", lambda: "/")):
        latencies, sizes_bytes, failed = [], [], 0
        for _ in range(pages):
            started = time.perf_counter()
            connection.request("GET", path(), headers={"Cookie": cookie})
            response = connection.getresponse()
            body = response.read()
            latencies.append((time.perf_counter() - started) * 1e6)
            sizes_bytes.append(len(body))
            failed += response.status != 200
        figures[name] = dict(percentiles(latencies), pages=pages, failed=failed, mean_bytes=sum(sizes_bytes) / len(sizes_bytes))
        log(f"c360 console {name}: p50 {figures[name]['p50_ms']:.2f} ms, p99 {figures[name]['p99_ms']:.2f} ms, "
            f"{figures[name]['mean_bytes'] / 1024:.1f} KiB")
    connection.close()
    return figures


def parse_replay(output):
    folded = re.search(r"replayed (\d+) events from the start|(\d+) events after it folded", output)
    rate = re.search(r"(\d+) projections in ([\d.]+) s, (\d+) events/s", output)
    if not rate or "rebuilt projections equal the live ones" not in output:
        raise SystemExit(f"replay did not report equal projections:\n{output}")
    figures = dict(projections=int(rate.group(1)), seconds=float(rate.group(2)), events_per_second=float(rate.group(3)))
    figures["events_folded"] = int(folded.group(1) or folded.group(2)) if folded else None
    snapshot = re.search(r"snapshot at seq (\d+): (\d+) projections loaded", output)
    if snapshot:
        figures["snapshot_seq"] = int(snapshot.group(1))
        figures["projections_loaded"] = int(snapshot.group(2))
        # The rate of bringing the whole log up to date: every event the result reflects.
        figures["log_events_per_second"] = (figures["snapshot_seq"] + figures["events_folded"]) / figures["seconds"]
    return figures


# ---------------------------------------------------------------------------------------------
# PostgreSQL 15

PG_SETTINGS = {
    # Durability as c360's: every commit is synced before it is acknowledged.
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",  # fewer checkpoints during the bulk load: in PostgreSQL's favour
    "max_connections": "100",
    "listen_addresses": "'127.0.0.1'",
}

PG_SCHEMA = """
CREATE TABLE events (
  seq          bigserial PRIMARY KEY,
  event_id     text NOT NULL UNIQUE,        -- appending an event id twice is a no-op
  subject      text NOT NULL,               -- customer id, or the identity of an anonymous visitor
  kind         text NOT NULL,
  detail       text NOT NULL,               -- web/email/ticket type, order channel or status
  occurred_at  timestamptz NOT NULL,
  amount_minor bigint NOT NULL DEFAULT 0,
  payload      jsonb NOT NULL
);
CREATE INDEX events_by_subject ON events (subject, seq);  -- a customer's timeline
CREATE TABLE projections (
  subject text PRIMARY KEY,
  orders int NOT NULL DEFAULT 0, online_orders int NOT NULL DEFAULT 0, instore_orders int NOT NULL DEFAULT 0,
  lifetime_value_minor bigint NOT NULL DEFAULT 0,
  first_order_at timestamptz, last_order_at timestamptz,
  web_events int NOT NULL DEFAULT 0, product_views int NOT NULL DEFAULT 0, last_login_at timestamptz,
  emails_sent int NOT NULL DEFAULT 0, emails_opened int NOT NULL DEFAULT 0, emails_clicked int NOT NULL DEFAULT 0,
  tickets_opened int NOT NULL DEFAULT 0, tickets_resolved int NOT NULL DEFAULT 0,
  last_event_at timestamptz, last_seq bigint NOT NULL
);
"""

# The projection columns folded from a set of event rows `e`, shared by ingest and replay.
PG_FOLD = """
  count(*) FILTER (WHERE e.kind = 'order_placed'),
  count(*) FILTER (WHERE e.kind = 'order_placed' AND e.detail = 'ORDER_CHANNEL_ONLINE'),
  count(*) FILTER (WHERE e.kind = 'order_placed' AND e.detail = 'ORDER_CHANNEL_INSTORE'),
  coalesce(sum(e.amount_minor) FILTER (WHERE e.kind = 'order_placed'), 0),
  min(e.occurred_at) FILTER (WHERE e.kind = 'order_placed'),
  max(e.occurred_at) FILTER (WHERE e.kind = 'order_placed'),
  count(*) FILTER (WHERE e.kind = 'web_event'),
  count(*) FILTER (WHERE e.kind = 'web_event' AND e.detail = 'WEB_EVENT_TYPE_PRODUCT_VIEW'),
  max(e.occurred_at) FILTER (WHERE e.kind = 'web_event' AND e.detail = 'WEB_EVENT_TYPE_LOGIN_SUCCESS'),
  count(*) FILTER (WHERE e.kind = 'email_event' AND e.detail = 'EMAIL_EVENT_TYPE_SENT'),
  count(*) FILTER (WHERE e.kind = 'email_event' AND e.detail = 'EMAIL_EVENT_TYPE_OPENED'),
  count(*) FILTER (WHERE e.kind = 'email_event' AND e.detail = 'EMAIL_EVENT_TYPE_CLICKED'),
  count(*) FILTER (WHERE e.kind = 'ticket_event' AND e.detail = 'TICKET_EVENT_TYPE_OPENED'),
  count(*) FILTER (WHERE e.kind = 'ticket_event' AND e.detail = 'TICKET_EVENT_TYPE_RESOLVED'),
  max(e.occurred_at), max(e.seq)
"""
PG_COLUMNS = ("subject, orders, online_orders, instore_orders, lifetime_value_minor, first_order_at, last_order_at, "
              "web_events, product_views, last_login_at, emails_sent, emails_opened, emails_clicked, "
              "tickets_opened, tickets_resolved, last_event_at, last_seq")
PG_MERGE = """
ON CONFLICT (subject) DO UPDATE SET
  orders = p.orders + excluded.orders, online_orders = p.online_orders + excluded.online_orders,
  instore_orders = p.instore_orders + excluded.instore_orders,
  lifetime_value_minor = p.lifetime_value_minor + excluded.lifetime_value_minor,
  first_order_at = least(p.first_order_at, excluded.first_order_at),
  last_order_at = greatest(p.last_order_at, excluded.last_order_at),
  web_events = p.web_events + excluded.web_events, product_views = p.product_views + excluded.product_views,
  last_login_at = greatest(p.last_login_at, excluded.last_login_at),
  emails_sent = p.emails_sent + excluded.emails_sent, emails_opened = p.emails_opened + excluded.emails_opened,
  emails_clicked = p.emails_clicked + excluded.emails_clicked,
  tickets_opened = p.tickets_opened + excluded.tickets_opened,
  tickets_resolved = p.tickets_resolved + excluded.tickets_resolved,
  last_event_at = greatest(p.last_event_at, excluded.last_event_at), last_seq = excluded.last_seq
"""

KINDS = ("customer_upserted", "order_placed", "order_status_changed", "web_event", "email_event", "ticket_event",
         "identity_linked", "identity_unlinked")


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def event_row(line):
    """One NDJSON event as a VALUES row of the batch statement."""
    event = json.loads(line)
    kind = next(k for k in KINDS if k in event)
    payload = event[kind]
    subject = event.get("customer_id") or event["identities"][0]["value"]
    detail = payload.get("type") or payload.get("channel") or payload.get("status") or ""
    amount = int(payload.get("total", {}).get("minor_units", 0)) if kind == "order_placed" else 0
    return (f"({sql_literal(event['event_id'])},{sql_literal(subject)},'{kind}',{sql_literal(detail)},"
            f"{sql_literal(event['occurred_at'])}::timestamptz,{amount},{sql_literal(line.strip())}::jsonb)")


def batch_statement(rows):
    """One transaction: the batch's events and the projections they change, as the seeds' SQL
    pipelines do it: insert the events (an existing event id is skipped), then fold what was
    inserted into the projection table."""
    return (
        "WITH batch(event_id, subject, kind, detail, occurred_at, amount_minor, payload) AS (VALUES\n"
        + ",\n".join(rows)
        + "),\ne AS (INSERT INTO events (event_id, subject, kind, detail, occurred_at, amount_minor, payload)\n"
        "  SELECT * FROM batch ON CONFLICT (event_id) DO NOTHING\n"
        "  RETURNING seq, subject, kind, detail, occurred_at, amount_minor)\n"
        f"INSERT INTO projections AS p ({PG_COLUMNS})\n"
        f"SELECT e.subject, {PG_FOLD} FROM e GROUP BY e.subject ORDER BY e.subject\n{PG_MERGE};\n")


class Postgres:
    """A throw-away PostgreSQL 15 cluster on 127.0.0.1, owned by the benchmark."""

    def __init__(self, work):
        self.directory = os.path.join(work, "pg")
        self.port = free_port()
        os.makedirs(self.directory)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(work, "postgres")
            shutil.chown(self.directory, "postgres")

    def start(self):
        data = os.path.join(self.directory, "data")
        run(self.as_postgres + [f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
        with open(os.path.join(data, "postgresql.conf"), "a") as conf:
            for key, value in PG_SETTINGS.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"port = {self.port}\nunix_socket_directories = '{self.directory}'\n")
        run(self.as_postgres + [f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(self.directory, "log"), "-w", "start"])
        self.data = data
        self.psql("CREATE DATABASE bench", database="postgres")
        self.psql(PG_SCHEMA)

    def stop(self):
        run(self.as_postgres + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])

    def connection(self, database="bench"):
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database]

    def psql(self, sql, database="bench"):
        return run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", *self.connection(database), "-c", sql])

    def pids(self):
        """The cluster's postmaster (this benchmark's cluster is the only one it starts): its figures
        include the backends that exited, not those still running."""
        return [int(p) for p in subprocess.run(["pgrep", "-f", self.data], capture_output=True, text=True).stdout.split()]

    def cluster_pids(self):
        """The postmaster and every process it runs now (backends, WAL writer, checkpointer, …)."""
        postmasters = self.pids()
        children = [int(p) for pm in postmasters
                    for p in subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True).stdout.split()]
        return postmasters + children

    def pgbench(self, script, clients, seconds, variables):
        """A pgbench run of a custom script; rate and nearest-rank latency percentiles."""
        log_dir = tempfile.mkdtemp(dir=self.directory)
        if self.as_postgres:
            shutil.chown(log_dir, "postgres")
        script_path = os.path.join(log_dir, "script.sql")
        with open(script_path, "w") as f:
            f.write(script)
        command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
                   "-f", script_path, "--log", "--log-prefix", os.path.join(log_dir, "tx")]
        for key, value in variables.items():
            command += ["-D", f"{key}={value}"]
        output = run(self.as_postgres + command + self.connection())
        latencies = []
        for name in os.listdir(log_dir):
            if name.startswith("tx"):
                with open(os.path.join(log_dir, name)) as lines:
                    latencies += [int(line.split()[2]) for line in lines if line.strip()]
        failed = int(re.search(r"number of failed transactions: (\d+)", output).group(1)) \
            if "number of failed transactions" in output else 0
        tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))
        figures = dict(transactions=len(latencies), failed=failed, per_second=tps, clients=clients)
        figures.update(percentiles(latencies))
        shutil.rmtree(log_dir)
        return figures


def bench_postgres(ndjson, sizes, work):
    figures = {"settings": dict(PG_SETTINGS), "version": None}
    pg = Postgres(work)
    pg.start()
    try:
        figures["version"] = pg.psql("SHOW server_version", database="postgres").strip()

        # Bulk ingest: batches of 1,000 in as many connections as c360's calls in flight.
        log("PostgreSQL: writing the batch statements (not timed)")
        connections = 4
        files = [open(os.path.join(work, f"pg-batches-{n}.sql"), "w") for n in range(connections)]
        rows, batches, events = [], 0, 0
        with open(ndjson) as lines:
            for line in lines:
                rows.append(event_row(line))
                if len(rows) == 1000:
                    files[batches % connections].write(batch_statement(rows))
                    batches, events, rows = batches + 1, events + len(rows), []
        if rows:
            files[batches % connections].write(batch_statement(rows))
            batches, events = batches + 1, events + len(rows)
        for f in files:
            f.close()
        log(f"PostgreSQL bulk ingest: {events:,} events in {batches:,} transactions over {connections} connections")
        start = time.monotonic()
        pg_cpu = CPUWindow(pg.cluster_pids)
        loaders = [subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *pg.connection(), "-f", f.name],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for f in files]
        for loader in loaders:
            _, error = loader.communicate()
            if loader.returncode != 0:
                raise SystemExit(f"PostgreSQL bulk load failed: {error}")
        seconds = time.monotonic() - start
        cpu = pg_cpu.seconds()
        stored = int(pg.psql("SELECT count(*) FROM events"))
        figures["bulk_ingest"] = dict(events=events, stored=stored, seconds=seconds, events_per_second=stored / seconds,
                                      batch=1000, connections=connections, server_cpu_us_per_event=cpu / max(1, stored) * 1e6)
        for f in files:
            os.remove(f.name)
        pg.psql("VACUUM ANALYZE")

        log(f"PostgreSQL small appends: 64 clients for {sizes['seconds']} s")
        append = ("\\set cid random(1, :customers)\n"
                  "WITH e AS (INSERT INTO events (event_id, subject, kind, detail, occurred_at, payload)\n"
                  "  VALUES (gen_random_uuid()::text, 'cust_' || :cid, 'web_event', 'WEB_EVENT_TYPE_PAGE_VIEW', now(),\n"
                  "          '{\"web_event\":{\"type\":\"WEB_EVENT_TYPE_PAGE_VIEW\",\"page\":\"/bench\"}}')\n"
                  "  RETURNING seq, subject, kind, detail, occurred_at, amount_minor)\n"
                  f"INSERT INTO projections AS p ({PG_COLUMNS})\n"
                  f"SELECT e.subject, {PG_FOLD} FROM e GROUP BY e.subject\n{PG_MERGE};\n")
        pg_cpu = CPUWindow(pg.cluster_pids)
        small = pg.pgbench(append, 64, sizes["seconds"], {"customers": sizes["customers"]})
        cpu = pg_cpu.seconds()
        figures["small_appends"] = dict(events_per_second=small["per_second"], appended=small["transactions"],
                                        failed=small["failed"], callers=64,
                                        server_cpu_us_per_append=cpu / max(1, small["transactions"]) * 1e6,
                                        **{"ack_" + k: v for k, v in small.items() if k.endswith("_ms")})

        figures["lookups"] = {}
        lookup = "\\set cid random(1, :customers)\nSELECT * FROM projections WHERE subject = 'cust_' || :cid;\n"
        for name, clients in (("c1", 1), ("c16", 16)):
            log(f"PostgreSQL point selects: {clients} client(s) for {sizes['seconds']} s")
            # The backends exit with pgbench's connections: their CPU is then in the postmaster's
            # waited-for children's figures, which process_cpu_seconds counts; the processes still
            # running (the WAL writer, the checkpointer, …) are counted by their own.
            pg_cpu = CPUWindow(pg.cluster_pids)
            result = pg.pgbench(lookup, clients, sizes["seconds"], {"customers": sizes["customers"]})
            cpu = pg_cpu.seconds()
            figures["lookups"][name] = dict(requests_per_second=result["per_second"], requests=result["transactions"],
                                            failed=result["failed"], server_cpu_us_per_request=cpu / max(1, result["transactions"]) * 1e6,
                                            **{k: v for k, v in result.items() if k.endswith("_ms")})

        log("PostgreSQL replay: the projection table rebuilt from the events table")
        events_now = int(pg.psql("SELECT count(*) FROM events"))
        start = time.monotonic()
        pg.psql(f"BEGIN; TRUNCATE projections; INSERT INTO projections ({PG_COLUMNS}) "
                f"SELECT e.subject, {PG_FOLD} FROM events e GROUP BY e.subject; COMMIT;")
        seconds = time.monotonic() - start
        figures["replay"] = dict(events=events_now, seconds=seconds, events_per_second=events_now / seconds)

        size = int(pg.psql("SELECT pg_database_size('bench')"))
        figures["footprint"] = dict(database_bytes=size, events=events_now, disk_bytes_per_event=size / events_now,
                                    server_pss_kib_at_end=proportional_set_kib(pg.pids()))
    finally:
        pg.stop()
    return figures


# ---------------------------------------------------------------------------------------------
# Ceilings


# The HTTP/2 ceilings are compared with each other (c360's transport beside nghttpd, c360's load
# generator beside h2load), and this machine's speed drifts by up to 2x within minutes: each
# comparison is measured in rounds that alternate the servers and the load generators, each round
# a third of the requests, and each figure is over all its rounds.
TRANSPORT_ROUNDS = 3


def bench_ceilings(binary, sizes, work):
    figures = {"transport": {}, "swift_transport": {}, "c360_transport": {}}
    root = os.path.join(work, "nghttpd")
    os.makedirs(root)
    with open(os.path.join(root, "profile"), "wb") as body:
        body.write(b"x" * 200)
    port = free_port()
    nghttpd = subprocess.Popen(["nghttpd", "--no-tls", "-d", root, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = {}
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        bare = {stack: BareTransportCeiling(binary, 200, stack) for stack in ("nghttp2", "nio-http2")}
        request_body = os.path.join(work, "h2-server-request.bin")
        grpc_request_body("cust_1", request_body)
        grpc = dict(body=request_body, headers=["content-type: application/grpc", "te: trailers"])
        # (figures key, label, h2load's URL and request, c360's load generator's arguments, process to time)
        targets = [("transport", "nghttpd, a fixed 200-byte body", f"http://127.0.0.1:{port}/profile", {},
                    [f"127.0.0.1:{port}", "--rpc", "fixed", "--path", "/profile"], None)]
        for stack, key in (("nghttp2", "c360_transport"), ("nio-http2", "swift_transport")):
            server = bare[stack]
            targets.append((key, f"{STACK_NAMES[stack]} with a fixed 200-byte gRPC response",
                            f"http://{server.address}/c360.v1.ProfileService/GetProfile", grpc,
                            [server.address, "--rpc", "get-profile", "--customers", str(sizes["customers"])], server.process))
        per_round = max(1, sizes["requests"] // TRANSPORT_ROUNDS)
        for name, shape in CEILING_SHAPES:
            h2load_runs = {key: [] for key, *_ in targets}
            load_runs = {key: [] for key, *_ in targets}
            cpu_seconds = {key: 0.0 for key, *_ in targets}
            for round_number in range(1, TRANSPORT_ROUNDS + 1):
                for key, label, url, request, load_arguments, process in targets:
                    log(f"ceiling: {label}, {name}, round {round_number} of {TRANSPORT_ROUNDS}: h2load, then c360's load generator")
                    server_cpu = CPUWindow(lambda pid=process.pid: [pid]) if process else None
                    h2load_runs[key].append(h2load(url, shape, per_round, request.get("body"), request.get("headers", ())))
                    if server_cpu:
                        cpu_seconds[key] += server_cpu.seconds()
                    target, *arguments = load_arguments
                    load_runs[key].append(load(binary, target, shape, *arguments, "-n", str(per_round)))
            for key, *_, process in targets:
                figures[key][name] = combine_runs(h2load_runs[key])
                if process:
                    figures[key][name]["server_cpu_us_per_request"] = cpu_seconds[key] / max(1, figures[key][name]["requests"]) * 1e6
                figures[key][name + "_c360_load"] = combine_load_runs(load_runs[key])
    finally:
        for server in bare.values():
            server.stop()
        nghttpd.terminate()
        nghttpd.wait()
    for stack, key in (("nio-http2", "swift_transport"), ("nghttp2", "c360_transport")):
        figures[key]["small_appends"] = bare_transport_appends(binary, sizes, stack)
    log("ceiling: raw RocksDB synced WriteBatches, then c360's write layout in raw RocksDB")
    figures["storage"] = run_json([binary, "bench", "rocksdb", "--dir", os.path.join(work, "rocksdb-ceiling"),
                                   "--events", str(sizes["storage_events"]),
                                   "--layout-events", str(sizes["storage_events"]),
                                   "--layout-customers", str(sizes["customers"]),
                                   "--layouts", "current,log-first-by-subject,log-first-by-seq,log-only",
                                   "--projection-bytes", str(LAYOUT_PROJECTION_BYTES)])
    figures["codecs"] = bench_codecs(binary, sizes, work)
    return figures


def bench_codecs(binary, sizes, work):
    """The codecs of the hot paths on the same generated data: c360's own, SwiftProtobuf, and
    libprotobuf-c (its C structs only: what turning them into Swift values would cost is not counted)."""
    dump = os.path.join(work, "codec-data")
    os.makedirs(dump)
    customers, events = (2_000, 30_000) if sizes["customers"] < 100_000 else (20_000, 300_000)
    log(f"codecs: c360's and SwiftProtobuf, {events:,} events over {customers:,} customers")
    figures = run_json([binary, "bench", "codec", "--customers", str(customers), "--events", str(events), "--dump", dump])
    log("codecs: libprotobuf-c on the same events and projections")
    here = os.path.dirname(os.path.abspath(__file__))
    figures.update(run_json([os.path.join(here, "protobuf-c", "run.sh"), dump]))
    figures.pop("sink", None)
    return figures


class BareTransportCeiling:
    """`c360 bench h2-server`: a bare server answering every request with one fixed gRPC response,
    on c360's transport (nghttp2: SwiftNIO sockets, libnghttp2, c360's gRPC layer) or on
    swift-nio-http2 (nio-http2)."""

    def __init__(self, binary, message_bytes, stack):
        self.process = subprocess.Popen(
            [binary, "bench", "h2-server", "--listen", "127.0.0.1:0", "--message-bytes", str(message_bytes), "--stack", stack],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        line = self.process.stdout.readline().decode()
        match = re.match(r"listening on ([\d.]+:\d+)", line)
        if not match:
            self.stop()
            raise SystemExit(f"c360 bench h2-server did not report its address: {line!r}")
        self.address = match.group(1)

    def stop(self):
        self.process.terminate()
        self.process.wait()


STACK_NAMES = {"nio-http2": "swift-nio-http2", "nghttp2": "c360's transport (libnghttp2)"}


def bare_transport_appends(binary, sizes, stack):
    """The small appends' load against a bare server answering an empty message (a valid
    AppendEventsResponse): what the load generator and the transport allow on 2 cores."""
    server = BareTransportCeiling(binary, 0, stack)
    try:
        log(f"ceiling: the small appends' load against {STACK_NAMES[stack]} answering an empty message, {sizes['seconds']} s")
        return append_figures(load(binary, server.address, APPEND_SHAPE, "--rpc", "append-events",
                                   "--customers", str(sizes["customers"]), "--seconds", str(sizes["seconds"])))
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# Results


def machine():
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return dict(cores=os.cpu_count(), memory_gib=round(memory_kib / 1024 / 1024, 1), cpu=model,
                kernel=platform.release())


def versions(binary):
    def first_line(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return None
    return dict(
        c360=first_line(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"]),
        swift=first_line(["swift", "--version"]),
        rocksdb=first_line(["dpkg-query", "-W", "-f", "${Version}", "librocksdb-dev"]),
        postgresql=first_line([f"{PG_BIN}/postgres", "--version"]),
        h2load=first_line(["h2load", "--version"]),
    )


def rows(results):
    """The table: (workload, c360, PostgreSQL, ceiling, higher_is_better)."""
    c, p, ceil = results["c360"], results["postgresql"], results["ceilings"]
    return [
        ("bulk ingest, events/s (batches of 1,000, synced)", c["bulk_ingest"]["events_per_second"],
         p["bulk_ingest"]["events_per_second"], ceil["storage"]["bulk_events_per_second"], True),
        ("bulk ingest, server CPU µs per event", c["bulk_ingest"]["server_cpu_us_per_event"],
         p["bulk_ingest"]["server_cpu_us_per_event"], None, False),
        ("bulk ingest, events/s, beside c360's write layout in raw RocksDB (ceiling)", c["bulk_ingest"]["events_per_second"],
         None, ceil["storage"]["layout_events_per_second"], True),
        ("bulk ingest, events/s, beside the log-first layout by subject in raw RocksDB (ceiling)", c["bulk_ingest"]["events_per_second"],
         None, ceil["storage"]["layout_log_first_by_subject_events_per_second"], True),
        ("bulk ingest, events/s, beside the log-first layout by subject in raw RocksDB measured just before and just after it, their mean (ceiling)",
         c["bulk_ingest"]["events_per_second"], None, c["bulk_ingest"]["layout_beside"]["mean"], True),
        ("bulk ingest, events/s, beside the log-first layout by seq in raw RocksDB (ceiling)", c["bulk_ingest"]["events_per_second"],
         None, ceil["storage"]["layout_log_first_by_seq_events_per_second"], True),
        ("bulk ingest, events/s, beside the log-only layout (indexes written behind) in raw RocksDB (ceiling)", c["bulk_ingest"]["events_per_second"],
         None, ceil["storage"]["layout_log_only_events_per_second"], True),
        ("small appends, events/s (64 callers, 1 event per call)", c["small_appends"]["events_per_second"],
         p["small_appends"]["events_per_second"], ceil["storage"]["batch64_events_per_second"], True),
        ("small appends, server CPU µs per append", c["small_appends"]["server_cpu_us_per_append"],
         p["small_appends"]["server_cpu_us_per_append"], None, False),
        ("small appends, calls/s, beside the same load generator against bare swift-nio-http2 (ceiling)",
         c["small_appends"]["calls"] / c["small_appends"]["seconds"], None,
         ceil["swift_transport"]["small_appends"]["calls_per_second"], True),
        ("small appends, calls/s, beside the same load generator against c360's bare libnghttp2 transport (ceiling)",
         c["small_appends"]["calls"] / c["small_appends"]["seconds"], None,
         ceil["c360_transport"]["small_appends"]["calls_per_second"], True),
        ("small appends, ack p50 ms", c["small_appends"]["ack_p50_ms"], p["small_appends"]["ack_p50_ms"],
         ceil["storage"]["single_synced_write_p50_ms"], False),
        ("small appends, ack p99 ms", c["small_appends"]["ack_p99_ms"], p["small_appends"]["ack_p99_ms"],
         ceil["storage"]["single_synced_write_p99_ms"], False),
        ("small appends, ack p99.9 ms", c["small_appends"]["ack_p99_9_ms"], p["small_appends"]["ack_p99_9_ms"],
         ceil["storage"]["single_synced_write_p99_9_ms"], False),
        ("replay from the start, events/s", c["replay"]["full"]["events_per_second"], p["replay"]["events_per_second"], None, True),
        ("replay, snapshot + tail, log events/s", c["replay"]["snapshot_plus_tail"]["log_events_per_second"], None, None, True),
        ("lookups c16 m32 first pass after the load (3 per customer, profiles evaluated on first lookup), requests/s",
         c["lookups"]["first_pass_c16_m32"]["requests_per_second"], p["lookups"]["c16"]["requests_per_second"], None, True),
        ("lookups c1 m1, requests/s (random customers)", c["lookups"]["c1_m1"]["requests_per_second"], p["lookups"]["c1"]["requests_per_second"],
         ceil["transport"]["c1_m1"]["requests_per_second"], True),
        ("lookups c1 m1, p99 ms", c["lookups"]["c1_m1"]["p99_ms"], p["lookups"]["c1"]["p99_ms"],
         ceil["transport"]["c1_m1"]["p99_ms"], False),
        ("lookups c1 m1, server CPU µs per lookup, beside c360's bare transport (ceiling)", c["lookups"]["c1_m1"]["server_cpu_us_per_request"],
         p["lookups"]["c1"]["server_cpu_us_per_request"], ceil["c360_transport"]["c1_m1"]["server_cpu_us_per_request"], False),
        ("lookups c1 m1, requests/s, beside c360's bare libnghttp2 transport (ceiling)", c["lookups"]["c1_m1"]["requests_per_second"],
         None, ceil["c360_transport"]["c1_m1"]["requests_per_second"], True),
        ("lookups c16 m1, requests/s", c["lookups"]["c16_m1"]["requests_per_second"], p["lookups"]["c16"]["requests_per_second"], None, True),
        ("lookups c16 m1, p99 ms", c["lookups"]["c16_m1"]["p99_ms"], p["lookups"]["c16"]["p99_ms"], None, False),
        ("lookups c16 m1, requests/s, server on one event loop per core (not the default)", c["lookups_loop_per_core"]["c16_m1"]["requests_per_second"],
         p["lookups"]["c16"]["requests_per_second"], None, True),
        ("lookups c16 m1, p99 ms, server on one event loop per core", c["lookups_loop_per_core"]["c16_m1"]["p99_ms"], p["lookups"]["c16"]["p99_ms"], None, False),
        ("lookups c16 m32, requests/s", c["lookups"]["c16_m32"]["requests_per_second"], p["lookups"]["c16"]["requests_per_second"],
         ceil["transport"]["c16_m32"]["requests_per_second"], True),
        ("lookups c16 m32, requests/s, beside c360's bare libnghttp2 transport (ceiling)", c["lookups"]["c16_m32"]["requests_per_second"],
         None, ceil["c360_transport"]["c16_m32"]["requests_per_second"], True),
        ("lookups c16 m32, requests/s, server on one event loop per core", c["lookups_loop_per_core"]["c16_m32"]["requests_per_second"],
         p["lookups"]["c16"]["requests_per_second"], None, True),
        ("lookups c16 m32, server CPU µs per lookup, beside c360's bare transport (ceiling)", c["lookups"]["c16_m32"]["server_cpu_us_per_request"],
         p["lookups"]["c16"]["server_cpu_us_per_request"], ceil["c360_transport"]["c16_m32"]["server_cpu_us_per_request"], False),
        ("lookups c16 m32, p50 ms", c["lookups"]["c16_m32"]["p50_ms"], p["lookups"]["c16"]["p50_ms"],
         ceil["transport"]["c16_m32"]["p50_ms"], False),
        ("lookups c16 m32, p99 ms", c["lookups"]["c16_m32"]["p99_ms"], p["lookups"]["c16"]["p99_ms"],
         ceil["transport"]["c16_m32"]["p99_ms"], False),
        ("lookups c16 m32, p99.9 ms", c["lookups"]["c16_m32"]["p99_9_ms"], p["lookups"]["c16"]["p99_9_ms"],
         ceil["transport"]["c16_m32"]["p99_9_ms"], False),
        ("bare transport c1 m1, requests/s: c360's (libnghttp2) beside nghttpd (ceiling)", ceil["c360_transport"]["c1_m1"]["requests_per_second"],
         None, ceil["transport"]["c1_m1"]["requests_per_second"], True),
        ("bare transport c16 m32, requests/s: c360's (libnghttp2) beside nghttpd (ceiling)", ceil["c360_transport"]["c16_m32"]["requests_per_second"],
         None, ceil["transport"]["c16_m32"]["requests_per_second"], True),
        ("bare transport c1 m1, requests/s: swift-nio-http2 beside nghttpd (ceiling)", ceil["swift_transport"]["c1_m1"]["requests_per_second"],
         None, ceil["transport"]["c1_m1"]["requests_per_second"], True),
        ("bare transport c16 m32, requests/s: swift-nio-http2 beside nghttpd (ceiling)", ceil["swift_transport"]["c16_m32"]["requests_per_second"],
         None, ceil["transport"]["c16_m32"]["requests_per_second"], True),
        ("load generator against nghttpd c1 m1, requests/s: c360's beside h2load (ceiling)", ceil["transport"]["c1_m1_c360_load"]["requests_per_second"],
         None, ceil["transport"]["c1_m1"]["requests_per_second"], True),
        ("load generator against nghttpd c16 m32, requests/s: c360's beside h2load (ceiling)", ceil["transport"]["c16_m32_c360_load"]["requests_per_second"],
         None, ceil["transport"]["c16_m32"]["requests_per_second"], True),
        ("load generator against c360's bare transport c1 m1, requests/s: c360's beside h2load (ceiling)",
         ceil["c360_transport"]["c1_m1_c360_load"]["requests_per_second"], None, ceil["c360_transport"]["c1_m1"]["requests_per_second"], True),
        ("load generator against c360's bare transport c16 m32, requests/s: c360's beside h2load (ceiling)",
         ceil["c360_transport"]["c16_m32_c360_load"]["requests_per_second"], None, ceil["c360_transport"]["c16_m32"]["requests_per_second"], True),
        ("decoding a stored event, ns: c360's codec beside SwiftProtobuf", ceil["codecs"]["event_decode_hand_written_ns"],
         None, ceil["codecs"]["event_decode_swiftprotobuf_ns"], False),
        ("decoding a stored event, ns: c360's codec beside libprotobuf-c (C structs)", ceil["codecs"]["event_decode_hand_written_ns"],
         None, ceil["codecs"]["event_decode_protobuf_c_ns"], False),
        ("decoding what the fold reads of a stored event (as a replay does), ns: c360's codec beside SwiftProtobuf (the whole event)",
         ceil["codecs"]["event_decode_for_fold_ns"], None, ceil["codecs"]["event_decode_swiftprotobuf_ns"], False),
        ("folding a decoded event into its customer's projection, ns", ceil["codecs"]["event_fold_ns"], None, None, False),
        ("folding an event as the writer does (log order, customers interleaved), ns: its projection held as stored bytes (the parts it changes decoded, folded, encoded again) beside held decoded",
         ceil["codecs"].get("event_fold_on_stored_bytes_ns"), None, ceil["codecs"].get("event_fold_held_in_log_order_ns"), False),
        ("folding on stored bytes, ns: decoding the parts beside folding, encoding and destroying",
         ceil["codecs"].get("event_fold_on_stored_bytes_decode_ns"), None,
         sum(ceil["codecs"].get("event_fold_on_stored_bytes_" + step + "_ns", 0) for step in ("fold", "encode", "destroy")), False),
        ("folding in stored bytes (web and email events folded in the bytes themselves, the others as above), ns, beside on stored bytes",
         ceil["codecs"].get("event_fold_in_stored_bytes_ns"), None, ceil["codecs"].get("event_fold_on_stored_bytes_ns"), False),
        ("decoding a stored projection, ns: c360's plain values beside SwiftProtobuf", ceil["codecs"]["projection_decode_plain_ns"],
         None, ceil["codecs"]["projection_decode_swiftprotobuf_ns"], False),
        ("decoding a stored projection, ns: c360's plain values beside libprotobuf-c (C structs)", ceil["codecs"]["projection_decode_plain_ns"],
         None, ceil["codecs"]["projection_decode_protobuf_c_ns"], False),
        ("decoding a stored projection, bytes it keeps in memory: c360's plain values beside the stored encoding's bytes",
         ceil["codecs"].get("projection_decoded_bytes"), None, ceil["codecs"]["mean_projection_bytes"], False),
        ("decoding the parts of a stored projection an order changes (orders, days; the rest left in its bytes), ns: beside decoding it whole",
         ceil["codecs"].get("projection_decode_for_order_ns"), None, ceil["codecs"]["projection_decode_plain_ns"], False),
        ("decoding the parts of a stored projection an order changes, bytes it keeps besides the stored bytes it shares: beside decoding it whole",
         ceil["codecs"].get("projection_decoded_for_order_bytes"), None, ceil["codecs"].get("projection_decoded_bytes"), False),
        ("encoding a projection, ns: c360's plain values beside SwiftProtobuf", ceil["codecs"]["projection_encode_plain_ns"],
         None, ceil["codecs"]["projection_encode_swiftprotobuf_ns"], False),
        ("encoding a projection, ns: c360's plain values beside libprotobuf-c (C structs)", ceil["codecs"]["projection_encode_plain_ns"],
         None, ceil["codecs"]["projection_encode_protobuf_c_ns"], False),
        ("encoding a GetProfileResponse, ns: c360's encoder (from the plain profile) beside SwiftProtobuf (from its message)",
         ceil["codecs"]["profile_encode_hand_written_ns"], None, ceil["codecs"]["profile_encode_swiftprotobuf_ns"], False),
        ("encoding a GetProfileResponse, ns: c360's encoder beside libprotobuf-c (C structs)", ceil["codecs"]["profile_encode_hand_written_ns"],
         None, ceil["codecs"]["profile_encode_protobuf_c_ns"], False),
        ("evaluating a projection into its profile, ns", ceil["codecs"]["profile_evaluate_ns"], None, None, False),
        ("freshness after ack, p50 ms", c["freshness"]["p50_ms"], None, None, False),
        ("freshness after ack, p99 ms", c["freshness"]["p99_ms"], None, None, False),
        ("console customer page (random customers), p50 ms", c["console"]["customer page"]["p50_ms"], None, None, False),
        ("console customer page (random customers), p99 ms", c["console"]["customer page"]["p99_ms"], None, None, False),
        ("console search page, p99 ms", c["console"]["search page"]["p99_ms"], None, None, False),
        ("console customer page, KiB", c["console"]["customer page"]["mean_bytes"] / 1024, None, None, False),
        ("server peak memory, MiB", c["footprint"]["server_peak_rss_kib"] / 1024, None, None, False),
        ("disk, bytes per event", c["footprint"]["disk_bytes_per_event"], p["footprint"]["disk_bytes_per_event"], None, False),
    ]


def number(value):
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "—"


def markdown(results, command):
    lines = [f"`{command}` — {results['when']}, {results['machine']['cores']} cores, "
             f"{results['machine']['memory_gib']} GiB, {results['sizes']['customers']:,} customers, "
             f"{results['sizes']['events']:,} events",
             "",
             "| workload | c360 | PostgreSQL 15 | ceiling | c360 / PostgreSQL | c360 / ceiling |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, c, p, ceiling, _ in rows(results):
        lines.append(f"| {name} | {number(c)} | {number(p)} | {number(ceiling)} | {ratio(c, p)} | {ratio(c, ceiling)} |")
    lines += ["", "Ratios are c360's figure over the other's: for rates above 1× is faster; for latencies, memory "
              "and bytes above 1× is slower or larger. — means not measured for that side."]
    return "\n".join(lines) + "\n"


# Rows that have no PostgreSQL figure by nature: the codecs are compared with other codecs.
CEILING_ONLY_ROWS = ("replay, snapshot", "freshness", "console", "server peak", "bare transport", "load generator", "decoding", "encoding", "folding", "evaluating")


def missing_figures(results):
    missing = [name for name, c, *_ in rows(results) if c is None]
    missing += [f"{name} (PostgreSQL)" for name, c, p, *_ in rows(results)
                if p is None and not name.startswith(CEILING_ONLY_ROWS) and "(ceiling)" not in name]
    missing += [f"{name} (ceiling)" for name, c, p, ceiling, _ in rows(results)
                if ("(ceiling)" in name or name.startswith(("decoding", "encoding"))) and ceiling is None]
    for name, figures in results["ceilings"]["transport"].items():
        if figures.get("failed"):
            missing.append(f"nghttpd ceiling {name}: {figures['failed']} failed requests")
    for stack, label in (("swift_transport", "swift-nio-http2"), ("c360_transport", "libnghttp2 transport")):
        for name, figures in results["ceilings"][stack].items():
            failed = figures.get("failed") or figures.get("failed_calls")
            if failed:
                missing.append(f"{label} ceiling {name}: {failed} failed requests or calls")
    for section, figures in (("c360 bulk ingest", results["c360"]["bulk_ingest"]),
                             ("c360 small appends", results["c360"]["small_appends"])):
        if figures["rejected"] or figures["failed_calls"]:
            missing.append(f"{section}: {figures['rejected']} rejected, {figures['failed_calls']} failed calls "
                           f"({figures.get('first_error')})")
    for section in ("lookups", "lookups_loop_per_core"):
        for name, figures in results["c360"][section].items():
            if figures["failed"]:
                missing.append(f"c360 {section.replace('_', ' ')} {name}: {figures['failed']} failed requests")
    for name, figures in results["c360"]["console"].items():
        if figures["failed"]:
            missing.append(f"c360 console {name}: {figures['failed']} pages not served")
    if results["c360"]["freshness"]["missing"]:
        missing.append("freshness: changes that never arrived")
    return missing


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--c360", required=True, help="the c360 binary (release build)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--short", action="store_const", dest="mode", const="short")
    group.add_argument("--full", action="store_const", dest="mode", const="full")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = parser.parse_args()
    mode = args.mode or "default"
    sizes = MODES[mode]
    command = "ops/bench/run.sh" + ("" if mode == "default" else f" --{mode}")

    work = tempfile.mkdtemp(prefix="c360-bench-")
    started = time.monotonic()
    try:
        ndjson = os.path.join(work, "events.ndjson")
        log(f"generating {sizes['events']:,} events for {sizes['customers']:,} customers (seed {args.seed})")
        run([args.c360, "generate", "--customers", str(sizes["customers"]), "--events", str(sizes["events"]),
             "--seed", str(args.seed), "--out", ndjson])
        results = dict(
            mode=mode, command=command,
            when=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            machine=machine(), versions=versions(args.c360),
            sizes=dict(customers=sizes["customers"], events=sizes["events"], seed=args.seed,
                       seconds_per_timed_run=sizes["seconds"], lookup_requests_per_shape=sizes["requests"]))
        results["c360"] = bench_c360(args.c360, sizes, work, args.seed)
        results["postgresql"] = bench_postgres(ndjson, sizes, work)
        results["ceilings"] = bench_ceilings(args.c360, sizes, work)
        results["seconds"] = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, f"bench-{mode}.json"), "w") as out:
        json.dump(results, out, indent=2, sort_keys=True)
        out.write("\n")
    table = markdown(results, command)
    with open(os.path.join(args.results, f"bench-{mode}.md"), "w") as out:
        out.write(table)
    print(table)
    missing = missing_figures(results)
    if missing:
        print("MISSING OR FAILED FIGURES:\n  " + "\n  ".join(missing), file=sys.stderr)
        sys.exit(1)
    log(f"done in {results['seconds']:.0f} s; results in {args.results}/bench-{mode}.json and .md")


if __name__ == "__main__":
    main()
