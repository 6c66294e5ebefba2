"""Issue 13's attacks on paper and API ballots: no ranked unit can add ballots for itself unseen (district
staff with an API token or the keying screen, a serial from another campaign), and no log line carries
a token."""
from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import (
    AuditEntry,
    Ballot,
    Campaign,
    Invitation,
    PaperEntry,
    PaperSerial,
    RespondentGroup,
    Unit,
)
from survey_app.services import serials as serials_service
from survey_app.services.campaigns import campaign_criteria

from .adversary_world import TOKEN, TOKENS, province, signed_in, world  # noqa: F401 - the fixtures these attacks run in
from .conftest import CURRENT, LAST
from .test_auth import csrf

# --- Issue 13: staff cannot add ballots for their own district unseen ----------------------------------------

def api(app, username: str):
    token = TOKENS[username]
    client = app.test_client()
    return lambda body, campaign=CURRENT: client.post(f"/api/v1/campaigns/{campaign}/ballots", json=body,
                                                      headers={"Authorization": f"Bearer {token}"})


def citizen(app, ballot_id: str, unit: str = "ba_be", serial: str | None = None, option: str = "tot") -> dict:
    with app.extensions[DB_KEY].session() as s:
        questions = campaign_criteria(s.get(Campaign, CURRENT)).questionnaire("huyen", "nguoi_dan").question_ids
    body = {
        "ballot_id": ballot_id,
        "group": "nguoi_dan",
        "units": [{"unit": unit, "answers": {q: option for q in questions}}],
    }
    return body if serial is None else {**body, "serial": serial}


def printed(app, unit: str, count: int, campaign_id: int = CURRENT) -> list[str]:
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, campaign_id)
        u = s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit))
        g = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                   RespondentGroup.code == "nguoi_dan"))
        return [x.serial for x in serials_service.reserve_serials(s, campaign, u, g, count, "qt")]


def count_ballots(app) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == CURRENT))


def test_staff_cannot_stuff_their_district_through_the_api(world):
    send_api = api(world, "bb1")
    before = count_ballots(world)
    refused = [send_api(citizen(world, f"stuff-{i}")).status_code for i in range(50)]
    assert refused == [422] * 50 and count_ballots(world) == before, "no serial, no ballot"
    invented = send_api(citizen(world, "made-up", serial="0020999999" + "0"))
    assert invented.status_code == 422 and invented.get_json()["details"][0]["field"] == "serial"
    other = printed(world, "na_ri", 1)[0]
    assert send_api(citizen(world, "other", unit="na_ri", serial=other)).status_code == 422, "another district's"
    mine = printed(world, "ba_be", 2)
    first = send_api(citizen(world, "k1", serial=mine[0]))
    assert first.status_code == 202 and first.get_json()["state"] == "waiting_second_entry"
    assert count_ballots(world) == before, "one keying is not a ballot"
    again = send_api(citizen(world, "k1-again", serial=mine[0]))
    assert again.status_code == 409 and "người khác" in again.get_json()["message"]
    assert send_api(citizen(world, "k1", serial=mine[0])).status_code == 200, "the same keying again changes nothing"
    assert send_api(citizen(world, "k1", serial=mine[1])).status_code == 409, "an id names one keying"
    with world.extensions[DB_KEY].session() as s:
        notes = s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "paper_entry",
                                                             AuditEntry.actor == "bb1")).all()
    assert notes == [f"phiếu {mine[0]}, qua API"], "every keying names its user, serial and channel"


def test_colluding_staff_of_one_district_are_stopped_by_the_cross_district_check(world):
    with world.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).cross_district_check = True
    serial = printed(world, "ba_be", 1)[0]
    assert api(world, "bb1")(citizen(world, "a", serial=serial)).status_code == 202
    colleague = api(world, "bb2")(citizen(world, "b", serial=serial))
    assert colleague.status_code == 409 and "huyện khác" in colleague.get_json()["message"]
    before = count_ballots(world)
    outsider = api(world, "nr1")(citizen(world, "c", serial=serial))
    assert outsider.status_code == 201 and outsider.get_json()["state"] == "verified"
    assert count_ballots(world) == before + 1
    with world.extensions[DB_KEY].session() as s:
        ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serial))
        audit = s.scalar(
            select(AuditEntry).where(AuditEntry.entity == "ballot", AuditEntry.entity_id == str(ballot.id))
        )
    assert (ballot.channel, audit.actor) == ("api", "nr1") and serial in audit.new_value and "API" in audit.new_value


