"""The respondent form: pages, save and resume, validation, one ballot per token, anonymity."""
from __future__ import annotations

import re
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import Date, DateTime, func, inspect, select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.models import (
    AuditEntry,
    Ballot,
    Campaign,
    Draft,
    Envelope,
    Invitation,
    RespondentGroup,
    SpentLink,
    Unit,
    utcnow,
)
from survey_app.services.campaigns import create_campaign
from survey_app.services.drafts import DraftContent, key_for, read_draft, write_draft
from survey_app.services.invitations import hash_token
from survey_app.services.markers import draft_id
from survey_app.services.sealing import draft_key

from . import box
from .conftest import BACKENDS, CURRENT, TEST_SECRET, make_app
from .test_respond import invite


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def radios(html: str) -> dict[str, list[str]]:
    """Question field name -> option values, in page order."""
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="radio" name="(q_\w+)" value="(\w+)"', html):
        found.setdefault(name, []).append(value)
    return found


def fill(client, token: str, number: int, pick=lambda options: options[0], skip=(), only=None) -> object:
    """GET page ``number``, answer every question (or ``only`` these) but ``skip``, POST "next"."""
    html = client.get(f"/s/{token}/p/{number}").get_data(as_text=True)
    data = {"csrf_token": csrf(html), "action": "next"}
    data.update({name: pick(opts) for name, opts in radios(html).items()
                 if name[2:] not in skip and (only is None or name[2:] in only)})
    return client.post(f"/s/{token}/p/{number}", data=data)


def at_review(app, group: str, unit: str | None, token: str):
    """A respondent who opened the link, answered its one page and reached the review page:
    ``(invitation id, client, review html, client id)``."""
    inv_id = invite(app, group, unit, token)
    client = app.test_client()
    client.get(f"/s/{token}")
    fill(client, token, 1)
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    return inv_id, client, review, re.search(r'name="client_id" value="([^"]+)"', review).group(1)


def inv_campaign(app) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(Campaign.id))


def count(app, model, *where) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


TOKEN = "tok-form-0000000000000000000000"


def test_a_citizen_answers_page_by_page_and_submits_once(demo_app):
    inv_id = invite(demo_app, "nguoi_dan", "ba_be", TOKEN, kind="qr_card")
    client = demo_app.test_client()
    welcome = client.get(f"/s/{TOKEN}").get_data(as_text=True)
    assert "Bắt đầu trả lời" in welcome and f'href="/s/{TOKEN}/p/1"' in welcome
    page = client.get(f"/s/{TOKEN}/p/1").get_data(as_text=True)
    assert len(radios(page)) == 13 and len(page.encode()) < 30_000
    assert "Huyện Ba Bể" in page and "Không biết / không ý kiến" in page

    # Two questions left out: the page comes back with a message beside each, the rest is kept.
    result = fill(client, TOKEN, 1, skip=("H05", "H27"))
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and "Còn 2 câu chưa có câu trả lời hợp lệ" in html
    assert html.count('class="question has-error"') == 2
    assert re.search(
        r'id="q-H05" aria-describedby="e-H05">\s*<legend>[^<]+</legend>\s*<p class="error" id="e-H05">Xin chọn', html
    )
    assert html.count(" checked>") == 11

    result = fill(client, TOKEN, 1, pick=lambda o: o[-1], only=("H05", "H27"))  # "don't know" is a real answer
    assert result.status_code == 302 and result.headers["Location"].endswith(f"/s/{TOKEN}/gui")
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    before, ballots_before = box.envelopes(demo_app, CURRENT), count(demo_app, Ballot)
    audit_before = count(demo_app, AuditEntry)

    sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert sent.status_code == 200 and "Cảm ơn Ông/Bà đã gửi phiếu" in sent.get_data(as_text=True)
    again = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert again.status_code == 200 and "Cảm ơn" in again.get_data(as_text=True), "a double click shows thanks again"
    assert box.envelopes(demo_app, CURRENT) == before + 1, "one envelope in the box"
    assert count(demo_app, Ballot) == ballots_before, "no ballot row before close"
    assert count(demo_app, AuditEntry) == audit_before, "no submission is logged"

    (mine,) = [e for e in box.sealed(demo_app, CURRENT) if e["client_id"] == client_id]
    answers = {question: option for _unit, question, option in mine["answers"]}
    assert (mine["channel"], mine["state"], len(answers)) == ("qr", "received", 13)
    assert answers["H03"] == "tot" and answers["H05"] == answers["H27"] == "khong_biet"
    assert mine["seconds"] is not None and mine["unit_id"] is not None, "a citizen rates their own district"
    link = box.link(demo_app, TOKEN)
    assert link.id == inv_id and link.used and link.draft is None
    used = client.get(f"/s/{TOKEN}")
    assert used.status_code == 410 and "Phiếu đã được gửi" in used.get_data(as_text=True)


