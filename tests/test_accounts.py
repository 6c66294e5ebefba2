"""Accounts that can be closed: sessions that really end, passwords and user names that hold,
API tokens that can be listed and revoked, all from the command line."""
from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import ApiToken, AuditEntry, User
from survey_app.services.users import (
    UserError,
    create_api_token,
    create_user,
    generate_password,
    local_words,
    normalise_username,
    password_problem,
    set_password,
)

from .test_auth import PASSWORD, csrf, login

NEW_PASSWORD = "lúa-chín-vàng-đồng-2026"


@pytest.fixture
def admin(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    return demo_app


def signed_in(app, username: str = "qt", password: str = PASSWORD):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def copy_of(client, app):
    """Another browser holding the same session cookie (copied before sign-out)."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    other = app.test_client()
    other.set_cookie(cookie.key, cookie.value)
    return other


def test_sign_out_ends_the_session_even_for_a_copied_cookie(admin):
    client = signed_in(admin)
    stolen = copy_of(client, admin)
    assert stolen.get("/quan-tri/dot/2/loi-moi.csv").status_code == 200, "the copy works while signed in"
    token = csrf(client.get("/quan-tri/").get_data(as_text=True))
    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
    replay = stolen.get("/quan-tri/dot/2/loi-moi.csv")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/dang-nhap")
    assert stolen.get("/quan-tri/").status_code == 302


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_new_password_or_deactivation_ends_every_session(admin, change):
    phone, desk = signed_in(admin), signed_in(admin)
    runner = admin.test_cli_runner()
    if change == "password":
        result = runner.invoke(args=["users", "passwd", "qt", "--password-stdin"], input=NEW_PASSWORD + "\n")
        assert result.exit_code == 0 and "các phiên đăng nhập cũ đã kết thúc" in result.output
    else:
        assert runner.invoke(args=["users", "deactivate", "qt"]).exit_code == 0
    for client in (phone, desk):
        assert client.get("/quan-tri/").status_code == 302
    if change == "password":
        assert login(admin.test_client(), "qt", PASSWORD).status_code == 401
        assert login(admin.test_client(), "qt", NEW_PASSWORD).status_code == 302
    else:
        assert login(admin.test_client(), "qt", PASSWORD).status_code == 401
        assert runner.invoke(args=["users", "activate", "qt"]).exit_code == 0
        assert login(admin.test_client(), "qt", PASSWORD).status_code == 302
    with admin.extensions[DB_KEY].session() as s:
        attributes = s.scalars(select(AuditEntry.attribute).where(AuditEntry.entity == "user")).all()
        assert ("password" if change == "password" else "active") in attributes
        assert NEW_PASSWORD not in str(s.scalars(select(AuditEntry.new_value)).all())


def test_a_forged_cookie_without_the_version_opens_nothing(admin):
    """A cookie signed with the key but made before the user's sessions were ended (or without a version)."""
    client = admin.test_client()
    with admin.extensions[DB_KEY].session() as s:
        user_id = s.scalar(select(User.id).where(User.username == "qt"))
    with client.session_transaction() as session:
        session.update(user_id=user_id, since=10**10, seen=10**10)
    assert client.get("/quan-tri/").status_code == 302


@pytest.mark.parametrize("password,why", [
    ("aaaaaaaaaaaa", "dễ đoán"), ("1234567890ab", "dễ đoán"), ("password1234", "dễ đoán"),
    ("ngan-qua", "ít nhất 12"), ("nhaplieu.babe-2026!", "tên đăng nhập"),
])
def test_weak_passwords_are_refused(password, why):
    assert why in password_problem(password, "nhaplieu.babe")


def test_user_names_are_plain_ascii_and_look_alikes_are_refused(app):
    assert normalise_username("ＡＤＭＩＮ") == "admin", "full-width letters fold to ASCII (NFKC)"
    for name in ("ádmin", "quản trị", "a" * 65, "", "ad min", "adm\u200bin"):
        with pytest.raises(UserError):
            normalise_username(name)
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "admin", PASSWORD, "admin", actor="t")
        with pytest.raises(UserError, match="đã có"):
            create_user(s, "ADMIN", PASSWORD, "admin", actor="t")
        with pytest.raises(UserError, match="chữ cái không dấu"):
            create_user(s, "ádmin", PASSWORD, "admin", actor="t")


