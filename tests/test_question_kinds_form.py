"""The web form and the QR-card form ask the question kinds beyond the scored ones (issue 29 item 2): a
respondent's profile (radio buttons, optional), an expectation ("chọn tối đa 3": check boxes) and a comment
(a text area, at most 500 characters), on a SIPAS campaign of the bundled set. What they answer goes through
the draft, the sealed envelope and the box opened at close into the ballot tables; the sealed sizes stay
one size whatever is answered.

The QR card here is printed for a commune (xa_1): its page asks the 22 scored questions of the commune's
citizen questionnaire, then XE1 (expectation, up to 3 of the 10 options of ``mong_doi``), XC1 (comment, 500)
and XP1..XP5 (profile).
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, load_criteria_set, read_set_texts
from questionnaires.answers import PHONE_MASK
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign, Comment, Draft, Envelope, Unit
from survey_app.services.campaigns import create_campaign
from survey_app.services.closing import close_campaign
from survey_app.services.drafts import JSON_CHAR_MAX, draft_size
from survey_app.services.visits import card_assignments

from . import box
from .test_form import csrf
from .test_respond import invite

SIPAS_DIR = DEFAULT_SET_DIR.parent / "sipas"
CSET = load_criteria_set(SIPAS_DIR)
WANTS = [o.code for o in CSET.scale_by_code["mong_doi"].options]  # the expectation's options, in scale order
SCORED = CSET.scored_ids(CSET.questionnaire("xa", "nguoi_dan"))
PROFILE = ("XP1", "XP2", "XP3", "XP4", "XP5")
COMMENT = "Cán bộ xã tận tình, hướng dẫn rõ. Có gì xin gọi tôi 0912 345 678."
# 500 characters of Vietnamese (1,167 bytes of JSON: a letter beyond ASCII is 6, "\u1ee7").
LONG = ("Thủ tục được giải quyết đúng hẹn, cán bộ nhiệt tình và chu đáo. " * 9)[:499] + "."


@pytest.fixture
def sipas(app):
    """An open SIPAS campaign of the bundled set with a department and a commune: its id."""
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="SIPAS 2026", criteria_texts=read_set_texts(SIPAS_DIR), actor="t",
                            status="open")
        s.add_all([Unit(campaign_id=c.id, code="so_a", name="Sở A", level="so"),
                   Unit(campaign_id=c.id, code="xa_1", name="Xã Một", level="xa")])
        return c.id


def card(app, campaign_id: int, token: str):
    """A QR card of a citizen of Xã Một, opened (its draft begun): its test client."""
    invite(app, "nguoi_dan", "xa_1", token, campaign_id=campaign_id, kind="qr_card")
    client = app.test_client()
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    assert f'href="/s/{token}/p/1"' in welcome and "29 câu hỏi" in welcome
    return client


def page_data(client, token: str, wants=(), profile=None, comment=None, action="next") -> dict:
    """The page's form as posted: every scored question answered with its first option, the expectation's
    boxes ``wants`` ticked, XP1 = ``profile`` (XP2..XP5 none), the comment."""
    html = client.get(f"/s/{token}/p/1").get_data(as_text=True)
    data: dict = {"csrf_token": csrf(html), "action": action}
    for question in SCORED:
        data[f"q_{question}"] = re.search(rf'name="q_{question}" value="(\w+)"', html).group(1)
    data["q_XE1"] = list(wants)
    if profile is not None:
        data["q_XP1"] = profile
    if comment is not None:
        data["q_XC1"] = comment
    return data


def send(client, token: str) -> str:
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert sent.status_code == 200 and "Cảm ơn Ông/Bà đã gửi phiếu" in sent.get_data(as_text=True)
    return client_id


def test_the_page_asks_each_kind_as_it_should(app, sipas):
    client = card(app, sipas, "tok-kinds-page-0000000000000")
    html = client.get("/s/tok-kinds-page-0000000000000/p/1").get_data(as_text=True)
    assert "<legend>Thông tin về người trả lời</legend>" in html
    assert "không dùng để nhận biết Ông/Bà là ai" in html
    # The profile: radio buttons (Nam, Nữ, Không muốn trả lời), and "Bỏ qua câu này" (no answer) until one is chosen.
    assert len(re.findall(r'type="radio" name="q_XP1"', html)) == 3 + 1
    assert re.search(r'name="q_XP1" value="" checked> <span>Bỏ qua câu này', html)
    # The expectation: 10 boxes, "chọn tối đa 3" beside them.
    assert len(re.findall(r'type="checkbox" name="q_XE1"', html)) == 10
    assert 'data-choose-up-to="3" aria-describedby="h-XE1"' in html and "Chọn tối đa 3 phương án" in html
    # The comment: a text area of 500 characters at most, said so, with what happens to it.
    assert re.search(r'<textarea id="c-XC1" name="q_XC1" rows="5" maxlength="500"', html)
    assert '<label class="comment-label" for="c-XC1">24. ' in html and "Tối đa 500 ký tự" in html
    assert "Số điện thoại và địa chỉ thư điện tử sẽ được che" in html and "sau khi kết thúc đợt" in html
    assert "choices.js" in html
    assert len(html.encode()) < 30_000


def test_a_citizen_answers_every_kind_and_the_ballot_keeps_them(app, sipas):
    token = "tok-kinds-all-000000000000000"
    client = card(app, sipas, token)
    # Two expectations ticked in the reverse of the scale's order; one profile answer; a comment with a phone.
    data = page_data(client, token, wants=(WANTS[5], WANTS[1]), profile="nu", comment=COMMENT)
    posted = client.post(f"/s/{token}/p/1", data=data)
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"/s/{token}/gui")

    again = client.get(f"/s/{token}/p/1").get_data(as_text=True)  # the draft keeps them
    assert f'name="q_XE1" value="{WANTS[1]}" checked' in again and f'name="q_XE1" value="{WANTS[5]}" checked' in again
    assert again.count('type="checkbox" name="q_XE1" value="') == 10 and again.count('name="q_XE1" value') == 10
    assert 'name="q_XP1" value="nu" checked' in again and f">{COMMENT}</textarea>" in again

    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    labels = CSET.scale_by_code["mong_doi"].by_code
    assert f"<dd>{labels[WANTS[1]].label}; {labels[WANTS[5]].label}</dd>" in review
    assert f"<dd>{COMMENT}</dd>" in review and "<dd>Nữ</dd>" in review and "đã xong" in review
    send(client, token)

    (sealed,) = box.sealed(app, sipas)
    given = {q: a for _u, q, a in sealed["answers"]}
    assert len(given) == 22 + 3 and given["XE1"] == f"{WANTS[1]} {WANTS[5]}" and given["XC1"] == COMMENT

    with app.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, sipas), "t", secret=app.config["SECRET_KEY"])
    with app.extensions[DB_KEY].session() as s:
        (ballot,) = s.scalars(select(Ballot).where(Ballot.campaign_id == sipas)).all()  # a new client id at close
        stored = dict(s.execute(select(Answer.question, Answer.option).where(Answer.ballot_id == ballot.id)).all())
        comments = s.scalars(select(Comment.text).where(Comment.ballot_id == ballot.id)).all()
    assert stored["XE1"] == f"{WANTS[1]} {WANTS[5]}" and stored["XP1"] == "nu"
    assert len(stored) == 22 + 2 and "XC1" not in stored and not {"XP2", "XP3", "XP4", "XP5"} & set(stored)
    assert comments == [f"Cán bộ xã tận tình, hướng dẫn rõ. Có gì xin gọi tôi {PHONE_MASK}."]


def test_four_expectations_are_refused_beside_the_question_and_nothing_is_lost(app, sipas):
    token = "tok-kinds-four-00000000000000"
    client = card(app, sipas, token)
    four = WANTS[:4]
    for action in ("next", "prev", "later"):  # no button leaves the page with the choices refused
        result = client.post(f"/s/{token}/p/1", data=page_data(client, token, wants=four, profile="nam",
                                                                comment="Tốt", action=action))
        html = result.get_data(as_text=True)
        assert result.status_code == 200, action
        assert re.search(r'id="q-XE1" data-choose-up-to="3" aria-describedby="h-XE1 e-XE1">\s*<legend>[^<]+</legend>'
                         r'\s*<p class="hint" id="h-XE1">[^<]+</p>\s*'
                         r'<p class="error" id="e-XE1">Chọn tối đa 3 phương án \(đã chọn 4\)\.</p>', html), action
        assert html.count('class="question has-error"') == 1 and "Còn 1 câu chưa có câu trả lời hợp lệ" in html
        assert all(f'name="q_XE1" value="{code}" checked' in html for code in four), "the four boxes stay ticked"
        assert ">Tốt</textarea>" in html and 'name="q_XP1" value="nam" checked' in html
    # What was valid is kept in the draft; the refused choices are not.
    kept = client.get(f"/s/{token}/p/1").get_data(as_text=True)
    assert kept.count(" checked>") == 22 + 1 + 4, "22 scored, XP1 Nam, XP2..XP5 'Bỏ qua câu này'; no box"
    assert 'name="q_XP1" value="nam" checked' in kept and ">Tốt</textarea>" in kept
    result = client.post(f"/s/{token}/p/1", data=page_data(client, token, wants=four[1:], profile="nam"))
    assert result.status_code == 302, "three are fine"


def test_a_comment_over_500_characters_is_refused_and_line_ends_count_once(app, sipas):
    token = "tok-kinds-long-00000000000000"
    client = card(app, sipas, token)
    too_long = "a" * 501
    result = client.post(f"/s/{token}/p/1", data=page_data(client, token, comment=too_long))
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert '<p class="error" id="e-XC1">Ý kiến dài quá 500 ký tự (501).</p>' in html
    assert f">{too_long}</textarea>" in html, "the text stays, to be shortened"
    assert 'aria-describedby="h-XC1 e-XC1"' in html
    # 499 letters and a line end: 501 characters as posted ("\r\n"), 500 as the browser counts them.
    fits = "b" * 250 + "\r\n" + "c" * 249
    assert client.post(f"/s/{token}/p/1", data=page_data(client, token, comment=fits)).status_code == 302
    send(client, token)
    (sealed,) = box.sealed(app, sipas)
    assert {q: a for _u, q, a in sealed["answers"]}["XC1"] == "b" * 250 + "\n" + "c" * 249


def test_profile_expectation_and_comment_may_be_left_empty_or_taken_back(app, sipas):
    token = "tok-kinds-none-00000000000000"
    client = card(app, sipas, token)
    given = client.post(f"/s/{token}/p/1", data=page_data(client, token, wants=WANTS[:1], profile="nu",
                                                          comment="Xin bỏ ý kiến này"))
    assert given.status_code == 302
    # Taken back: no box ticked, "Bỏ qua câu này", the comment emptied (spaces only).
    taken = client.post(f"/s/{token}/p/1", data=page_data(client, token, profile="", comment="   "))
    assert taken.status_code == 302 and taken.headers["Location"].endswith("/gui")
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    assert "đã xong" in review and "<dl" not in review
    send(client, token)
    (sealed,) = box.sealed(app, sipas)
    assert sorted(q for _u, q, _a in sealed["answers"]) == sorted(SCORED)
    with app.extensions[DB_KEY].transaction() as s:
        _note, opened = close_campaign(s, s.get(Campaign, sipas), "t", secret=app.config["SECRET_KEY"])
        assert (opened.ballots, opened.invalid) == (1, 0)
        assert s.scalars(select(Comment)).all() == []


def test_sealed_drafts_and_envelopes_are_one_size_whatever_is_answered(app, sipas):
    # The most a draft can need (services/drafts.py: draft_size): the comment alone counts 2 + 12 × 500 bytes.
    with app.extensions[DB_KEY].session() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "xa_1"))
        assigned = card_assignments(CSET, "nguoi_dan", unit)
    assert JSON_CHAR_MAX == 12 and draft_size(assigned, CSET) > 2 + 12 * 500

    full = {"wants": WANTS[-3:], "profile": "nu", "comment": LONG}
    people = [("tok-kinds-size-a000000000000", full), ("tok-kinds-size-b000000000000", {}),
              ("tok-kinds-size-c000000000000", {**full, "comment": "😀" * 500})]  # the worst case: 12 bytes each
    assert len(LONG) == 500 and len(json.dumps(LONG)) == 1167
    drafts = []
    for token, answers in people:
        client = card(app, sipas, token)
        assert client.post(f"/s/{token}/p/1", data=page_data(client, token, **answers)).status_code == 302
        with app.extensions[DB_KEY].session() as s:
            drafts.append(len(s.get(Draft, box.link(app, token).draft_id).sealed))
        send(client, token)
    assert len(set(drafts)) == 1, drafts
    with app.extensions[DB_KEY].session() as s:
        sealed = [len(e) for e in s.scalars(select(Envelope.sealed).where(Envelope.campaign_id == sipas))]
    assert len(sealed) == 3 and len(set(sealed)) == 1, sealed
    opened = box.sealed(app, sipas)
    assert sorted(len(e["answers"]) for e in opened) == [22, 22 + 3, 22 + 3]
    assert sorted(a for e in opened for _u, q, a in e["answers"] if q == "XC1") == sorted([LONG, "😀" * 500])