def test_save_and_resume_on_another_device(demo_app):
    invite(demo_app, "hdnd_tinh", None, TOKEN)
    phone = demo_app.test_client()
    phone.get(f"/s/{TOKEN}")
    for number in (1, 2, 3):
        assert fill(phone, TOKEN, number).status_code == 302
    html = phone.get(f"/s/{TOKEN}/p/4").get_data(as_text=True)
    later = phone.post(f"/s/{TOKEN}/p/4", data={"csrf_token": csrf(html), "action": "later", "q_S01": "kha"})
    assert "Đã lưu câu trả lời" in later.get_data(as_text=True)

    code = re.search(r"Mã tiếp tục: <strong>([A-Z0-9-]+)</strong>", later.get_data(as_text=True)).group(1)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code), "12 letters, read aloud in threes of four"

    office_pc = demo_app.test_client()  # no cookie: only the link is shared
    asked = office_pc.get(f"/s/{TOKEN}").get_data(as_text=True)
    assert "đã được lưu dở trên một thiết bị khác" in asked and "kha" not in asked and "3/27" not in asked
    assert office_pc.get(f"/s/{TOKEN}/p/4").headers["Location"].endswith(f"/s/{TOKEN}"), "no page opens without it"
    wrong = office_pc.post(f"/s/{TOKEN}/tiep-tuc", data={"csrf_token": csrf(asked), "code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 401 and "Mã tiếp tục không đúng" in wrong.get_data(as_text=True)
    opened = office_pc.post(f"/s/{TOKEN}/tiep-tuc", data={"csrf_token": csrf(asked), "code": code.lower()})
    assert opened.status_code == 302
    welcome = office_pc.get(f"/s/{TOKEN}").get_data(as_text=True)
    assert "Tiếp tục trả lời" in welcome and "Đã trả lời xong <strong>3/27</strong> trang" in welcome
    assert f'href="/s/{TOKEN}/p/4"' in welcome
    page4 = office_pc.get(f"/s/{TOKEN}/p/4").get_data(as_text=True)
    assert 'name="q_S01" value="kha" checked' in page4
    assert "Sở Tư pháp" in page4 and len(page4.encode()) < 30_000


def test_an_option_not_in_the_scale_is_refused_beside_its_question(demo_app):
    invite(demo_app, "hdnd_huyen", "na_ri", TOKEN)
    client = demo_app.test_client()
    client.get(f"/s/{TOKEN}")
    html = client.get(f"/s/{TOKEN}/p/1").get_data(as_text=True)
    data = {name: opts[0] for name, opts in radios(html).items()}
    data.update({"csrf_token": csrf(html), "action": "next", "q_H01": "tot"})  # H01 uses the share scale
    html = client.post(f"/s/{TOKEN}/p/1", data=data).get_data(as_text=True)
    assert '<p class="error" id="e-H01">Câu trả lời này không có trong phiếu' in html


def test_a_department_head_chooses_units_then_rates_each(demo_app):
    invite(demo_app, "ldp_huyen", "pac_nam", TOKEN)
    client = demo_app.test_client()
    welcome = client.get(f"/s/{TOKEN}").get_data(as_text=True)
    assert f'href="/s/{TOKEN}/chon/so"' in welcome
    html = client.get(f"/s/{TOKEN}/chon/so").get_data(as_text=True)
    ids = re.findall(r'name="unit" value="(\d+)"', html)
    assert len(ids) == 19
    nothing = client.post(f"/s/{TOKEN}/chon/so", data={"csrf_token": csrf(html)})
    assert "Xin chọn ít nhất một đơn vị" in nothing.get_data(as_text=True)
    picked = client.post(f"/s/{TOKEN}/chon/so", data={"csrf_token": csrf(html), "unit": [ids[3], ids[13], "99999"]})
    assert picked.status_code == 302
    assert fill(client, TOKEN, 1).headers["Location"].endswith("/p/2")
    assert fill(client, TOKEN, 2).headers["Location"].endswith("/gui")
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    assert "Sở Tư pháp" in review and "Văn phòng UBND tỉnh" in review and review.count("đã xong") == 2


def test_an_incomplete_form_cannot_be_sent(demo_app):
    invite(demo_app, "cc_so", "so_nv", TOKEN)
    client = demo_app.test_client()
    client.get(f"/s/{TOKEN}")
    fill(client, TOKEN, 1, skip=("S14",))
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    assert "còn 1 câu" in review and 'name="client_id"' not in review
    link = box.link(demo_app, TOKEN)
    with demo_app.extensions[DB_KEY].session() as s:
        code = client.get_cookie("tiep_tuc", path=f"/s/{TOKEN}").value
        key = key_for(demo_app.config["SECRET_KEY"], link, TOKEN, code)
        assert read_draft(s, link, key_for(demo_app.config["SECRET_KEY"], link, TOKEN)) is None
        client_id = read_draft(s, link, key).client_id
    token = csrf(client.get(f"/s/{TOKEN}/p/1").get_data(as_text=True))
    sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": token, "client_id": client_id})
    assert sent.status_code == 302 and box.link(demo_app, TOKEN).draft is not None and not box.spent(demo_app, TOKEN)


def test_anonymity_nothing_stored_joins_a_ballot_to_its_invitation(demo_app):
    """The guarantee of survey_app/services/drafts.py, checked on the schema and on the data."""
    inv_id, client, review, client_id = at_review(demo_app, "hdnd_huyen", "cho_moi", TOKEN)
    draft_row = box.link(demo_app, TOKEN).draft_id
    client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})

    schema = inspect(demo_app.extensions[DB_KEY].engine)
    ballot_columns = {c["name"]: c["type"] for c in schema.get_columns("ballots")}
    # A new column on these tables must be weighed against anonymity: these lists are the review.
    assert set(ballot_columns) == {"id", "campaign_id", "client_id", "group_id", "channel", "state", "state_reason",
                                   "paper_serial", "duration_seconds"}
    assert not any(isinstance(t, DateTime | Date) for t in ballot_columns.values()), "no day, no time"
    assert {c["name"] for c in schema.get_columns("answers")} == {"ballot_id", "unit_id", "question", "option"}
    assert {c["name"] for c in schema.get_columns("envelopes")} == {"id", "campaign_id", "group_id", "unit_id",
                                                                     "sealed"}
    assert {c["name"] for c in schema.get_columns("spent_links")} == {"marker", "campaign_id", "receipt"}
    assert {c["name"] for c in schema.get_columns("drafts")} == {"id", "campaign_id", "sealed"}
    for table in ("ballots", "answers", "envelopes", "spent_links", "drafts"):
        assert "invitations" not in {fk["referred_table"] for fk in schema.get_foreign_keys(table)}, table
    invitation_columns = {c["name"] for c in schema.get_columns("invitations")}
    assert not {"opened", "used", "used_at", "opened_at", "ballot_id"} & invitation_columns

    with demo_app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Ballot).where(Ballot.client_id == client_id)) is None, "in the box until close"
        assert s.get(Draft, draft_row) is None, "the draft is gone with the submit"
        rows = [tuple(map(str, row)) for table in (Envelope, SpentLink)
                for row in s.execute(select(*table.__table__.columns))]
        assert not any(str(inv_id) == value or hash_token(TOKEN) == value or client_id in value
                       for row in rows for value in row), "no stored value names the link or the form"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_id == str(inv_id), AuditEntry.at > utcnow().replace(year=2025))) == 0


