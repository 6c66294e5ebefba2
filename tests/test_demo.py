"""The demo province is shaped like seed 001 and every ballot obeys the criteria set: last year's
campaign closed with its results, this year's collecting, sealed, with work in progress; and the merged
province's 2026 campaign in the two-tier shape, copied across the 2025 reform; and its SIPAS campaign of 2026,
respondents drawn from dossiers, closed."""
from __future__ import annotations

from collections import Counter, defaultdict

import pandas as pd
import pytest
from sqlalchemy import func, select

from questionnaires.answers import answer_error
from survey_app.extensions import DB_KEY
from survey_app.models import (
    Answer,
    Appraisal,
    AuditEntry,
    Ballot,
    Campaign,
    Draft,
    Envelope,
    Invitation,
    PaperSerial,
    RespondentGroup,
    SampleTarget,
    SpentLink,
    Unit,
    User,
)
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.serials import serial_campaign
from survey_app.services.visits import find_link

from .conftest import CURRENT, LAST

MERGED = 3  # the 2026 campaign of the merged province
SIPAS = 4  # the merged province's SIPAS campaign of 2026, closed


@pytest.fixture
def session(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        yield s


def test_four_campaigns_last_years_closed_this_years_and_the_merged_provinces_collecting_its_sipas_closed(session):
    campaigns = {c.id: (c.year, c.status, c.province) for c in session.scalars(select(Campaign))}
    assert campaigns == {LAST: (2023, "closed", "Tỉnh Bắc Kạn"), CURRENT: (2024, "open", "Tỉnh Bắc Kạn"),
                         MERGED: (2026, "open", "Tỉnh Thái Nguyên"), SIPAS: (2026, "closed", "Tỉnh Thái Nguyên")}
    closings = session.scalars(select(AuditEntry).where(AuditEntry.action == "close").order_by(AuditEntry.id)).all()
    assert [(c.entity_id, c.actor) for c in closings] == [(str(LAST), "demo"), (str(SIPAS), "demo")], \
        "closing is audited"


@pytest.mark.parametrize("campaign_id", [LAST, CURRENT])
def test_units_of_the_seed(session, campaign_id):
    levels = Counter(session.scalars(select(Unit.level).where(Unit.campaign_id == campaign_id)))
    assert levels["so"] == 19 and levels["huyen"] == 8 and levels["xa"] >= 8 * 3
    names = set(session.scalars(select(Unit.name).where(Unit.campaign_id == campaign_id)))
    assert {"Sở Tư pháp", "Văn phòng UBND tỉnh", "Thành phố Bắc Kạn", "Huyện Ba Bể"} <= names
    communes = session.scalars(select(Unit).where(Unit.campaign_id == campaign_id, Unit.level == "xa")).all()
    assert all(c.parent is not None and c.parent.level == "huyen" and c.parent.campaign_id == campaign_id
               for c in communes)


@pytest.mark.parametrize("campaign_id", [LAST, CURRENT])
def test_sample_plan_like_the_seed(session, campaign_id):
    plan: dict[tuple[str, str], set[int]] = defaultdict(set)
    for group, level, target in session.execute(
        select(RespondentGroup.code, Unit.level, SampleTarget.target)
        .join(RespondentGroup, SampleTarget.group_id == RespondentGroup.id)
        .join(Unit, SampleTarget.unit_id == Unit.id).where(SampleTarget.campaign_id == campaign_id)
    ):
        plan[(group, level)].add(target)
    plan = {key: sorted(targets) for key, targets in plan.items()}
    assert plan[("hdnd_huyen", "huyen")] == [7]  # 7 district delegates per district
    assert plan[("doanh_nghiep", "huyen")] == [10]  # 10 businesses per district
    assert plan[("ld_xa", "huyen")] == [9]  # 3 leaders x 3 communes
    assert plan[("hdnd_tinh", "so")] == plan[("hdnd_tinh", "huyen")] == [50]
    assert len(plan) == 8


def test_every_answer_is_a_question_and_option_of_its_questionnaire(session, demo_app):
    sets = {c.id: campaign_criteria(c) for c in session.scalars(select(Campaign))}  # 2026 has the two-tier set
    groups = {g.id: g.code for g in session.scalars(select(RespondentGroup))}
    units = {u.id: u for u in session.scalars(select(Unit))}
    rows = session.execute(select(Ballot.group_id, Answer.unit_id, Answer.question, Answer.option)
                           .join(Ballot, Answer.ballot_id == Ballot.id)).all()
    assert len(rows) > 20000
    for group_id, unit_id, question, option in rows:
        unit = units[unit_id]
        cset = sets[unit.campaign_id]
        qn = cset.questionnaire(unit.level, groups[group_id])
        assert qn is not None and question in qn.question_ids
        assert answer_error(cset, cset.question_by_key[(unit.level, question)], option) is None


def test_ballots_in_every_state_and_channel(session):
    last = Ballot.campaign_id == LAST
    states = Counter(session.scalars(select(Ballot.state).where(last)))
    assert set(states) == {"received", "verified", "flagged", "rejected"}
    assert Counter(session.scalars(select(Ballot.channel).where(last))).keys() == {"web", "qr", "paper"}
    reasons = session.scalars(select(Ballot.state_reason).where(last, Ballot.state == "rejected")).all()
    assert reasons and all(reasons)
    total = session.scalar(select(func.count()).select_from(Ballot).where(last))
    assert 700 <= total <= 1100, "about the 1,050 ballots of 2023"


def test_every_keyed_ballot_has_a_printed_serial_of_its_campaign_and_an_audit_row(session):
    keyed = session.execute(select(Ballot.id, Ballot.campaign_id, Ballot.paper_serial)
                            .where(Ballot.channel == "paper")).all()
    assert len(keyed) > 400 and {c for _i, c, _s in keyed} == {LAST, CURRENT, MERGED, SIPAS}
    printed = {(c, s) for c, s in session.execute(select(PaperSerial.campaign_id, PaperSerial.serial)
                                                   .where(PaperSerial.status == "done"))}
    assert {(c, s) for _i, c, s in keyed} == printed
    assert all(serial_campaign(s) == c for _i, c, s in keyed)
    audited = set(session.scalars(select(AuditEntry.entity_id).where(AuditEntry.entity == "ballot")))
    assert {str(i) for i, _c, _s in keyed} <= audited


def test_this_years_campaign_has_work_in_progress(session):
    # Respondents' ballots are in the box (envelopes, one spent marker each); paper ones are ballots.
    sealed = session.scalar(select(func.count()).select_from(Envelope).where(Envelope.campaign_id == CURRENT))
    assert 100 < sealed < 400
    assert session.scalar(select(func.count()).select_from(SpentLink).where(SpentLink.campaign_id == CURRENT)) == sealed
    assert set(session.scalars(select(Ballot.channel).where(Ballot.campaign_id == CURRENT))) == {"paper"}
    drafts = session.scalars(select(Draft).where(Draft.campaign_id == CURRENT)).all()
    assert drafts and all(d.sealed and d.sealed[:1] == b"\x02" for d in drafts), "drafts are sealed under resume codes"
    statuses = Counter(session.scalars(select(PaperSerial.status).where(PaperSerial.campaign_id == CURRENT)))
    assert statuses["entering"] > 0 and statuses["conflict"] == 1 and statuses["printed"] > 0
    for table in (Draft, Envelope, SpentLink):  # closing opened last year's box and emptied it
        assert session.scalar(select(func.count()).select_from(table).where(table.campaign_id == LAST)) == 0
    assert session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.campaign_id == LAST, Ballot.channel.in_(("web", "qr")))) > 400


