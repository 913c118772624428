"""A throw-away PostgreSQL 15 cluster on 127.0.0.1 (Debian's postgresql-15): `initdb` in a
temporary directory, logical replication on, started and stopped with `pg_ctl`. Shared by the
source tests and the source benchmark. As root, the server runs as the `postgres` user."""
import os
import shutil
import socket
import subprocess
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self, settings=None):
        self.directory = tempfile.mkdtemp(prefix="c360-pg-")
        self.data = os.path.join(self.directory, "data")
        self.port = free_port()
        self.settings = {"wal_level": "logical", "max_wal_senders": 10, "max_replication_slots": 10,
                         "shared_buffers": "256MB", "max_wal_size": "2GB", **(settings or {})}
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.directory, "postgres")

    def start(self):
        if not os.path.exists(self.data):
            subprocess.run(self.as_postgres + [f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"],
                           check=True, capture_output=True)
            with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
                for key, value in self.settings.items():
                    conf.write(f"{key} = {value}\n")
                conf.write(f"port = {self.port}\nunix_socket_directories = '{self.directory}'\nlisten_addresses = '127.0.0.1'\n")
        self.pg_ctl("start", "-l", os.path.join(self.directory, "log"))
        return self

    def pg_ctl(self, action, *arguments):
        subprocess.run(self.as_postgres + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-w", *arguments, action], check=True, capture_output=True)

    def stop(self):
        self.pg_ctl("stop", "-m", "fast")

    def restart(self):
        self.pg_ctl("restart", "-m", "fast", "-l", os.path.join(self.directory, "log"))

    def remove(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def connection_string(self, database="postgres"):
        return f"host=127.0.0.1 port={self.port} dbname={database} user=postgres"

    def psql(self, sql, database="postgres"):
        """Runs `sql` (one or more statements) and returns psql's unaligned output."""
        result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                 "-d", database], input=sql, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout
