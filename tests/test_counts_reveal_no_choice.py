"""Issue 25, item 7: counts that reveal no choice, on SQLite and PostgreSQL.

The attack: district department heads (``ldp_huyen``) choose which departments they rate. A
named head answers, rating two departments; whoever reads the dashboard, or the API's
``responses``, before and after saw the counts move for exactly those two departments. While a
campaign collects, such a group is now counted per group only: one ballot moves its group total
by one and no count per unit, whatever it chose. A group rating its own unit is still counted per
unit, and after close every group is again.
"""
from __future__ import annotations

import html as html_lib
import re
import shutil

import pytest
from sqlalchemy import distinct, func, select

from survey_app import migrate
from survey_app.demo import build_demo
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign, RespondentGroup, Unit
from survey_app.services.closing import close_campaign
from survey_app.services.users import create_api_token, create_user

from .conftest import BACKENDS, CURRENT, make_app
from .test_auth import PASSWORD, csrf, login
from .test_form import fill
from .test_respond import invite

SECRET = "counts-secret"
TOKENS: dict[str, str] = {}
CHOSEN = ("so_tp", "so_yt")  # the two departments the named head picks
DASHBOARD = f"/quan-tri/dot/{CURRENT}/tien-do"
FILTERED = f"{DASHBOARD}?cap=so&doi_tuong=ldp_huyen"
API = f"/api/v1/campaigns/{CURRENT}/responses"


@pytest.fixture(scope="module", params=BACKENDS)
def province(request, tmp_path_factory):
    """The demo province on each database with an admin (and the admin's API token): a URL to clone."""
    folder = tmp_path_factory.mktemp(f"counts-{request.param}")
    url = (f"sqlite:///{folder / 'base.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_cluster").create_database())
    app = make_app(url, folder / "instance", SECRET_KEY=SECRET)
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, secret=SECRET, seed=11)
        user = create_user(s, "qt", PASSWORD, "admin", actor="t")
        s.flush()
        TOKENS[request.param] = create_api_token(s, user, "t", actor="t")
    database.dispose()
    yield request, url
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster").drop_database(url)


@pytest.fixture
def world(province, tmp_path):
    """A private copy of the province, as an app (with ``api_token`` set)."""
    request, url = province
    if url.startswith("sqlite"):
        shutil.copy(url.removeprefix("sqlite:///"), tmp_path / "world.sqlite")
        copy = f"sqlite:///{tmp_path / 'world.sqlite'}"
    else:
        copy = request.getfixturevalue("pg_cluster").clone_database(url)
    app = make_app(copy, tmp_path / "instance", SECRET_KEY=SECRET)
    app.api_token = TOKENS[request.param]
    yield app
    app.extensions[DB_KEY].dispose()
    if not copy.startswith("sqlite"):
        request.getfixturevalue("pg_cluster").drop_database(copy)


def unit_ids(app, *codes: str) -> list[int]:
    with app.extensions[DB_KEY].session() as s:
        found = dict(s.execute(select(Unit.code, Unit.id)
                               .where(Unit.campaign_id == CURRENT, Unit.code.in_(codes))).all())
    return [found[c] for c in codes]


def send(client, token: str, pages: int) -> None:
    """Answer ``pages`` pages of an opened link and send the ballot."""
    for number in range(1, pages + 1):
        assert fill(client, token, number).status_code == 302
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn" in sent.get_data(as_text=True)


def link_opened(app, group: str, unit: str, token: str):
    """A named person's link (Nguyễn Văn A), opened: a client on its welcome page."""
    invite(app, group, unit, token)
    client = app.test_client()
    assert client.get(f"/s/{token}").status_code == 200
    return client


def head_rates_two_departments(app, client=None) -> None:
    """A named district department head of Pác Nặm picks Tư pháp and Y tế and sends."""
    token = "tok-counts-choose-000000000000"
    client = client or link_opened(app, "ldp_huyen", "pac_nam", token)
    choice = client.get(f"/s/{token}/chon/so").get_data(as_text=True)
    picked = client.post(f"/s/{token}/chon/so", data={"csrf_token": csrf(choice), "unit": unit_ids(app, *CHOSEN)})
    assert picked.status_code == 302
    send(client, token, 2)




