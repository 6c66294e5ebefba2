"""Hostile input on both databases: every route guarded or public by design, CSRF on every POST,
markup typed by users shown as text, random form posts never a 500 nor a partial ballot,
oversized requests and path tricks refused."""
from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey_app import migrate
from survey_app.demo import build_demo
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign, Unit, User
from survey_app.services.users import create_api_token, create_user

from .conftest import BACKENDS, CURRENT, make_app
from .test_auth import PASSWORD, csrf, login
from .test_respond import invite

PUBLIC = {
    "static",
    "respond.index",
    "respond.short_code",
    "respond.healthz",
    "auth.login",
    "auth.logout",
    "auth.setup",  # the first admin: with the server's setup code, and only while no account exists
    "api.openapi",
}
TOKEN = "tok-hostile-0000000000000000000"


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_app(request, tmp_path_factory):
    """The demo province on each database, with one user per role and a citizen's link."""
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'h.sqlite'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database()
    app = make_app(url, folder / "instance")
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, secret="hostile", seed=3)
        campaign = s.get(Campaign, CURRENT)
        create_user(s, "qt", PASSWORD, "admin", actor="test")
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
        create_user(s, "nl", PASSWORD, "staff", unit_codes=("na_ri",), campaign_id=campaign.id, actor="test")
    invite(app, "nguoi_dan", "ba_be", TOKEN)
    yield app
    database.dispose()
    if request.param == "postgresql":
        cluster.drop_database(url)


def test_every_route_is_either_public_by_design_or_guarded_by_roles(hostile_app):
    unguarded = sorted({rule.endpoint for rule in hostile_app.url_map.iter_rules()
                        if rule.endpoint not in PUBLIC and "<token>" not in rule.rule
                        and not getattr(hostile_app.view_functions[rule.endpoint], "allowed_roles", None)})
    assert unguarded == [], "a route without roles_required"


def test_every_post_without_its_csrf_token_is_refused(hostile_app):
    client = hostile_app.test_client()
    login(client, "qt")
    posts = [rule for rule in hostile_app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) >= 15
    values = {
        "campaign_id": "1",
        "token": TOKEN,
        "number": "1",
        "level": "so",
        "kind": "appraisal",
        "group": "nguoi_dan",
        "invitation_id": "1",
        "serial": "0",
        "fmt": "csv",
        "user_id": "1",
        "entry_id": "1",  # a row of the succession table (issue 28)
        "unit_id": "1",
    }
    for rule in posts:
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)
        response = client.post(url, data={"x": "1"})
        if rule.endpoint.startswith("api."):
            # The API takes no CSRF token because it ignores cookies: a signed-in browser session is not enough.
            assert response.status_code == 401 and response.json["error"] == "unauthorized", url
            continue
        assert response.status_code == 400, (url, response.status_code)
        assert "Yêu cầu không hợp lệ" in response.get_data(as_text=True), url


def test_markup_typed_by_users_comes_back_as_text(hostile_app):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with hostile_app.extensions[DB_KEY].transaction() as s:
        for unit in s.scalars(select(Unit).where(Unit.code == "ba_be")):  # in both campaigns
            unit.name = script
        create_user(s, "xss", PASSWORD, "analyst", full_name=script, actor="test")
    client = hostile_app.test_client()
    login(client, "qt")
    # A unit imported from a CSV with markup in its name.
    page = client.get("/quan-tri/dot/1/don-vi").get_data(as_text=True)
    client.post("/quan-tri/dot/1/don-vi", data={"csrf_token": csrf(page), "file": (io.BytesIO(
        f"code,name,level,parent\nxa_xss,\"{script}\",xa,ba_be\n".encode()), "units.csv")},
        content_type="multipart/form-data")
    respondent = hostile_app.test_client()  # one device: its resume code opens the draft's pages
    for url in ("/quan-tri/dot/1/don-vi", "/quan-tri/dot/1/tien-do", "/bao-cao/1/ket-qua", "/bao-cao/1/diem-dieu-tra",
                f"/s/{TOKEN}", f"/s/{TOKEN}/p/1"):
        client_for_url = client if not url.startswith("/s/") else respondent
        html = client_for_url.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert" in html, url


