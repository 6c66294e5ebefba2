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
ROW_A = ["1", "Sở A", "5", "75,6 %", "100,0 %", "100,0 %", "90,0 %", "", "91,4 %",
         "không tính yếu tố 5: không có người trả lời"]
ROW_B = ["2", "Sở B", "6", "100,0 %", "83,3 %", "100,0 %", "100,0 %", "75,0 %", "91,7 %", ""]
ROW_C = ["3", "Sở C", "2", "", "", "", "", "", "chưa đủ phiếu (2 phiếu)", ""]
ROW_XA = ["1", "Xã Một", "5"] + ["100,0 %"] * 6 + [""]
SENTENCES = [
    "Chỉ số hài lòng (SIPAS) của tỉnh năm 2026 đạt 94,4 % (bình quân SIPAS của 3 đơn vị có chỉ số).",
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
def document(analyst, sipas_campaign):  # noqa: F811
    response = analyst.get(f"/bao-cao/{sipas_campaign}/bao-cao.docx")
    assert response.status_code == 200 and response.mimetype == DOCX
    assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-2026.docx"'
    return response.data


def _tables(doc) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in t.rows] for t in doc.tables]


PERCEPTION = "Tỷ lệ thấp nhất là 80,0 %: Sở A, câu S1N1 (Nơi tiếp nhận hồ sơ của cơ quan có đủ chỗ ngồi chờ"
HEADINGS = ["I. MỤC ĐÍCH, PHƯƠNG PHÁP", "II. MẪU KHẢO SÁT", "III. KẾT QUẢ ĐO LƯỜNG SỰ HÀI LÒNG NĂM 2026",
            "IV. Ý KIẾN MONG ĐỢI CỦA NGƯỜI DÂN, TỔ CHỨC", "V. KIẾN NGHỊ"]


def test_the_word_report_holds_the_figures_by_hand(document):
    doc = Document(io.BytesIO(document))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[paragraphs.index("BÁO CÁO") + 1] == TITLE
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == HEADINGS
    for sentence in SENTENCES:
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
                         "Yếu tố 5. Phản ánh, kiến nghị", "SIPAS", "Ghi chú"]
    assert so[1:] == [ROW_A, ROW_B, ROW_C] and xa[1:] == [ROW_XA]
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
    text = " ".join(paragraphs).lower()
    assert "điểm" not in text and "xếp hạng" not in text and "xếp loại" not in text, "no PAR points"


def test_the_same_campaign_gives_the_same_bytes(analyst, sipas_campaign, document):  # noqa: F811
    assert analyst.get(f"/bao-cao/{sipas_campaign}/bao-cao.docx").data == document


def test_libreoffice_converts_it(document, tmp_path):
    count, pages = pdf_pages(document, tmp_path)
    text = "\n".join(pages)
    assert count >= 3, count
    assert "BÁO CÁO" in text and "94,4 %" in text and "91,4 %" in text and "chưa đủ phiếu (2 phiếu)" in text
    assert "V. KIẾN NGHỊ" in text and "GIÁM ĐỐC" in text


def test_the_printable_page(analyst, sipas_campaign):  # noqa: F811
    response = analyst.get(f"/bao-cao/{sipas_campaign}/in")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"BÁO CÁO<br>{TITLE}" in page
    for sentence in SENTENCES:
        assert f"<p>{sentence}</p>" in page or f'<p class="finding">{sentence}</p>' in page, sentence
    assert PERCEPTION in page and NO_EXPECTATIONS in page and RECOMMENDATIONS in page
    cells = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        values = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        if len(values) == len(ROW_A) and values[2] in ("2", "5", "6"):
            cells[values[1]] = values
    assert cells == {"Sở A": ROW_A, "Sở B": ROW_B, "Sở C": ROW_C, "Xã Một": ROW_XA}
    for heading in ("I. Mục đích, phương pháp", "II. Mẫu khảo sát", "III. Kết quả đo lường sự hài lòng năm 2026",
                    "IV. Ý kiến mong đợi của người dân, tổ chức", "V. Kiến nghị"):
        assert f"<h2>{heading}</h2>" in page
    assert f'href="/bao-cao/{sipas_campaign}/bao-cao.docx"' in page
    assert "Không áp dụng" not in page
    for table in re.findall(r"<table.*?</table>", page, re.S):
        assert "điểm" not in table.lower() and "xếp hạng" not in table, "no PAR points"
