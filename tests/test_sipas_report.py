"""The SIPAS report of a closed SIPAS campaign (issue 29 item 4): the Word document and the printable page,
on the small campaign of tests/test_sipas_results.py, whose figures are worked out by hand there:

- Sở A 5 ballots: elements 75,6 % (34/45), 100,0 %, 100,0 %, 90,0 %, element 5 nobody answered; SIPAS 91,4 %;
  perception S1N1 80,0 % (4 Có of 5).
- Sở B 6 counted ballots (a seventh rejected): 100,0 %, 83,3 %, 100,0 %, 100,0 %, 75,0 %; SIPAS 91,7 %.
- Sở C 2 ballots: under min_ballots 5, "chưa đủ phiếu (2 phiếu)". Xã Một 5 ballots: 100,0 % everywhere.
- Province (plain mean of units): 94,4 %, under the target 95,0 %.

Added here, by hand: the level's element means over its units with a figure. Cấp sở: element 1
(34/45 + 1) / 2 = 79/90 = 87,8 %; 2 (1 + 5/6) / 2 = 91,7 %; 3 100,0 %; 4 (0,9 + 1) / 2 = 95,0 %; 5 only Sở B
75,0 %: highest element 3, lowest element 5. Units against the 95 % target: Sở A and Sở B below, Xã Một above.
18 counted ballots, all by link, all of the group "người dân"; 3 of 4 units have at least 5.

The 95 % intervals (1,000 replicates, seed 2023; tests/test_sipas_results.py derives Sở B's and Xã Một's): Xã Một
100,0–100,0 % (five identical ballots); Sở B 90,6–92,8 % (11/12 ∓ 2/180). Sở A's upper end by hand: ballots 1-3 are
positive in every question they answer (S11, S13 or "Không biết", S42), so a replicate drawing only them (chance
(3/5)^5 = 7,8 % > 2,5 %) has SIPAS 1: the 97.5 percentile is 100,0 %. Its lower end and the province's interval are
Monte Carlo draws: the exact bootstrap distribution (every draw of 5 of Sở A's ballots and 6 of Sở B's, weighed by
its chance) puts them at 79,6 % and 90,2–97,4 %, and 1,000 replicates land near them, within their Monte Carlo
error (checked below). Which ballot takes which random draw follows the order of the ballots' stored ids, which are
random, so those two figures move from one build of this campaign to the next (Sở A's from 78,3 % to 80,0 % over
the 60 orders its ballots can take): the tests read them from the service and check that the report prints them;
every order of Sở A's and Sở B's ballots (60 × 20) keeps them within the bounds of the exact-distribution test
below (checked once by enumerating them with seed 2023). Ranks within the level: Sở B 1/2, Sở A 2/2, Xã Một 1/1, Sở
C none; Sở A's and Sở B's intervals meet (Sở A's reaches 100,0 %), so their order is not settled.
"""
from __future__ import annotations

import io
import re

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT

from survey_app.outputs.sipas_report_text import NO_EXPECTATIONS, RECOMMENDATIONS

from .test_report_form import pdf_pages
from .test_sipas_results import analyst, sipas_campaign  # noqa: F401 (fixtures)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = ("Kết quả đo lường Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của các sở, ban, ngành; "
         "Ủy ban nhân dân các xã, phường, đặc khu năm 2026")
ROW_A = ["1", "Sở A", "5", "75,6 %", "100,0 %", "100,0 %", "90,0 %", "", "91,4 %", "{so_a}", "2/2",
         "không tính yếu tố 5: không có người trả lời"]