def tables(page: str) -> dict[str, dict[tuple[str, ...], tuple[str, ...]]]:
    """Each table of a page by caption: its rows by their header cell (and the group, for the unit table)."""
    found = {}
    for caption, body in re.findall(r"<caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>", page, re.S):
        rows = {}
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = [html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                     for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            key = tuple(cells[:2]) if caption.startswith("Theo đơn vị") else (cells[0],)
            rows[key] = tuple(cells[len(key):])
        found[caption] = rows
    return found


def seen(app) -> dict:
    """What an admin reads of the collecting campaign's counts: the dashboard (whole and filtered to
    the department heads), the API's ``responses``, and the public home page's progress."""
    admin = app.test_client()
    assert login(admin, "qt").status_code == 302
    api = admin.get(API, headers={"Authorization": f"Bearer {app.api_token}"})
    assert api.status_code == 200
    return {"page": tables(admin.get(DASHBOARD).get_data(as_text=True)),
            "filtered": tables(admin.get(FILTERED).get_data(as_text=True)),
            "api": {(r["unit"], r["group"]): r for r in api.json},
            "home": tables(app.test_client().get("/").get_data(as_text=True))}


UNITS, GROUPS, LEVELS = "Theo đơn vị × đối tượng, đơn vị chậm nhất trước", "Theo đối tượng", "Theo cấp"
HEADS = "Lãnh đạo phòng chuyên môn cấp huyện"


def test_a_department_heads_choice_moves_no_count_per_unit_only_the_group_total(world):
    client = link_opened(world, "ldp_huyen", "pac_nam", "tok-counts-choose-000000000000")
    before = seen(world)  # the link is counted, as invited and opened, for every department alike
    head_rates_two_departments(world, client)
    after = seen(world)
    for view in ("page", "filtered"):
        # Every unit × group cell, and every level total, reads the same as before.
        assert after[view][UNITS] == before[view][UNITS], view
        assert after[view][LEVELS] == before[view][LEVELS], view
        # The group total: the same but one more ballot.
        then, now = before[view][GROUPS], after[view][GROUPS]
        assert set(now) - {(f"{HEADS} *",)} == set(then) - {(f"{HEADS} *",)}
        assert all(now[k] == then[k] for k in now if k != (f"{HEADS} *",)), view
        plan, invited, opened, sent, verified, share = now[(f"{HEADS} *",)]
        assert int(sent) == int(then.get((f"{HEADS} *",), ("0",) * 6)[3]) + 1, view
        assert (plan, invited, opened, verified, share) == tuple(
            then[(f"{HEADS} *",)][i] for i in (0, 1, 2, 4, 5)), view
    heads = {key: row for key, row in after["page"][UNITS].items() if key[1] == HEADS}
    assert len(heads) == 19 and {row[3] for row in heads.values()} == {"—"}, "no ballot count per department"
    # The API: no row per unit moves; the heads' one row (unit null) counts one more ballot.
    units_before = {k: v for k, v in before["api"].items() if k[0] is not None}
    assert {k: v for k, v in after["api"].items() if k[0] is not None} == units_before
    assert not any(group == "ldp_huyen" for _unit, group in units_before)
    assert after["api"][(None, "ldp_huyen")]["submitted"] == before["api"][(None, "ldp_huyen")]["submitted"] + 1
    assert {k: v for k, v in after["api"][(None, "ldp_huyen")].items() if k != "submitted"} == {
        k: v for k, v in before["api"][(None, "ldp_huyen")].items() if k != "submitted"}
    # The public home page: one more ballot, and no share of the plan to read a choice from.
    home_before, home_after = (next(iter(v["home"].values())) for v in (before, after))
    assert int(home_after[(HEADS,)][0]) == int(home_before[(HEADS,)][0]) + 1
    assert home_after[(HEADS,)][1:] == home_before[(HEADS,)][1:] == ("—", "")


def test_a_civil_servants_own_department_is_still_counted_per_unit(world):
    token = "tok-counts-own-00000000000000000"
    client = link_opened(world, "cc_so", "so_tp", token)
    before = seen(world)
    send(client, token, 1)
    after = seen(world)
    key = ("Sở Tư pháp", "Công chức cấp sở")
    assert int(after["page"][UNITS][key][3]) == int(before["page"][UNITS][key][3]) + 1
    changed = {k for k in after["page"][UNITS] if after["page"][UNITS][k] != before["page"][UNITS][k]}
    assert changed == {key}
    assert after["api"][("so_tp", "cc_so")]["submitted"] == before["api"][("so_tp", "cc_so")]["submitted"] + 1


def test_after_close_every_group_is_counted_per_unit_again(world):
    head_rates_two_departments(world)
    with world.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, CURRENT), actor="t", secret=world.config["SECRET_KEY"])
    with world.extensions[DB_KEY].session() as s:
        heads = s.scalar(select(RespondentGroup.id).where(RespondentGroup.campaign_id == CURRENT,
                                                          RespondentGroup.code == "ldp_huyen"))
        per_unit = dict(s.execute(
            select(Unit.code, func.count(distinct(Ballot.id))).join(Answer, Answer.unit_id == Unit.id)
            .join(Ballot, Answer.ballot_id == Ballot.id)
            .where(Ballot.group_id == heads, Ballot.state != "rejected").group_by(Unit.code)).all())
    assert all(per_unit.get(code, 0) >= 1 for code in CHOSEN)
    after = seen(world)
    assert not any(unit is None for unit, _group in after["api"]), "no group-only row once closed"
    api = {unit: row["submitted"] for (unit, group), row in after["api"].items() if group == "ldp_huyen"}
    assert len(api) == 19 and {u: n for u, n in api.items() if n} == per_unit
    page = {unit: row[3] for (unit, group), row in after["page"][UNITS].items() if group == HEADS}
    assert "—" not in page.values() and sum(int(n) for n in page.values()) == sum(per_unit.values())
    assert (HEADS,) in after["page"][GROUPS] and f"{HEADS} *" not in str(after["page"][GROUPS])
