#!/usr/bin/env python3
"""The PostgreSQL source's speed (issue 19), against a real PostgreSQL 15 on 127.0.0.1 in one run:

- the initial snapshot: rows of a shop's tables turned into events, per second;
- streaming: row changes applied per second while pgbench commits orders as fast as it can
  (10 rows per transaction, 8 clients), from the first commit to the last change applied;
- freshness at a steady rate: pgbench held at 5,000 row changes/s while a probe updates one
  customer every 100 ms; the time from the probe's commit (as its client sees it) to the change
  in that customer's profile (the console's JSON API, polled every 2 ms).

Writes ops/bench/results/sources-<mode>.{json,md}. Usage:
  ops/bench/sources.py --c360 .build/release/c360 [--short]
"""
import argparse
import datetime
import http.client
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops" / "python"))
import c360_server  # noqa: E402
import postgres_cluster  # noqa: E402

SCHEMA = (ROOT / "Tests" / "sources" / "shop.py").read_text().split('SCHEMA = """', 1)[1].split('"""', 1)[0]
SIZES = {"short": dict(customers=2_000, orders=20_000, seconds=5), "default": dict(customers=50_000, orders=500_000, seconds=15)}
ITEMS = '[{"sku": "K-1", "name": "Knit Jumper", "category": "knitwear", "qty": 1, "unit_price": 42.99}]'


def log(message):
    print(f"[sources {time.strftime('%H:%M:%S')}] {message}", flush=True)