def _small_campaign(database, secret: str = TEST_SECRET) -> tuple[int, str]:
    """A campaign with one district and one citizen's link, the draft fully answered."""
    from survey_app.services.drafts import answer_key

    with database.transaction() as s:
        campaign = create_campaign(s, year=2024, name="Thử", criteria_texts=read_set_texts(DEFAULT_SET_DIR),
                                   actor="test", status="open")
        unit = Unit(campaign_id=campaign.id, code="ba_be", name="Huyện Ba Bể", level="huyen")
        s.add(unit)
        s.flush()
        group = s.scalar(select(RespondentGroup).where(RespondentGroup.code == "nguoi_dan"))
        inv = Invitation(campaign_id=campaign.id, group_id=group.id, unit_id=unit.id, token_hash=hash_token(TOKEN))
        s.add(inv)
        s.flush()
        from survey_app.services.campaigns import campaign_criteria

        qn = campaign_criteria(campaign).questionnaire("huyen", "nguoi_dan")
        row = SimpleNamespace(id=inv.id, campaign_id=campaign.id, draft_id=draft_id(secret, hash_token(TOKEN)))
        write_draft(s, row, draft_key(secret, TOKEN), DraftContent(
            "race-client-id", {answer_key(unit.id, q): "tot" for q in qn.question_ids}, utcnow()))
        return inv.id, "race-client-id"


@pytest.mark.parametrize("backend", BACKENDS)
def test_twenty_concurrent_submits_of_one_token_store_one_ballot(backend, request, tmp_path):
    url = f"sqlite:///{tmp_path / 'race.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    app = make_app(url, tmp_path / "instance", WTF_CSRF_ENABLED=False)
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    inv_id, client_id = _small_campaign(database)
    barrier = threading.Barrier(20)
    statuses: list[tuple[int, str]] = []

    def post(cid: str):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/s/{TOKEN}/gui", data={"client_id": cid})
        statuses.append((response.status_code, response.get_data(as_text=True)))

    # Ten double-clicks of the real form, ten forged ids.
    threads = [threading.Thread(target=post, args=(client_id if i % 2 else f"forged-{i}",)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == 20
    assert sorted(code for code, _html in statuses) == [200] * 10 + [410] * 10
    assert count(app, Envelope) == 1 and count(app, SpentLink) == 1 and count(app, Ballot) == 0
    assert len(box.sealed(app, inv_campaign(app))[0]["answers"]) == 13
    thanked = [s for s in statuses if "Cảm ơn Ông/Bà đã gửi phiếu" in s[1]]
    assert len(thanked) == 10, "every request with the form's id gets the thank-you page"
    assert all(code == 410 for code, html in statuses if "forged" in html or "Cảm ơn" not in html)

    replay = app.test_client().post(f"/s/{TOKEN}/gui", data={"client_id": client_id})
    assert "Cảm ơn" in replay.get_data(as_text=True) and count(app, Envelope) == 1
    database.dispose()
