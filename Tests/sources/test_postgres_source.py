"""`c360 serve` following a real PostgreSQL 15 through its source: the snapshot, then streaming;
c360's profiles compared with the same figures computed by SQL over the tables; `kill -9` of c360
during the snapshot and during streaming, and a restart of PostgreSQL while streaming, after which
every change is applied exactly once; a full disk under c360 while streaming, after which the
refused changes are read again; a deleted customer row erasing the customer; the metrics, the alert
rules and `c360 source status`."""
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

from conftest import ROOT, c360_binary
import c360_server  # noqa: E402  (ops/python, put on the path by conftest)
import small_disk  # noqa: E402
from shop import SCHEMA, Shop, expected, observed

MAPPING = ROOT / "ops" / "mappings" / "shop-postgres.yaml"


class Follower:
    """A shop database, and a c360 data directory and configuration that follow it."""

    def __init__(self, postgres, name, erasure=False):
        self.postgres = postgres
        self.database = name
        postgres.psql(f"CREATE DATABASE {name}")
        postgres.psql(SCHEMA, name)
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix=f"c360-source-{name}-"))
        self.data = self.directory / "data"
        lines = ["sources:", "  - name: shop", f'    postgres: "{postgres.connection_string(name)}"',
                 "    tables: [customers, orders, support_tickets]", f"    mapping: {MAPPING}", f"    slot: c360_{name}", f"    publication: c360_{name}"]
        if erasure:
            lines.append('    erasure: {table: customers, customer_id: "shop-{id}"}')
        self.config = self.directory / "c360.yaml"
        self.config.write_text("\n".join(lines) + "\n")
        self.server = None

    def start(self):
        self.server = c360_server.start(c360_binary(), self.data, "--config", str(self.config))
        return self.server

    def stop(self):
        c360_server.stop(self.server)
        assert self.server.process.returncode == 0

    def kill(self):
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait()
        self.server.process.stdout.close()

    def sql(self, script):
        return self.postgres.psql(script, self.database)

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.metrics_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        samples = {}
        for line in text.splitlines():
            match = re.match(r'^([a-z_0-9]+)(\{[^}]*\})?\s+(\S+)$', line)
            if match:
                samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
        return text, samples

    def metric(self, name):
        return sum(value for (metric, _), value in self.metrics()[1].items() if metric == name)

    def profile(self, customer):
        url = f"http://127.0.0.1:{self.server.console_port}/api/v1/customers/shop-{customer}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.loads(response.read())["profile"]
        except urllib.error.HTTPError as error:
            return {"http_status": error.code}

    def mismatches(self):
        want = expected(self.postgres, self.database)
        wrong = {}
        for customer, figures in want.items():
            profile = self.profile(customer)
            got = observed(profile) if "http_status" not in profile else profile
            wanted = {key: value for key, value in figures.items() if key != "id"}
            if got != wanted:
                wrong[customer] = {"c360": got, "sql": wanted}
        return wrong

    def wait_until_equal(self, timeout=120):
        """Waits until every customer's profile shows what SQL computes; fails naming the first
        customers that differ."""
        deadline = time.monotonic() + timeout
        wrong = None
        while time.monotonic() < deadline:
            wrong = self.mismatches()
            if not wrong:
                return
            time.sleep(0.5)
        raise AssertionError(f"{len(wrong)} customers differ from SQL, for example: {dict(list(wrong.items())[:3])}")

    def source_status(self):
        result = subprocess.run([str(c360_binary()), "source", "status", "--config", str(self.config), "--data", str(self.data), "--format", "json"],
                                capture_output=True, text=True, timeout=60)
        return result.returncode, json.loads(result.stdout)["sources"][0] if result.stdout else result.stderr


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_snapshot_then_streaming_equal_sql_with_metrics_and_status(postgres):
    shop, follower = Shop(seed=1), Follower(postgres, "shop_follow")
    follower.sql(shop.initial(customers=150, orders=500, tickets=80))
    rows = int(follower.sql("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM support_tickets)"))
    follower.start()
    try:
        follower.wait_until_equal()
        follower.sql(shop.transactions(400))
        follower.wait_until_equal()
        text, _ = follower.metrics()
        for name in ("c360_source_changes_total", "c360_source_snapshot_rows_total", "c360_source_lag_bytes", "c360_source_lag_seconds",
                     "c360_source_running"):
            assert f"# TYPE {name} " in text, name
        assert 'c360_source_running{source="shop"} 1' in text
        assert follower.metric("c360_source_snapshot_rows_total") == rows  # every row of the three tables, once
        assert 'c360_source_changes_total{source="shop",table="orders"}' in text.replace(", ", ",")
        # Alert rules name only metrics a server with a source exports.
        exported = set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
        rules = (ROOT / "ops" / "prometheus" / "c360-rules.yml").read_text()
        named = {re.sub(r"_(bucket|sum|count)$", "", name) for name in re.findall(r"\b(c360_source_[a-z0-9_]+)", rules)}
        assert named and named <= exported, named - exported
        code, status = follower.source_status()
        assert code == 0, status
        assert status["slot_exists"] and status["streaming"] and status["publication_exists"]
        assert status["published_tables"] == ["public.customers", "public.orders", "public.support_tickets"]
        assert "in use by a running c360 serve" in status["stored_lsn_unavailable"]
        # A deleted order or ticket (an archiving job) is skipped by the mapping; the source goes on.
        applied = follower.metric("c360_source_changes_total")
        follower.sql("DELETE FROM orders WHERE id = 1; DELETE FROM support_tickets WHERE id = 'T-1';")
        follower.sql(shop.transactions(1))
        wait_for(lambda: follower.metric("c360_source_changes_total") >= applied + 3, what="the deletes and the change after them")
        assert follower.metric("c360_source_running") == 1
    finally:
        follower.stop()
    # Stopped: the stored position is readable, and the slot's confirmed position is not beyond it.
    code, status = follower.source_status()
    assert code == 0 and not status["streaming"]
    stored = int(status["stored_lsn"].split("/")[0], 16) << 32 | int(status["stored_lsn"].split("/")[1], 16)
    confirmed = int(status["confirmed_lsn"].split("/")[0], 16) << 32 | int(status["confirmed_lsn"].split("/")[1], 16)
    assert confirmed <= stored