def test_a_provincial_delegate_rates_every_department_and_district(session):
    group = session.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == LAST,
                                                       RespondentGroup.code == "hdnd_tinh"))
    ballot = session.scalars(select(Ballot).where(Ballot.group_id == group.id)).first()
    rated = session.scalar(select(func.count(func.distinct(Answer.unit_id))).where(Answer.ballot_id == ballot.id))
    assert rated == 19 + 8


def test_tokens_are_stored_hashed_and_the_example_links_open_unanswered_invitations(session, demo_app, demo_db):
    hashes = session.scalars(select(Invitation.token_hash)).all()  # both campaigns
    assert all(len(h) == 64 for h in hashes) and len(set(hashes)) == len(hashes)
    access = (demo_db.parent / "demo-access.txt").read_text(encoding="utf-8")  # beside its database
    tokens = [line.rsplit("/s/", 1)[1] for line in access.splitlines() if "/s/" in line]
    assert len(tokens) == 5
    for n, token in enumerate(tokens):
        assert len(token) >= 32  # 24 random bytes, URL-safe
        link = find_link(session.connection(), token, demo_app.config["SECRET_KEY"])
        assert link is not None and link.campaign_id == (CURRENT if n < 2 else MERGED)
        assert not link.used and link.draft is None
    assert find_link(session.connection(), "not-a-token", demo_app.config["SECRET_KEY"]) is None