def metric(server, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})?\s+(\S+)$", text, re.MULTILINE))


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        # Each scrape costs the server about 2 ms of CPU (RocksDB's figures): polled every 20 ms
        # it took 4% of the server's CPU from what is measured (perf).
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def pgbench(cluster, script, clients, seconds, rate=None):
    path = pathlib.Path(tempfile.mkdtemp(prefix="c360-pgbench-")) / "script.sql"
    path.write_text(script)
    command = [f"{postgres_cluster.PG_BIN}/pgbench", "-n", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-c", str(clients),
               "-j", "2", "-T", str(seconds), "-f", str(path), "shop"]
    if rate:
        command[1:1] = ["-R", str(rate)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def psycopg_module():
    """PostgreSQL's Python client for the freshness probe, installed from PyPI when missing (it
    loads the libpq that ops/install-deps.sh installs)."""
    try:
        import psycopg
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "psycopg"], check=True)
        import psycopg
    return psycopg


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--c360", required=True)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--results", default=str(ROOT / "ops" / "bench" / "results"))
    arguments = parser.parse_args()
    mode = "short" if arguments.short else "default"
    psycopg = psycopg_module()
    sizes = SIZES[mode]
    cluster = postgres_cluster.Cluster().start()
    work = pathlib.Path(tempfile.mkdtemp(prefix="c360-sources-bench-"))
    figures = {"sizes": sizes}
    try:
        cluster.psql("CREATE DATABASE shop")
        cluster.psql(SCHEMA, "shop")
        log(f"loading {sizes['customers']:,} customers and {sizes['orders']:,} orders into PostgreSQL")
        cluster.psql(f"""
            INSERT INTO customers SELECT g, 'c' || g || '@example.com', 'First' || g, 'Last' || g, NULL, 'silver', g % 1000, '2026-01-02',
                   g % 2 = 0, '2026-06-01 00:00:00'::timestamp FROM generate_series(1, {sizes['customers']}) g;
            INSERT INTO orders SELECT g, 1 + g % {sizes['customers']}, 'web', NULL, 42.99, 'GBP', 'placed', NULL, '{ITEMS}',
                   '2026-05-01 00:00:00+00'::timestamptz + g * interval '1 second', '2026-06-01 00:00:00'::timestamp
                   FROM generate_series(1, {sizes['orders']}) g;
            CREATE SEQUENCE order_ids START {sizes['orders'] + 1};
            """, "shop")
        rows = sizes["customers"] + sizes["orders"]
        config = work / "c360.yaml"
        config.write_text(f"""sources:
  - name: shop
    postgres: "{cluster.connection_string('shop')}"
    tables: [customers, orders, support_tickets]
    mapping: {ROOT / 'ops' / 'mappings' / 'shop-postgres.yaml'}
""")
        started = time.monotonic()
        server = c360_server.start(arguments.c360, work / "data", "--config", str(config))
        try:
            first = wait_for(lambda: metric(server, "c360_source_snapshot_rows_total") > 0 and time.monotonic(), 300, "the snapshot to begin")
            wait_for(lambda: metric(server, "c360_source_snapshot_rows_total") >= rows, 3600, "the snapshot to finish")
            done = time.monotonic()
            figures["snapshot"] = {"rows": rows, "seconds": done - first, "rows_per_second": rows / (done - first),
                                   "seconds_from_start": done - started}
            log(f"snapshot: {rows:,} rows in {done - first:.1f} s, {rows / (done - first):,.0f} rows/s")

            # Streaming: as many changes as pgbench commits, 10 rows per transaction.
            insert = (f"\\set cid random(1, {sizes['customers']})\n"
                      f"INSERT INTO orders SELECT nextval('order_ids'), :cid, 'web', NULL, 42.99, 'GBP', 'placed', NULL, '{ITEMS}', now(), "
                      "localtimestamp FROM generate_series(1, 10);\n")
            before = metric(server, "c360_source_changes_total")
            produced_before = int(cluster.psql("SELECT count(*) FROM orders", "shop"))
            began = time.monotonic()
            bench = pgbench(cluster, insert, clients=8, seconds=sizes["seconds"])
            output = bench.communicate()[0]
            produced = int(cluster.psql("SELECT count(*) FROM orders", "shop")) - produced_before
            wait_for(lambda: metric(server, "c360_source_changes_total") >= before + produced, 600, "streaming to catch up")
            ended = time.monotonic()
            tps = re.search(r"tps = ([0-9.]+)", output)
            figures["streaming"] = {"changes": produced, "seconds": ended - began, "changes_per_second": produced / (ended - began),
                                    "postgres_changes_per_second": float(tps.group(1)) * 10 if tps else None}
            log(f"streaming: {produced:,} changes applied in {ended - began:.1f} s, {produced / (ended - began):,.0f} changes/s "
                f"(PostgreSQL committed {figures['streaming']['postgres_changes_per_second'] or 0:,.0f}/s)")

            # Freshness at 5,000 changes/s: 500 transactions of 10 rows per second, and a probe.
            steady = pgbench(cluster, insert, clients=4, seconds=sizes["seconds"] + 2, rate=500)
            time.sleep(1)
            probe = psycopg.connect(cluster.connection_string("shop"), autocommit=True)
            console = http.client.HTTPConnection("127.0.0.1", server.console_port, timeout=30)
            console.request("GET", "/")
            cookie = console.getresponse()
            cookie.read()
            latencies = []
            deadline = time.monotonic() + sizes["seconds"]
            value = 5_000
            while time.monotonic() < deadline:
                value += 1
                probe.execute("UPDATE customers SET loyalty_points = %s, updated_at = localtimestamp WHERE id = 1", (value,))
                committed = time.monotonic()
                while True:
                    console.request("GET", "/api/v1/customers/shop-1")
                    response = console.getresponse()
                    profile = json.loads(response.read())["profile"]
                    if int(profile.get("details", {}).get("loyalty_points", 0)) == value:
                        latencies.append((time.monotonic() - committed) * 1000)
                        break
                    if time.monotonic() - committed > 30:
                        raise SystemExit(f"probe {value} not visible after 30 s")
                    time.sleep(0.002)
                time.sleep(max(0, 0.1 - (time.monotonic() - committed)))
            steady_output = steady.communicate()[0]
            steady_tps = re.search(r"tps = ([0-9.]+)", steady_output)
            figures["freshness"] = {"probes": len(latencies), "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
                                    "max_ms": max(latencies), "background_changes_per_second": float(steady_tps.group(1)) * 10 if steady_tps else None}
            log(f"freshness at {figures['freshness']['background_changes_per_second'] or 0:,.0f} changes/s: p50 "
                f"{figures['freshness']['p50_ms']:.1f} ms, p99 {figures['freshness']['p99_ms']:.1f} ms over {len(latencies)} probes")
            status = subprocess.run([arguments.c360, "source", "status", "--config", str(config), "--data", str(work / "data")],
                                    capture_output=True, text=True)
            figures["source_status"] = status.stdout
        finally:
            c360_server.stop(server)
    finally:
        cluster.remove()
    figures["when"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = pathlib.Path(arguments.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / f"sources-{mode}.json").write_text(json.dumps(figures, indent=2) + "\n")
    s, st, f = figures["snapshot"], figures["streaming"], figures["freshness"]
    table = [f"`ops/bench/sources.py{' --short' if arguments.short else ''}` — {figures['when']}, {os.cpu_count()} cores, "
             f"{sizes['customers']:,} customers and {sizes['orders']:,} orders in PostgreSQL 15", "",
             "| figure | c360 | target |", "|---|---:|---:|",
             f"| initial snapshot, rows/s | {s['rows_per_second']:,.0f} | 100,000 |",
             f"| streaming, row changes/s applied (PostgreSQL committed {st['postgres_changes_per_second'] or 0:,.0f}/s) | {st['changes_per_second']:,.0f} | 20,000 |",
             f"| commit to visible in the profile at {f['background_changes_per_second'] or 0:,.0f} changes/s, p50 ms | {f['p50_ms']:.1f} | — |",
             f"| commit to visible in the profile, p99 ms | {f['p99_ms']:.1f} | 500 |"]
    (results / f"sources-{mode}.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
