"""services/ballots.py is the one ballot writer: every channel goes through it, and its rules
(answers, day, idempotency, audit) hold whichever channel calls it."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Ballot, Campaign, RespondentGroup, Unit, User
from survey_app.services import ballots
from survey_app.services import serials as serials_service
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.closing import close_campaign
from survey_app.services.users import create_api_token, create_user

from . import box
from .conftest import CURRENT
from .test_auth import PASSWORD, csrf, login
from .test_form import fill
from .test_paper import DIGITS, key_in, unit_and_group
from .test_respond import invite


@pytest.fixture
def spy(monkeypatch):
    """Every batch of ballots that reaches the database through ballots._insert, by channel."""
    seen: list[str] = []
    real = ballots._insert

    def recording(s, new, *rest):
        seen.extend(b.channel for b in new)
        return real(s, new, *rest)

    monkeypatch.setattr(ballots, "_insert", recording)
    return seen


def count(app, *where) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Ballot).where(*where))


def signed_in(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def people(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, CURRENT)
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        for name in ("bb1", "bb2"):
            create_user(s, name, PASSWORD, "staff", unit_codes=("ba_be",), campaign_id=campaign.id, actor="t")
        ba_be, group = unit_and_group(s, CURRENT, "ba_be", "nguoi_dan")
        serials = [x.serial for x in serials_service.reserve_serials(s, campaign, ba_be, group, 3, "qt")]
        admin = s.scalar(select(User).where(User.username == "qt"))
        token = create_api_token(s, admin, "test", actor="t")
    return serials, token


def test_every_channel_stores_through_the_one_writer(demo_app, people, spy):
    serials, token = people
    before, sealed_before = count(demo_app), box.envelopes(demo_app, CURRENT)

    # web form and QR card
    for kind, code in (("personal", "tok-writer-web-0000000000000000"), ("qr_card", "tok-writer-qr-00000000000000000")):
        invite(demo_app, "nguoi_dan", "ba_be", code, kind=kind)
        client = demo_app.test_client()
        client.get(f"/s/{code}")
        assert fill(client, code, 1).status_code == 302
        review = client.get(f"/s/{code}/gui").get_data(as_text=True)
        client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
        assert "Cảm ơn" in client.post(f"/s/{code}/gui", data={"csrf_token": csrf(review), "client_id": client_id}).text
    # paper: blind double entry (verified), a conflict settled by the supervisor, single entry
    first, second, admin = signed_in(demo_app, "bb1"), signed_in(demo_app, "bb2"), signed_in(demo_app, "qt")
    key_in(first, serials[0], DIGITS)
    key_in(second, serials[0], DIGITS)
    key_in(first, serials[1], DIGITS)
    key_in(second, serials[1], "2" + DIGITS[1:])
    page = admin.get(f"/quan-tri/dot/{CURRENT}/doi-chieu/{serials[1]}").text
    assert admin.post(f"/quan-tri/dot/{CURRENT}/doi-chieu/{serials[1]}",
                      data={"csrf_token": csrf(page), "q_H03": "tot"}).status_code == 302
    with demo_app.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).double_entry = False
    key_in(first, serials[2], DIGITS)
    # API
    with demo_app.extensions[DB_KEY].session() as s:
        cset = campaign_criteria(s.get(Campaign, CURRENT))
    answers = {q: "tot" for q in cset.questionnaire("huyen", "nguoi_dan").question_ids}
    body = {"ballot_id": "kobo-1", "group": "nguoi_dan", "units": [{"unit": "ba_be", "answers": answers}]}
    assert demo_app.test_client().post(f"/api/v1/campaigns/{CURRENT}/ballots", json=body,
                                       headers={"Authorization": f"Bearer {token}"}).status_code == 201

    assert spy == ["paper", "paper", "paper", "api"], "a respondent's ballot waits in the box until close"
    assert box.envelopes(demo_app, CURRENT) == sealed_before + 2
    assert count(demo_app) == before + len(spy), "no ballot reached the database any other way"
    with demo_app.extensions[DB_KEY].session() as s:
        keyed = s.scalars(select(Ballot.id).where(Ballot.paper_serial.in_(serials))).all()
        audited = s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "ballot",
                                                               AuditEntry.entity_id.in_([str(i) for i in keyed])))
        assert len(keyed) == 3 and all("qua màn hình nhập liệu" in note for note in audited)
    # Closing opens the box through the same writer, every envelope checked by the same rules.
    del spy[:]
    with demo_app.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, CURRENT), "qt", secret=demo_app.config["SECRET_KEY"])
    assert sorted(set(spy)) == ["qr", "web"] and len(spy) == sealed_before + 2
    assert count(demo_app) == before + 4 + len(spy) and box.envelopes(demo_app, CURRENT) == 0


def test_the_demo_stores_through_the_one_writer(app, spy):
    from survey_app.demo import build_demo

    with app.extensions[DB_KEY].transaction() as s:
        access = build_demo(s, "secret", seed=3)
    sealed = box.envelopes(app, CURRENT) + box.envelopes(app, 3)  # 2024's and 2026's respondents', in the box
    assert box.envelopes(app, 3) > 100 and len(spy) == access.ballots - sealed == count(app) > 800
    assert set(spy) == {"web", "qr", "paper"}  # last year's web and QR ballots: its box opened when it closed


@pytest.fixture
def campaign(app):
    """A campaign of the bundled set with one district, one department and a commune of the district."""
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2025, name="c", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t")
        district = Unit(campaign_id=c.id, code="h1", name="Huyện 1", level="huyen")
        s.add_all([district, Unit(campaign_id=c.id, code="s1", name="Sở 1", level="so")])
        s.flush()
        s.add(Unit(campaign_id=c.id, code="x1", name="Xã 1", level="xa", parent_id=district.id))
        s.flush()
        return c.id


def _new(s, campaign_id, client_id="c-1", option="tot", unit="h1", group="nguoi_dan", drop=0, **extra):
    c = s.get(Campaign, campaign_id)
    cset = campaign_criteria(c)
    u = s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit))
    g = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                               RespondentGroup.code == group))
    questions = cset.questionnaire("huyen", "nguoi_dan").question_ids
    answers = [(u.id, q, option) for q in questions[drop:]]
    return cset, ballots.NewBallot(campaign_id=campaign_id, group_id=g.id, channel="api", client_id=client_id,
                                   answers=answers, **extra)


def test_one_answer_check_for_every_channel(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        for kwargs, message in (
            ({"option": "rat_tot"}, "phương án 'rat_tot' không có (dùng: tot, kha, trung_binh, kem, khong_biet)"),
            ({"drop": 1}, "chưa trả lời"),
            ({"unit": "s1"}, "'nguoi_dan' không đánh giá cấp 'so'"),
            ({"unit": "x1"}, "'nguoi_dan' không đánh giá cấp 'xa'"),
        ):
            cset, new = _new(s, campaign, **kwargs)
            with pytest.raises(ballots.BallotProblems) as caught:
                ballots.store_ballot(s, cset, new)
            assert caught.value.problems[0].message == message, kwargs
        cset, new = _new(s, campaign)
        extra = ballots.NewBallot(**{**new.__dict__, "answers": [*new.answers, (new.answers[0][0], "S01", "tot")]})
        with pytest.raises(ballots.BallotProblems, match="câu hỏi không có trong phiếu"):
            ballots.store_ballot(s, cset, extra)
        twice = ballots.NewBallot(**{**new.__dict__, "answers": [*new.answers, new.answers[0]]})
        with pytest.raises(ballots.BallotProblems, match="hai lần"):
            ballots.store_ballot(s, cset, twice)
        assert s.scalar(select(func.count()).select_from(Ballot)) == 0, "nothing was written"


def test_a_unit_of_another_campaign_is_refused(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        other = create_campaign(s, year=2026, name="d", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t")
        s.add(Unit(campaign_id=other.id, code="h9", name="Huyện 9", level="huyen"))
        s.flush()
        cset, new = _new(s, campaign)
        foreign = s.scalar(select(Unit.id).where(Unit.code == "h9"))
        moved = ballots.NewBallot(**{**new.__dict__, "answers": [(foreign, q, o) for _u, q, o in new.answers]})
        with pytest.raises(ballots.BallotProblems, match="không thuộc đợt đánh giá này"):
            ballots.store_ballot(s, cset, moved)


def test_one_idempotency_rule(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        cset, new = _new(s, campaign)
        stored = ballots.store_ballot(s, cset, new)
        assert stored.status == "stored"
        assert ballots.store_ballot(s, cset, new) == ballots.Stored("replay", stored.ballot_id)
        reordered = ballots.NewBallot(**{**new.__dict__, "answers": list(reversed(new.answers))})
        assert ballots.store_ballot(s, cset, reordered).status == "replay", "the order of answers does not matter"
        _cset, changed = _new(s, campaign, option="kem")
        assert ballots.store_ballot(s, cset, changed) == ballots.Stored("conflict", stored.ballot_id)
        assert s.scalar(select(func.count()).select_from(Ballot)) == 1


def test_a_ballot_keeps_no_day_nor_time(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        cset, new = _new(s, campaign)
        ballot = s.get(Ballot, ballots.store_ballot(s, cset, new).ballot_id)
        assert not hasattr(ballot, "submitted_on") and not hasattr(ballot, "payload_digest")
        assert ballot.duration_seconds is None


def test_keyed_ballots_are_audited_and_respondents_ballots_are_not(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        cset, own = _new(s, campaign, client_id="web-1")
        ballots.store_ballot(s, cset, own)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "ballot")) == 0
        _cset, keyed = _new(s, campaign, client_id="api-1")
        stored = ballots.store_ballot(s, cset, keyed, actor="nhaplieu", note="qua API")
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "ballot"))
        assert (entry.actor, entry.entity_id, entry.new_value) == ("nhaplieu", str(stored.ballot_id), "qua API")


def test_a_batch_with_a_used_client_id_writes_nothing(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        cset, first = _new(s, campaign, client_id="a")
        ballots.store_ballot(s, cset, first)
        _cset, second = _new(s, campaign, client_id="b")
        with pytest.raises(ballots.BallotProblems, match="đã được dùng"):
            ballots.store_ballots(s, cset, [second, first])
        with pytest.raises(ballots.BallotProblems, match="đã được dùng"):
            ballots.store_ballots(s, cset, [second, second])
        assert s.scalar(select(func.count()).select_from(Ballot)) == 1
