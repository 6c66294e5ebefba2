"""Paper ballots with the question kinds beyond scored ones (issue 29 item 2), on the bundled SIPAS set: the
printed ballot (a box per option numbered as keyed, "chọn tối đa 3", ruled lines for the comment, the
respondent's questions under their heading) and the keying screen, twice (blind double entry), through the
test client: an expectation keyed as the digits of its ticked boxes and stored as the joined codes, a comment
compared after collapsing its whitespace and stored masked in ``comments``, profile questions keyed or skipped.

The commune's citizen ballot (xa-nguoi_dan) asks 22 scored questions (1..22), then XE1 (23, expectation, up to
3 of 10), XC1 (24, comment, 500 characters) and XP1..XP5 (25..29, profile).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Comment, PaperSerial, RespondentGroup
from survey_app.services import serials as serials_service
from survey_app.services.campaigns import available_sets, create_campaign, set_schedule
from survey_app.services.csv_import import NewUnit
from survey_app.services.units import add_units
from survey_app.services.users import create_user

from .test_auth import PASSWORD, csrf, login

COMMENT = "Cần thêm ghế chờ; gọi tôi 0912 345 678"
MASKED = "Cần thêm ghế chờ; gọi tôi [số điện thoại đã che]"


@pytest.fixture
def world(app):
    """An open campaign on the SIPAS set with one commune, 3 paper ballots printed for its citizens, two
    staff keyers of the commune and an admin ``qt``. Returns (campaign id, serials)."""
    from questionnaires import read_set_texts

    with app.extensions[DB_KEY].transaction() as s:
        campaign = create_campaign(s, year=2026, name="SIPAS 2026", province="Tỉnh Thử",
                                   criteria_texts=read_set_texts(available_sets()["sipas"]), actor="t")
        add_units(s, campaign, [NewUnit("xa_an", "Xã An Phú", "xa", None)], actor="t")
        set_schedule(s, campaign, "open", None, None, actor="t")
        for name in ("nhap1", "nhap2"):
            create_user(s, name, PASSWORD, "staff", unit_codes=("xa_an",), campaign_id=campaign.id, actor="t")
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                       RespondentGroup.code == "nguoi_dan"))
        unit = campaign.units[0]
        printed = [x.serial for x in serials_service.reserve_serials(s, campaign, unit, group, 3, "t")]
        return campaign.id, printed


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def keyed(scored: str = "1" * 22, expectation=("1", "4"), comment: str = COMMENT,
          profile: str = "2-" + "-1-") -> dict:
    """What a keyer sends for the 29 questions: one digit per scored question, the ticked boxes of XE1, the
    comment, one key per profile question ("-" left blank)."""
    return {"expectation": list(expectation), "comment": comment, "scored": scored, "profile": profile}


def key_in(client, serial: str, typed: dict):
    page = client.get(f"/nhap-lieu/phieu?serial={serial}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    radios = list(dict.fromkeys(re.findall(r'type="radio" name="(q_\w+)"', html)))
    assert len(radios) == 22 + 5, "22 scored and 5 profile questions are radio groups"
    data = {"csrf_token": csrf(html), "serial": serial, "q_XE1": typed["expectation"], "q_XC1": typed["comment"]}
    data |= dict(zip(radios, typed["scored"] + typed["profile"]))
    return client.post("/nhap-lieu/phieu", data=data)


def flashes(client) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))


def stored(app, serial: str) -> tuple[dict[str, str], list[str], str]:
    """(answers by question, comments, ballot state) of the ballot stored for ``serial``."""
    with app.extensions[DB_KEY].session() as s:
        ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serial))
        answers = dict(s.execute(select(Answer.question, Answer.option).where(Answer.ballot_id == ballot.id)).all())
        comments = list(s.scalars(select(Comment.text).where(Comment.ballot_id == ballot.id)))
        return answers, comments, ballot.state


def test_the_keying_screen_shows_each_kind_and_says_how_to_skip(app, world):
    _campaign, serials = world
    html = signed_in(app, "nhap1").get(f"/nhap-lieu/phieu?serial={serials[0]}").get_data(as_text=True)
    assert "29 câu, 22 câu bắt buộc" in html
    assert "gõ <kbd>-</kbd> để bỏ qua" in html
    assert len(re.findall(r'type="checkbox" name="q_XE1" value="(\d)"', html)) == 10
    assert re.findall(r'type="checkbox" name="q_XE1" value="(\d)"', html)[-1] == "0", "the tenth box is 0"
    assert 'data-kind="expectation" data-up-to="3"' in html
    assert re.search(r'<textarea name="q_XC1" id="q_XC1" rows="3" maxlength="500"', html)


def test_two_equal_keyings_store_one_ballot_with_the_expectation_joined_and_the_comment_masked(app, world):
    _campaign, serials = world
    first = signed_in(app, "nhap1")
    assert key_in(first, serials[0], keyed()).status_code == 302
    assert "lần nhập thứ nhất" in flashes(first)[0]
    second = signed_in(app, "nhap2")
    # The same ballot: the boxes in another order, the comment with other spaces and a line break.
    again = keyed(expectation=("4", "1"), comment="Cần thêm  ghế chờ;\ngọi tôi 0912 345 678 ")
    assert key_in(second, serials[0], again).status_code == 302
    assert flashes(second)[0].endswith("hai lần nhập khớp nhau, phiếu đã được xác minh.")
    answers, comments, state = stored(app, serials[0])
    assert state == "verified"
    # Keys 1 and 4 of the expectation list: the first and fourth options, joined in the list's order.
    assert answers["XE1"] == "thong_tin thoi_gian"
    assert answers["XP1"] == "nu" and answers["XP4"] == "truc_tiep", "profile keys 2 and 1"
    assert "XP2" not in answers and "XP3" not in answers and "XP5" not in answers, "skipped with '-'"
    assert "XC1" not in answers and comments == [MASKED], "the comment is kept apart, masked"
    assert len(answers) == 22 + 1 + 2
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(PaperSerial.status).where(PaperSerial.serial == serials[0])) == "done"


def test_more_boxes_than_allowed_are_refused_with_the_rule(app, world):
    _campaign, serials = world
    client = signed_in(app, "nhap1")
    response = key_in(client, serials[1], keyed(expectation=("1", "2", "3", "4")))
    assert response.status_code == 200
    assert "Chọn tối đa 3 phương án (đã chọn 4)" in response.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(PaperSerial.status).where(PaperSerial.serial == serials[1])) == "printed"


def test_keyings_differing_only_in_the_comment_are_reconciled_to_the_chosen_version(app, world):
    campaign_id, serials = world
    serial = serials[2]
    assert key_in(signed_in(app, "nhap1"), serial, keyed()).status_code == 302
    second = signed_in(app, "nhap2")
    assert key_in(second, serial, keyed(comment="Cần thêm ghế ngồi chờ")).status_code == 302
    assert flashes(second)[0].endswith("hai lần nhập khác nhau, đã chuyển sang đối chiếu.")
    admin = signed_in(app, "qt")
    page = admin.get(f"/quan-tri/dot/{campaign_id}/doi-chieu/{serial}")
    html = page.get_data(as_text=True)
    assert re.findall(r'data-differs="(\w+)"', html) == ["XC1"], "only the comment differs"
    row = re.search(r'data-differs="XC1">(.*?)</tr>', html, re.S).group(1)
    # Both versions, the first as kept (masked), the second as typed.
    assert MASKED in row and "Cần thêm ghế ngồi chờ" in row
    assert admin.post(f"/quan-tri/dot/{campaign_id}/doi-chieu/{serial}",
                      data={"csrf_token": csrf(html), "q_XC1": "2"}).status_code == 302
    answers, comments, state = stored(app, serial)
    assert state == "verified" and comments == ["Cần thêm ghế ngồi chờ"]
    assert answers["XE1"] == "thong_tin thoi_gian"


def test_the_printed_ballot_carries_every_kind(app, world):
    campaign_id, serials = world
    admin = signed_in(app, "qt")
    page = admin.get(f"/quan-tri/dot/{campaign_id}/phieu-giay/in?tu={serials[0]}&den={serials[0]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expectation = re.search(r'<li class="pb-expectation" data-question="XE1">(.*?)</li>', html, re.S).group(1)
    assert "chọn tối đa 3" in expectation
    boxes = re.findall(r'<span class="box"></span>(\d)\. ', expectation)
    assert boxes == [*"123456789", "0"], "ten boxes keyed as on the keying screen"
    assert "0. Cải thiện nơi tiếp nhận hồ sơ, trang thiết bị" in expectation
    comment = re.search(r'<li class="pb-comment" data-question="XC1">(.*?)</li>', html, re.S).group(1)
    assert "(không bắt buộc; xin đừng ghi tên, số điện thoại)" in comment
    assert comment.count('<span class="pb-line"></span>') == 4 and "box" not in comment
    # The respondent's questions, numbered on from 25, under their heading; one box each to tick.
    assert re.search(r'<h2 class="pb-section">Thông tin về Ông/Bà \(không bắt buộc trả lời\)</h2>\s*'
                     r'<ol class="pb-questions" start="25">\s*<li class="pb-profile" data-question="XP1">', html)
    profile = re.search(r'data-question="XP1">(.*?)</li>', html, re.S).group(1)
    assert "(chọn một)" in profile and re.findall(r"</span>(\d)\. ", profile) == ["1", "2", "3"]
    assert "Câu ghi “chọn tối đa” thì đánh dấu không quá số ô đã ghi." in html


def test_an_expectation_and_a_profile_answer_differing_are_reconciled(app, world):
    campaign_id, serials = world
    serial = serials[1]
    assert key_in(signed_in(app, "nhap1"), serial, keyed()).status_code == 302
    # The second keyer ticked box 5 instead of 4 and keyed sex 1 (Nam) where the first keyed 2 (Nữ).
    assert key_in(signed_in(app, "nhap2"), serial, keyed(expectation=("1", "5"), profile="1-" + "-1-")).status_code \
        == 302
    admin = signed_in(app, "qt")
    html = admin.get(f"/quan-tri/dot/{campaign_id}/doi-chieu/{serial}").get_data(as_text=True)
    assert re.findall(r'data-differs="(\w+)"', html) == ["XE1", "XP1"]
    row = re.search(r'data-differs="XE1">(.*?)</tr>', html, re.S).group(1)
    assert "Mở rộng các hình thức thông tin về thủ tục hành chính; Rút ngắn thời gian giải quyết" in row
    assert "Mở rộng các hình thức thông tin về thủ tục hành chính; Giảm phí, lệ phí" in row
    # A choice missing: nothing is stored, the page says which.
    refused = admin.post(f"/quan-tri/dot/{campaign_id}/doi-chieu/{serial}",
                         data={"csrf_token": csrf(html), "q_XE1": "2", "q_XP1": ""})
    assert "Chưa chọn câu trả lời cho câu XP1." in refused.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Ballot.id).where(Ballot.paper_serial == serial)) is None
    # The second keying's boxes; the sex left blank (the paper's box was not clearly ticked).
    assert admin.post(f"/quan-tri/dot/{campaign_id}/doi-chieu/{serial}",
                      data={"csrf_token": csrf(html), "q_XE1": "2", "q_XP1": "-"}).status_code == 302
    answers, comments, state = stored(app, serial)
    assert state == "verified" and answers["XE1"] == "thong_tin phi" and "XP1" not in answers
    assert answers["XP4"] == "truc_tiep" and comments == [MASKED]
