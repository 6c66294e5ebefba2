"""A throwaway PostgreSQL cluster on loopback, started and removed by the test run.

Uses Debian's ``postgresql`` package (``make test`` installs it). initdb
refuses to run as root, so as root the cluster runs as the ``postgres`` user.
Set ``PARSURVEY_TEST_PG_URL`` to use a server of your own instead.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """Start with :meth:`start`, make databases with :meth:`create_database`, end with :meth:`stop`."""

    def __init__(self):
        self.base: Path | None = None
        self.admin_url = os.environ.get("PARSURVEY_TEST_PG_URL")
        self._prefix: list[str] = []
        self._bin: Path | None = None

    def start(self) -> None:
        if self.admin_url:
            return
        self._bin = _bindir()
        if self._bin is None:
            raise RuntimeError(
                "PostgreSQL server not found (/usr/lib/postgresql/*/bin/initdb). "
                "Run 'make test', which installs Debian's postgresql package, or set PARSURVEY_TEST_PG_URL."
            )
        self.base = Path(tempfile.mkdtemp(prefix="parsurvey-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            self._prefix = ["runuser", "-u", "postgres", "--"]
        data, log = self.base / "data", self.base / "server.log"
        port = _free_port()
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "parsurvey", "-E", "UTF8", "--no-instructions")
        self._run(
            "pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {port} -k {self.base} -F -c max_connections=200", "start",
        )
        self.admin_url = f"postgresql+psycopg://parsurvey@127.0.0.1:{port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self._prefix, str(self._bin / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.base)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def _connect(self):
        return psycopg.connect(self.admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with self._connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def clone_database(self, url: str) -> str:
        """A new database copied from ``url`` (which must have no open connection); returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with self._connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.base is None:
            return
        self._run("pg_ctl", "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None
