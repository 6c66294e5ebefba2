"""The response-rate dashboard, with every figure worked out by hand on a small campaign.

Campaign: Sở Tư pháp (so), Huyện Ba Bể (huyen) with one commune.
Targets: Tư pháp × hdnd_tinh 4, × cc_so 2; Ba Bể × hdnd_tinh 4, × ld_xa 3, × nguoi_dan 5.
Links: 3 provincial delegates (2 opened); 2 commune leaders of the commune (1 opened);
2 citizens' QR cards of Ba Bể (none opened); 1 civil servant of Tư pháp (opened).
Ballots: delegate A rates both units (received); delegate B rates Tư pháp (verified);
a commune leader rates Ba Bể (verified); citizens on paper: 2 verified, 1 rejected.

    cell                     target invited opened submitted verified  %
    Tư pháp × cc_so              2      1      1       0        0     0.0
    Ba Bể × hdnd_tinh            4      3      2       1        0    25.0
    Ba Bể × ld_xa                3      2      1       1        1    33.3
    Ba Bể × nguoi_dan            5      2      0       2        2    40.0   (rejected left out)
    Tư pháp × hdnd_tinh          4      3      2       2        1    50.0

These are the figures once the campaign is closed. While it collects, the provincial delegates
(who rate each unit) are counted per group only: their cells show no ballots, the level totals
leave them out, and their group row counts 2 delegates' ballots against a plan of 4 people.
"""
from __future__ import annotations

import pytest
from sqlalchemy import insert, update

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign, Draft, Invitation, SampleTarget, Unit
from survey_app.services.campaigns import create_campaign
from survey_app.services.dashboard import response_dashboard
from survey_app.services.invitations import hash_token
from survey_app.services.markers import draft_id
from survey_app.services.users import create_user

from .conftest import TEST_SECRET
from .test_auth import PASSWORD, login


@pytest.fixture
def small(app):
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(
            s, year=2024, name="Nhỏ", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t", status="open"
        )
        tp = Unit(campaign_id=c.id, code="so_tp", name="Sở Tư pháp", level="so")
        bb = Unit(campaign_id=c.id, code="ba_be", name="Huyện Ba Bể", level="huyen")
        s.add_all([tp, bb])
        s.flush()
        x1 = Unit(campaign_id=c.id, code="ba_be_x1", name="Xã Nam Mẫu", level="xa", parent_id=bb.id)
        s.add(x1)
        s.flush()
        g = {grp.code: grp.id for grp in c.groups}
        for unit, group, target in [
            (tp, "hdnd_tinh", 4),
            (tp, "cc_so", 2),
            (bb, "hdnd_tinh", 4),
            (bb, "ld_xa", 3),
            (bb, "nguoi_dan", 5),
        ]:
            s.add(SampleTarget(campaign_id=c.id, unit_id=unit.id, group_id=g[group], target=target))
        n = iter(range(100))
        for group, unit, opened in [("hdnd_tinh", None, True), ("hdnd_tinh", None, True), ("hdnd_tinh", None, False),
                                    ("ld_xa", x1, True), ("ld_xa", x1, False), ("nguoi_dan", bb, False),
                                    ("nguoi_dan", bb, False), ("cc_so", tp, True)]:
            token_hash = hash_token(f"t{next(n)}")
            s.add(Invitation(campaign_id=c.id, group_id=g[group], unit_id=unit.id if unit else None,
                             token_hash=token_hash))
            if opened:  # a link is opened when its draft is there (found by its keyed id) or it was spent
                s.add(Draft(id=draft_id(TEST_SECRET, token_hash), campaign_id=c.id, sealed=b"\x02draft"))

        def ballot(group, units, state, channel="web"):
            b = Ballot(campaign_id=c.id, client_id=f"b{next(n)}", group_id=g[group], channel=channel, state=state,
                       state_reason="x" if state == "rejected" else None)
            s.add(b)
            s.flush()
            s.execute(
                insert(Answer), [{"ballot_id": b.id, "unit_id": u.id, "question": "Q", "option": "tot"} for u in units]
            )

        ballot("hdnd_tinh", [tp, bb], "received")
        ballot("hdnd_tinh", [tp], "verified")
        ballot("ld_xa", [bb], "verified")
        for state in ("verified", "verified", "rejected"):
            ballot("nguoi_dan", [bb], state, "paper")
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        return c.id


def closed(app, campaign_id: int) -> None:
    """The campaign marked closed (the figures then come per unit for every group)."""
    with app.extensions[DB_KEY].transaction() as s:
        s.execute(update(Campaign).where(Campaign.id == campaign_id).values(status="closed"))


def row(cell):
    pct = None if cell.percent is None else round(cell.percent, 1)
    return (cell.unit.code, cell.group.code, cell.target, cell.invited, cell.opened, cell.submitted, cell.verified, pct)


