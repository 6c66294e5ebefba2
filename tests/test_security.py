"""Security headers, session cookie flags, rotation and timeouts, rate limits."""
from __future__ import annotations

import re

import pytest

from survey_app import security
from survey_app.extensions import DB_KEY
from survey_app.services.users import create_user

from .conftest import make_app
from .test_auth import PASSWORD, csrf, login
from .test_respond import invite


@pytest.fixture
def people(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="test")
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    return demo_app


def session_of(app, client) -> dict:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def test_every_page_gets_the_security_headers(people):
    client = people.test_client()
    login(client, "qt")
    for url in ("/", "/dang-nhap", "/quan-tri/", "/bao-cao/1/ket-qua", "/s/khong-co-link", "/khong-co-trang"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp, url
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin", url
        assert headers["X-Frame-Options"] == "DENY"
    svg = client.get("/bao-cao/1/bieu-do/nhiet-so.svg").headers["Content-Security-Policy"]
    assert svg.startswith("default-src 'none'") and "script" not in svg


def test_pages_have_no_inline_script_or_style(people):
    """The policy forbids them; a page that used one would break in the browser."""
    client = people.test_client()
    invite(people, "nguoi_dan", "ba_be", "tok-csp-000000000000000000000")
    pages = ["/", "/dang-nhap", "/s/tok-csp-000000000000000000000", "/s/tok-csp-000000000000000000000/p/1"]
    login(client, "qt")
    pages += ["/quan-tri/", "/quan-tri/dot/1", "/quan-tri/dot/1/tien-do", "/bao-cao/1/", "/bao-cao/1/ket-qua",
              "/bao-cao/1/in", "/nhap-lieu/"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=|javascript:", html, re.I), url


def test_session_cookie_flags(demo_app, tmp_path):
    client = demo_app.test_client()
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="test")
    response = login(client, "qt")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = make_app(demo_app.config["DATABASE_URL"], tmp_path / "i2", PUBLIC_BASE_URL="https://khaosat.example.vn")
    https_client = https.test_client()
    assert "Secure" in login(https_client, "qt").headers["Set-Cookie"]


def test_sign_in_starts_a_new_session(people):
    client = people.test_client()
    client.get("/dang-nhap")
    with client.session_transaction() as before:
        before["left_over"] = "từ trước khi đăng nhập"
    login(client, "qt")
    first = session_of(people, client)
    assert "left_over" not in first and first["user_id"] and len(first["sid"]) >= 20
    client.post("/dang-xuat", data={"csrf_token": csrf(client.get("/quan-tri/").get_data(as_text=True))})
    assert "user_id" not in session_of(people, client)
    login(client, "qt")
    assert session_of(people, client)["sid"] != first["sid"]


def test_idle_and_absolute_session_timeouts(people, monkeypatch):
    now = [1_800_000_000]
    monkeypatch.setattr(security.time, "time", lambda: now[0])
    client = people.test_client()
    login(client, "qt")
    assert client.get("/quan-tri/").status_code == 200
    now[0] += 59 * 60  # 59 minutes idle: still signed in
    assert client.get("/quan-tri/").status_code == 200
    now[0] += 61 * 60  # 61 minutes idle: signed out, sent to sign in, told why
    response = client.get("/quan-tri/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next=/quan-tri/")
    assert "Phiên làm việc đã hết hạn" in client.get("/dang-nhap").get_data(as_text=True)
    # Absolute: active every 50 minutes, still out after 12 hours.
    login(client, "qt")
    signed_in_at = now[0]
    while client.get("/quan-tri/").status_code == 200:
        now[0] += 50 * 60
        assert now[0] - signed_in_at < 13 * 3600, "never signed out"
    assert 12 * 3600 < now[0] - signed_in_at <= 12 * 3600 + 50 * 60


def test_failed_sign_ins_are_limited_successful_ones_are_not(people):
    client = people.test_client()
    for _ in range(15):  # successes do not count
        assert login(client, "qt").status_code == 302
    for i in range(10):
        assert login(client, "qt", "sai-mat-khau-123").status_code == 401, i
    limited = login(client, "qt", "sai-mat-khau-123")
    assert limited.status_code == 429 and "Quá nhiều lần thử" in limited.get_data(as_text=True)
    assert int(limited.headers["Retry-After"]) > 0
    assert login(client, "qt").status_code == 429  # the address waits, even with the right password


def test_guessing_links_and_card_codes_is_limited_real_links_are_not(people):
    client = people.test_client()
    invite(people, "nguoi_dan", "ba_be", "tok-limit-00000000000000000000")
    for _ in range(40):
        assert client.get("/s/tok-limit-00000000000000000000").status_code == 200
    for i in range(30):
        assert client.get(f"/s/DOAN{i:04d}").status_code == 404
    assert client.get("/s/DOAN9999").status_code == 429
    assert client.get("/ma?ma=ABCD-EFGH", follow_redirects=True).status_code == 429  # card codes go the same way
    other = people.test_client()
    assert other.get("/s/DOAN9999", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 404  # another address


def test_limits_can_be_turned_off_for_load_benchmarks(demo_app, tmp_path):
    app = make_app(demo_app.config["DATABASE_URL"], tmp_path / "i3", RATELIMIT_ENABLED=False)
    client = app.test_client()
    assert all(client.get(f"/s/X{i}").status_code == 404 for i in range(40))


def test_a_refused_form_is_logged_with_its_reason_and_never_its_token(people, caplog):
    import logging

    client = people.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = csrf(page)
    with caplog.at_level(logging.WARNING, logger="survey_app"):
        missing = client.post("/dang-nhap", data={"username": "qt", "password": "x"})
        wrong = client.post("/dang-nhap", data={"csrf_token": token[:-4] + "AAAA", "username": "qt", "password": "x"})
        failed = client.post("/dang-nhap", data={"csrf_token": token, "username": "qt", "password": "sai-mat-khau-9"})
    assert missing.status_code == wrong.status_code == 400 and failed.status_code == 401
    assert "Yêu cầu không hợp lệ" in missing.get_data(as_text=True), "the usual 400 page"
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("CSRF check failed: The CSRF token is missing") for line in lines), lines
    assert any("CSRF check failed: The CSRF token is invalid" in line for line in lines), lines
    assert any(line == "failed sign-in: account 'qt' from 127.0.0.1" for line in lines), lines
    assert token not in caplog.text and token[:-4] not in caplog.text and "sai-mat-khau-9" not in caplog.text
