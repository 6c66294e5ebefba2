"""Rate limits that hold in the documented deployment: gunicorn with 4 workers behind a reverse
proxy. Counts are shared by every worker (the default file store, or Redis), and each client
behind the proxy has its own bucket. A weak SECRET_KEY stops the server before it starts."""
from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.services.users import create_user

from .conftest import make_app
from .deploy import Redis
from .servers import Gunicorn, _free_port
from .test_auth import PASSWORD

STRONG_SECRET = "limits-test-secret-of-more-than-32-bytes-4b1d9c"


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis on loopback (Debian's redis-server, which make test installs)."""
    redis = Redis(tmp_path)
    redis.start()
    yield redis.url
    redis.stop()


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


def test_a_parallel_burst_of_bad_sign_ins_gets_exactly_the_limit_through(tmp_path):
    """Checking before the view and counting after its response let 17-21 of a burst of 30 through a
    limit of 10; a place is now taken atomically first and given back only by a success."""
    env = {"SECRET_KEY": STRONG_SECRET, "GUNICORN_WORKERS": "4", "GUNICORN_THREADS": "4", "TRUSTED_PROXIES": "1",
           "PARSURVEY_INSTANCE": str(tmp_path / "instance")}
    server = Gunicorn(_database(tmp_path), tmp_path / "gunicorn.log", env)
    server.spawn()
    try:
        server.wait_ready()
        with ThreadPoolExecutor(max_workers=30) as pool:
            burst = list(pool.map(lambda _n: _sign_in(server.port, "203.0.113.70", "sai-mat-khau-roi"), range(30)))
        assert burst.count(401) == 10 and burst.count(429) == 20, burst
        counters = tmp_path / "instance" / "ratelimits.sqlite"
        side_files = [p for p in counters.parent.iterdir() if p.name.startswith("ratelimits.sqlite")]
        assert len(side_files) == 3 and {oct(p.stat().st_mode & 0o777) for p in side_files} == {"0o600"}, side_files
    finally:
        server.stop()
    log = server.log.read_text()
    failed = [line for line in log.splitlines() if "failed sign-in" in line]
    assert len(failed) == 10 and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) for line in failed), failed
    assert "account 'qt' from 203.0.113.70" in failed[0] and "sai-mat-khau-roi" not in log
    access = [line for line in log.splitlines() if '"POST /dang-nhap' in line]
    assert access and all(re.match(r"\[\d\d/\w{3}/\d{4}:", line) for line in access), "access lines carry the time"


def test_unknown_links_share_one_bucket_across_every_respondent_route(demo_app):
    client = demo_app.test_client()
    for i in range(10):
        assert client.get(f"/s/DOANA{i:04d}").status_code == 404
        assert client.get(f"/s/DOANB{i:04d}/p/1").status_code == 404
        assert client.get(f"/s/DOANC{i:04d}/gui").status_code == 404
    assert client.get("/s/DOAND0000/p/2").status_code == 429, "30 guesses on three routes are 30 guesses"
    assert client.get("/ma?ma=ABCD-EFGH", follow_redirects=True).status_code == 429


def test_with_redis_down_the_site_keeps_serving_and_says_so(demo_app, tmp_path, caplog):
    import logging

    from survey_app.services.users import create_user as make_user

    app = make_app(demo_app.config["DATABASE_URL"], tmp_path / "no-redis",
                   RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_free_port()}/0")
    with app.extensions[DB_KEY].transaction() as s:
        make_user(s, "qt2", PASSWORD, "admin", actor="t")
    client = app.test_client()
    from .test_auth import login

    with caplog.at_level(logging.WARNING, logger="survey_app"):
        assert login(client, "qt2", "sai-mat-khau-roi").status_code == 401
        assert login(client, "qt2").status_code == 302, "sign-in works without Redis"
        assert client.get("/s/khong-co-link-nay").status_code == 404
    assert any("Redis unreachable" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    health = client.get("/healthz")
    report = health.get_json()
    assert health.status_code == 200 and report["status"] == "degraded", report
    assert report["rate_limits"] == {"store": "redis", "status": "unreachable"} and report["database"] == "ok"
    for _ in range(10):
        login(client, "qt2", "sai-mat-khau-roi")
    assert login(client, "qt2", "sai-mat-khau-roi").status_code == 429, "limits still hold, in this process"


def test_healthz_fails_when_the_database_cannot_be_read(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite'}", tmp_path / "instance")
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "fail"
    assert health.get_json()["database"].startswith("error")


def test_gunicorn_believes_no_forwarded_header_unless_told_to(tmp_path):
    """gunicorn trusted X-Forwarded-Proto from 127.0.0.1 by itself (FORWARDED_ALLOW_IPS): a local client
    could claim HTTPS. Proxy trust is now TRUSTED_PROXIES alone."""
    url = _database(tmp_path)
    server = Gunicorn(url, tmp_path / "g.log", {"SECRET_KEY": STRONG_SECRET,
                                                 "PARSURVEY_INSTANCE": str(tmp_path / "instance")})
    server.spawn()
    try:
        server.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/dang-nhap", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Strict-Transport-Security") is None
    finally:
        server.stop()


@pytest.mark.parametrize("how", ["gunicorn without our config", "parsurvey run"])
def test_every_way_of_serving_refuses_a_weak_secret_key(how, tmp_path):
    url = _database(tmp_path)
    if how == "parsurvey run":
        exe = Path(sys.executable).with_name("parsurvey")
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "changeme",
               "PARSURVEY_INSTANCE": str(tmp_path / "instance")}
        done = subprocess.run([str(exe), "run", "--port", str(_free_port())], env=env, capture_output=True,
                              text=True, timeout=60)
        code, log = done.returncode, done.stdout + done.stderr
    else:
        server = Gunicorn(url, tmp_path / "weak.log", {"SECRET_KEY": "changeme",
                                                       "PARSURVEY_INSTANCE": str(tmp_path / "instance")}, config=None)
        server.spawn()
        code = server.proc.wait(timeout=60)
        log = server.log.read_text()
        server.stop()
    assert code != 0 and "Không khởi động" in log and "secrets.token_hex(32)" in log, log[-2000:]


def test_no_log_line_holds_a_card_code(app, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "%s" %s %s', "GET /ma?ma=ABCD-EFGH HTTP/1.1", "302", "-")
    assert "ABCD-EFGH" not in caplog.text and "GET /ma?ma=… HTTP/1.1" in caplog.text
