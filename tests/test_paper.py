"""Paper ballots: serials, keying, blind double entry, reconcile, scope; review states, flags, audit."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Answer, AuditEntry, Ballot, Campaign, PaperSerial, RespondentGroup, Unit
from survey_app.services import serials as serials_service
from survey_app.services.review import ReviewError, change_state, quality_flags
from survey_app.services.users import create_user

from .conftest import CURRENT, LAST
from .test_auth import PASSWORD, csrf, login


def test_serials_carry_their_campaign_and_a_check_digit():
    assert serials_service.make_serial(2, 17) == "002000017" + serials_service.luhn_digit("002000017")
    good = serials_service.make_serial(2, 17)
    assert serials_service.serial_campaign(good) == 2 and serials_service.serial_campaign("230000174") is None
    assert serials_service.make_serial(1234, 5)[:4] == "1234", "campaign ids past 999 take more digits"
    assert serials_service.clean_serial(f" {good[:3]}-{good[3:]} ") == good
    typo = good[:4] + str((int(good[4]) + 1) % 10) + good[5:]
    assert serials_service.clean_serial(typo) is None, "one wrong digit is caught"
    swapped = good[:5] + good[6] + good[5] + good[7:]
    assert good[5] == good[6] or serials_service.clean_serial(swapped) is None, "two neighbours swapped are caught"


def unit_and_group(s, campaign_id: int, unit: str, group: str):
    return (s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit)),
            s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                   RespondentGroup.code == group)))


@pytest.fixture
def setup(demo_app):
    """In the collecting campaign: two staff users of Ba Bể, one of Na Rì, an admin;
    3 serials for Ba Bể citizens, 1 for Na Rì."""
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, CURRENT)
        for name, unit in (("bb1", "ba_be"), ("bb2", "ba_be"), ("nr1", "na_ri")):
            create_user(s, name, PASSWORD, "staff", unit_codes=(unit,), campaign_id=campaign.id, actor="t")
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        ba_be, group = unit_and_group(s, CURRENT, "ba_be", "nguoi_dan")
        na_ri, _ = unit_and_group(s, CURRENT, "na_ri", "nguoi_dan")
        serials = [x.serial for x in serials_service.reserve_serials(s, campaign, ba_be, group, 3, "qt")]
        other = serials_service.reserve_serials(s, campaign, na_ri, group, 1, "qt")[0].serial
    return serials, other


def signed_in(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def key_in(client, serial: str, digits: str):
    """Open a serial's form and type ``digits`` (one per question) as the staff would."""
    page = client.get(f"/nhap-lieu/phieu?serial={serial}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    names = list(dict.fromkeys(re.findall(r'type="radio" name="(q_\w+)"', html)))
    assert len(names) == len(digits) == 13
    return client.post(
        "/nhap-lieu/phieu", data={"csrf_token": csrf(html), "serial": serial, **dict(zip(names, digits))}
    )


def messages(client) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))


DIGITS = "1212121212120"  # 13 answers: Tốt, Khá ... and "don't know" last


def test_two_equal_entries_make_a_verified_ballot(demo_app, setup):
    serials, _ = setup
    first, second = signed_in(demo_app, "bb1"), signed_in(demo_app, "bb2")
    assert key_in(first, serials[0], DIGITS).status_code == 302
    assert messages(first) == [f"Đã lưu lần nhập thứ nhất của phiếu {serials[0]}; cần một người khác nhập lần hai."]
    key_in(second, serials[0], DIGITS)
    assert messages(second) == [f"Phiếu {serials[0]}: hai lần nhập khớp nhau, phiếu đã được xác minh."]
    with demo_app.extensions[DB_KEY].session() as s:
        ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serials[0]))
        answers = dict(s.execute(select(Answer.question, Answer.option).where(Answer.ballot_id == ballot.id)).all())
        assert (ballot.state, ballot.channel, len(answers)) == ("verified", "paper", 13)
        assert answers["H03"] == "tot" and answers["H05"] == "kha" and answers["H28"] == "khong_biet"
    again = first.get(f"/nhap-lieu/phieu?serial={serials[0]}")
    assert again.status_code == 302 and messages(first) == [f"Phiếu {serials[0]} đã nhập xong, không nhập thêm."]


def test_the_same_user_cannot_key_a_ballot_twice(demo_app, setup):
    serials, _ = setup
    first = signed_in(demo_app, "bb1")
    key_in(first, serials[1], DIGITS)
    messages(first)
    assert first.get(f"/nhap-lieu/phieu?serial={serials[1]}").status_code == 302
    assert messages(first) == [f"Ông/Bà đã nhập phiếu {serials[1]} rồi; lần nhập thứ hai phải do người khác làm."]


