"""Texts for the channel (issue 30, item 7): SMS texts in GSM-7 and one segment on the public address, each
group greeted as its criteria set says, the province in the respondent's header, a validation error that
leads to the first question in error without JavaScript, and links files whose row 1 is Vietnamese headings."""
from __future__ import annotations

import csv
import io
import re

import openpyxl
from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, load_criteria_set
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, RespondentGroup, Unit
from survey_app.services.csv_import import NewInvitation
from survey_app.services.invitations import create_invitations
from survey_app.services.messages import gsm7, gsm7_length, is_gsm7, zalo_text

from .conftest import CURRENT, TEST_SECRET
from .test_admin import new_campaign
from .test_admin_walk import PEOPLE, post_file
from .test_auth import csrf
from .test_form import radios

PUBLIC = "https://khaosat.backan.gov.vn"
SMS = "Tin nhắn Zalo/SMS"
HEADINGS = ["Họ tên", "Đối tượng", "Đơn vị", "Thư điện tử", "Điện thoại", "Loại", "Đường link", "Mã thẻ", SMS,
            "Tiêu đề thư", "Nội dung thư", "Đã gửi thư", "Đã mở", "Đã trả lời"]


def links_for(app, group: str, unit_code: str | None, name: str | None = None, count: int = 1) -> list[str]:
    """Personal links (issued as the import does: with a salt) of the demo's collecting campaign."""
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, CURRENT)
        g = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == CURRENT,
                                                   RespondentGroup.code == group))
        unit = s.scalar(select(Unit).where(Unit.campaign_id == CURRENT, Unit.code == unit_code)) if unit_code else None
        made = create_invitations(s, campaign, [NewInvitation(g, unit, name, None, None)] * count, TEST_SECRET,
                                  "test")
        return [link.token for _inv, link in made]


