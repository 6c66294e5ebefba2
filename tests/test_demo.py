"""The demo province is shaped like seed 001 and every ballot obeys the criteria set: last year's
campaign closed with its results, this year's collecting, sealed, with work in progress."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

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


@pytest.fixture
def session(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        yield s


def test_two_campaigns_last_years_closed_this_years_collecting(session):
    campaigns = {c.id: (c.year, c.status) for c in session.scalars(select(Campaign))}
    assert campaigns == {LAST: (2023, "closed"), CURRENT: (2024, "open")}
    closing = session.scalar(select(AuditEntry).where(AuditEntry.action == "close"))
    assert (closing.entity_id, closing.actor) == (str(LAST), "demo"), "closing is audited"


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
    cset = campaign_criteria(session.get(Campaign, LAST))
    groups = {g.id: g.code for g in session.scalars(select(RespondentGroup))}
    units = {u.id: u for u in session.scalars(select(Unit))}
    rows = session.execute(select(Ballot.group_id, Answer.unit_id, Answer.question, Answer.option)
                           .join(Ballot, Answer.ballot_id == Ballot.id)).all()
    assert len(rows) > 20000
    for group_id, unit_id, question, option in rows:
        unit = units[unit_id]
        qn = cset.questionnaire(unit.level, groups[group_id])
        assert qn is not None and question in qn.question_ids
        scale = cset.scale_by_code[cset.question_by_key[(unit.level, question)].scale]
        assert option in scale.by_code


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
    assert len(keyed) > 400 and {c for _i, c, _s in keyed} == {LAST, CURRENT}
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
    assert len(tokens) == 2
    for token in tokens:
        assert len(token) >= 32  # 24 random bytes, URL-safe
        link = find_link(session.connection(), token, demo_app.config["SECRET_KEY"])
        assert link is not None and link.campaign_id == CURRENT
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
        u.code == "ba_be" or (u.parent and u.parent.code == "ba_be") for u in staff.units)
