"""Expectations, respondents' profile and comments of a SIPAS campaign (issue 29 items 2 and 4, results side),
on a small campaign built by hand, every figure worked out by hand. Scored questions are all "Hài lòng"/"Có".

Expectations (SE1 of departments, XE1 of communes, both on the scale mong_doi):

- Sở A, 6 ballots: {thoi_gian, giay_to}, {thoi_gian, phi}, {thoi_gian, giay_to, thai_do}, {giay_to},
  {thoi_gian}, nothing chosen. 5 people chose: thoi_gian 4 (80,0 %, rank 1), giay_to 3 (60,0 %, rank 2),
  phi 1 and thai_do 1 (20,0 %, rank 3 both). A seventh ballot, rejected, chose co_so: it counts nowhere.
- Sở C, 2 ballots: {phi}, {don_gian, phi}. Xã Một, 5 ballots: {thai_do}, {phi}, {thoi_gian}, two nothing.
  Both under min_cell 5 people who chose: shown only in the province's figure.
- Province, 5 + 2 + 3 = 10 people: thoi_gian 5 (50,0 %), phi 1 + 2 + 1 = 4 (40,0 %), giay_to 3 (30,0 %),
  thai_do 1 + 1 = 2 (20,0 %), don_gian 1 (10,0 %): the top three are thoi_gian, phi, giay_to.

Profile: gioi_tinh (SP1, XP1): Sở A nam ×4, nữ ×2 (66,7 % / 33,3 %); Sở C nam ×2 (2 people: "—");
Xã Một nữ ×5 (100,0 %); province 13 people: nam 6 (46,2 %), nữ 7 (53,8 %). do_tuoi (SP2): 3 people of Sở A,
duoi_25: under 5, "—" for Sở A and for the province.

Comments: Sở A (6 ballots) three, given in this ballot order: "Gọi tôi 0912 345 678 nhé" (stored masked),
"Cán bộ nhiệt tình.", "Bàn chờ thiếu ghế." — shown sorted by text: Bàn, Cán, Gọi. Xã Một (5 ballots) one.
Sở C (2 ballots) one, withheld. The rejected ballot's comment is nowhere.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from docx import Document
from sqlalchemy import select

from questionnaires import read_set_texts
from questionnaires.answers import PHONE_MASK
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Unit
from survey_app.services import ballots
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.comments import campaign_comments
from survey_app.services.sipas_extras import expectations, profile

from .conftest import _signed_in
from .test_sipas_results import SIPAS_DIR

PHONE = "0912 345 678"
# unit -> (level, name, ballots: per ballot {question: answer} beyond the scored ones)
PLAN = {
    "so_a": ("so", "Sở A", [
        {"SE1": "thoi_gian giay_to", "SP1": "nam", "SP2": "duoi_25", "SC1": f"Gọi tôi {PHONE} nhé"},
        {"SE1": "thoi_gian phi", "SP1": "nam", "SP2": "duoi_25", "SC1": "Cán bộ nhiệt tình."},
        {"SE1": "thoi_gian giay_to thai_do", "SP1": "nam", "SP2": "duoi_25", "SC1": "Bàn chờ thiếu ghế."},
        {"SE1": "giay_to", "SP1": "nam"},
        {"SE1": "thoi_gian", "SP1": "nu"},
        {"SP1": "nu"},
    ]),
    "so_c": ("so", "Sở C", [{"SE1": "phi", "SP1": "nam", "SC1": "Sở C chậm quá."},
                            {"SE1": "don_gian phi", "SP1": "nam"}]),
    "xa_1": ("xa", "Xã Một", [{"XE1": "thai_do", "XP1": "nu", "XC1": "Xã làm nhanh."}, {"XE1": "phi", "XP1": "nu"},
                              {"XE1": "thoi_gian", "XP1": "nu"}, {"XP1": "nu"}, {"XP1": "nu"}]),
}
TOP_THREE = ("Trên toàn tỉnh, 10 người trả lời đã chọn ít nhất một điều mong đợi cơ quan hành chính cải thiện. "
             "Ba điều được chọn nhiều nhất là “Rút ngắn thời gian giải quyết” (50,0 %), “Giảm phí, lệ phí” (40,0 %) "
             "và “Giảm thành phần hồ sơ, giấy tờ phải nộp” (30,0 %).")
SORTED_A = ["Bàn chờ thiếu ghế.", "Cán bộ nhiệt tình.", f"Gọi tôi {PHONE_MASK} nhé"]


def _scored(cset, level: str, unit_id: int) -> list[tuple[int, str, str]]:
    return [(unit_id, q, "co" if cset.question_by_key[(level, q)].scale == "co_khong" else "hai_long")
            for q in cset.scored_ids(cset.questionnaire(level, "nguoi_dan"))]


def make_campaign(app, status: str = "closed") -> int:
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="SIPAS 2026", criteria_texts=read_set_texts(SIPAS_DIR), actor="t",
                            status="open")
        for code, (level, name, _b) in PLAN.items():
            s.add(Unit(campaign_id=c.id, code=code, name=name, level=level))
        s.flush()
        cset = campaign_criteria(c)
        ids = {u.code: u.id for u in s.scalars(select(Unit).where(Unit.campaign_id == c.id))}
        group = next(g.id for g in c.groups if g.code == "nguoi_dan")
        new = []
        for code, (level, _name, given) in PLAN.items():
            for i, extra in enumerate(given):
                answers = _scored(cset, level, ids[code]) + [(ids[code], q, a) for q, a in extra.items()]
                new.append(ballots.NewBallot(campaign_id=c.id, group_id=group, channel="web", client_id=f"{code}-{i}",
                                             answers=answers))
        rejected = _scored(cset, "so", ids["so_a"]) + [(ids["so_a"], "SE1", "co_so"),
                                                        (ids["so_a"], "SC1", "Phiếu bị loại.")]
        new.append(ballots.NewBallot(campaign_id=c.id, group_id=group, channel="paper", client_id="so_a-rejected",
                                     answers=rejected, state="rejected", state_reason="phiếu trùng"))
        ballots.store_ballots(s, cset, new)
        c.status = status
        return c.id


@pytest.fixture
def closed(app) -> int:
    return make_campaign(app)


def _read(app, campaign_id, function):
    with app.extensions[DB_KEY].session() as s:
        return function(s, s.get(Campaign, campaign_id))


def test_expectations_counted_and_ranked_by_hand(app, closed):
    ex = _read(app, closed, expectations)
    (province,) = ex.province
    assert province.respondents == 10 and province.shown
    assert [(c.option, c.n, c.rank) for c in province.choices] == [
        ("thoi_gian", 5, 1), ("phi", 4, 2), ("giay_to", 3, 3), ("thai_do", 2, 4), ("don_gian", 1, 5)]
    assert [c.share for c in province.choices] == pytest.approx([0.5, 0.4, 0.3, 0.2, 0.1])
    assert "co_so" not in {c.option for c in province.choices}, "the rejected ballot counts nowhere"
    blocks = {b.unit: b for b in ex.units}
    a = blocks["so_a"]
    assert a.respondents == 5 and a.shown
    assert [(c.option, c.n, c.rank) for c in a.choices] == [
        ("thoi_gian", 4, 1), ("giay_to", 3, 2), ("phi", 1, 3), ("thai_do", 1, 3)]
    assert [c.share for c in a.choices] == pytest.approx([0.8, 0.6, 0.2, 0.2])
    assert a.choices[0].label == "Rút ngắn thời gian giải quyết"
    assert (blocks["so_c"].respondents, blocks["so_c"].shown, blocks["so_c"].choices) == (2, False, ())
    assert (blocks["xa_1"].respondents, blocks["xa_1"].shown) == (3, False)
    assert [b.name for b in ex.hidden("mong_doi")] == ["Sở C", "Xã Một"]


def test_profile_by_hand_with_small_cells_hidden(app, closed):
    tables = {t.scale: t for t in _read(app, closed, profile)}
    sex = tables["gioi_tinh"]
    assert [code for code, _ in sex.options] == ["nam", "nu", "khong_tl"]
    assert sex.province.respondents == 13
    assert [c.n for c in sex.province.cells] == [6, 7, 0]
    assert [c.share for c in sex.province.cells] == pytest.approx([6 / 13, 7 / 13, 0.0])
    rows = {r.unit: r for r in sex.units}
    assert [c.share for c in rows["so_a"].cells] == pytest.approx([4 / 6, 2 / 6, 0.0])
    assert rows["so_c"].respondents == 2 and not rows["so_c"].shown
    assert [c.n for c in rows["so_c"].cells] == [None] * 3, "a cell under min_cell gives no figure"
    assert [c.n for c in rows["xa_1"].cells] == [0, 5, 0]
    age = tables["do_tuoi"]
    assert age.province.respondents == 3 and not age.province.shown
    assert {r.unit: (r.respondents, r.shown) for r in age.units} == {
        "so_a": (3, False), "so_c": (0, False), "xa_1": (0, False)}


def test_the_service_gives_comments_sorted_masked_and_withheld(app, closed):
    found = _read(app, closed, campaign_comments)
    units = {u.unit: u for u in found.units}
    assert list(units) == ["so_a", "so_c", "xa_1"]
    assert [t for _q, t in units["so_a"].comments] == SORTED_A
    assert units["so_c"].ballots == 2 and not units["so_c"].shown and units["so_c"].comments == ()
    assert found.rows() == [("Sở A", "SC1", t) for t in SORTED_A] + [("Xã Một", "XC1", "Xã làm nhanh.")]


def test_comments_page_only_after_close_and_for_readers(app):
    open_id = make_campaign(app, status="open")
    admin = _signed_in(app, "admin")
    for url in (f"/bao-cao/{open_id}/y-kien", f"/bao-cao/{open_id}/y-kien.csv"):
        response = admin.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 409 and "chỉ được xem sau khi đợt khảo sát kết thúc" in page, url
        assert "Bàn chờ" not in page and PHONE_MASK not in page


def test_a_staff_member_may_not_read_comments(app, closed):
    from survey_app.services.users import create_user

    from .test_auth import PASSWORD, login

    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "nl", PASSWORD, "staff", unit_codes=("so_a",), campaign_id=closed, actor="test")
    client = app.test_client()
    login(client, "nl")
    for url in (f"/bao-cao/{closed}/y-kien", f"/bao-cao/{closed}/y-kien.csv"):
        response = client.get(url)
        assert response.status_code == 403 and "Bàn chờ" not in response.get_data(as_text=True), url


def test_comments_page_and_csv_after_close(app, closed):
    admin = _signed_in(app, "admin")
    overview = admin.get(f"/bao-cao/{closed}/").get_data(as_text=True)
    assert f'href="/bao-cao/{closed}/y-kien"' in overview, "reached by a click from the SIPAS overview"
    response = admin.get(f"/bao-cao/{closed}/y-kien")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ý kiến của người trả lời" in page
    crumbs = (f'<li><a href="/bao-cao/">Báo cáo</a></li><li><a href="/bao-cao/{closed}/">[^<]+</a></li><li><span '
              'aria-current="page">Ý kiến của người trả lời</span>')
    assert re.search(crumbs, page), "breadcrumbs lead back"
    sections = dict(re.findall(r"<h2>([^<]+)</h2>(.*?)</section>", page, re.S))
    assert re.findall(r"<li>([^<]*)</li>", sections["Sở A"]) == SORTED_A, "sorted by text, not in ballot order"
    assert "không hiển thị: dưới 5 người trả lời" in sections["Sở C"] and "chậm" not in page
    assert re.findall(r"<li>([^<]*)</li>", sections["Xã Một"]) == ["Xã làm nhanh."]
    assert PHONE not in page and "0912" not in page and "Phiếu bị loại" not in page
    csv_response = admin.get(f"/bao-cao/{closed}/y-kien.csv?dang=may")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Đơn vị", "Câu hỏi", "Ý kiến"]] + [["Sở A", "SC1", t] for t in SORTED_A] + \
        [["Xã Một", "XC1", "Xã làm nhanh."]]
    text = csv_response.get_data(as_text=True)
    assert "0912" not in text and "Sở C" not in text and "Phiếu bị loại" not in text


def test_the_overview_ranks_expectations_with_labels(app, closed):
    analyst = _signed_in(app, "analyst")
    page = analyst.get(f"/bao-cao/{closed}/").get_data(as_text=True)
    part = page[page.index('id="mong-doi"'):]
    part = part[:part.index("</section>")]
    first = re.findall(r'<tr><td class="num">(\d+)</td><th scope="row">([^<]+)</th><td class="num">(\d+)</td>'
                       r'<td class="num">([^<]+)</td></tr>', part)
    assert first == [("1", "Rút ngắn thời gian giải quyết", "5", "50,0 %"), ("2", "Giảm phí, lệ phí", "4", "40,0 %"),
                     ("3", "Giảm thành phần hồ sơ, giấy tờ phải nộp", "3", "30,0 %"),
                     ("4", "Cải thiện thái độ giao tiếp của công chức", "2", "20,0 %"),
                     ("5", "Tiếp tục đơn giản hóa thủ tục hành chính", "1", "10,0 %")]
    row_a = re.search(r'<th scope="row">Sở A</th>(.*?)</tr>', part, re.S).group(1)
    assert "1. Rút ngắn thời gian giải quyết: 4 người, 80,0 %" in row_a
    assert "3. Giảm phí, lệ phí: 1 người, 20,0 %" in row_a
    assert "thoi_gian" not in part, "labels, not codes"
    assert '<th scope="row">Sở C</th>' not in part and '<th scope="row">Xã Một</th>' not in part
    assert "dưới 5 người chọn: Sở C, Xã Một" in part


def test_the_word_report_has_the_expectations_and_the_profile(app, closed):
    analyst = _signed_in(app, "analyst")
    doc = Document(io.BytesIO(analyst.get(f"/bao-cao/{closed}/bao-cao.docx").data))
    paragraphs = [p.text for p in doc.paragraphs]
    four = paragraphs.index("IV. Ý KIẾN MONG ĐỢI CỦA NGƯỜI DÂN, TỔ CHỨC")
    assert paragraphs[four + 1] == TOP_THREE
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    ranked = next(t for t in tables if t[0] == ["Thứ hạng", "Điều mong đợi", "Số người chọn", "Tỷ lệ"])
    assert ranked[1:4] == [["1", "Rút ngắn thời gian giải quyết", "5", "50,0 %"],
                           ["2", "Giảm phí, lệ phí", "4", "40,0 %"],
                           ["3", "Giảm thành phần hồ sơ, giấy tờ phải nộp", "3", "30,0 %"]]
    assert "Đặc điểm người trả lời" in paragraphs
    assert paragraphs.index("Đặc điểm người trả lời") < paragraphs.index("III. KẾT QUẢ ĐO LƯỜNG SỰ HÀI LÒNG NĂM 2026")
    sex = next(t for t in tables if t[0] == ["Đơn vị", "Số người trả lời", "Nam", "Nữ", "Không muốn trả lời"])
    assert sex[1:] == [["Toàn tỉnh", "13", "6 (46,2 %)", "7 (53,8 %)", "0 (0,0 %)"],
                       ["Sở A", "6", "66,7 %", "33,3 %", "0,0 %"], ["Sở C", "2", "—", "—", "—"],
                       ["Xã Một", "5", "0,0 %", "100,0 %", "0,0 %"]]
    age = next(t for t in tables if t[0][:3] == ["Đơn vị", "Số người trả lời", "Dưới 25 tuổi"])
    assert age[1] == ["Toàn tỉnh", "3"] + ["—"] * 5 and age[2] == ["Sở A", "3"] + ["—"] * 5
    printable = analyst.get(f"/bao-cao/{closed}/in").get_data(as_text=True)
    assert f"<p>{TOP_THREE}</p>" in printable


@pytest.mark.browser
def test_a_reader_clicks_from_the_overview_to_the_comments_axe_clean(browser, live_server, demo_app):
    """On the demo's closed SIPAS campaign (4): the overview with its expectations, then the comments by a click."""
    from survey_app.services.users import create_user

    from .a11y import violations
    from .test_reports_browser import PASSWORD, sign_in

    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    page = sign_in(browser, live_server, "pt")
    page.goto(f"{live_server}/bao-cao/4/")
    assert page.locator("#mong-doi caption").first.inner_text().startswith("Điều mong đợi cơ quan cải thiện: toàn tỉnh")
    assert violations(page) == []
    page.get_by_role("link", name="Đọc ý kiến của người trả lời theo đơn vị").click()
    page.wait_for_url(f"{live_server}/bao-cao/4/y-kien")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ý kiến của người trả lời")
    body = page.locator("main").inner_text()
    assert PHONE_MASK in body and not re.search(r"0\d{2,3}[ .]?\d{3}[ .]?\d{3}", body), "phone numbers masked"
    assert violations(page) == []
