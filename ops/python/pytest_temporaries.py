"""Pytest hooks shared by the Python suites: every file and directory the tests make with
`tempfile` (data directories, PostgreSQL clusters, generated stubs, screenshots unless asked
for elsewhere) goes under one directory per run, removed when the run passes and kept, with its
path printed, when it fails, so that a failure can be looked into and a green run leaves nothing
behind in /tmp."""
import os
import shutil
import tempfile

_directory = None


def pytest_configure(config):
    global _directory
    _directory = tempfile.mkdtemp(prefix="c360-tests-")
    # Others may pass through (PostgreSQL runs as its own user); what is made inside keeps its own
    # mode (mkdtemp: owner only).
    os.chmod(_directory, 0o755)
    tempfile.tempdir = _directory


def pytest_sessionfinish(session, exitstatus):
    tempfile.tempdir = None
    if _directory is None:
        return
    if exitstatus == 0:
        shutil.rmtree(_directory, ignore_errors=True)
    else:
        print(f"\nthe tests' files are kept in {_directory}")
