"""A SIPAS campaign's results in the web app (issue 29 items 4 and 6): the service, the reports pages and the
exports of a small closed campaign on the bundled SIPAS set, with every figure worked out by hand.

The campaign (group nguoi_dan; a question's index = positive answers / answers that are not "Không biết";
an element's = the mean of its satisfaction questions'; a unit's SIPAS = the mean of its elements'):

- Sở A (so_a), 5 ballots. Element 1: S11 rất hài lòng, hài lòng ×2, bình thường, không hài lòng = 3/5;
  S12 all hài lòng = 1; S13 hài lòng ×2, không biết ×2, bình thường = 2/3; element 1 = (3/5 + 1 + 2/3) / 3
  = 34/45 = 75,6 %. Elements 2 and 3 all hài lòng = 100 %. Element 4: S41 = 1, S42 4 of 5 = 0,8; (1 + 0,8) / 2
  = 90,0 %. Element 5: everyone "Không biết": no index, left out. SIPAS = (34/45 + 1 + 1 + 0,9) / 4
  = 164,5/180 = 0,91389 = 91,4 %. Perception S1N1: Có ×4, Không ×1 = 80,0 %.
- Sở B (so_b), 6 ballots. Element 2: S21 bình thường ×3, hài lòng ×3 = 1/2; S22, S23 = 1; (1/2 + 1 + 1) / 3
  = 83,3 %. Element 5: S51 hài lòng ×3, không hài lòng ×3 = 1/2, S52 = 1: 75,0 %. Elements 1, 3, 4: 100 %.
  SIPAS = (1 + 5/6 + 1 + 1 + 0,75) / 5 = 0,91667 = 91,7 %. A seventh ballot, all "Rất không hài lòng", is
  rejected and counts nowhere (with it, S21 would be 3/7).
- Sở C (so_c), 2 ballots: under min_ballots 5, no SIPAS: "chưa đủ phiếu (2 phiếu)".
- Xã Một (xa_1), 5 ballots, all rất hài lòng and Có: 100,0 %.

Province (sipas_weighting: units): (0,91389 + 0,91667 + 1) / 3 = 0,94352 = 94,4 %, under the target 95 %.
"""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Unit
from survey_app.services import ballots
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.sipas_results import sipas_results

SIPAS_DIR = DEFAULT_SET_DIR.parent / "sipas"
HL, RHL, BT, KHL, RKHL, KB = "hai_long", "rat_hai_long", "binh_thuong", "khong_hai_long", "rat_khong_hai_long", \
    "khong_biet"

# unit code -> (level, name, per-question answers by ballot; a question not named gets "hai_long" / "co")
PLAN = {
    "so_a": ("so", "Sở A", 5, {"S11": [RHL, HL, HL, BT, KHL], "S13": [HL, HL, KB, KB, BT],
                               "S42": [HL, HL, HL, HL, KHL], "S51": [KB] * 5, "S52": [KB] * 5,
                               "S1N1": ["co"] * 4 + ["khong"]}),
    "so_b": ("so", "Sở B", 6, {"S21": [BT] * 3 + [HL] * 3, "S51": [HL] * 3 + [KHL] * 3}),
    "so_c": ("so", "Sở C", 2, {}),
    "xa_1": ("xa", "Xã Một", 5, "all"),
}


def _answers(cset, level: str, unit_id: int, i: int, given) -> list[tuple[int, str, str]]:
    out = []
    for q in cset.scored_ids(cset.questionnaire(level, "nguoi_dan")):
        yes_no = cset.question_by_key[(level, q)].scale == "co_khong"
        if given == "all":
            option = "co" if yes_no else RHL
        else:
            option = given[q][i] if q in given else ("co" if yes_no else HL)
        out.append((unit_id, q, option))
    return out


