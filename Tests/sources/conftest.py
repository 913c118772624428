"""Fixtures for the source tests: a real PostgreSQL 15 (logical replication on) holding a shop's
tables, and a real `c360 serve` following it with the example mapping ops/mappings/shop-postgres.yaml."""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops" / "python"))
from pytest_temporaries import pytest_configure, pytest_sessionfinish  # noqa: E402,F401
import c360_server  # noqa: E402
import postgres_cluster  # noqa: E402

c360_binary = c360_server.binary




@pytest.fixture(scope="session")
def postgres():
    cluster = postgres_cluster.Cluster().start()
    yield cluster
    cluster.remove()
