"""Real servers for tests that need one: gunicorn with the project's settings, on a free loopback port."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 45.0  # seconds for gunicorn to answer GET /


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn`` with the project's settings, in a session of its own, so one ``killpg`` reaches master
    and workers. ``env`` adds to the environment (SECRET_KEY, GUNICORN_WORKERS, ...)."""

    def __init__(self, database_url: str, log: Path, env: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None, config: str | None = "python:survey_app.gunicorn_conf"):
        self.database_url, self.log, self.env = database_url, log, env or {}
        self.tls, self.config = tls, config  # tls: (certificate, key) files; config None: gunicorn's defaults
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _connection(self) -> http.client.HTTPConnection:
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=5,
                                               context=ssl._create_unverified_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)

    def spawn(self) -> None:
        """Start gunicorn; :meth:`wait_ready` waits for it (importing the app takes seconds)."""
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "RATELIMIT_STORAGE_URI")}
        env.update({"DATABASE_URL": self.database_url, "HOST": "127.0.0.1", "PORT": str(self.port),
                    "SESSION_COOKIE_SECURE": "0", "PYTHONUNBUFFERED": "1", **self.env})
        with open(self.log, "ab") as out:
            out.write(f"--- start on port {self.port}\n".encode())
            out.flush()
            args = ["--config", self.config] if self.config else ["--bind", f"127.0.0.1:{self.port}"]
            if self.tls:
                args += ["--certfile", str(self.tls[0]), "--keyfile", str(self.tls[1])]
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", *args, "survey_app:create_app()"],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = self._connection()
                conn.request("GET", "/")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer GET / within {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers) and reap the master."""
        self._signal_group(signal.SIGKILL)
        self._reap(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if gunicorn has not gone within its graceful timeout."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # workers that outlived their master, if any
        self._reap(10)

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)  # start_new_session: the group id is the master's pid
        except ProcessLookupError:
            pass

    def _reap(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # Workers are reaped by whoever adopts them; wait (bounded) until the group is gone.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(self.proc.pid):
            time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process remains in the group."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