def make_campaign(app, status: str = "closed", texts: dict[str, str] | None = None) -> int:
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="SIPAS 2026", criteria_texts=texts or read_set_texts(SIPAS_DIR),
                            actor="t", status="open")
        for code, (level, name, _n, _g) in PLAN.items():
            s.add(Unit(campaign_id=c.id, code=code, name=name, level=level))
        s.flush()
        cset = campaign_criteria(c)
        ids = {u.code: u.id for u in s.scalars(select(Unit).where(Unit.campaign_id == c.id))}
        group = next(g.id for g in c.groups if g.code == "nguoi_dan")
        new = []
        for code, (level, _name, n, given) in PLAN.items():
            for i in range(n):
                answers = _answers(cset, level, ids[code], i, given)
                new.append(ballots.NewBallot(campaign_id=c.id, group_id=group, channel="web",
                                             client_id=f"{code}-{i}", answers=answers))
        rejected = [(ids["so_b"], q, "co" if cset.question_by_key[("so", q)].scale == "co_khong" else RKHL)
                    for q in cset.scored_ids(cset.questionnaire("so", "nguoi_dan"))]
        new.append(ballots.NewBallot(campaign_id=c.id, group_id=group, channel="paper", client_id="so_b-rejected",
                                     answers=rejected, state="rejected", state_reason="phiếu trùng"))
        ballots.store_ballots(s, cset, new)
        c.status = status
        return c.id


@pytest.fixture
def sipas_campaign(app) -> int:
    return make_campaign(app)


def results(app, campaign_id: int):
    with app.extensions[DB_KEY].session() as s:
        return sipas_results(s, s.get(Campaign, campaign_id))


def test_service_figures_by_hand(app, sipas_campaign):
    r = results(app, sipas_campaign)
    u = r.units.set_index("unit")
    assert list(u.index) == ["so_a", "so_b", "so_c", "xa_1"]
    assert u["ballots"].to_dict() == {"so_a": 5, "so_b": 6, "so_c": 2, "xa_1": 5}, "the rejected ballot counts nowhere"
    assert u["covered"].to_dict() == {"so_a": True, "so_b": True, "so_c": False, "xa_1": True}
    assert u.loc["so_a", "1"] == pytest.approx(34 / 45)
    assert [u.loc["so_a", e] for e in "234"] == pytest.approx([1.0, 1.0, 0.9])
    assert pd_isna(u.loc["so_a", "5"]) and u.loc["so_a", "left_out"] == "5" and u.loc["so_a", "elements"] == 4
    assert u.loc["so_a", "sipas"] == pytest.approx(164.5 / 180)
    assert [u.loc["so_b", e] for e in "12345"] == pytest.approx([1.0, 5 / 6, 1.0, 1.0, 0.75])
    assert u.loc["so_b", "sipas"] == pytest.approx(0.91666667)
    assert pd_isna(u.loc["so_c", "sipas"]) and pd_isna(u.loc["so_c", "1"])
    assert u.loc["xa_1", "sipas"] == pytest.approx(1.0)
    assert r.province.value == pytest.approx((164.5 / 180 + 11 / 12 + 1) / 3)
    assert round(r.province.value, 4) == 0.9435
    assert r.province.units == ("so_a", "so_b", "xa_1") and r.province.left_out == ("so_c",)
    assert r.target == 0.95 and r.meets_target is False
    p = r.perception.set_index(["unit", "question"])
    assert p.loc[("so_a", "S1N1"), "share"] == pytest.approx(0.8)
    assert p.loc[("so_a", "S1N1"), ["answered", "positive"]].tolist() == [5, 4]
    assert p.loc[("so_b", "S1N1"), "share"] == 1.0
    assert "so_c" not in set(r.perception["unit"]), "no figure of an uncovered unit"
    assert r.ballots == 18


def pd_isna(value) -> bool:
    return value != value  # NaN


@pytest.fixture
def analyst(app):
    from .conftest import _signed_in
    return _signed_in(app, "analyst")


