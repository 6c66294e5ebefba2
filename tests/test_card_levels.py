"""QR cards follow the criteria set (issue 26, item 5): a card printed for a unit × group opens the group's
questionnaire for that unit's level, about that unit alone; a card for a level the group does not rate is
refused, and the print page does not offer it.

The set here is the minimal one with communes surveyed and two paper groups: citizens (``nguoi_dan``)
rate their own district, their own commune, and choose among the departments (in that order, so the old
code titled every card with the district's questionnaire); businesses (``doanh_nghiep``) rate their own
district only.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, RespondentGroup, Unit
from survey_app.services import visits
from survey_app.services.campaigns import create_campaign
from survey_app.services.dashboard import response_dashboard
from survey_app.services.invitations import CardRefused, create_qr_cards, hash_token

from . import box, minimal_set
from .test_admin import flashes, token_of
from .test_form import csrf, fill, radios
from .test_respond import invite

XA_LEVEL = """\
  - code: xa
    name: Cấp xã
    parent: huyen
    survey_max: 0.5
    fields:
      - field: "1"
        survey_max: 0.5
        criteria:
          - code: "1.1"
            name: Chỉ đạo
            sub_criteria:
              - {code: "1.1.1", name: Văn bản chỉ đạo, survey_max: 0.5}
"""
GROUPS = """\
  - code: nguoi_dan
    name: Người dân
    reached_by: paper
    rates:
      - {level: huyen, how: own}
      - {level: xa, how: own}
      - {level: so, how: choose}
  - code: doanh_nghiep
    name: Doanh nghiệp
    reached_by: paper
    rates:
      - {level: huyen, how: own}
classes:
"""
XA_QUESTIONS = """\
level: xa
questions:
  - id: X1
    sub_criterion: "1.1.1"
    max_points: 0.5
    scale: quality
    text: Chất lượng văn bản chỉ đạo của xã