def test_the_password_is_never_an_argument(runner):
    assert runner.invoke(args=["users", "create", "qt", "--password", PASSWORD]).exit_code == 2
    assert runner.invoke(args=["users", "passwd", "qt", "--password", PASSWORD]).exit_code == 2
    asked = runner.invoke(args=["users", "create", "qt"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert asked.exit_code == 0 and PASSWORD not in asked.output


def test_tokens_are_listed_with_their_use_and_revoked(admin):
    runner = admin.test_cli_runner()
    with admin.extensions[DB_KEY].transaction() as s:
        token = create_api_token(s, s.scalar(select(User).where(User.username == "qt")), "Kobo", actor="t")
    client = admin.test_client()
    assert client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = runner.invoke(args=["users", "tokens", "qt"])
    assert listed.exit_code == 0 and "Kobo" in listed.output and "hiệu lực" in listed.output
    assert "chưa dùng" not in listed.output, "the use was noted"
    assert token not in listed.output
    with admin.extensions[DB_KEY].session() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "Kobo"))
    revoked = runner.invoke(args=["users", "revoke-token", str(token_id)])
    assert revoked.exit_code == 0 and "Đã thu hồi" in revoked.output
    assert client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "đã thu hồi" in runner.invoke(args=["users", "tokens"]).output
    assert runner.invoke(args=["users", "revoke-token", "999"]).exit_code == 1
    listing = runner.invoke(args=["users", "list"]).output
    assert "qt" in listing and "admin" in listing and "nhaplieu1" in listing


def test_a_change_of_role_or_units_ends_the_sessions(admin):
    from survey_app.services.users import set_role

    with admin.extensions[DB_KEY].transaction() as s:
        create_user(s, "nl", PASSWORD, "staff", unit_codes=("ba_be",), actor="t")
    staff = signed_in(admin, "nl")
    assert staff.get("/nhap-lieu/").status_code == 200
    with admin.extensions[DB_KEY].transaction() as s:
        set_role(s, s.scalar(select(User).where(User.username == "nl")), "staff", ("na_ri",), actor="qt")
    assert staff.get("/nhap-lieu/").status_code == 302, "signed out: the new scope holds from the next sign-in"
    with admin.extensions[DB_KEY].session() as s:
        user = s.scalar(select(User).where(User.username == "nl"))
        assert {u.code for u in user.units if u.level == "huyen"} == {"na_ri"}


@pytest.mark.postgres
def test_sign_out_ends_a_copied_session_on_postgresql(pg_url, tmp_path):
    from survey_app import migrate

    from .conftest import make_app

    app = make_app(pg_url, tmp_path / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    client = signed_in(app)
    stolen = copy_of(client, app)
    assert stolen.get("/quan-tri/").status_code == 200
    client.post("/dang-xuat", data={"csrf_token": csrf(client.get("/quan-tri/").get_data(as_text=True))})
    assert stolen.get("/quan-tri/").status_code == 302
    app.extensions[DB_KEY].dispose()


@pytest.mark.parametrize("password", [
    "chodon123456", "Chodon123456", unicodedata.normalize("NFD", "Chợ Đồn 123456"),
    unicodedata.normalize("NFD", "Chodon-2026-mùa-lúa"), "ChỢ ĐỒN 2026 lúa chín", "xa-cho-don-12345",
])
def test_a_unit_name_of_the_province_is_refused_in_any_form(demo_app, password):
    """Issue 30: "chodon123456" was accepted for a staff account of a province with the unit "Chợ Đồn"."""
    assert password_problem("chodon123456", "nl.cd") is None, "length and zxcvbn alone let it through"
    with demo_app.extensions[DB_KEY].transaction() as s:
        assert "chodon" in local_words(s) and local_words(s)["backan"] == "tỉnh"
        with pytest.raises(UserError, match="tên một đơn vị trong tỉnh") as refused:
            create_user(s, "nl.cd", password, "staff", unit_codes=("cho_don",), actor="t")
        assert password not in str(refused.value) and "chodon" not in str(refused.value)
        user = s.scalar(select(User).where(User.username == "nhaplieu1"))
        with pytest.raises(UserError, match="tên một đơn vị trong tỉnh"):
            set_password(s, user, password, "t")


@pytest.mark.parametrize("password,why", [
    ("Bắc Kạn mùa lúa 2026", "tên tỉnh"), ("backan-lua-chin-2026", "tên tỉnh"),
    ("parsurvey-2026-lúa-chín", "tên của hệ thống"), ("Khảo Sát lúa chín 2026", "tên của hệ thống"),
    ("mùa lúa CCHC chín 2026", "tên của hệ thống"), ("so-noi-vu-lua-chin-2026", "tên của hệ thống"),
    ("lúa chín nl cd 20261", "tên đăng nhập"),
])
def test_the_province_the_site_and_the_username_are_refused(demo_app, password, why):
    with demo_app.extensions[DB_KEY].session() as s:
        problem = password_problem(password, "nl.cd", local_words(s))
    assert problem is not None and why in problem and password not in problem


def test_the_rules_leave_good_passwords_and_generated_ones(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        local = local_words(s)
    assert password_problem(PASSWORD, "qt", local) is None and password_problem(NEW_PASSWORD, "qt", local) is None
    assert password_problem("ngắn-quá", "qt", local) == "mật khẩu phải có ít nhất 12 ký tự", "the length rule stays"
    made = {generate_password("nl.cd", local) for _ in range(50)}
    assert len(made) == 50 and all(password_problem(p, "nl.cd", local) is None for p in made)
    assert not set("".join(made)) & set("0o1liIOLS"), "no character read as another"