def test_unknown_and_mistyped_serials_get_a_message(demo_app, setup):
    client = signed_in(demo_app, "bb1")
    for typed in ("123", "0020000019", ""):
        assert client.get(f"/nhap-lieu/phieu?serial={typed}").status_code == 302
        assert "không đúng (sai chữ số hoặc chưa được in)" in messages(client)[0]


def test_a_bad_digit_is_shown_beside_its_question_and_nothing_is_saved(demo_app, setup):
    serials, _ = setup
    client = signed_in(demo_app, "bb1")
    response = key_in(client, serials[2], "1212121212129")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Còn 1 câu chưa nhập đúng." in html and "“9” không hợp lệ" in html
    with demo_app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(PaperSerial.status).where(PaperSerial.serial == serials[2])) == "printed"


def test_staff_of_one_district_gets_403_for_another_districts_serials(demo_app, setup):
    _serials, other = setup
    client = signed_in(demo_app, "bb1")
    assert client.get(f"/nhap-lieu/phieu?serial={other}").status_code == 403
    token = csrf(client.get("/nhap-lieu/").get_data(as_text=True))
    assert client.post("/nhap-lieu/phieu", data={"csrf_token": token, "serial": other, "q_H03": "1"}).status_code == 403
    for page in (
        "/quan-tri/dot/1/duyet",
        "/quan-tri/dot/2/doi-chieu",
        f"/quan-tri/dot/2/doi-chieu/{other}",
        "/quan-tri/dot/2/phieu-giay",
        "/quan-tri/nhat-ky",
        f"/quan-tri/dot/2/phieu-giay/in?tu={other}&den={other}",
    ):
        assert client.get(page).status_code == 403, page
    assert signed_in(demo_app, "nr1").get(f"/nhap-lieu/phieu?serial={other}").status_code == 200


def test_different_entries_go_to_reconcile_and_the_supervisor_decides(demo_app, setup):
    serials, _ = setup
    key_in(signed_in(demo_app, "bb1"), serials[1], DIGITS)
    second = signed_in(demo_app, "bb2")
    key_in(second, serials[1], DIGITS[:4] + "4" + DIGITS[5:])  # question 5: Kém instead of Tốt
    assert messages(second) == [f"Phiếu {serials[1]}: hai lần nhập khác nhau, đã chuyển sang đối chiếu."]
    admin = signed_in(demo_app, "qt")
    listing = admin.get("/quan-tri/dot/2/doi-chieu").get_data(as_text=True)
    assert serials[1] in listing
    page = admin.get(f"/quan-tri/dot/2/doi-chieu/{serials[1]}").get_data(as_text=True)
    assert re.findall(r'data-differs="(\w+)"', page) == ["H12"], "exactly the one difference is marked"
    assert "1 câu khác nhau" in page
    empty = admin.post(f"/quan-tri/dot/2/doi-chieu/{serials[1]}", data={"csrf_token": csrf(page)})
    assert "Chưa chọn câu trả lời cho câu H12." in empty.get_data(as_text=True)
    done = admin.post(f"/quan-tri/dot/2/doi-chieu/{serials[1]}", data={"csrf_token": csrf(page), "q_H12": "tot"})
    assert done.status_code == 302
    with demo_app.extensions[DB_KEY].session() as s:
        ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serials[1]))
        assert ballot.state == "verified"
        assert s.scalar(select(Answer.option).where(Answer.ballot_id == ballot.id, Answer.question == "H12")) == "tot"
        entry = s.scalar(
            select(AuditEntry).where(AuditEntry.entity == "answer", AuditEntry.entity_id == f"{serials[1]}/H12")
        )
        assert (entry.actor, entry.old_value, entry.new_value) == ("qt", "tot | kem", "tot")


def test_single_entry_mode_stores_a_received_ballot_at_once(demo_app, setup):
    serials, _ = setup
    with demo_app.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).double_entry = False
    key_in(signed_in(demo_app, "bb1"), serials[2], DIGITS)
    with demo_app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Ballot.state).where(Ballot.paper_serial == serials[2])) == "received"


def test_identical_vectors_keyed_in_one_sitting_are_flagged(demo_app, setup):
    serials, _ = setup
    with demo_app.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).double_entry = False
    client = signed_in(demo_app, "bb1")
    key_in(client, serials[0], DIGITS)
    key_in(client, serials[1], DIGITS)
    key_in(client, serials[2], DIGITS[:-1] + "1")
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, CURRENT)
        ids = {b.paper_serial: b.id for b in s.scalars(select(Ballot).where(Ballot.paper_serial.in_(serials)))}
        flags = quality_flags(s, campaign)
    assert "duplicate_vector" in flags.get(ids[serials[0]], set()) and "duplicate_vector" in flags.get(
        ids[serials[1]], set()
    )
    assert "duplicate_vector" not in flags.get(ids[serials[2]], set())