"""


def _questionnaire(level: str, group: str, title: str, questions: str) -> str:
    return f"level: {level}\ngroup: {group}\ntitle: {title}\nquestions:\n{questions}"


def card_set() -> dict[str, str]:
    texts = minimal_set.texts()
    set_yaml = texts["set.yaml"].replace("  - code: xa\n    name: Cấp xã\n    parent: huyen\n", XA_LEVEL)
    texts["set.yaml"] = set_yaml.replace("classes:\n", GROUPS, 1)
    texts["questions/xa.yaml"] = XA_QUESTIONS
    texts["questionnaires/so-nguoi_dan.yaml"] = _questionnaire("so", "nguoi_dan", "Phiếu người dân về sở",
                                                               "  - Q1\n  - Q3\n")
    texts["questionnaires/huyen-nguoi_dan.yaml"] = _questionnaire("huyen", "nguoi_dan", "Phiếu người dân về huyện",
                                                                  "  - H1\n")
    texts["questionnaires/xa-nguoi_dan.yaml"] = _questionnaire("xa", "nguoi_dan", "Phiếu người dân về xã", "  - X1\n")
    texts["questionnaires/huyen-doanh_nghiep.yaml"] = _questionnaire("huyen", "doanh_nghiep",
                                                                     "Phiếu doanh nghiệp về huyện", "  - H1\n")
    return texts


@pytest.fixture
def campaign(app) -> int:
    """A collecting campaign of the card set: two departments, a district and its commune."""
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2024, name="Thẻ QR", criteria_texts=card_set(), actor="t", status="open")
        s.add_all([Unit(campaign_id=c.id, code="so_tp", name="Sở Tư pháp", level="so"),
                   Unit(campaign_id=c.id, code="so_tc", name="Sở Tài chính", level="so")])
        district = Unit(campaign_id=c.id, code="h_a", name="Huyện An Phú", level="huyen")
        s.add(district)
        s.flush()
        s.add(Unit(campaign_id=c.id, code="x_a1", name="Xã An Lạc", level="xa", parent_id=district.id))
        return c.id


def _assigned(app, token: str) -> list[tuple[str, str, str, list[str]]]:
    """(level, how, questionnaire title, unit names) of each questionnaire a link asks."""
    with app.extensions[DB_KEY].connect() as conn:
        link = visits.find_link(conn, token, app.config["SECRET_KEY"])
        found = visits.assignments(conn, link, visits.criteria_of(conn, link.campaign))
    return [(a.level.code, a.how, a.questionnaire.title, [u.name for u in a.units]) for a in found]


def _send(app, client, token: str) -> None:
    """Answer every page of an opened form with its first option and send it."""
    number = 1
    while True:
        moved = fill(client, token, number).headers["Location"]
        if moved.endswith("/gui"):
            break
        number += 1
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn Ông/Bà đã gửi phiếu" in sent.get_data(as_text=True)


def test_a_departments_citizen_card_opens_a_form_about_that_department_only(app, campaign):
    token = "tok-card-so-tp-000000000000000000"
    invite(app, "nguoi_dan", "so_tp", token, campaign_id=campaign, kind="qr_card")
    # Before: the district's questionnaire with no district, no commune, and a choice among both departments.
    assert _assigned(app, token) == [("so", "each", "Phiếu người dân về sở", ["Sở Tư pháp"])]

    citizen = app.test_client()
    welcome = citizen.get(f"/s/{token}").get_data(as_text=True)
    assert "<h1>Phiếu người dân về sở</h1>" in welcome
    assert "Cấp sở: 2 câu hỏi" in welcome and "Ông/Bà đánh giá: <strong>Sở Tư pháp</strong>" in welcome
    assert "Sở Tài chính" not in welcome and "Cấp huyện" not in welcome and "Cấp xã" not in welcome
    assert "<strong>—</strong>" not in welcome and "/chon/" not in welcome, "no empty line, nothing to choose"
    assert f'href="/s/{token}/p/1"' in welcome
    page = citizen.get(f"/s/{token}/p/1").get_data(as_text=True)
    assert "<h1>Sở Tư pháp</h1>" in page and "Trang 1/1 · Cấp sở" in page
    assert sorted(radios(page)) == ["q_Q1", "q_Q3"]

    _send(app, citizen, token)
    (envelope,) = box.sealed(app, campaign)
    with app.extensions[DB_KEY].session() as s:
        tp = s.scalar(select(Unit.id).where(Unit.code == "so_tp"))
    assert sorted((unit, question) for unit, question, _o in envelope["answers"]) == [(tp, "Q1"), (tp, "Q3")]
    assert envelope["unit_id"] is None, "a group that chooses its departments: the envelope names no unit"


def test_a_commune_card_rates_the_commune_not_its_district(app, campaign):
    token = "tok-card-x-a1-0000000000000000000"
    invite(app, "nguoi_dan", "x_a1", token, campaign_id=campaign, kind="qr_card")
    # Before: Huyện An Phú (its district, by "own"), Xã An Lạc, and the choice among the departments.
    assert _assigned(app, token) == [("xa", "own", "Phiếu người dân về xã", ["Xã An Lạc"])]

    citizen = app.test_client()
    welcome = citizen.get(f"/s/{token}").get_data(as_text=True)
    assert "<h1>Phiếu người dân về xã</h1>" in welcome and "Ông/Bà đánh giá: <strong>Xã An Lạc</strong>" in welcome
    assert "Huyện An Phú" not in welcome and "Sở Tư pháp" not in welcome
    _send(app, citizen, token)
    (envelope,) = box.sealed(app, campaign)
    with app.extensions[DB_KEY].session() as s:
        commune = s.scalar(select(Unit.id).where(Unit.code == "x_a1"))
    assert [(unit, question) for unit, question, _o in envelope["answers"]] == [(commune, "X1")]
    assert envelope["unit_id"] == commune


def test_a_district_card_rates_the_district_with_no_empty_commune_line(app, campaign):
    token = "tok-card-h-a-00000000000000000000"
    invite(app, "nguoi_dan", "h_a", token, campaign_id=campaign, kind="qr_card")
    # Before: Huyện An Phú, an empty commune line (a district has no commune) and the departments to choose.
    assert _assigned(app, token) == [("huyen", "own", "Phiếu người dân về huyện", ["Huyện An Phú"])]
    welcome = app.test_client().get(f"/s/{token}").get_data(as_text=True)
    assert "Cấp xã" not in welcome and "<strong>—</strong>" not in welcome


def test_a_personal_link_still_rates_by_the_groups_rules(app, campaign):
    """Only cards are bound to their unit: a personal link of a commune's citizen keeps every rule."""
    token = "tok-personal-x-a1-000000000000000"
    invite(app, "nguoi_dan", "x_a1", token, campaign_id=campaign)
    assert _assigned(app, token) == [
        ("huyen", "own", "Phiếu người dân về huyện", ["Huyện An Phú"]),
        ("xa", "own", "Phiếu người dân về xã", ["Xã An Lạc"]),
        ("so", "choose", "Phiếu người dân về sở", ["Sở Tư pháp", "Sở Tài chính"]),
    ]