def test_staff_cannot_stuff_through_the_keying_screen(world):
    client = signed_in(world, "bb1")
    for typed in ("0029999990", "002000000" + "1", "123456789"):
        assert client.get(f"/nhap-lieu/phieu?serial={typed}").status_code == 302, "unprinted or mistyped"
    assert client.get(f"/quan-tri/dot/{CURRENT}/phieu-giay").status_code == 403, "staff do not print serials"
    serial = printed(world, "ba_be", 1)[0]
    page = client.get(f"/nhap-lieu/phieu?serial={serial}").get_data(as_text=True)
    names = set(re.findall(r'type="radio" name="(q_\w+)"', page))
    client.post("/nhap-lieu/phieu", data={"csrf_token": csrf(page), "serial": serial, **{n: "1" for n in names}})
    assert client.get(f"/nhap-lieu/phieu?serial={serial}").status_code == 302, "not twice by the same person"
    with world.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(PaperEntry).join(PaperSerial)
                        .where(PaperSerial.serial == serial)) == 1
        assert s.scalar(select(func.count()).select_from(Ballot).where(Ballot.paper_serial == serial)) == 0


def test_api_ballot_ids_are_scoped_to_campaign_and_user(world):
    first = api(world, "qt")(citizen(world, "shared-id"))
    second = api(world, "qt2")(citizen(world, "shared-id", option="kha"))
    assert (first.status_code, second.status_code) == (201, 201), "no user can squat another's ids"
    with world.extensions[DB_KEY].session() as s:
        audited = s.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "ballot", AuditEntry.entity_id.in_(
            [first.get_json()["ballot"], second.get_json()["ballot"]]))).all()
    assert sorted(audited) == ["qt", "qt2"], "admins' API ballots are audited too"


def test_a_serial_of_another_campaign_is_refused_with_a_clear_message(world):
    old = printed(world, "ba_be", 1, campaign_id=LAST)[0]
    new = printed(world, "ba_be", 1)[0]
    assert serials_service.serial_campaign(old) == LAST and serials_service.serial_campaign(new) == CURRENT
    assert old[-7:-1] != new[-7:-1] or old != new
    wrong = api(world, "bb1")(citizen(world, "x", serial=old))
    assert wrong.status_code == 422 and "đợt khảo sát khác" in wrong.get_json()["details"][0]["message"]
    client = signed_in(world, "bb1")
    assert client.get(f"/nhap-lieu/phieu?serial={old}").status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))
    assert flash == [f"Đợt khảo sát “{LAST_NAME}” đã kết thúc: không nhập thêm phiếu {old}."]
    with world.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).status = "draft"
    assert client.get(f"/nhap-lieu/phieu?serial={new}").status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))
    assert flash and "chưa mở" in flash[0]


LAST_NAME = "Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)"


def test_no_log_line_carries_a_token_not_even_an_exception(world, caplog, monkeypatch):
    from survey_app.services import drafts

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"failed while opening /s/{TOKEN}/p/1")

    monkeypatch.setattr(drafts, "begin_draft", broken)
    world.config["PROPAGATE_EXCEPTIONS"] = False
    world.testing = False
    with caplog.at_level(logging.INFO):
        response = world.test_client().get(f"/s/{TOKEN}")
    assert response.status_code == 500
    assert caplog.records and "Exception on /s/…" in caplog.text
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")


def test_a_closed_campaign_takes_no_new_links_cards_or_serials(world):
    admin = signed_in(world, "qt")
    with world.extensions[DB_KEY].session() as s:
        before = (s.scalar(select(func.count()).select_from(Invitation).where(Invitation.campaign_id == LAST)),
                  s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == LAST)))
    token = csrf(admin.get(f"/quan-tri/dot/{LAST}/loi-moi").get_data(as_text=True))
    for url in (f"/quan-tri/dot/{LAST}/the-qr", f"/quan-tri/dot/{LAST}/phieu-giay"):
        response = admin.post(url, data={"csrf_token": token, "unit": "ba_be", "group": "nguoi_dan", "count": "5"})
        assert response.status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>',
                       admin.get(f"/quan-tri/dot/{LAST}/phieu-giay").get_data(as_text=True))
    assert flash and "đã kết thúc" in flash[0]
    with world.extensions[DB_KEY].session() as s:
        after = (s.scalar(select(func.count()).select_from(Invitation).where(Invitation.campaign_id == LAST)),
                 s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == LAST)))
    assert after == before