def test_appraisals_and_users(session):
    rows = session.execute(select(Unit.code, Appraisal.field, Appraisal.points).join(Unit, Appraisal.unit_id == Unit.id)
                           .where(Unit.campaign_id == LAST)).all()
    appraisal = {code: points for code, field, points in rows if field == "total"}
    # Seed 001: Sở Tư pháp's index 93.395 = survey 12.907 + appraisal 80.488.
    assert appraisal["so_tp"] == pytest.approx(80.488)
    # Per field, split in proportion to the set's appraisal maxima (86.5 for a department), adding up to the total:
    # field 1 (maximum 11) 80.488 x 11 / 86.5 = 10.235.
    fields = {field: points for code, field, points in rows if code == "so_tp" and field != "total"}
    assert len(fields) == 7 and fields["1"] == pytest.approx(10.235)
    assert sum(fields.values()) == pytest.approx(80.488, abs=1e-9)
    roles = dict(session.execute(select(User.username, User.role)).all())
    assert roles == {"admin": "admin", "phantich": "analyst", "nhaplieu1": "staff", "nhaplieu2": "staff"}
    staff = session.scalar(select(User).where(User.username == "nhaplieu1"))
    assert {(u.campaign_id, u.code) for u in staff.units} >= {(LAST, "ba_be"), (CURRENT, "ba_be")} and all(
        u.code == "ba_be" or (u.parent and u.parent.code == "ba_be") for u in staff.units if u.campaign_id != MERGED)
    # In 2026 (no district): the successors of Ba Bể's communes, carried by the copy across the reform.
    assert {u.code for u in staff.units if u.campaign_id == MERGED} == {
        "xa_cho_ra", "xa_ba_be", "xa_phuc_loc", "xa_thuong_minh"}


# --- the merged province's 2026 campaign ----------------------------------------------------------


def test_the_2026_campaign_has_departments_and_communes_on_the_two_tier_set(session):
    campaign = session.get(Campaign, MERGED)
    assert campaign_criteria(campaign).name.endswith("(chính quyền địa phương hai cấp)")
    units = session.scalars(select(Unit).where(Unit.campaign_id == MERGED)).all()
    levels = Counter(u.level for u in units)
    assert levels == {"so": 14, "xa": 93}  # 19 departments after the 2025 mergers; 19 + 74 communes
    assert all(u.parent is None for u in units), "no district above a commune"
    names = {u.code: u.name for u in units}
    assert names["so_nnmt"] == "Sở Nông nghiệp và Môi trường" and names["so_dttg"] == "Sở Dân tộc và Tôn giáo"
    assert names["xa_ba_be"] == "Xã Ba Bể" and names["phuong_phan_dinh_phung"] == "Phường Phan Đình Phùng"
    assert {g.code for g in campaign.groups} == {"hdnd_tinh", "cc_so", "cb_xa", "nguoi_dan", "doanh_nghiep"}


