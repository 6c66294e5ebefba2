"""Honest steps (issue 30 item 3): a step of the campaign page is "Xong" only when the plan is covered,
and says what remains; before opening, the cells not covered are listed (a warning, not a block).

The campaign is the card set of test_card_levels: civil servants (``cong_chuc``, by link, rate their own
department), delegates (``dai_bieu``, by link, rate each department and district), citizens and
businesses on paper. The plan and what is issued, by hand:

    cell                              target  issued                   lacks
    Sở Tư pháp, civil servants          150   12 personal links         138
    Sở Tài chính, civil servants        150    0                        150
    Huyện An Phú, citizens               16    1 paper serial            15
    (delegates and businesses: no plan; a link and a serial each, so today's "has one" rule says done)
                                                       links: 2 cells, 288; paper: 1 cell, 15
"""
from __future__ import annotations

import re

import pytest

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, Unit
from survey_app.services.campaigns import create_campaign
from survey_app.services.checklist import campaign_steps, uncovered_cells
from survey_app.services.invitations import issue_link
from survey_app.services.serials import reserve_serials
from survey_app.services.units import set_targets

from .test_admin import token_of
from .test_card_levels import card_set


@pytest.fixture
def campaign(app) -> int:
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="Các bước", criteria_texts=card_set(), actor="t", status="draft")
        s.add_all([Unit(campaign_id=c.id, code="so_tp", name="Sở Tư pháp", level="so"),
                   Unit(campaign_id=c.id, code="so_tc", name="Sở Tài chính", level="so"),
                   Unit(campaign_id=c.id, code="h_a", name="Huyện An Phú", level="huyen")])
        s.flush()
        s.expire(c, ["units"])
        unit = {u.code: u for u in c.units}
        group = {g.code: g for g in c.groups}
        set_targets(s, c, [(unit["so_tp"], group["cong_chuc"], 150), (unit["so_tc"], group["cong_chuc"], 150),
                           (unit["h_a"], group["nguoi_dan"], 16)], "t")
        secret = app.config["SECRET_KEY"]
        for group_code, unit_id, n in (("cong_chuc", unit["so_tp"].id, 12), ("dai_bieu", None, 1)):
            for _ in range(n):
                link = issue_link(secret)
                s.add(Invitation(campaign_id=c.id, group_id=group[group_code].id, unit_id=unit_id, kind="personal",
                                 token_hash=link.token_hash, token_salt=link.salt))
        reserve_serials(s, c, unit["h_a"], group["nguoi_dan"], 1, "t")
        reserve_serials(s, c, unit["h_a"], group["doanh_nghiep"], 1, "t")
        return c.id


def steps_of(app, campaign: int, status: str | None = None) -> dict:
    with app.extensions[DB_KEY].transaction() as s:
        c = s.get(Campaign, campaign)
        if status:
            c.status = status
            s.flush()
        return {step.key: step for step in campaign_steps(s, c)}


def test_twelve_links_against_a_plan_of_300_is_not_done_and_says_what_remains(app, campaign):
    links = steps_of(app, campaign)["links"]
    assert links.state == "todo"
    assert links.missing == ("còn 2 đơn vị × đối tượng chưa có đủ đường link hay thẻ QR (thiếu 288 so với kế hoạch): "
                             "Sở Tư pháp — Công chức (thiếu 138), Sở Tài chính — Công chức (thiếu 150)",)
    assert "0/2 ô đơn vị × đối tượng đủ theo kế hoạch" in links.summary


def test_one_serial_of_sixteen_is_not_done(app, campaign):
    paper = steps_of(app, campaign)["paper"]
    assert paper.state == "todo"
    assert paper.missing == ("còn 1 đơn vị × đối tượng chưa in đủ phiếu giấy hay thẻ QR (thiếu 15 so với kế hoạch): "
                             "Huyện An Phú — Người dân (thiếu 15)",)


def test_the_campaign_page_says_to_do_with_the_remaining_count_and_warns_before_opening(admin, campaign):
    page = admin.get(f"/quan-tri/dot/{campaign}").get_data(as_text=True)
    items = dict(re.findall(r'<span class="step-title">([^<]+) <span class="step-state">· ([^<]+)</span>', page))
    assert items["Đường link và thẻ QR"] == "Cần làm" and items["In phiếu giấy"] == "Cần làm"
    assert "còn 2 đơn vị × đối tượng chưa có đủ đường link hay thẻ QR (thiếu 288 so với kế hoạch)" in page
    # Opening lists the cells not covered (3 cells: 138 + 150 + 15), and is not blocked by them.
    assert "Cảnh báo (vẫn mở được): 3 đơn vị × đối tượng chưa có đủ đường link, thẻ QR hay phiếu giấy" in page


def test_uncovered_cells_are_what_the_plan_lacks(app, campaign):
    with app.extensions[DB_KEY].session() as s:
        cells = uncovered_cells(s, s.get(Campaign, campaign))
        assert sorted((c.unit.code, c.group.code, c.target, c.issued, c.missing) for c in cells) == [
            ("h_a", "nguoi_dan", 16, 1, 15), ("so_tc", "cong_chuc", 150, 0, 150), ("so_tp", "cong_chuc", 150, 12, 138)]


def test_collection_is_done_only_at_the_plan(app, campaign):
    collecting = steps_of(app, campaign, "open")["collect"]
    assert collecting.state == "todo" and collecting.summary == "0 phiếu — đang thu: 0,0 % kế hoạch"
    closed = steps_of(app, campaign, "closed")["collect"]
    assert closed.state == "short" and closed.state != "done"
    assert closed.missing == ("còn thiếu 316 phiếu so với kế hoạch (0/316)",)


def test_the_opening_confirmation_lists_the_uncovered_cells_and_still_opens(app, admin, campaign):
    page = admin.get(f"/quan-tri/dot/{campaign}/mo-khao-sat").get_data(as_text=True)
    assert ("Cảnh báo (vẫn mở được, phát hành thêm sau khi mở): 3 đơn vị × đối tượng chưa có đủ đường link, thẻ QR "
            "hay phiếu giấy theo kế hoạch mẫu: Sở Tư pháp — Công chức (thiếu 138), Sở Tài chính — Công chức "
            "(thiếu 150), Huyện An Phú — Người dân (thiếu 15).") in page
    url = f"/quan-tri/dot/{campaign}/mo-khao-sat"
    opened = admin.post(url, data={"csrf_token": token_of(admin, url), "xac_nhan": "y"})
    assert opened.status_code == 302
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, campaign).status == "open", "a warning, not a block"