REFUSED = ("Không in thẻ QR cho Doanh nghiệp — Xã An Lạc: theo bộ tiêu chí, Doanh nghiệp không đánh giá cấp xã "
           "(chỉ đánh giá cấp huyện).")


def test_a_card_for_a_level_its_group_does_not_rate_is_refused(app, admin, campaign):
    page = admin.get(f"/quan-tri/dot/{campaign}/loi-moi").get_data(as_text=True)
    assert 'value="x_a1|nguoi_dan"' in page and 'value="h_a|doanh_nghiep"' in page
    assert 'value="x_a1|doanh_nghiep"' not in page and 'value="so_tp|doanh_nghiep"' not in page, "not offered"

    with app.extensions[DB_KEY].transaction() as s:
        c = s.get(Campaign, campaign)
        commune = s.scalar(select(Unit).where(Unit.code == "x_a1"))
        business = s.scalar(select(RespondentGroup).where(RespondentGroup.code == "doanh_nghiep"))
        with pytest.raises(CardRefused) as refused:
            create_qr_cards(s, c, commune, business, 3, app.config["SECRET_KEY"], "t")
    assert str(refused.value) == REFUSED

    made = admin.post(f"/quan-tri/dot/{campaign}/the-qr", data={"csrf_token": token_of(admin), "pair":
                                                                 "x_a1|doanh_nghiep", "count": "2"})
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/quan-tri/dot/{campaign}/loi-moi")
    assert flashes(admin, f"/quan-tri/dot/{campaign}/loi-moi") == [REFUSED]
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Invitation.id).where(Invitation.kind == "qr_card")) is None, "no card made"


def test_a_card_printed_before_for_a_level_its_group_does_not_rate_neither_prints_nor_opens(app, admin, campaign):
    """A commune card of businesses made before cards were refused (the old code rated the commune's
    district with it): its sheet is refused with the reason, and the card opens a page saying it is wrong."""
    token = "tok-card-wrong-level-000000000000"
    invite(app, "doanh_nghiep", "x_a1", token, campaign_id=campaign, kind="qr_card", token_salt="00" * 16)
    sheet = admin.get(f"/quan-tri/dot/{campaign}/the-qr/in?don_vi=x_a1&doi_tuong=doanh_nghiep")
    assert sheet.status_code == 302 and sheet.headers["Location"].endswith(f"/quan-tri/dot/{campaign}/loi-moi")
    assert flashes(admin, f"/quan-tri/dot/{campaign}/loi-moi") == [REFUSED]

    opened = app.test_client().get(f"/s/{token}")
    html = opened.get_data(as_text=True)
    assert opened.status_code == 409 and "Thẻ QR không dùng được" in html and "Huyện An Phú" not in html
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Invitation.token_hash)) == hash_token(token)


def test_the_dashboard_counts_a_card_as_an_invitation_of_its_unit_only(app, campaign):
    """A citizen card of Sở Tư pháp and one of Xã An Lạc: one invitation each, in their own unit's cell
    (before: the department's card in both departments' cells, the commune's in the district's as well)."""
    invite(app, "nguoi_dan", "so_tp", "tok-card-dash-so-00000000000000", campaign_id=campaign, kind="qr_card")
    invite(app, "nguoi_dan", "x_a1", "tok-card-dash-xa-00000000000000", campaign_id=campaign, kind="qr_card")
    with app.extensions[DB_KEY].session() as s:
        board = response_dashboard(s, s.get(Campaign, campaign), app.config["SECRET_KEY"], group="nguoi_dan")
        invited = {c.unit.code: c.invited for c in board.cells}
    assert invited == {"so_tp": 1, "so_tc": 0, "h_a": 0, "x_a1": 1}