def test_the_2026_succession_table_accounts_for_every_unit_of_2024(session):
    from survey_app.models import UnitSuccession

    rows = session.scalars(select(UnitSuccession).where(UnitSuccession.campaign_id == MERGED)).all()
    kinds = Counter(r.kind for r in rows)
    # 19 departments: 10 merged into 5, 1 renamed, 8 kept; 8 districts abolished; 29 communes: 22 merged into
    # 11, 3 renamed, 3 kept, 1 split into 2 (two rows).
    assert kinds == {"merged": 10 + 22, "renamed": 1 + 3, "kept": 8 + 3, "abolished": 8, "split": 2}
    old = set(session.scalars(select(Unit.code).where(Unit.campaign_id == CURRENT)))
    assert {r.old_code for r in rows} == old


def test_the_2026_previous_results_go_through_the_succession_table(session):
    from survey_app.services.results import previous_table

    table = previous_table(session, session.get(Campaign, MERGED)).set_index("unit")
    # Sở Tư pháp was kept: last year's published 93.395, 4th of 19 departments (seed 001).
    assert table.at["so_tp", "previous_index"] == pytest.approx(93.395) and table.at["so_tp", "previous_rank"] == 4
    assert table.at["so_tp", "previous_note"] == ""
    # Sở Tài chính took in Sở Kế hoạch và Đầu tư (95.469, 2nd): a new unit, no made-up change.
    assert pd.isna(table.at["so_tc", "previous_index"])
    assert table.at["so_tc", "previous_note"] == ("đơn vị mới (hợp nhất từ Sở Kế hoạch và Đầu tư: 95,469, hạng 2, "
                                                 "Tốt; Sở Tài chính: 92,286, hạng 6, Tốt)")
    assert table.at["so_dttg", "previous_index"] == pytest.approx(90.722)  # Ban Dân tộc, renamed


def test_the_2026_campaign_is_collecting_with_printing_and_keying_under_way(session):
    plan = Counter(session.execute(select(RespondentGroup.code, SampleTarget.target)
                                   .join(RespondentGroup, SampleTarget.group_id == RespondentGroup.id)
                                   .where(SampleTarget.campaign_id == MERGED)).all())
    assert plan == {("hdnd_tinh", 60): 14, ("cc_so", 10): 14, ("cb_xa", 4): 93, ("nguoi_dan", 15): 93,
                    ("doanh_nghiep", 5): 93}
    serials = session.scalars(select(PaperSerial).where(PaperSerial.campaign_id == MERGED)).all()
    # Printed in bulk to plan for 40 communes (the keyers' two, then by name). A cell's cards and ballots
    # together meet its plan (issue 30): citizens 15 - 3 cards handed out = 12, half ballots; businesses
    # 5 - 1 = 4, half ballots: 6 + 2 ballots each.
    assert len(serials) == 40 * 8 and len({s.unit_id for s in serials}) == 40
    statuses = Counter(s.status for s in serials)
    assert statuses["entering"] == 4 and statuses["conflict"] == 1 and statuses["printed"] > 0
    cards = Counter(session.scalars(select(Invitation.kind).where(Invitation.campaign_id == MERGED)))
    # QR cards: 3 + 1 handed out per commune, then the bulk print's other half, 6 + 2, in the 40 printed communes.
    assert cards["qr_card"] == 93 * 4 + 40 * (6 + 2)
    assert cards["personal"] == 60 + 14 * 10 + 93 * 4
    sealed = session.scalar(select(func.count()).select_from(Envelope).where(Envelope.campaign_id == MERGED))
    assert sealed > 100 and set(session.scalars(select(Ballot.channel).where(Ballot.campaign_id == MERGED))) == \
        {"paper"}, "respondents' ballots are sealed while collecting"


# --- the merged province's SIPAS campaign of 2026 -------------------------------------------------


