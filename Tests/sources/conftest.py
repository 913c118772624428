"""Fixtures for the source tests: a real PostgreSQL 15 (logical replication on) holding a shop's
tables, and a real `c360 serve` following it with the example mapping ops/mappings/shop-postgres.yaml."""
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops" / "python"))
import postgres_cluster  # noqa: E402


def c360_binary():
    configured = os.environ.get("C360_BIN")
    if configured:
        return pathlib.Path(configured)
    for candidate in (ROOT / ".build" / "debug" / "c360", ROOT / ".build" / "release" / "c360"):
        if candidate.exists():
            return candidate
    raise RuntimeError("build c360 first (swift build), or set C360_BIN")


@pytest.fixture(scope="session")
def postgres():
    cluster = postgres_cluster.Cluster().start()
    yield cluster
    cluster.remove()
