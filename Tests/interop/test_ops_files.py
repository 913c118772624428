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