def test_the_sipas_campaign_rates_2026s_departments_and_twelve_communes_on_the_sipas_set(session):
    campaign = session.get(Campaign, SIPAS)
    assert campaign.name == "Khảo sát Chỉ số hài lòng (SIPAS) năm 2026, tỉnh Thái Nguyên (dữ liệu mẫu)"
    cset = campaign_criteria(campaign)
    assert cset.is_sipas and cset.classes == ()
    units = {u.code: (u.level, u.name) for u in session.scalars(select(Unit).where(Unit.campaign_id == SIPAS))}
    assert Counter(level for level, _name in units.values()) == {"so": 14, "xa": 12}
    merged = {u.code: (u.level, u.name) for u in session.scalars(select(Unit).where(Unit.campaign_id == MERGED))}
    # The same codes and names as the 2026 PAR campaign: all 14 departments, 12 of its 93 communes.
    assert units.items() <= merged.items() and {c for c, (lv, _n) in merged.items() if lv == "so"} <= set(units)
    plan = Counter(session.execute(select(RespondentGroup.code, SampleTarget.target)
                                   .join(RespondentGroup, SampleTarget.group_id == RespondentGroup.id)
                                   .where(SampleTarget.campaign_id == SIPAS)).all())
    assert plan == {("nguoi_dan", 20): 26, ("to_chuc", 5): 26}


def _audit(session, action: str, attribute: str | None = None) -> list[str]:
    query = select(AuditEntry.new_value).where(AuditEntry.entity == "dossiers", AuditEntry.action == action,
                                               AuditEntry.entity_id == str(SIPAS))
    if attribute:
        query = query.where(AuditEntry.attribute == attribute)
    return list(session.scalars(query.order_by(AuditEntry.id)))


def test_the_sipas_dossiers_were_imported_and_drawn_with_the_seed_in_the_audit(session):
    from survey_app.models import Dossier
    from survey_app.services.dossiers import draw_unit

    dossiers = session.scalars(select(Dossier).where(Dossier.campaign_id == SIPAS)).all()
    units = {u.id: u.code for u in session.scalars(select(Unit).where(Unit.campaign_id == SIPAS))}
    held = Counter(units[d.unit_id] for d in dossiers)
    # 26 to 48 completed dossiers per unit, Xã Định Hóa only 16 (fewer than its 20 citizens: all drawn).
    assert len(held) == 26 and held["xa_dinh_hoa"] == 16
    assert all(26 <= n <= 48 for code, n in held.items() if code != "xa_dinh_hoa")
    assert all(d.completed_on.year == 2026 and d.completed_on.month <= 9 and d.completed_on.weekday() < 5
               for d in dossiers)
    assert len({d.field for d in dossiers}) > 10 and len({d.procedure for d in dossiers}) > 20
    (imported,) = _audit(session, "import")
    phones = int(imported.split("(")[1].split()[0])
    assert imported.startswith(f"{len(dossiers)} hồ sơ của 26 đơn vị (")
    assert 0.7 * len(dossiers) < phones < len(dossiers), "most dossiers with a phone (85 % drawn), not all"
    # 20 citizens per unit, all 16 of Xã Định Hóa: 25 x 20 + 16 = 516 drawn, each with its personal link.
    drawn = [d for d in dossiers if d.drawn]
    assert len(drawn) == 25 * 20 + 16
    (draw,) = _audit(session, "draw")
    assert draw.startswith("hạt giống 260915; đối tượng nguoi_dan; phân tầng theo lĩnh vực: có; 516 hồ sơ được chọn "
                           "ở 26 đơn vị") and "xa_dinh_hoa 16/20 (có 16)" in draw
    invitations = {i.id: i for i in session.scalars(select(Invitation).where(Invitation.campaign_id == SIPAS,
                                                                              Invitation.kind == "personal"))}
    assert sorted(invitations) == sorted(d.invitation_id for d in drawn)
    assert all(invitations[d.invitation_id].unit_id == d.unit_id for d in drawn)
    # The draw is reproducible from the seed the audit keeps: every unit's dossiers drawn again give the same.
    for unit_id, code in units.items():
        mine = [d for d in dossiers if d.unit_id == unit_id]
        assert {d.number for d in draw_unit(mine, 20, 260915, code, True)} == {d.number for d in mine if d.drawn}