def exported(client, campaign_id: int) -> list[dict]:
    text = client.get(f"/quan-tri/dot/{campaign_id}/loi-moi.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_gsm7_strips_vietnamese_marks_and_counts_extension_characters_twice():
    assert gsm7("Đồng chí Nguyễn Thị Ước, Sở Nội vụ tỉnh Bắc Kạn") == "Dong chi Nguyen Thi Uoc, So Noi vu tinh Bac Kan"
    assert not is_gsm7("Kính gửi") and is_gsm7("Kinh gui Ong/Ba: https://x.vn/s/Ab_-9")
    assert gsm7_length("a€[b]") == 1 + 2 + 2 + 1 + 2  # €, [ and ] are in the extension table: 2 septets each
    # A name so long that no greeting fits: the link alone, still one segment.
    url = PUBLIC + "/s/" + "A" * 32
    assert zalo_text("Nguyễn " * 30, url, greeting="đồng chí", province="Tỉnh Bắc Kạn") in (
        "So Noi vu moi dong chi tra loi phieu khao sat CCHC:\n" + url, url)


def test_every_demo_sms_text_is_gsm7_one_segment_and_on_the_public_address(demo_admin, demo_app):
    demo_app.config["PUBLIC_BASE_URL"] = PUBLIC
    links_for(demo_app, "cc_so", "so_tp", name="Hoàng Thị Ngọc Diệp")
    links_for(demo_app, "doanh_nghiep", "ba_be")
    with demo_app.extensions[DB_KEY].session() as s:
        campaigns = s.scalars(select(Campaign.id)).all()
        personal = s.query(Invitation).filter(Invitation.revoked.is_(False)).count()
    texts = []
    for campaign_id in campaigns:
        for row in exported(demo_admin, campaign_id):
            if row[SMS]:
                texts.append(row[SMS])
                assert row[SMS].endswith("\n" + row["Đường link"]) and row["Đường link"].startswith(PUBLIC + "/s/")
    assert len(texts) >= 2 and len(texts) <= personal
    for text in texts:
        assert all(ord(ch) < 128 for ch in text), text  # unaccented: each character one GSM-7 septet
        assert is_gsm7(text) and gsm7_length(text) <= 160, text
    assert any(t.startswith("Kinh gui Hoang Thi Ngoc Diep, So Noi vu tinh Bac Kan moi dong chi tra loi") for t in texts)
    assert any(t.startswith("So Noi vu tinh Bac Kan moi Quy co quan, doanh nghiep tra loi") for t in texts)


def test_each_group_is_greeted_by_its_sets_greeting_in_the_welcome_the_email_and_the_sms(demo_admin, demo_app):
    greetings = {g.code: g.greeting for g in load_criteria_set(DEFAULT_SET_DIR).groups}
    assert greetings == {"hdnd_tinh": "đồng chí", "hdnd_huyen": "đồng chí", "cc_so": "đồng chí",
                         "ldp_huyen": "đồng chí", "ld_xa": "đồng chí", "nguoi_dan": "Ông/Bà",
                         "doanh_nghiep": "Quý cơ quan, doanh nghiệp"}
    company, = links_for(demo_app, "doanh_nghiep", "ba_be")
    servant, = links_for(demo_app, "cc_so", "so_tp")
    client = demo_app.test_client()
    html = client.get(f"/s/{company}").get_data(as_text=True)
    assert "Kính gửi Quý cơ quan, doanh nghiệp" in html and "Ông/Bà" not in html
    assert "Quý cơ quan, doanh nghiệp đánh giá: <strong>Huyện Ba Bể</strong>." in html
    html = client.get(f"/s/{servant}").get_data(as_text=True)
    assert "Kính gửi đồng chí" in html and "Đồng chí đánh giá: <strong>Sở Tư pháp</strong>." in html
    assert "Ông/Bà" not in html, "a civil servant is greeted 'đồng chí', never then 'Ông/Bà'"
    assert html.count("Kính gửi") == 1, "the intro's own 'Kính gửi …' is not said twice"
    page = client.get(f"/s/{servant}/p/1").get_data(as_text=True)
    assert "Đồng chí đánh giá thế nào về" in page and "Ông/Bà" not in page
    rows = {row["Đường link"].rsplit("/", 1)[1]: row for row in exported(demo_admin, CURRENT) if row["Đường link"]}
    assert rows[servant]["Nội dung thư"].startswith("Kính gửi đồng chí,\n\nSở Nội vụ tỉnh Bắc Kạn trân trọng mời "
                                                    "đồng chí trả lời")
    assert "Ông/Bà" not in rows[servant]["Nội dung thư"] and "Ong/Ba" not in rows[servant][SMS]
    assert rows[company]["Nội dung thư"].startswith("Kính gửi Quý cơ quan, doanh nghiệp,")
    assert "Ong/Ba" not in rows[company][SMS] and "moi Quy co quan, doanh nghiep tra loi" in rows[company][SMS]


def test_no_bundled_set_mixes_forms_of_address_within_a_group():
    for name in ("default", "hai_cap", "quoc_gia", "sipas"):
        cset = load_criteria_set(DEFAULT_SET_DIR.parent / name)
        forms = ("Ông/Bà", "đồng chí", "Quý cơ quan, doanh nghiệp", "Quý đại biểu", "Quý tổ chức", "Quý doanh "
                 "nghiệp", "Quý vị")
        for qn in cset.questionnaires:
            greeting = cset.group_by_code[qn.group].greeting
            used = {f for f in forms if f.lower() in qn.intro.lower()}
            assert used <= {greeting}, (name, qn.level, qn.group, used)


def test_the_respondents_header_names_the_province(demo_app):
    token, = links_for(demo_app, "nguoi_dan", "ba_be")
    client = demo_app.test_client()
    for path in (f"/s/{token}", f"/s/{token}/p/1"):
        html = client.get(path).get_data(as_text=True)
        header = html[html.index('<header class="top">'):html.index("</header>")]
        assert "Sở Nội vụ tỉnh Bắc Kạn · điều tra xã hội học" in header, path


def test_a_validation_error_links_and_leads_to_the_first_question_in_error(demo_app):
    token, = links_for(demo_app, "nguoi_dan", "ba_be")
    client = demo_app.test_client()
    client.get(f"/s/{token}")
    html = client.get(f"/s/{token}/p/1").get_data(as_text=True)
    names = list(radios(html))
    answered = {name: options[0] for name, options in radios(html).items() if name not in (names[2], names[5])}
    result = client.post(f"/s/{token}/p/1", data={"csrf_token": csrf(html), "action": "next", **answered})
    page = result.get_data(as_text=True)
    first, second = names[2][2:], names[5][2:]
    assert result.status_code == 200
    summary = page[page.index('class="error-summary"'):page.index("</ul></div>")]
    assert re.findall(r'href="#q-(\w+)">Câu (\d+)</a>', summary) == [(first, "3"), (second, "6")]
    assert f'id="q-{first}"' in page and f'id="q-{second}"' in page
    # The first question in error has the one autofocused input: the browser scrolls to it, no script needed.
    assert page.count(" autofocus") == 1
    assert re.search(rf'<input type="radio" name="q_{first}" value="\w+" autofocus>', page)


def test_links_files_have_vietnamese_headings_on_row_1_and_notes_on_a_second_sheet(admin, app):
    new_campaign(admin)  # a draft campaign: its links do not open yet, which the notes say
    post_file(admin, "/quan-tri/dot/1/don-vi", "code,name,level\nba_be,Huyện Ba Bể,huyen\n".encode(), "u.csv")
    post_file(admin, "/quan-tri/dot/1/loi-moi/nhap", PEOPLE, "m.csv")
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/quan-tri/dot/1/loi-moi.xlsx").data))
    assert book.sheetnames == ["Đường link", "Ghi chú"]
    rows = list(book["Đường link"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS and len(rows) == 3, "row 1 is the header row: mail merge reads it"
    notes = [r[0] for r in book["Ghi chú"].iter_rows(values_only=True)]
    assert notes[0] == "Ghi chú" and notes[1].startswith("ĐỢT KHẢO SÁT CHƯA MỞ"), "a draft's warning moved here"
    text = admin.get("/quan-tri/dot/1/loi-moi.csv").get_data(as_text=True).lstrip("\ufeff")
    assert next(csv.reader(io.StringIO(text))) == HEADINGS
    reminders = admin.get("/quan-tri/dot/1/nhac-nho.csv").get_data(as_text=True).lstrip("\ufeff")
    assert next(csv.reader(io.StringIO(reminders))) == HEADINGS