def test_kill_9_during_the_snapshot(postgres):
    shop, follower = Shop(seed=2), Follower(postgres, "shop_snapshot_kill")
    follower.sql(shop.initial(customers=1_000, orders=30_000, tickets=500))
    rows = int(follower.sql("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM support_tickets)"))
    follower.start()
    wait_for(lambda: follower.metric("c360_source_snapshot_rows_total") >= 2_000, what="the snapshot to begin")
    taken = follower.metric("c360_source_snapshot_rows_total")
    follower.kill()
    assert taken < rows, "the snapshot finished before the kill: give it more rows"
    follower.sql(shop.transactions(200))  # changes while c360 is down
    follower.start()
    try:
        follower.sql(shop.transactions(200))
        follower.wait_until_equal(timeout=300)
    finally:
        follower.stop()


def test_kill_9_while_streaming(postgres):
    shop, follower = Shop(seed=3), Follower(postgres, "shop_stream_kill")
    follower.sql(shop.initial(customers=200, orders=400, tickets=50))
    follower.start()
    follower.wait_until_equal()
    applied = follower.metric("c360_source_changes_total")
    workload = threading.Thread(target=follower.sql, args=(shop.transactions(3_000),))
    workload.start()
    wait_for(lambda: follower.metric("c360_source_changes_total") > applied + 200, what="streaming to apply changes")
    follower.kill()
    workload.join()
    follower.start()
    try:
        follower.sql(shop.transactions(100))
        follower.wait_until_equal(timeout=300)
    finally:
        follower.stop()


def test_postgres_restarted_while_streaming(postgres):
    shop, follower = Shop(seed=4), Follower(postgres, "shop_pg_restart")
    follower.sql(shop.initial(customers=100, orders=300, tickets=40))
    follower.start()
    try:
        follower.wait_until_equal()
        follower.sql(shop.transactions(300))
        postgres.restart()
        follower.sql(shop.transactions(300))
        follower.wait_until_equal(timeout=180)
        log = pathlib.Path(follower.server.log).read_text()
        assert "source lost its connection; retrying from its stored position" in log
    finally:
        follower.stop()


def test_a_deleted_customer_row_erases_the_customer(postgres):
    shop, follower = Shop(seed=5), Follower(postgres, "shop_erasure", erasure=True)
    follower.sql(shop.initial(customers=20, orders=40, tickets=5))
    follower.start()
    try:
        follower.wait_until_equal()
        email = follower.profile(7)["details"]["email"]
        follower.sql("DELETE FROM customers WHERE id = 7;")
        wait_for(lambda: follower.profile(7).get("http_status") == 410, what="customer 7 to be erased")
        # The audit entry is written once the erasure has removed the data physically, after the
        # tombstone already hides the customer.
        def erasures():
            path = follower.data / "audit.jsonl"
            audit = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
            return [entry for entry in audit if entry["action"] == "erase"]
        wait_for(erasures, what="the erasure's audit entry")
        erasures = erasures()
        assert len(erasures) == 1 and erasures[0]["actor"] == "source shop"
        assert erasures[0]["request_id"].startswith("postgres:shop:customers:")
        # Later changes of the erased customer's orders are refused by the store, not applied.
        follower.sql("UPDATE orders SET updated_at = updated_at + interval '1 hour' WHERE customer_id = 7;")
        follower.sql(shop.transactions(20))
        assert follower.profile(7).get("http_status") == 410
    finally:
        follower.stop()
    for path in follower.data.rglob("*"):
        if path.is_file() and path.name not in ("LOCK", "audit.jsonl"):
            assert email.encode() not in path.read_bytes(), path


@pytest.fixture()
def small_filesystem():
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with small_disk.mounted("c360-source-full-disk-") as mountpoint:
        yield mountpoint


def test_changes_the_store_refuses_are_read_again_once_it_takes_them(postgres, small_filesystem):
    """The data directory's disk fills while the source streams: the store refuses its commits
    (RESOURCE_EXHAUSTED, nothing stored), the source pauses and reads the same changes again from
    its stored position instead of stopping, and once space returns every change arrives, once."""
    shop, follower = Shop(seed=6), Follower(postgres, "shop_disk_full")
    follower.data = small_filesystem / "data"
    with open(follower.config, "a") as config:
        config.write("storage:\n  reserved_disk_mb: 4\n")
    follower.sql(shop.initial(customers=100, orders=200, tickets=20))
    follower.start()
    filler = small_filesystem / "filler"
    try:
        follower.wait_until_equal()
        # Less free than the reserve: every commit is refused before anything is written.
        small_disk.fill(filler, leave_bytes=2 << 20)
        follower.sql(shop.transactions(200))
        log = pathlib.Path(follower.server.log)
        wait_for(lambda: "source's changes refused by the store for now; retrying from its stored position" in log.read_text(),
                 what="the source to retry a refused commit")
        assert follower.server.process.poll() is None, log.read_text()[-4000:]
        assert "source stopped" not in log.read_text()
        assert follower.mismatches(), "the changes were applied although the store refused them"
        filler.unlink()
        follower.wait_until_equal(timeout=120)
        assert "source stopped" not in log.read_text()
    finally:
        if filler.exists():
            filler.unlink()
        follower.stop()