def test_the_sipas_phone_numbers_are_gone_after_close(session):
    from survey_app.models import Dossier

    assert session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.campaign_id == SIPAS, Dossier.phone.is_not(None))) == 0
    assert session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == SIPAS, Invitation.phone.is_not(None))) == 0
    (imported,) = _audit(session, "import")
    (forgotten,) = _audit(session, "update", "phone")
    # As many as were imported with one; the texted invitations (stamped sent) had the drawn dossiers' phones.
    texted = session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == SIPAS, Invitation.sent_at.is_not(None)))
    assert forgotten.startswith(f"kết thúc đợt: xoá số điện thoại của {imported.split('(')[1].split()[0]} hồ sơ và "
                                f"{texted} đường link mời từ hồ sơ") and 0.7 * 516 < texted < 516


def test_the_sipas_box_was_opened_at_close_into_ballots_by_link_card_and_paper(session):
    for table in (Draft, Envelope, SpentLink):
        assert session.scalar(select(func.count()).select_from(table).where(table.campaign_id == SIPAS)) == 0
    channels = Counter(session.scalars(select(Ballot.channel).where(Ballot.campaign_id == SIPAS)))
    # Paper: 2 organisations' ballots per commune, 12 communes. QR: of 3 cards per unit (78), the first kept aside.
    assert channels["paper"] == 12 * 2 and 40 < channels["qr"] <= 77 and 250 < channels["web"] <= 516
    groups = set(session.execute(select(Ballot.channel, RespondentGroup.code)
                                 .join(RespondentGroup, Ballot.group_id == RespondentGroup.id)
                                 .where(Ballot.campaign_id == SIPAS)).all())
    assert groups == {("web", "nguoi_dan"), ("qr", "to_chuc"), ("paper", "to_chuc")}
    # Each ballot rates the one unit of its dossier or card; a unit's web ballots are at most its drawn dossiers.
    rated = session.execute(select(Ballot.id, Ballot.channel, func.count(func.distinct(Answer.unit_id)),
                                   func.min(Answer.unit_id)).join(Answer, Answer.ballot_id == Ballot.id)
                            .where(Ballot.campaign_id == SIPAS).group_by(Ballot.id, Ballot.channel)).all()
    assert {n for _b, _c, n, _u in rated} == {1}
    web = Counter(u for _b, c, _n, u in rated if c == "web")
    assert all(n <= 20 for n in web.values()) and len(web) == 26


def test_the_sipas_results_give_a_province_figure_with_every_unit_covered(session):
    from survey_app.services.sipas_results import sipas_results

    results = sipas_results(session, session.get(Campaign, SIPAS))
    units = results.units.set_index("unit")
    assert len(units) == 26 and units["covered"].all() and units["sipas"].notna().all()
    assert (units["ballots"] >= 5).all() and units["ballots"].sum() == results.ballots
    assert results.province.left_out == () and len(results.province.units) == 26
    assert 0.8 <= results.province.value <= 1.0
    # The plain mean over units (the set's sipas_weighting: units).
    assert results.province.value == pytest.approx(units["sipas"].mean())
    # Most units 85-97 % satisfied; Sở Nông nghiệp và Môi trường (land registration) drawn lower, under the province.
    assert ((units["sipas"] >= 0.85) & (units["sipas"] <= 0.97)).sum() >= 20
    assert units.at["so_nnmt", "sipas"] < min(0.85, results.province.value)
    # Some answered "Không biết" (left out of the shares).
    assert results.perception["dont_know"].sum() > 0
    assert (results.perception["answered"] > 0).all()
