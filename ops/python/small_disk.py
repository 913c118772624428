"""A small filesystem of its own (a tmpfs) for the tests that fill a data directory's disk, and
filling it: shared by the interoperability and the source tests."""
import contextlib
import os
import pathlib
import subprocess
import tempfile


@contextlib.contextmanager
def mounted(prefix, size="40m"):
    """A tmpfs of `size` mounted on a new directory, unmounted and removed afterwards. Needs root:
    the caller skips its test otherwise."""
    mountpoint = tempfile.mkdtemp(prefix=prefix)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mountpoint], check=True)
    try:
        yield pathlib.Path(mountpoint)
    finally:
        subprocess.run(["umount", "-l", mountpoint], check=False)
        os.rmdir(mountpoint)


def fill(path, leave_bytes):
    """Fills the filesystem holding `path` with a file at `path`, then gives back `leave_bytes`."""
    with open(path, "wb") as filler:
        try:
            while True:
                filler.write(b"\0" * (1 << 20))
                filler.flush()
        except OSError:
            pass
    os.truncate(path, max(0, os.path.getsize(path) - leave_bytes))
