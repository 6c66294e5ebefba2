"""Over HTTPS, in Chromium, as the site is really served: gunicorn holding the certificate itself,
and gunicorn behind nginx terminating TLS (``deploy/nginx-parsurvey.conf``, ``TRUSTED_PROXIES=1``).

Every page used to send ``Referrer-Policy: no-referrer``; Flask-WTF requires a same-origin Referer
on HTTPS, so every form answered 400 "The referrer header is missing": nobody could sign in or
answer. Each test here signs in, sends an admin form, saves a half-answered ballot for later,
submits it, and keys a paper ballot, all over TLS."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Envelope, PaperSerial, Unit, User
from survey_app.services.users import create_user

from .conftest import CURRENT, TEST_SECRET, make_app
from .deploy import Nginx, self_signed_certificate
from .servers import Gunicorn
from .test_auth import PASSWORD
from .test_respond import invite

pytestmark = pytest.mark.browser
SECRET = TEST_SECRET  # the demo copy's ballot box was made under it: a server with another key takes no ballot
TOKEN = "tok-https-000000000000000000000"


@pytest.fixture
def https_world(demo_db, tmp_path):
    """A copy of the demo province with an admin, a staff member of Ba Bể, a delegate's link, and a
    printed paper serial of Ba Bể; returns (database URL, serial, ballots sent by link)."""
    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, copy)
    app = make_app(f"sqlite:///{copy}", tmp_path / "setup")
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt.tls", PASSWORD, "admin", actor="test")
        create_user(s, "nl.tls", PASSWORD, "staff", unit_codes=("ba_be",), actor="test")
        serial = s.scalar(select(PaperSerial.serial).join(Unit, Unit.id == PaperSerial.unit_id)
                          .where(PaperSerial.campaign_id == CURRENT, Unit.code == "ba_be",
                                 PaperSerial.status == "printed").order_by(PaperSerial.serial))
    invite(app, "hdnd_huyen", "ba_be", TOKEN)
    app.extensions[DB_KEY].dispose()
    assert serial
    return f"sqlite:///{copy}", serial, _web_ballots(f"sqlite:///{copy}", tmp_path)


def _web_ballots(database_url: str, tmp_path) -> int:
    """Respondents' ballots so far: envelopes in the box while the campaign collects."""
    app = make_app(database_url, tmp_path / "count")
    with app.extensions[DB_KEY].session() as s:
        count = s.scalar(select(func.count()).select_from(Envelope))
    app.extensions[DB_KEY].dispose()
    return count


def _env(tmp_path, **extra) -> dict[str, str]:
    return {"SECRET_KEY": SECRET, "PARSURVEY_INSTANCE": str(tmp_path / "instance"), "GUNICORN_WORKERS": "2",
            "SESSION_COOKIE_SECURE": "1", **extra}


