"""The files under ops/ that other tools read: the systemd unit passes `systemd-analyze verify`
(pointed at the binary under test), and its configuration check runs."""
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT, c360_binary


def test_systemd_unit_verifies():
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: ops/test.sh installs Debian's systemd package")
    unit = (ROOT / "ops" / "systemd" / "c360.service").read_text()
    assert "DynamicUser=yes" in unit and "ProtectSystem=strict" in unit and "ReadWritePaths=/var/lib/c360" in unit
    directory = pathlib.Path(tempfile.mkdtemp(prefix="c360-unit-"))
    copy = directory / "c360.service"
    copy.write_text(unit.replace("/usr/local/bin/c360", str(c360_binary().resolve())))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "c360.service" not in result.stderr, result.stderr


def test_prometheus_configuration_and_rules_check():
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: ops/test.sh installs Debian's prometheus package")
    config = subprocess.run(["promtool", "check", "config", str(ROOT / "ops" / "prometheus" / "prometheus.yml")], capture_output=True, text=True)
    assert config.returncode == 0, config.stdout + config.stderr
    rules = subprocess.run(["promtool", "check", "rules", str(ROOT / "ops" / "prometheus" / "c360-rules.yml")], capture_output=True, text=True)
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_dockerfile_is_multi_stage_on_bookworm_with_the_runtime_libraries_only():
    stages = [line for line in (ROOT / "ops" / "docker" / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and all("bookworm" in stage for stage in stages), stages
    final = (ROOT / "ops" / "docker" / "Dockerfile").read_text().split(stages[1])[1]
    runtime = final.split("COPY --from")[0]
    # RocksDB is linked in from librocksdb-dev's static archive: the image holds what that archive needs.
    assert all(library in runtime for library in ["libsnappy1v5", "libgflags2.2", "libzstd1", "liblz4-1", "libbz2-1.0"]), runtime
    assert "librocksdb" not in final and "-dev" not in runtime and "swift" not in runtime