def _page_fields(html: str) -> list[str]:
    return sorted(set(re.findall(r'name="(q_[^"]+)"', html)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.one_of(
            st.sampled_from(["action", "client_id", "q_H01", "q_H10", "q_ba_be_H01", "chosen"]), st.text(max_size=12)
        ),
        st.one_of(
            st.text(max_size=40), st.sampled_from(["tot", "kem", "khong_biet", "next", "back", "save", "submit", ""])
        ),
        max_size=8,
    )
)
def test_random_form_posts_never_fail_nor_leave_a_partial_ballot(hostile_app, data):
    client = hostile_app.test_client()
    page = client.get(f"/s/{TOKEN}/p/1")
    token = csrf(page.get_data(as_text=True)) if page.status_code == 200 else ""
    database = hostile_app.extensions[DB_KEY]
    for url in (f"/s/{TOKEN}/p/1", f"/s/{TOKEN}/gui", f"/s/{TOKEN}/p/99", f"/s/{TOKEN}/chon/so"):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, (url, response.status_code)
    with database.session() as s:
        campaign = s.get(Campaign, CURRENT)
        per_ballot = s.execute(
            select(Ballot.id, func.count(Answer.ballot_id))
            .join(Answer, Answer.ballot_id == Ballot.id)
            .where(Ballot.campaign_id == campaign.id, Ballot.channel == "web")
            .group_by(Ballot.id)
        ).all()
    # Whatever was posted, a stored web ballot is whole: no ballot with fewer answers than a citizen's form asks.
    assert all(n >= 13 for _ballot, n in per_ballot)


def test_a_nul_character_is_a_bad_request_never_an_error(hostile_app):
    """Found by the random posts on PostgreSQL, which refuses NUL in text: now refused before any view."""
    client = hostile_app.test_client()
    token = csrf(client.get("/dang-nhap").get_data(as_text=True))  # one CSRF token per session serves every form
    for url in (f"/s/{TOKEN}/gui", f"/s/{TOKEN}/p/1"):
        assert client.post(url, data={"csrf_token": token, "client_id": "\x00", "q_H03": "tot\x00"}).status_code == 400
    assert client.get("/ma?ma=AB\x00CD").status_code == 400
    login(client, "qt")
    admin_page = client.get("/quan-tri/dot/1/don-vi").get_data(as_text=True)
    response = client.post("/quan-tri/dot/1/don-vi", data={"csrf_token": csrf(admin_page), "code": "x\x00",
                                                           "name": "Xã", "level": "xa", "parent": "ba_be"})
    assert response.status_code == 400
    body = {"ballot_id": "a", "group": "\u0000", "units": []}
    api = client.post("/api/v1/campaigns/2/ballots", json=body, headers={"Authorization": "Bearer x"})
    assert api.status_code == 401, "an unknown caller learns nothing about its body"
    with hostile_app.extensions[DB_KEY].transaction() as s:
        token = create_api_token(s, s.scalar(select(User).where(User.username == "qt")), "test", actor="test")
    api = client.post("/api/v1/campaigns/2/ballots", json=body, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400 and api.get_json()["error"] == "invalid_input" and api.get_json()["field"] == "group"


def test_oversized_requests_are_refused(hostile_app):
    client = hostile_app.test_client()
    login(client, "qt")
    page = client.get("/quan-tri/dot/1/ket-qua-nhap").get_data(as_text=True)
    big = io.BytesIO(b"unit,total\n" + b"x,1\n" * 700_000)  # about 2.8 MB
    response = client.post(
        "/quan-tri/dot/1/ket-qua-nhap/appraisal",
        data={"csrf_token": csrf(page), "file": (big, "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "Dữ liệu gửi lên quá lớn" in response.get_data(as_text=True)
    response = hostile_app.test_client().post("/dang-nhap", data={"username": "x" * 3_000_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fsurvey_app/config.py",
        "/bao-cao/1/bieu-do/..%2f..%2fetc%2fpasswd.svg",
        "/bao-cao/1/xuat/..%2fket-qua.csv",
        "/s/..%2f..%2fetc%2fpasswd",
    ],
)
def test_path_tricks_find_nothing(hostile_app, path):
    client = hostile_app.test_client()
    login(client, "pt")
    response = client.get(path)
    assert response.status_code in (404, 400), (path, response.status_code)
    assert b"root:" not in response.data and b"SECRET_KEY" not in response.data


def test_sign_in_never_redirects_off_site(hostile_app):
    client = hostile_app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        client.post("/dang-xuat", data={"csrf_token": csrf(page)})
        page = client.get("/dang-nhap").get_data(as_text=True)
        response = client.post(f"/dang-nhap?next={target}", data={"csrf_token": csrf(page), "username": "qt",
                                                                   "password": PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == "/quan-tri/", target
