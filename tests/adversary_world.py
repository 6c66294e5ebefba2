"""The world the attacks of tests/test_adversary*.py run in: the demo province on SQLite and on
PostgreSQL, built once per session (``province``), each test on a private copy (``world``), with an
admin, an analyst and district staff holding API tokens, and one citizen's link (``TOKEN``)."""
from __future__ import annotations

import re
import shutil

import pytest

from survey_app import migrate
from survey_app.demo import build_demo
from survey_app.extensions import DB_KEY
from survey_app.services.users import create_api_token, create_user

from .conftest import BACKENDS, make_app
from .test_auth import PASSWORD, csrf, login
from .test_form import fill
from .test_respond import invite

SECRET = "adversary-secret"
TOKEN = "tok-adversary-00000000000000000"
ELSEWHERE = "đã được lưu dở trên một thiết bị khác"  # what a link with a draft shows without its resume code


def _new_database(request, folder, name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / name}"
    return request.getfixturevalue("pg_cluster").create_database()


def _clone(request, url: str, folder, name: str) -> str:
    if url.startswith("sqlite"):
        shutil.copy(url.removeprefix("sqlite:///"), folder / name)
        return f"sqlite:///{folder / name}"
    return request.getfixturevalue("pg_cluster").clone_database(url)


TOKENS: dict[str, str] = {}  # API tokens by user name, made once with the province


@pytest.fixture(scope="session", params=BACKENDS)
def province(request, tmp_path_factory):
    """The demo province on each database, with an admin, an analyst, staff of Ba Bể and of Na Rì
    (each with an API token), and one citizen's link of the collecting campaign: a URL to clone."""
    folder = tmp_path_factory.mktemp(f"adversary-{request.param}")
    url = _new_database(request, folder, "base.sqlite")
    app = make_app(url, folder / "instance", SECRET_KEY=SECRET)
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, secret=SECRET, seed=5)
        people = [("qt", "admin", ()), ("qt2", "admin", ()), ("pt", "analyst", ()), ("bb1", "staff", ("ba_be",)),
                  ("bb2", "staff", ("ba_be",)), ("nr1", "staff", ("na_ri",))]
        for name, role, units in people:
            user = create_user(s, name, PASSWORD, role, unit_codes=units, actor="t")
            s.flush()
            TOKENS[name] = create_api_token(s, user, "t", actor="t")
    invite(app, "nguoi_dan", "ba_be", TOKEN)
    database.dispose()
    yield request, folder, url
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster").drop_database(url)


@pytest.fixture
def world(province, tmp_path):
    """A private copy of the province, as an app."""
    request, _folder, url = province
    copy = _clone(request, url, tmp_path, "world.sqlite")
    app = make_app(copy, tmp_path / "instance", SECRET_KEY=SECRET)
    yield app
    app.extensions[DB_KEY].dispose()
    if not copy.startswith("sqlite"):
        request.getfixturevalue("pg_cluster").drop_database(copy)


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def answer_and_send(app, option_index: int) -> None:
    """The citizen of TOKEN answers every question with the option at ``option_index`` and sends."""
    client = app.test_client()
    client.get(f"/s/{TOKEN}")
    assert fill(client, TOKEN, 1, pick=lambda options: options[option_index]).status_code == 302
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn" in sent.get_data(as_text=True)


def reach_review(client, token: str, pick=lambda options: options[0], choose=2) -> tuple[str, str]:
    """Open the link, choose units where asked (the first ``choose``, or these unit ids), answer every
    page with ``pick``: ``(the review page, the form's client id)``."""
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    chooser = re.search(r'href="(/s/[^"]+/chon/\w+)"', welcome)
    if chooser:
        html = client.get(chooser.group(1)).get_data(as_text=True)
        offered = re.findall(r'name="unit" value="(\d+)"', html)
        units = offered[:choose] if isinstance(choose, int) else [str(u) for u in choose]
        assert client.post(chooser.group(1), data={"csrf_token": csrf(html), "unit": units}).status_code == 302
    number = 1
    while not fill(client, token, number, pick=pick).headers["Location"].endswith("/gui"):
        number += 1
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    return review, re.search(r'name="client_id" value="([^"]+)"', review).group(1)


def send(client, token: str, review: str, client_id: str) -> None:
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn Ông/Bà đã gửi phiếu" in sent.get_data(as_text=True)
