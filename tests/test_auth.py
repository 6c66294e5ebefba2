"""Sign-in, roles, ``parsurvey users create``, and every admin route against every role."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Ballot, Campaign, User
from survey_app.services.users import create_user

from .conftest import CURRENT

PASSWORD = "mat-khau-du-dai"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/dang-nhap").get_data(as_text=True)
    return client.post("/dang-nhap", data={"csrf_token": csrf(page), "username": username, "password": password})


@pytest.fixture
def people(demo_app):
    """One user of each role on the demo database, all with PASSWORD; and a paper ballot of Na Rì,
    in the collecting campaign, keyed twice with a difference (so the reconcile page has something to show)."""
    from survey_app.models import RespondentGroup, Unit
    from survey_app.services import paper, serials

    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, CURRENT)
        create_user(s, "qt", PASSWORD, "admin", actor="test")
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
        staff = create_user(s, "nl", PASSWORD, "staff", unit_codes=("na_ri",), campaign_id=campaign.id, actor="test")
        other = create_user(s, "nl2", PASSWORD, "staff", unit_codes=("na_ri",), campaign_id=campaign.id, actor="test")
        unit = s.scalar(select(Unit).where(Unit.campaign_id == CURRENT, Unit.code == "na_ri"))
        group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == CURRENT,
                                                       RespondentGroup.code == "nguoi_dan"))
        serial = serials.reserve_serials(s, campaign, unit, group, 1, "test")[0]
        paper.save_entry(s, serial, staff, {"H03": "tot"}, "k1")
        paper.save_entry(s, serial, other, {"H03": "kha"}, "k2")
        URL_VALUES["serial"] = serial.serial
        # A row of the collecting campaign's succession table (issue 28), for its edit and delete pages.
        from survey_app.models import UnitSuccession
        entry = UnitSuccession(campaign_id=CURRENT, old_code="so_tp", old_name="Sở Tư pháp", new_code="so_tp",
                               kind="kept")
        s.add(entry)
        s.flush()
        URL_VALUES["entry_id"] = str(entry.id)
        QUERY["admin.print_sheet"] = f"?tu={serial.serial}&den={serial.serial}"
    return {"admin": "qt", "analyst": "pt", "staff": "nl"}


def test_users_create_from_the_command_line(runner, app):
    result = runner.invoke(args=["users", "create", "admin", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0 and "Đã tạo tài khoản 'admin' (admin)" in result.output
    with app.extensions[DB_KEY].session() as s:
        user = s.scalar(select(User))
        assert (
            user.role == "admin"
            and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
            and PASSWORD not in user.password_hash
        )
    for args, password, message in [
        (["users", "create", "ADMIN"], PASSWORD, "tên đăng nhập 'admin' đã có"),
        (["users", "create", "b"], "ngan", "mật khẩu phải có ít nhất 12 ký tự"),
        (["users", "create", "c", "--role", "staff"], PASSWORD, "phải được giao ít nhất một đơn vị"),
        (["users", "create", "d", "--role", "staff", "--unit", "khong_co"], PASSWORD, "không có đơn vị mã 'khong_co'"),
    ]:
        result = runner.invoke(args=[*args, "--password-stdin"], input=password + "\n")
        assert result.exit_code == 1 and message in result.stderr, args
    assert runner.invoke(args=["users", "create", "e", "--password", PASSWORD]).exit_code == 2, "no password argument"


def test_the_password_is_asked_twice_and_hidden(runner):
    result = runner.invoke(args=["users", "create", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and PASSWORD not in result.output


def test_sign_in_and_out(demo_app, people):
    client = demo_app.test_client()
    wrong = login(client, "qt", "sai-mat-khau-roi")
    assert wrong.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.get_data(as_text=True)
    assert login(client, "nobody").status_code == 401
    right = login(client, "QT")  # user names are not case-sensitive
    assert right.status_code == 302 and right.headers["Location"] == "/quan-tri/"
    page = client.get("/quan-tri/").get_data(as_text=True)
    assert "Các đợt khảo sát" in page and "Đăng xuất" in page
    client.post("/dang-xuat", data={"csrf_token": csrf(page)})
    assert client.get("/quan-tri/").status_code == 302


def test_after_sign_in_only_a_local_page_is_followed(demo_app, people):
    client = demo_app.test_client()
    page = client.get("/dang-nhap?next=//evil.example/x").get_data(as_text=True)
    result = client.post("/dang-nhap?next=//evil.example/x",
                         data={"csrf_token": csrf(page), "username": "qt", "password": PASSWORD})
    assert result.headers["Location"] == "/quan-tri/"
    client = demo_app.test_client()
    page = client.get("/dang-nhap?next=/quan-tri/dot/1/tien-do").get_data(as_text=True)
    result = client.post("/dang-nhap?next=/quan-tri/dot/1/tien-do",
                         data={"csrf_token": csrf(page), "username": "qt", "password": PASSWORD})
    assert result.headers["Location"] == "/quan-tri/dot/1/tien-do"


def test_a_post_without_csrf_token_is_refused(demo_app, people):
    result = demo_app.test_client().post("/dang-nhap", data={"username": "qt", "password": PASSWORD})
    assert result.status_code == 400 and "Yêu cầu không hợp lệ" in result.get_data(as_text=True)


URL_VALUES = {"campaign_id": "1", "level": "so", "group": "hdnd_tinh", "invitation_id": "1", "fmt": "png",
              "user_id": "1", "unit_id": "1", "entry_id": "1"}
QUERY = {"admin.cards": "?don_vi=ba_be&doi_tuong=nguoi_dan"}
ENDPOINT_VALUES = {"reports.export": {"slug": "ket-qua", "fmt": "csv"}, "reports.chart": {"name": "nhiet-so"},
                   "admin.import_file": {"kind": "appraisal"}, "admin.confirm_import": {"kind": "appraisal"},
                   "admin.results_template": {"kind": "nam-truoc", "fmt": "xlsx"},
                   "admin.import_template": {"kind": "don-vi", "fmt": "xlsx"},
                   "admin.export_invitations": {"fmt": "xlsx"}, "admin.export_reminders": {"fmt": "csv"},
                   "admin.succession_template": {"fmt": "xlsx", "campaign_id": str(CURRENT)},
                   # pages of collecting (campaign 2); the rest read last year's, closed, campaign 1
                   **{e: {"campaign_id": str(CURRENT)}
                      for e in ("admin.reconcile", "admin.print_sheet", "admin.close", "admin.edit_succession",
                                "admin.delete_succession", "admin.forget_sent_phones", "admin.dossier_cards")}}


def admin_routes(app, method: str = "GET"):
    """Every admin and report route for ``method``, with the roles its view allows, built from the URL map."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("admin.", "reports.")) or method not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        values = URL_VALUES | ENDPOINT_VALUES.get(rule.endpoint, {})
        if "ballot_id" in rule.arguments:  # a ballot's review page: a paper ballot of last year's campaign
            with app.extensions[DB_KEY].session() as s:
                values = values | {"ballot_id": str(s.scalar(select(Ballot.id).where(
                    Ballot.campaign_id == 1, Ballot.channel == "paper").order_by(Ballot.id).limit(1)))}
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: v[m.group(1)], rule.rule) + QUERY.get(rule.endpoint, "")
        routes.append((url, view.allowed_roles))
    return routes