def test_the_overview_shows_shares_by_element_and_unit(analyst, sipas_campaign):
    page = analyst.get(f"/bao-cao/{sipas_campaign}/").get_data(as_text=True)
    row_a = re.search(r"<th scope=\"row\">Sở A</th>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row_a)
    assert cells[:7] == ["5", "75,6 %", "100,0 %", "100,0 %", "90,0 %", "", "91,4 %"]
    assert cells[8] == "2/2" and "<td>Sở B</td>" in row_a, "ranked below Sở B, their intervals meet"
    assert "không tính yếu tố 5" in row_a
    row_b = re.search(r"<th scope=\"row\">Sở B</th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row_b)[1:] == ["100,0 %", "83,3 %", "100,0 %", "100,0 %",
                                                                       "75,0 %", "91,7 %", "90,6–92,8 %", "1/2"]
    row_c = re.search(r"<th scope=\"row\">Sở C</th>(.*?)</tr>", page, re.S).group(1)
    assert "chưa đủ phiếu (2 phiếu)" in row_c and "%" not in row_c
    assert re.findall(r'<td class="num">([^<]*)</td>', row_c)[6:] == ["chưa đủ phiếu (2 phiếu)", "", ""], \
        "no interval, no rank"
    row_x = re.search(r"<th scope=\"row\">Xã Một</th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row_x)[6:] == ["100,0 %", "100,0–100,0 %", "1/1"]
    assert "<strong>94,4 %</strong>" in page and "Chưa đạt mục tiêu 95,0 %" in page
    low, high = re.search(r"Khoảng tin cậy 95 %: (\d+,\d)–(\d+,\d) %\.</p>", page).groups()
    assert float(low.replace(",", ".")) < 94.4 < float(high.replace(",", ".")), "the province's interval"
    assert "1.000 lần, số khởi tạo ngẫu nhiên 2023" in page, "the seed is shown"
    for level in ("so", "xa"):
        assert f'src="/bao-cao/{sipas_campaign}/bieu-do/sipas-{level}.svg"' in page
    assert 'alt="Biểu đồ thanh ngang SIPAS (%) của 2 đơn vị cấp sở' in page
    assert "<caption>Cấp sở</caption>" in page and "<caption>Cấp xã</caption>" in page
    assert "Yếu tố 1. Tiếp cận dịch vụ" in page and "Tỷ lệ hài lòng" in page
    perception_a = re.findall(r"<th scope=\"row\">Sở A</th>(.*?)</tr>", page, re.S)[1]
    assert re.findall(r'<td class="num">([^<]*)</td>', perception_a)[0] == "80,0 %"  # S1N1: 4 Có of 5
    assert "điểm" not in page.lower() and "xếp loại" not in page, "no PAR points or classes"


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_csv_and_xlsx_of_the_sipas_table(analyst, sipas_campaign):
    for url in (f"/bao-cao/{sipas_campaign}/xuat/sipas.csv", f"/bao-cao/{sipas_campaign}/xuat/ket-qua.csv"):
        rows = _csv(analyst.get(url))
        assert rows[0][4:11] == ["Số phiếu hợp lệ", "Yếu tố 1. Tiếp cận dịch vụ (%)",
                                 "Yếu tố 2. Thủ tục hành chính (%)", "Yếu tố 3. Công chức giải quyết (%)",
                                 "Yếu tố 4. Kết quả dịch vụ (%)",
                                 "Yếu tố 5. Phản ánh, kiến nghị (%)", "SIPAS (%)"]
        by_unit = {r[2]: r for r in rows[1:]}
        assert by_unit["so_a"][4:11] == ["5", "75,6", "100,0", "100,0", "90,0", "", "91,4"]
        assert by_unit["so_b"][4:11] == ["6", "100,0", "83,3", "100,0", "100,0", "75,0", "91,7"]
        assert by_unit["so_c"][10] == "chưa đủ phiếu (2 phiếu)" and by_unit["so_c"][5:10] == [""] * 5
        assert by_unit["xa_1"][10] == "100,0"
        assert rows[0][11:17] == ["Khoảng tin cậy 95 %: từ (%)", "Khoảng tin cậy 95 %: đến (%)", "Xếp hạng",
                                  "Trên tổng số", "Khoảng tin cậy giao với", "Ghi chú"]
        assert by_unit["so_b"][11:16] == ["90,6", "92,8", "1", "2", "Sở A"]
        assert by_unit["so_a"][13:16] == ["2", "2", "Sở B"] and by_unit["xa_1"][11:15] == ["100,0", "100,0", "1", "1"]
        assert by_unit["so_c"][11:16] == [""] * 5, "a unit short of ballots: no interval, no rank"
        assert rows[-1][3] == "Toàn tỉnh" and rows[-1][4] == "18" and rows[-1][10] == "94,4"
        assert float(rows[-1][11].replace(",", ".")) < 94.4 < float(rows[-1][12].replace(",", "."))
        assert rows[-1][13] == "" and "Chưa đạt mục tiêu 95,0 %" in rows[-1][16]
    machine = {r[2]: r for r in _csv(analyst.get(f"/bao-cao/{sipas_campaign}/xuat/sipas.csv?dang=may"))[1:]}
    assert float(machine["so_a"][10]) == pytest.approx(100 * 164.5 / 180, abs=1e-6)
    # Sở B's 2.5 and 97.5 percentiles: 1 and 5 of the 6 drawn ballots of the first kind (see test_service_intervals)
    assert [float(x) for x in machine["so_b"][11:13]] == pytest.approx([100 * (11 / 12 - 2 / 180),
                                                                       100 * (11 / 12 + 2 / 180)])
    book = openpyxl.load_workbook(io.BytesIO(analyst.get(f"/bao-cao/{sipas_campaign}/xuat/sipas.xlsx").data))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    a = next(r for r in values if "so_a" in r)
    assert a[10] == pytest.approx(91.3888889) and a[5] == pytest.approx(75.5555556) and a[9] is None


SLUGS = ("diem-dieu-tra", "nhan-xet", "phuong-an", "ket-qua", "so-sanh", "do-tin-cay", "phieu-dai", "phieu-rong",
         "sipas")


def _urls(app, campaign_id: int) -> dict[str, list[str]]:
    """Every reports URL of a campaign, by endpoint, from the blueprint's rules."""
    out: dict[str, list[str]] = {}
    with app.test_request_context():
        from flask import url_for
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("reports.") or "campaign_id" not in rule.arguments:
                continue
            extra = [{}]
            if "name" in rule.arguments:
                extra = [{"name": f"{k}-{lv}"} for k in ("chi-so", "nhiet", "hang") for lv in ("so", "xa")]
            if "slug" in rule.arguments:
                extra = [{"slug": s, "fmt": f} for s in SLUGS for f in ("csv", "json", "xlsx", "sav", "dta")]
            out[rule.endpoint] = [url_for(rule.endpoint, campaign_id=campaign_id, **e) for e in extra]
    return out


def test_every_reports_url_of_a_sipas_campaign_answers_without_points(app, analyst, sipas_campaign):
    urls = _urls(app, sipas_campaign)
    assert set(urls) == {"reports.overview", "reports.survey_points", "reports.findings", "reports.final",
                         "reports.intervals", "reports.printable", "reports.document", "reports.chart",
                         "reports.export", "reports.comments", "reports.comments_csv"}, \
        "a new reports page: say here what it shows on a SIPAS campaign"
    for endpoint, addresses in urls.items():
        for url in addresses:
            response = analyst.get(url)
            body = response.get_data()  # read it all: a streamed download runs here
            assert response.status_code in (200, 404), url
            if response.mimetype != "text/html":
                assert response.status_code == 200 and ("/phieu-" in url or "/sipas." in url or "/ket-qua." in url
                                                        or url.endswith(("/bao-cao.docx", "/y-kien.csv"))), url
                continue
            page = body.decode()
            if "/phieu-" in url:  # raw ballots as for PAR: long form not in Excel, SPSS/Stata wide only
                assert response.status_code == 404 and url.endswith((".xlsx", ".sav", ".dta")), url
                continue
            assert "Chỉ số hài lòng" in page or "SIPAS" in page, url
            for table in re.findall(r"<table.*?</table>", page, re.S):
                assert "điểm" not in table.lower() and "xếp hạng" not in table and "xếp loại" not in table, url
            if endpoint not in ("reports.overview", "reports.final", "reports.printable", "reports.comments"):
                assert "Không áp dụng cho đợt khảo sát SIPAS" in page, url
    assert analyst.get(f"/bao-cao/{sipas_campaign}/xuat/nhan-xet.csv").status_code == 404
    assert analyst.get(f"/bao-cao/{sipas_campaign}/diem-dieu-tra").status_code == 200


def test_a_sipas_campaign_is_sealed_and_guarded_as_any(app, analyst):
    campaign_id = make_campaign(app, status="open")
    for url in (f"/bao-cao/{campaign_id}/", f"/bao-cao/{campaign_id}/xuat/sipas.csv",
                f"/bao-cao/{campaign_id}/diem-dieu-tra"):
        assert analyst.get(url).status_code == 409, url
    stranger = app.test_client()
    response = stranger.get(f"/bao-cao/{campaign_id}/xuat/sipas.csv")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    with app.extensions[DB_KEY].transaction() as s:
        from survey_app.services.users import create_user

        from .test_auth import PASSWORD
        create_user(s, "nv", PASSWORD, "staff", unit_codes=("so_a",), campaign_id=campaign_id, actor="test")
        s.get(Campaign, campaign_id).status = "closed"
    from .test_reports import client_for
    assert client_for(app, "nv").get(f"/bao-cao/{campaign_id}/xuat/sipas.csv").status_code == 403


def test_a_sipas_campaign_from_the_bundled_set_on_the_new_campaign_page(admin, app):
    from .test_national_web import token_of
    made = admin.post("/quan-tri/dot/moi", data={"csrf_token": token_of(admin, "/quan-tri/dot/moi"),
                                                 "name": "SIPAS 2026", "year": "2026", "province": "Tỉnh Thử",
                                                 "source": "bo:sipas"})
    assert made.status_code == 302 and made.headers["Location"] == "/quan-tri/dot/1"
    with app.extensions[DB_KEY].session() as s:
        assert campaign_criteria(s.get(Campaign, 1)).is_sipas
    page = admin.get("/quan-tri/dot/1").get_data(as_text=True)
    assert "Kết quả SIPAS" in page and "điểm thẩm định" not in page.lower()
    dashboard = admin.get("/quan-tri/dot/1/tien-do")
    assert dashboard.status_code == 200 and "điểm" not in dashboard.get_data(as_text=True).lower()


def test_province_weighted_by_completed_dossiers(app):
    """A set saying ``sipas_weighting: dossiers``, with the one-stop shop's completed dossiers imported: Sở A 3,
    Sở B 10, Sở C 1 (no SIPAS: neither its index nor its dossier counts), Xã Một none (left out, named).
    (3 × 164,5/180 + 10 × 11/12) / 13 = (2,7417 + 9,1667) / 13 = 0,91603 = 91,6 % (the plain mean is 94,4 %)."""
    from datetime import date

    from survey_app.models import Dossier
    from survey_app.outputs.sipas_table import percent_text, sipas_table, weighting_words

    texts = read_set_texts(SIPAS_DIR)
    texts["set.yaml"] = texts["set.yaml"].replace("sipas_weighting: units", "sipas_weighting: dossiers")
    campaign_id = make_campaign(app, texts=texts)
    with app.extensions[DB_KEY].transaction() as s:
        ids = {u.code: u.id for u in s.scalars(select(Unit).where(Unit.campaign_id == campaign_id))}
        n = 0
        for code, count in (("so_a", 3), ("so_b", 10), ("so_c", 1)):
            for _ in range(count):
                n += 1
                s.add(Dossier(campaign_id=campaign_id, unit_id=ids[code], number=f"HS-{n}", procedure="Cấp phép",
                              field="Xây dựng", completed_on=date(2026, 3, 1)))
    r = results(app, campaign_id)
    assert r.dossiers == {"so_a": 3, "so_b": 10, "so_c": 1}
    assert r.province.weighting == "dossiers" and r.province.without_dossiers == ("xa_1",)
    assert r.province.units == ("so_a", "so_b") and r.province.left_out == ("so_c",)
    assert r.province.value == pytest.approx((3 * 164.5 / 180 + 10 * 11 / 12) / 13)
    assert percent_text(r.province.value) == "91,6 %"
    assert "gia quyền theo số hồ sơ" in weighting_words(r) and "xa_1" in weighting_words(r)
    assert sipas_table(r).rows[-1]["sipas"] == pytest.approx(91.6025641)


def test_service_intervals_and_ranks_by_hand(app, sipas_campaign):
    """Xã Một: five identical ballots, every replicate the same: the interval is [1, 1]. Sở B: ballots 1-3 answer
    S21 "bình thường" and S51 "hài lòng", ballots 4-6 the other way round; a replicate draws 6 ballots, k of the
    first kind, k ~ Binomial(6, 1/2): S21 = (6 − k)/6, S51 = k/6, SIPAS = (3 + (2 + (6 − k)/6)/3 + (1 + k/6)/2)/5
    = 11/12 + (k − 3)/180. P(k = 0) = 1/64 < 2.5 % < P(k ≤ 1) = 7/64: the 2.5 percentile is k = 1 and the 97.5 one
    k = 5, so [11/12 − 2/180, 11/12 + 2/180] = [90,6 %, 92,8 %]. (Each ballot brings both its answers: drawn
    answer by answer, S21 and S51 would vary apart and the interval would be wider.) Sở C (2 ballots): none."""
    r = results(app, sipas_campaign)
    sure = r.sure.set_index("unit")
    assert sure.loc["xa_1", ["low", "high"]].tolist() == [1.0, 1.0]
    assert sure.loc["so_b", ["low", "high"]].tolist() == pytest.approx([11 / 12 - 2 / 180, 11 / 12 + 2 / 180])
    assert sure.loc["so_a", "low"] < 164.5 / 180 < sure.loc["so_a", "high"] == 1.0
    assert pd_isna(sure.loc["so_c", "low"]) and sure.loc["so_c", "rank"] is pd.NA
    assert sure["rank"].tolist()[:2] == [2, 1] and sure.loc["xa_1", "rank"] == 1, "ranked within their level"
    assert sure.loc["so_a", "rank_of"] == 2 and sure.loc["xa_1", "rank_of"] == 1
    assert sure.loc["so_a", "overlaps"] == "so_b" and sure.loc["so_b", "overlaps"] == "so_a"
    low, high = r.province_interval
    assert low < r.province.value < high and (r.replicates, r.seed) == (1000, 2023)
    again = results(app, sipas_campaign)
    assert again.sure.equals(r.sure) and again.province_interval == r.province_interval, "the seed is fixed"


def test_the_sipas_chart(analyst, sipas_campaign):
    response = analyst.get(f"/bao-cao/{sipas_campaign}/bieu-do/sipas-so.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "Sở A" in svg and "Sở B" in svg and "Sở C" not in svg, "units with a SIPAS only"
    assert "91,4" in svg and "91,7" in svg and "Mục tiêu 95,0 %" in svg and "Khoảng tin cậy 95 %" in svg
    assert 'id="sipas_interval' in svg and 'id="sipas_target' in svg
    assert analyst.get(f"/bao-cao/{sipas_campaign}/bieu-do/sipas-huyen.svg").status_code == 404
    assert analyst.get(f"/bao-cao/{sipas_campaign}/bieu-do/hang-so.svg").status_code == 404, "PAR's: not here"
    printed = analyst.get(f"/bao-cao/{sipas_campaign}/in").get_data(as_text=True)
    assert printed.count('<figure class="chart"><img src="/bao-cao/') == 2 and "sipas-xa.svg" in printed
    assert 'alt="Biểu đồ thanh ngang SIPAS (%) của 1 đơn vị cấp xã' in printed


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_of_the_sipas_table(analyst, sipas_campaign, tmp_path, fmt):
    import pyreadstat

    response = analyst.get(f"/bao-cao/{sipas_campaign}/xuat/sipas.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'filename=sipas-2026.{fmt}')
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(response.data)
    frame, meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
    assert list(frame.columns) == ["level", "unit", "unit_name", "ballots", "covered", "e1", "e2", "e3", "e4", "e5",
                                   "sipas", "sipas_low", "sipas_high", "rank", "rank_of"]
    rows = frame.set_index("unit")
    assert rows.loc["so_a", "sipas"] == pytest.approx(100 * 164.5 / 180)
    assert rows.loc["so_b", ["sipas_low", "sipas_high", "rank", "rank_of"]].tolist() == pytest.approx(
        [100 * (11 / 12 - 2 / 180), 100 * (11 / 12 + 2 / 180), 1, 2])
    assert rows.loc["so_c", "covered"] == 0 and pd_isna(rows.loc["so_c", "sipas"]) and rows.loc["so_c", "ballots"] == 2
    province = frame[frame["unit_name"] == "Toàn tỉnh"].iloc[0]
    assert province["level"] == 0 and province["sipas"] == pytest.approx(100 * (164.5 / 180 + 11 / 12 + 1) / 3)
    labels = meta.variable_value_labels
    assert labels["level"] == {0: "Toàn tỉnh", 1: "Cấp sở", 2: "Cấp xã"}
    assert labels["covered"] == {1: "Đủ phiếu", 0: "Chưa đủ phiếu"}
    assert meta.column_names_to_labels["e1"] == "Yếu tố 1. Tiếp cận dịch vụ (%)"
    assert meta.column_names_to_labels["sipas_low"] == "Khoảng tin cậy 95 %: từ (%)"


def test_the_word_report_draws_the_chart_of_each_level(analyst, sipas_campaign):
    from docx import Document

    doc = Document(io.BytesIO(analyst.get(f"/bao-cao/{sipas_campaign}/bao-cao.docx").data))
    assert len(doc.inline_shapes) == 2, "one chart for Cấp sở, one for Cấp xã"