def _web_ballot(s, campaign, answers: list[str], duration: float):
    unit, group = unit_and_group(s, campaign.id, "ba_be", "hdnd_huyen")
    ballot = Ballot(campaign_id=campaign.id, client_id=str(uuid.uuid4()), group_id=group.id,
                    channel="web", duration_seconds=duration)
    s.add(ballot)
    s.flush()
    s.add_all(
        Answer(ballot_id=ballot.id, unit_id=unit.id, question=f"H{i:02d}", option=o) for i, o in enumerate(answers, 1)
    )
    return ballot.id


def test_straight_lines_and_fast_web_ballots_are_flagged_never_rejected(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        eight_same = _web_ballot(s, campaign, ["tot"] * 8, 600)
        seven_same = _web_ballot(s, campaign, ["tot"] * 7, 600)
        mixed = _web_ballot(s, campaign, ["tot"] * 7 + ["kha"], 600)
        fast = _web_ballot(s, campaign, ["tot", "kha"], 119)
        just_enough = _web_ballot(s, campaign, ["kem", "kha"], 120)
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        flags = quality_flags(s, campaign)
        states = set(s.scalars(select(Ballot.state).where(Ballot.id.in_([eight_same, fast]))))
    assert flags.get(eight_same) == {"straight_line"}
    assert seven_same not in flags and mixed not in flags and just_enough not in flags
    assert flags.get(fast) == {"too_fast"}  # campaign.min_web_seconds is 120
    assert states == {"received"}


@pytest.mark.parametrize("start,end", [
    ("received", "verified"), ("received", "flagged"), ("received", "rejected"),
    ("flagged", "verified"), ("flagged", "rejected"), ("verified", "flagged"), ("rejected", "received"),
])
def test_each_review_transition_is_audited(demo_app, start, end):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        ballot = s.scalar(select(Ballot).where(Ballot.campaign_id == LAST, Ballot.state == start))
        before = s.scalar(select(func.count()).select_from(AuditEntry))
        assert change_state(s, campaign, [ballot.id], end, "Phiếu tẩy xoá" if end == "rejected" else None, "qt") == 1
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
        assert (entry.entity, entry.entity_id, entry.attribute, entry.old_value) == (
            "ballot",
            str(ballot.id),
            "state",
            start,
        )
        assert entry.new_value == ("rejected: Phiếu tẩy xoá" if end == "rejected" else end)
        assert ballot.state == end


def test_a_rejection_needs_a_reason_and_keeps_the_ballot(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        ballot = s.scalar(select(Ballot).where(Ballot.campaign_id == LAST, Ballot.state == "received"))
        with pytest.raises(ReviewError, match="lý do"):
            change_state(s, campaign, [ballot.id], "rejected", "  ", "qt")
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        ballot_id = ballot.id
    admin_client = signed_in(demo_app, "qt")
    page = admin_client.get("/quan-tri/dot/1/duyet?trang_thai=received").get_data(as_text=True)
    result = admin_client.post("/quan-tri/dot/1/duyet", data={"csrf_token": csrf(page), "ballot": [str(ballot_id)],
                                                             "state": "rejected", "reason": "Trùng người trả lời"})
    assert result.status_code == 302
    with demo_app.extensions[DB_KEY].session() as s:
        kept = s.get(Ballot, ballot_id)
        assert (kept.state, kept.state_reason) == ("rejected", "Trùng người trả lời")
        assert s.scalar(select(func.count()).select_from(Answer).where(Answer.ballot_id == ballot_id)) > 0
    audit = admin_client.get(f"/quan-tri/nhat-ky?doi_tuong=ballot&ma={ballot_id}").get_data(as_text=True)
    assert "Loại: Trùng người trả lời" in audit and "<td>qt</td>" in audit  # the state by its name


def test_review_filters_by_flag(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        fast = _web_ballot(s, campaign, ["tot", "kha"], 30)
        create_user(s, "pt", PASSWORD, "analyst", actor="t")
    analyst = signed_in(demo_app, "pt")
    html = analyst.get("/quan-tri/dot/1/duyet?co=too_fast").get_data(as_text=True)
    assert f'value="{fast}"' in html and "Phiếu trực tuyến trả lời nhanh bất thường" in html
    assert "Áp dụng" not in html, "analysts read; only admins change states"
    assert (
        analyst.post(
            "/quan-tri/dot/1/duyet", data={"csrf_token": csrf(html), "ballot": [str(fast)], "state": "verified"}
        ).status_code
        == 403
    )