ROW_B = ["2", "Sở B", "6", "100,0 %", "83,3 %", "100,0 %", "100,0 %", "75,0 %", "91,7 %", "90,6–92,8 %", "1/2", ""]
ROW_C = ["3", "Sở C", "2", "", "", "", "", "", "chưa đủ phiếu (2 phiếu)", "", "", ""]
ROW_XA = ["1", "Xã Một", "5"] + ["100,0 %"] * 6 + ["100,0–100,0 %", "1/1", ""]
SENTENCES = [
    "Chỉ số hài lòng (SIPAS) của tỉnh năm 2026 đạt 94,4 % (khoảng tin cậy 95 %: {province}), tính bằng bình "
    "quân SIPAS của 3 đơn vị có chỉ số.",
    "Khoảng tin cậy 95 % giao nhau, chênh lệch có thể chỉ do chọn mẫu, thứ tự chưa chắc chắn: Sở B và Sở A.",
    "Chưa đạt mục tiêu 95,0 %.",
    "Cấp sở có 2 đơn vị có chỉ số; cao nhất là Sở B (91,7 %), thấp nhất là Sở A (91,4 %).",
    "Đạt mục tiêu 95,0 %: 0 đơn vị; chưa đạt: 2 đơn vị (Sở A (91,4 %) và Sở B (91,7 %)).",
    "Bình quân các đơn vị có chỉ số, người dân, tổ chức hài lòng nhất với yếu tố 3 (Công chức trực tiếp giải "
    "quyết công việc) (100,0 %) và ít hài lòng nhất với yếu tố 5 (Việc tiếp nhận, xử lý thông tin phản ánh, kiến "
    "nghị) (75,0 %).",
    "Chưa tính chỉ số 1 đơn vị Sở C: chưa đủ phiếu (2 phiếu).",
    "Cấp xã có 1 đơn vị có chỉ số: Xã Một (100,0 %).",
    "Đạt mục tiêu 95,0 %: 1 đơn vị (Xã Một (100,0 %)); chưa đạt: 0 đơn vị.",
    "Các yếu tố có chỉ số bình quân như nhau: 100,0 %.",
    "Tổng số phiếu khảo sát hợp lệ được tính là 18 phiếu, gồm: 18 phiếu qua đường link. Mỗi người trả lời đánh "
    "giá cơ quan, đơn vị nơi mình đã giải quyết thủ tục hành chính; phiếu bị loại không tính.",
    "Có 3/4 đơn vị đủ tối thiểu 5 phiếu hợp lệ để tính chỉ số; 1 đơn vị chưa đủ phiếu, không có chỉ số: Sở C "
    "(2 phiếu).",
]


@pytest.fixture
def drawn(app, sipas_campaign) -> dict[str, str]:  # noqa: F811
    """The Monte Carlo figures of this build of the campaign, as printed: Sở A's interval, the province's."""
    from survey_app.outputs.sipas_table import interval_text

    from .test_sipas_results import results

    r = results(app, sipas_campaign)
    a = r.sure.set_index("unit").loc["so_a"]
    so_a, province = interval_text(a["low"], a["high"]), interval_text(*r.province_interval)
    assert so_a.endswith("–100,0 %") and a["low"] < 164.5 / 180, so_a
    assert r.province_interval[0] < r.province.value < r.province_interval[1], province
    return {"so_a": so_a, "province": province}


def expected(drawn: dict[str, str]):
    """SENTENCES and the Sở A row with this build's drawn intervals."""
    return [s.format(**drawn) for s in SENTENCES], [c.format(**drawn) for c in ROW_A]


@pytest.fixture
def document(analyst, sipas_campaign):  # noqa: F811
    response = analyst.get(f"/bao-cao/{sipas_campaign}/bao-cao.docx")
    assert response.status_code == 200 and response.mimetype == DOCX
    assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-2026.docx"'
    return response.data


def _tables(doc) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in t.rows] for t in doc.tables]


PERCEPTION = "Tỷ lệ thấp nhất là 80,0 %: Sở A, câu S1N1 (Nơi tiếp nhận hồ sơ của cơ quan có đủ chỗ ngồi chờ"
INTERVAL_NOTE = ("Khoảng tin cậy 95 %: lấy mẫu lặp (bootstrap) theo phiếu, 1.000 lần, số khởi tạo ngẫu nhiên 2023; "
                 "mỗi lần chọn lại ngẫu nhiên, có hoàn lại, các phiếu của từng đơn vị")
RANK_NOTE = ("Xếp hạng: thứ hạng theo SIPAS trong cấp trên số đơn vị có chỉ số, cao nhất là 1; đơn vị có SIPAS bằng "
             "nhau theo số in (một chữ số thập phân) cùng hạng. Hai đơn vị có khoảng tin cậy giao nhau thì chênh lệch "
             "giữa chúng có thể chỉ do chọn mẫu: thứ tự của chúng chưa chắc chắn.")
HEADINGS = ["I. MỤC ĐÍCH, PHƯƠNG PHÁP", "II. MẪU KHẢO SÁT", "III. KẾT QUẢ ĐO LƯỜNG SỰ HÀI LÒNG NĂM 2026",
            "IV. Ý KIẾN MONG ĐỢI CỦA NGƯỜI DÂN, TỔ CHỨC", "V. KIẾN NGHỊ"]