def sign_in(page, base: str, username: str) -> None:
    """Through the sign-in page, as a person does; returns once the browser has left it."""
    page.goto(base + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(base + "/dang-nhap")


def _everything_a_person_does(browser, base: str, world, tmp_path) -> None:
    """Sign-in, an admin form, a respondent's save-for-later and submit, a staff keying: over TLS."""
    database_url, serial, web_ballots = world
    refused: list[str] = []
    admin_context = browser.new_context(ignore_https_errors=True)
    admin = admin_context.new_page()
    admin.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status == 400 else None)
    sign_in(admin, base, "qt.tls")
    expect(admin.get_by_role("heading", name="Các đợt khảo sát")).to_be_visible()
    cookie = next(c for c in admin_context.cookies() if c["name"] == "session")
    assert cookie["secure"] and cookie["httpOnly"], cookie
    admin.get_by_role("link", name="Người dùng").first.click()
    admin.get_by_label("Tên đăng nhập (chữ không dấu, số, . _ -)").fill("pt.tls")
    admin.get_by_label("Họ tên").fill("Phân tích qua HTTPS")
    admin.get_by_label("Vai trò").select_option("analyst")
    admin.get_by_label("Mật khẩu (ít nhất 12 ký tự; nên là một câu dài)").fill(PASSWORD + " mới")
    admin.get_by_label("Nhập lại mật khẩu").fill(PASSWORD + " mới")
    admin.get_by_role("button", name="Tạo tài khoản").click()
    expect(admin.get_by_role("link", name="pt.tls")).to_be_visible()
    admin_context.close()

    phone = browser.new_context(ignore_https_errors=True, viewport={"width": 360, "height": 740})
    page = phone.new_page()
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status == 400 else None)
    response = page.goto(f"{base}/s/{TOKEN}")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["referrer-policy"] == "same-origin"
    page.get_by_role("link", name="Bắt đầu trả lời →").click()
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(15)
    for question in questions.all()[:8]:
        question.locator("label.opt").first.click()
    page.get_by_role("button", name="Lưu, làm tiếp sau").click()
    expect(page.get_by_role("heading", name="Đã lưu câu trả lời")).to_be_visible()
    page.goto(f"{base}/s/{TOKEN}")
    page.get_by_role("link", name="Tiếp tục trả lời →").click()
    expect(page.locator("input[type=radio]:checked")).to_have_count(8)
    for question in page.locator("fieldset.question").all()[8:]:
        question.locator("label.opt.dk").click()
    page.get_by_role("button", name="Lưu và xem lại →").click()
    page.get_by_role("button", name="Gửi phiếu").click()
    expect(page.get_by_role("heading", name="Cảm ơn Ông/Bà đã gửi phiếu")).to_be_visible()
    phone.close()

    office = browser.new_context(ignore_https_errors=True)
    staff = office.new_page()
    staff.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status == 400 else None)
    sign_in(staff, base, "nl.tls")
    staff.wait_for_function("document.activeElement && document.activeElement.id === 'serial'")
    staff.keyboard.type(serial)
    staff.keyboard.press("Enter")
    staff.wait_for_url("**/nhap-lieu/phieu?serial=*")
    questions = staff.locator("fieldset.entry-q")
    staff.wait_for_function("document.activeElement && document.activeElement.type === 'radio'")
    staff.keyboard.type("1" * questions.count())
    staff.keyboard.press("Enter")
    expect(staff.locator(".flash")).to_contain_text("lần nhập thứ nhất")
    office.close()
    assert refused == [], refused

    assert _web_ballots(database_url, tmp_path) == web_ballots + 1, "the ballot was sealed into the box"
    app = make_app(database_url, tmp_path / "check")
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(User.id).where(User.username == "pt.tls")), "the admin form was stored"
    app.extensions[DB_KEY].dispose()


def test_everything_works_over_tls_served_by_gunicorn(browser, https_world, tmp_path):
    server = Gunicorn(https_world[0], tmp_path / "gunicorn.log", _env(tmp_path),
                      tls=self_signed_certificate(tmp_path / "tls"))
    server.spawn()
    try:
        server.wait_ready()
        _everything_a_person_does(browser, server.url, https_world, tmp_path)
    finally:
        server.stop()
    assert TOKEN not in server.log.read_text()


def test_everything_works_behind_nginx_terminating_tls(browser, https_world, tmp_path):
    server = Gunicorn(https_world[0], tmp_path / "gunicorn.log", _env(tmp_path, TRUSTED_PROXIES="1"))
    nginx = Nginx(tmp_path / "nginx", [0], self_signed_certificate(tmp_path / "tls"))
    server.spawn()
    try:
        server.wait_ready()
        nginx.app_ports = [server.port]
        nginx.start()
        _everything_a_person_does(browser, nginx.url, https_world, tmp_path)
    finally:
        nginx.stop()
        server.stop()
    logged = nginx.access_log.read_text()
    assert "/s/***" in logged and TOKEN not in logged, "the access log masks the respondent's link"
    assert " 400 " not in logged
    gunicorn_log = server.log.read_text()
    assert TOKEN not in gunicorn_log
