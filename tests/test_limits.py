"""Rate limits that hold in the documented deployment: gunicorn with 4 workers behind a reverse
proxy. Counts are shared by every worker (the default file store, or Redis), and each client
behind the proxy has its own bucket. A weak SECRET_KEY stops the server before it starts."""
from __future__ import annotations

import http.client
import re
import socket
import subprocess
import time
from urllib.parse import urlencode

import pytest

from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.services.users import create_user

from .conftest import make_app
from .servers import Gunicorn
from .test_auth import PASSWORD

STRONG_SECRET = "limits-test-secret-of-more-than-32-bytes-4b1d9c"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis on loopback (Debian's redis-server, which make test installs)."""
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    app = make_app(url, tmp_path / "setup-instance")
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    app.extensions[DB_KEY].dispose()
    return url


def _sign_in(port: int, client_address: str, password: str) -> int:
    """One sign-in through a new connection (so it may land on any worker), as the proxy forwards it."""
    headers = {"X-Forwarded-For": client_address, "X-Forwarded-Proto": "http"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/dang-nhap", headers=headers)
    page = conn.getresponse()
    cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode()).group(1)
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = urlencode({"csrf_token": token, "username": "qt", "password": password})
    conn.request("POST", "/dang-nhap", body=body, headers={**headers, "Cookie": cookie,
                                                           "Content-Type": "application/x-www-form-urlencoded"})
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("storage", ["file", "redis"])
def test_failed_sign_ins_are_counted_across_four_workers_per_client_behind_the_proxy(storage, tmp_path, request):
    env = {"SECRET_KEY": STRONG_SECRET, "GUNICORN_WORKERS": "4", "GUNICORN_THREADS": "1", "TRUSTED_PROXIES": "1",
           "PARSURVEY_INSTANCE": str(tmp_path / "instance")}
    if storage == "redis":
        env["RATELIMIT_STORAGE_URI"] = request.getfixturevalue("redis_url")
    server = Gunicorn(_database(tmp_path), tmp_path / "gunicorn.log", env)
    server.spawn()
    try:
        server.wait_ready()
        failures = [_sign_in(server.port, "203.0.113.7", "sai-mat-khau-roi") for _ in range(10)]
        assert failures == [401] * 10, server.log_tail()
        assert _sign_in(server.port, "203.0.113.7", "sai-mat-khau-roi") == 429, "the 11th in a minute, any worker"
        assert _sign_in(server.port, "203.0.113.7", PASSWORD) == 429, "that client waits, even with the password"
        assert _sign_in(server.port, "198.51.100.4", PASSWORD) == 302, "another client behind the proxy signs in"
    finally:
        server.stop()


def test_the_server_refuses_a_weak_secret_key(tmp_path):
    url = _database(tmp_path)
    for weak in ("changeme", "a-short-key-of-31-bytes-1234567"):
        server = Gunicorn(url, tmp_path / "weak.log",
                          {"SECRET_KEY": weak, "PARSURVEY_INSTANCE": str(tmp_path / "instance")})
        server.spawn()
        code = server.proc.wait(timeout=60)
        log = server.log.read_text()
        assert code != 0 and "Không khởi động" in log and "secrets.token_hex(32)" in log, log[-2000:]
        server.stop()