def test_the_word_report_holds_the_figures_by_hand(document, drawn):
    sentences, row_a = expected(drawn)
    doc = Document(io.BytesIO(document))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[paragraphs.index("BÁO CÁO") + 1] == TITLE
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == HEADINGS
    for sentence in sentences:
        assert sentence in paragraphs, sentence
    assert any(PERCEPTION in p for p in paragraphs)
    assert NO_EXPECTATIONS in paragraphs and RECOMMENDATIONS in paragraphs
    assert "SIPAS của tỉnh là bình quân SIPAS của các đơn vị có chỉ số (mỗi đơn vị tính như nhau)." in \
        " ".join(paragraphs)
    assert "Mục tiêu so sánh: SIPAS đạt tối thiểu 95,0 %" in " ".join(paragraphs)
    tables = _tables(doc)
    header, sign = tables[0], tables[-1]
    assert "SỞ NỘI VỤ" in header[0][0] and "Độc lập - Tự do - Hạnh phúc" in header[0][1]
    assert "GIÁM ĐỐC" in sign[0][1] and "Nơi nhận:" in sign[0][0]
    so, xa = (t for t in tables if t[0][:3] == ["STT", "Đơn vị", "Số phiếu hợp lệ"])
    assert so[0][3:] == ["Yếu tố 1. Tiếp cận dịch vụ", "Yếu tố 2. Thủ tục hành chính",
                         "Yếu tố 3. Công chức giải quyết", "Yếu tố 4. Kết quả dịch vụ",
                         "Yếu tố 5. Phản ánh, kiến nghị", "SIPAS", "Khoảng tin cậy 95 %", "Xếp hạng", "Ghi chú"]
    assert so[1:] == [row_a, ROW_B, ROW_C] and xa[1:] == [ROW_XA]
    by_group = [t for t in tables if t[0][:3] == ["STT", "Đơn vị", "Người dân"]]
    rows = [row for t in by_group for row in t[1:]]
    assert rows == [["1", "Sở A", "5", "0", "5", ""], ["2", "Sở B", "6", "0", "6", ""],
                    ["3", "Sở C", "2", "0", "2", "chưa đủ phiếu"], ["1", "Xã Một", "5", "0", "5", ""]], \
        "Sở B: the rejected ballot counts nowhere"
    perception = next(t for t in tables if t[0][:2] == ["Đơn vị", "S1N1"])
    assert perception[1][:2] == ["Sở A", "80,0 %"] and [r[0] for r in perception[1:]] == ["Sở A", "Sở B"]
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert [c.split(".")[0] for c in captions] == [f"Bảng {n}" for n in range(1, 8)]
    # the PAR report's form: page numbers from page 2 on every section, the results on landscape pages
    assert [s.orientation for s in doc.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert all(s.different_first_page_header_footer and "PAGE" in s.header._element.xml for s in doc.sections)
    assert "PAGE" not in doc.sections[0].first_page_header._element.xml
    notes = [p.text for p in doc.paragraphs if p.style.name == "Ghi chú"]
    note = next(n for n in notes if n.startswith(INTERVAL_NOTE))
    assert note.endswith(RANK_NOTE) and "Đơn vị chưa đủ phiếu không có khoảng tin cậy và không được xếp hạng" in note
    text = " ".join(paragraphs).lower()
    assert "điểm" not in text and "xếp loại" not in text, "no PAR points, no PAR classes"
    assert "xếp hạng: thứ hạng theo sipas trong cấp" in text, "ranked by SIPAS (not by PAR points), the rule said"


def test_the_same_campaign_gives_the_same_bytes(analyst, sipas_campaign, document):  # noqa: F811
    assert analyst.get(f"/bao-cao/{sipas_campaign}/bao-cao.docx").data == document


def test_libreoffice_converts_it(document, drawn, tmp_path):
    count, pages = pdf_pages(document, tmp_path)
    text = "\n".join(pages)
    assert count >= 3, count
    assert "BÁO CÁO" in text and "94,4 %" in text and "91,4 %" in text and "chưa đủ phiếu (2 phiếu)" in text
    assert "V. KIẾN NGHỊ" in text and "GIÁM ĐỐC" in text
    flat = " ".join(text.split())
    assert drawn["province"] in flat and "Xếp hạng" in flat and "số khởi tạo ngẫu nhiên 2023" in flat


def test_the_printable_page(analyst, sipas_campaign, drawn):  # noqa: F811
    sentences, row_a = expected(drawn)
    response = analyst.get(f"/bao-cao/{sipas_campaign}/in")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"BÁO CÁO<br>{TITLE}" in page
    for sentence in sentences:
        assert f"<p>{sentence}</p>" in page or f'<p class="finding">{sentence}</p>' in page, sentence
    assert PERCEPTION in page and NO_EXPECTATIONS in page and RECOMMENDATIONS in page
    footnote = re.search(r'<p class="footnote">(Khoảng tin cậy 95 %:.*?)</p>', page).group(1)
    assert footnote.startswith(INTERVAL_NOTE) and footnote.endswith(RANK_NOTE)
    cells = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        values = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        if len(values) == len(ROW_A) and values[2] in ("2", "5", "6"):
            cells[values[1]] = values
    assert cells == {"Sở A": row_a, "Sở B": ROW_B, "Sở C": ROW_C, "Xã Một": ROW_XA}
    for heading in ("I. Mục đích, phương pháp", "II. Mẫu khảo sát", "III. Kết quả đo lường sự hài lòng năm 2026",
                    "IV. Ý kiến mong đợi của người dân, tổ chức", "V. Kiến nghị"):
        assert f"<h2>{heading}</h2>" in page
    assert f'href="/bao-cao/{sipas_campaign}/bao-cao.docx"' in page
    assert "Không áp dụng" not in page
    tables = re.findall(r"<table.*?</table>", page, re.S)
    for table in tables:
        assert "điểm" not in table.lower() and "xếp loại" not in table, "no PAR points, no PAR classes"
    results = [t for t in tables if "<caption>Tỷ lệ hài lòng theo yếu tố và SIPAS (%)" in t]
    assert len(results) == 2 and all('<th scope="col" class="num">Khoảng tin cậy 95 %</th><th scope="col" '
                                     'class="num">Xếp hạng</th><th scope="col">Ghi chú</th>' in t for t in results)


def _exact_bootstrap():
    """The exact bootstrap distributions (value → chance) of Sở A's SIPAS and of the province's (Xã Một's is 1
    in every replicate), over every draw of 5 of Sở A's ballots and 6 of Sở B's, from the answers of
    tests/test_sipas_results.py. Sở A, n_i ballots drawn of ballot i: S11 = (n1 + n2 + n3)/5; S13 = (n1 + n2) /
    (n1 + n2 + n5), left out when no ballot drawn answered it; element 1 the mean of S11, S12 = 1 and S13;
    elements 2, 3 = 1; element 4 = (1 + (5 − n5)/5)/2; SIPAS their mean. Sở B: 11/12 + (k − 3)/180."""
    from collections import Counter
    from fractions import Fraction
    from itertools import product
    from math import comb, factorial, prod

    so_a = Counter()
    for n in product(range(6), repeat=5):
        if sum(n) != 5:
            continue
        n1, n2, n3, _n4, n5 = n
        s11 = Fraction(n1 + n2 + n3, 5)
        e1 = (s11 + 1 + Fraction(n1 + n2, n1 + n2 + n5)) / 3 if n1 + n2 + n5 else (s11 + 1) / 2
        e4 = (1 + Fraction(5 - n5, 5)) / 2
        so_a[(e1 + 2 + e4) / 4] += Fraction(factorial(5), prod(factorial(x) for x in n)) / 5 ** 5
    province = Counter()
    for a, pa in so_a.items():
        for k in range(7):
            province[(a + Fraction(11, 12) + Fraction(k - 3, 180) + 1) / 3] += pa * Fraction(comb(6, k), 64)
    return so_a, province


def _quantile(dist, level) -> float:
    total = 0
    for value in sorted(dist):
        total += dist[value]
        if total >= level:
            return float(value)
    raise AssertionError("chances add up to less than 1")


def test_the_printed_intervals_agree_with_the_exact_bootstrap(app, sipas_campaign):  # noqa: F811
    """The exact 2.5 and 97.5 percentiles, and the drawn ones within the Monte Carlo error of 1,000 replicates:
    the share of replicates at or below a value has a standard error of √(0.025 × 0.975 / 1000) = 0.0049 at
    the tails, so a drawn percentile lies between the exact 0.3 % and 4.7 % quantiles (97.5: 95.3 % and
    99.7 %), 4.5 standard errors either way."""
    from .test_sipas_results import results

    so_a, province = _exact_bootstrap()
    assert sum(so_a.values()) == 1 and sum(province.values()) == 1
    assert _quantile(so_a, 0.975) == 1.0 and so_a[1] >= 0.6 ** 5, "ballots 1-3 only: SIPAS 1 (by hand)"
    assert round(_quantile(so_a, 0.025), 4) == 0.7958  # 79,6 %
    assert [round(_quantile(province, q), 4) for q in (0.025, 0.975)] == [0.9023, 0.9741]  # 90,2–97,4 %
    r = results(app, sipas_campaign)
    a = r.sure.set_index("unit").loc["so_a"]
    for dist, got, level in ((so_a, a["low"], 0.025), (so_a, a["high"], 0.975),
                             (province, r.province_interval[0], 0.025), (province, r.province_interval[1], 0.975)):
        assert _quantile(dist, level - 0.022) <= got <= _quantile(dist, level + 0.022), (level, got)