def test_every_admin_route_refuses_the_wrong_role(demo_app, people):
    routes = admin_routes(demo_app)
    assert len(routes) >= 10
    anonymous = demo_app.test_client()
    for url, _allowed in routes:
        result = anonymous.get(url)
        assert result.status_code == 302 and result.headers["Location"].startswith("/dang-nhap?next="), url
    for role, username in people.items():
        client = demo_app.test_client()
        assert login(client, username).status_code == 302
        for url, allowed in routes:
            result = client.get(url)
            expected = 200 if role in allowed else 403
            if url.endswith("/mo-khao-sat") and role in allowed:  # no demo campaign is a draft: back to its page
                expected = 302
            assert result.status_code == expected, (role, url, result.status_code)
            if expected == 403:
                assert "Không có quyền truy cập" in result.get_data(as_text=True)


def test_every_admin_post_refuses_the_wrong_role(demo_app, people):
    routes = admin_routes(demo_app, "POST")
    assert len(routes) >= 7
    anonymous = demo_app.test_client()
    token = csrf(anonymous.get("/dang-nhap").get_data(as_text=True))
    for url, _allowed in routes:
        result = anonymous.post(url, data={"csrf_token": token})
        assert result.status_code == 302 and result.headers["Location"].startswith("/dang-nhap"), url
    for role, username in people.items():
        client = demo_app.test_client()
        login(client, username)
        token = csrf(client.get("/dang-nhap").get_data(as_text=True))
        for url, allowed in routes:
            result = client.post(url, data={"csrf_token": token})
            if role in allowed:
                assert result.status_code in (200, 302, 400), (role, url, result.status_code)
            else:
                assert result.status_code == 403, (role, url, result.status_code)


def test_a_deactivated_user_is_signed_out(demo_app, people):
    client = demo_app.test_client()
    login(client, "qt")
    with demo_app.extensions[DB_KEY].transaction() as s:
        s.scalar(select(User).where(User.username == "qt")).active = False
    assert client.get("/quan-tri/").status_code == 302
