"""Issue 30 item 4: results templates with Vietnamese headings and the units listed, names matched whatever
their case, spaces and Unicode form (with "có phải … không?"), and words, not codes, on the pages an
official reads (results imports, audit log) and dropdowns in the criteria workbook."""
from __future__ import annotations

import io
import re
import unicodedata

import openpyxl

from questionnaires import load_default_set
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Unit
from survey_app.services.results import check_import

from .test_auth import csrf

RESULTS = "/quan-tri/dot/1/ket-qua-nhap"
FIELD_NAMES = [f.name for f in load_default_set().fields]


def _units(app, level: str) -> dict[str, str]:
    with app.extensions[DB_KEY].session() as s:
        return {u.code: u.name for u in s.query(Unit).filter_by(campaign_id=1, level=level).order_by(Unit.id)}


def _sheet(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client, kind: str, name: str, content: bytes) -> str:
    token = csrf(client.get(RESULTS).get_data(as_text=True))
    return client.post(f"{RESULTS}/{kind}", data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def test_the_appraisal_template_of_a_level_has_vietnamese_headings_and_its_units(demo_app, demo_admin):
    rows = _sheet(demo_admin.get(f"{RESULTS}/mau/tham-dinh-so.xlsx"))
    assert rows[0] == ["Đơn vị", *FIELD_NAMES, "Tổng điểm thẩm định"]
    so = _units(demo_app, "so")
    assert [r[0] for r in rows[1:]] == list(so.values())  # the 19 departments, by name, in order
    assert len(rows) == 1 + 19 and all(v is None for r in rows[1:] for v in r[1:])
    districts = _sheet(demo_admin.get(f"{RESULTS}/mau/tham-dinh-huyen.xlsx"))
    assert [r[0] for r in districts[1:]] == list(_units(demo_app, "huyen").values())
    communes = _sheet(demo_admin.get(f"{RESULTS}/mau/ket-qua-xa.xlsx"))
    assert communes[0] == ["Huyện", "Xã", "Chỉ số", "Xếp loại"] and len(communes) == 1 + 29
    assert "Huyện Chợ Mới" in {r[0] for r in communes[1:]}
    last = _sheet(demo_admin.get(f"{RESULTS}/mau/nam-truoc.xlsx"))
    assert last[0] == ["Đơn vị", "Chỉ số", "Xếp hạng", "Xếp loại"] and len(last) == 1 + 19 + 8
    assert demo_admin.get(f"{RESULTS}/mau/tham-dinh-xa.xlsx").status_code == 404  # communes have no appraisal


def test_a_filled_template_imports_whatever_the_case_spaces_and_unicode_form(demo_app, demo_admin):
    template = _sheet(demo_admin.get(f"{RESULTS}/mau/tham-dinh-so.xlsx"))
    filled = [template[0]]
    for row in template[1:]:
        name = row[0]
        if name == "Sở Kế hoạch và Đầu tư":
            name = "Sở Kế hoạch và Đầu Tư "  # a capital and a trailing space
        elif name == "Sở Tư pháp":
            name = unicodedata.normalize("NFD", "  sở  tư pháp")  # decomposed, lower case, doubled spaces
        filled.append([name, *([None] * 7), "80,5"])
    with demo_app.extensions[DB_KEY].session() as s:
        checked = check_import(s, s.get(Campaign, 1), "appraisal", "tham-dinh-so.xlsx", _xlsx(filled))
    so = _units(demo_app, "so")
    ids = {u: c for c, u in _unit_ids(demo_app).items()}
    assert checked.count == 19 and checked.levels == ("so",)  # the districts are not asked for in a file per level
    assert sorted(ids[u] for u, field, points in checked.rows) == sorted(so)
    assert {(field, points) for _u, field, points in checked.rows} == {("total", 80.5)}


def _unit_ids(app) -> dict[str, int]:
    with app.extensions[DB_KEY].session() as s:
        return {u.code: u.id for u in s.query(Unit).filter_by(campaign_id=1)}


def test_a_heading_or_a_name_not_understood_is_named_with_the_closest_unit(demo_app, demo_admin):
    so = list(_units(demo_app, "so").values())
    rows = [["Đơn vị", "Tổng điểm thẩm định", "Ghi chú"]] + [[n, 80, ""] for n in so]
    page = _upload(demo_admin, "appraisal", "a.xlsx", _xlsx(rows))
    assert "không hiểu tiêu đề cột “ghi chú”" in page
    rows = [["Đơn vị", "Tổng điểm thẩm định"]] + [["Sở Tài chinh" if n == "Sở Tài chính" else n, 80] for n in so]
    page = _upload(demo_admin, "appraisal", "a.xlsx", _xlsx(rows))
    assert "không có đơn vị &#39;Sở Tài chinh&#39; trong đợt đánh giá: có phải “Sở Tài chính” không?" in page
    assert "chưa thay đổi gì" in page


def test_the_results_page_shows_no_column_codes_and_links_the_templates(demo_admin):
    page = demo_admin.get(RESULTS).get_data(as_text=True)
    assert "unit,1" not in page and "commune,district" not in page and "unit,index" not in page
    assert "Tổng điểm thẩm định" in page
    for kind in ("tham-dinh-so", "tham-dinh-huyen", "ket-qua-xa", "nam-truoc"):
        assert f"{RESULTS}/mau/{kind}.xlsx" in page


def test_the_audit_log_speaks_in_words_and_vietnam_time(demo_app, demo_admin):
    from datetime import datetime

    from survey_app.models import AuditEntry

    with demo_app.extensions[DB_KEY].transaction() as s:
        s.add(AuditEntry(at=datetime(2026, 12, 8, 7, 5), actor="qt", action="update", entity="campaign",
                         entity_id="1", attribute="status", old_value="draft", new_value="open"))
    page = demo_admin.get("/quan-tri/nhat-ky?nguoi=qt&doi_tuong=campaign").get_data(as_text=True)
    # 07:05 UTC is 14:05 in Vietnam (UTC+7), day first
    assert '<time datetime="2026-12-08T14:05:00+07:00">08/12/2026 14:05</time>' in page
    assert "<td>Sửa</td><td>Đợt khảo sát: Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)</td>" in page
    assert "<td>trạng thái</td><td>Đang chuẩn bị</td><td>Đang thu phiếu</td>" in page
    whole = demo_admin.get("/quan-tri/nhat-ky").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", whole)
    for code in ("create", "update", "state", "links_out", "ballot", "campaign", "verified", "UTC"):
        assert code not in cells and f">{code}</option>" not in whole
    assert "(UTC)" not in whole and '<option value="links_out"' in whole  # the filter sends the code, shows words


def test_the_criteria_workbook_offers_dropdowns_on_its_code_columns():
    from questionnaires.workbook import export_workbook

    book = openpyxl.load_workbook(io.BytesIO(export_workbook(load_default_set())))

    def rule(sheet: str, cell: str):
        found = [dv for dv in book[sheet].data_validations.dataValidation if cell in dv.sqref]
        assert len(found) == 1, (sheet, cell)
        return found[0]

    # "Câu hỏi": A Cấp (level codes, from the "Cấp" sheet), E Thang đo (scales), I Dạng câu (words)
    assert rule("Câu hỏi", "A2").type == "list" and rule("Câu hỏi", "A5000").formula1 == "'Cấp'!$A$2:$A$5001"
    assert rule("Câu hỏi", "E2").formula1 == "'Thang đo'!$A$2:$A$5001"
    assert rule("Câu hỏi", "I3").formula1 == '"chấm điểm,thông tin người trả lời,mong đợi,ý kiến"'
    assert rule("Tiêu chí", "B2").formula1 == "'Lĩnh vực'!$A$2:$A$5001"
    assert rule("Cấp", "F2").formula1 == '"toàn tỉnh,trong cấp trên"'
    assert rule("Đối tượng", "C2").formula1 == '"link,paper,qr,mixed"'
    assert rule("Đối tượng", "E2").formula1 == '"có,không"'  # census (có/không)
    assert rule("Câu hỏi của phiếu", "B2").formula1 == "'Đối tượng'!$A$2:$A$5001"
    assert not [dv for dv in book["Câu hỏi"].data_validations.dataValidation if "G2" in dv.sqref]  # free text


def test_the_criteria_page_names_levels_and_scales_not_their_codes(demo_admin):
    """The set's summary and the comparison with another campaign's set, as an official reads them."""
    page = demo_admin.get("/quan-tri/dot/2/bo-tieu-chi?so_sanh=1").get_data(as_text=True)
    assert "cấp sở: 27 tiêu chí thành phần, 28 câu hỏi, 13,5 điểm" in page
    assert "TCTP" not in page and "so: " not in page and "13.5" not in page
    assert not re.search(r"câu \w+ \((so|huyen|xa)\)", page), "a question's level by its name"