def test_cells_by_hand_most_behind_first(app, small):
    closed(app, small)
    with app.extensions[DB_KEY].session() as s:
        board = response_dashboard(s, s.get(Campaign, small), TEST_SECRET)
    rows = [row(c) for c in board.cells]
    assert rows[:5] == [
        ("so_tp", "cc_so", 2, 1, 1, 0, 0, 0.0),
        ("ba_be", "hdnd_tinh", 4, 3, 2, 1, 0, 25.0),
        ("ba_be", "ld_xa", 3, 2, 1, 1, 1, 33.3),
        ("ba_be", "nguoi_dan", 5, 2, 0, 2, 2, 40.0),
        ("so_tp", "hdnd_tinh", 4, 3, 2, 2, 1, 50.0),
    ]
    # Cells with no target come last: every other group the set asks about each unit.
    assert {(r[0], r[1]) for r in rows[5:]} == {
        ("so_tp", "ldp_huyen"),
        ("ba_be", "hdnd_huyen"),
        ("ba_be", "doanh_nghiep"),
    }
    assert all(r[2] == 0 and r[7] is None for r in rows[5:])


def test_totals_by_level_and_group(app, small):
    closed(app, small)
    with app.extensions[DB_KEY].session() as s:
        board = response_dashboard(s, s.get(Campaign, small), TEST_SECRET)
    levels = {t.label: (dict(t.values), round(t.percent, 1)) for t in board.by_level}
    # so: covered min(2,4) + min(0,2) = 2 of 6; huyen: 1 + 1 + 2 = 4 of 12.
    assert levels["Cấp sở"] == ({"target": 6, "invited": 4, "opened": 3, "submitted": 2, "verified": 1}, 33.3)
    assert levels["Cấp huyện"] == ({"target": 12, "invited": 7, "opened": 3, "submitted": 4, "verified": 3}, 33.3)
    groups = {t.label: (t.values["target"], t.values["submitted"], round(t.percent, 1)) for t in board.by_group}
    assert groups["Đại biểu HĐND tỉnh"] == (8, 3, 37.5)
    assert groups["Người dân"] == (5, 2, 40.0)


def test_while_collecting_a_group_that_rates_each_unit_is_counted_per_group_only(app, small):
    with app.extensions[DB_KEY].session() as s:
        board = response_dashboard(s, s.get(Campaign, small), TEST_SECRET)
    rows = {(c.unit.code, c.group.code): row(c) for c in board.cells}
    # Plan and links stay; no ballot count, no percent.
    assert rows[("so_tp", "hdnd_tinh")] == ("so_tp", "hdnd_tinh", 4, 3, 2, None, None, None)
    assert rows[("ba_be", "hdnd_tinh")] == ("ba_be", "hdnd_tinh", 4, 3, 2, None, None, None)
    assert rows[("ba_be", "ld_xa")] == ("ba_be", "ld_xa", 3, 2, 1, 1, 1, 33.3), "own groups are counted per unit"
    levels = {t.label: (dict(t.values), round(t.percent, 1)) for t in board.by_level}
    # so: cc_so only, 0 of 2; huyen: ld_xa 1 + nguoi_dan 2 of 3 + 5.
    assert levels["Cấp sở"] == ({"target": 2, "invited": 1, "opened": 1, "submitted": 0, "verified": 0}, 0.0)
    assert levels["Cấp huyện"] == ({"target": 8, "invited": 4, "opened": 1, "submitted": 3, "verified": 3}, 37.5)
    groups = {t.label: t for t in board.by_group}
    delegates = groups["Đại biểu HĐND tỉnh"]
    # 3 links, 2 opened; 2 ballots (people) of a plan of 4 people (the largest target).
    assert delegates.pooled and dict(delegates.values) == {"target": 4, "invited": 3, "opened": 2, "submitted": 2,
                                                           "verified": 1}
    assert delegates.percent == 50.0
    assert [t.code for t in board.pooled] == ["hdnd_tinh", "ldp_huyen"]
    assert groups["Người dân"].percent == 40.0 and not groups["Người dân"].pooled


def test_filters(app, small):
    with app.extensions[DB_KEY].session() as s:
        board = response_dashboard(s, s.get(Campaign, small), TEST_SECRET, level="huyen", group="nguoi_dan")
    assert [row(c) for c in board.cells] == [("ba_be", "nguoi_dan", 5, 2, 0, 2, 2, 40.0)]


def test_the_page_shows_it(app, small):
    client = app.test_client()
    login(client, "qt")
    html = client.get(f"/quan-tri/dot/{small}/tien-do").get_data(as_text=True)
    assert "Tiến độ thu phiếu" in html
    first = html.index("<tbody>", html.index("Theo đơn vị × đối tượng"))
    assert '<tr class="behind"><th scope="row">Sở Tư pháp</th><td>Công chức cấp sở</td>' in html[first:first + 200]
    assert "33,3%" in html and "37,5%" in html
    assert '<th scope="row">Đại biểu HĐND tỉnh *</th>' in html and 'id="pooled-note"' in html
    assert html.count('<abbr title="Đối tượng này tự chọn/đánh giá mọi đơn vị') == 3, "2 delegate cells, 1 ldp"
    assert client.get(f"/quan-tri/dot/{small}/tien-do?cap=tinh").status_code == 404
    assert client.get("/quan-tri/dot/999/tien-do").status_code == 404
