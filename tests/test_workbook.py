"""The criteria set as an Excel workbook: an exact round trip for both bundled sets, every problem with
its sheet, row and column, the CLI, and the differences between two sets."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from questionnaires import load_criteria_set
from questionnaires.diff import set_changes
from questionnaires.rules import rules_table
from questionnaires.workbook import WorkbookError, export_workbook, import_workbook

SETS = Path(__file__).resolve().parent.parent / "questionnaires" / "sets"


@pytest.mark.parametrize("name", ["default", "quoc_gia"])
def test_the_round_trip_is_exact(name):
    cset = load_criteria_set(SETS / name)
    texts, again = import_workbook(export_workbook(cset))
    assert rules_table(again) == rules_table(cset)
    for part in ("name", "year", "fields", "levels", "scales", "groups", "questions", "questionnaires", "classes",
                 "district_rule"):
        assert getattr(again, part) == getattr(cset, part), part
    assert set(texts) >= {"set.yaml"} and any(t.startswith("questionnaires/") for t in texts)


def edited(cset, change) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(export_workbook(cset)))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_every_problem_names_its_sheet_row_and_column():
    cset = load_criteria_set(SETS / "default")

    def break_it(book):
        book["Tiêu chí"]["G3"] = "nửa điểm"           # not a number
        book["Câu hỏi"]["C4"] = "9.9.9"                 # a sub-criterion that does not exist
        book["Đối tượng"]["D2"] = "so each"             # no colon
        del book["Xếp loại"]

    with pytest.raises(WorkbookError) as caught:
        import_workbook(edited(cset, break_it))
    shown = [str(p) for p in caught.value.problems]
    assert "trang 'Xếp loại': thiếu trang này" in shown
    # The missing sheet stops the reading; put it back and the cell problems are all listed at once.

    def break_cells(book):
        book["Tiêu chí"]["G3"] = "nửa điểm"
        book["Đối tượng"]["D2"] = "so each"

    with pytest.raises(WorkbookError) as caught:
        import_workbook(edited(cset, break_cells))
    shown = [str(p) for p in caught.value.problems]
    assert "trang 'Tiêu chí', dòng 3, cột 'Điểm điều tra tối đa': 'nửa điểm' không phải là số" in shown
    assert "trang 'Đối tượng', dòng 2, cột 'Đánh giá (cấp: own/each/choose; …)': 'so each' phải có dạng " \
           "'mã: giá trị'" in shown

    def wrong_reference(book):
        book["Câu hỏi"]["C4"] = "9.9.9"

    with pytest.raises(WorkbookError) as caught:
        import_workbook(edited(cset, wrong_reference))
    traced = [p for p in caught.value.problems if "9.9.9" in p.message]
    assert traced and (traced[0].sheet, traced[0].row) == ("Câu hỏi", 4), "the validator's problem, traced to its row"


def test_a_damaged_file_is_a_message_not_a_crash():
    with pytest.raises(WorkbookError, match="không đọc được tệp Excel"):
        import_workbook(b"PK\x03\x04 not really a zip")


def test_the_cli_writes_a_workbook_and_reads_it_back(runner, tmp_path):
    book = tmp_path / "bo.xlsx"
    result = runner.invoke(args=["questionnaires", "export-workbook", str(SETS / "quoc_gia"), "--out", str(book)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "bo-moi"
    result = runner.invoke(args=["questionnaires", "import-workbook", str(book), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert rules_table(load_criteria_set(out)) == rules_table(load_criteria_set(SETS / "quoc_gia"))
    again = runner.invoke(args=["questionnaires", "import-workbook", str(book), "--out", str(out)])
    assert again.exit_code == 2 and "đã có tệp" in again.output


def test_changes_between_two_sets_are_listed():
    cset = load_criteria_set(SETS / "default")

    def edit(book):
        sheet = book["Câu hỏi"]
        sheet["G2"] = "Một câu hỏi viết lại"
        book["Câu hỏi"]["F3"] = "hdnd_tinh: 2"

    _texts, new = import_workbook(edited(cset, edit))
    texts = [c.text for c in set_changes(cset, new)]
    first = cset.questions[0]
    level_name = cset.level_by_code[first.level].name.lower()  # the level by its name, not its code
    assert any(t.startswith(f"câu {first.id} ({level_name}) đổi nội dung") for t in texts), texts
    second = cset.questions[1]
    assert any(t.startswith(f"câu {second.id} ({cset.level_by_code[second.level].name.lower()}): trọng số")
               for t in texts), texts
    assert len(texts) == 2


# --- in the browser (test client) ---------------------------------------------------------------


def _post(client, url: str, data: bytes, field: str = "file", **fields):
    from .test_admin import token_of

    return client.post(url, data={"csrf_token": token_of(client, "/quan-tri/"), field: (io.BytesIO(data), "bo.xlsx"),
                                  **fields}, content_type="multipart/form-data")


def test_an_admin_edits_a_draft_campaigns_set_in_excel_and_sees_what_changed(demo_admin, demo_app):
    from sqlalchemy import select

    from survey_app.extensions import DB_KEY
    from survey_app.models import AuditEntry, Campaign
    from survey_app.services.campaigns import campaign_criteria

    from .conftest import CURRENT, LAST
    from .test_admin import flashes
    from .test_admin_walk import copy_last_year

    new_id = copy_last_year(demo_admin)
    data = demo_admin.get(f"/quan-tri/dot/{new_id}/bo-tieu-chi.xlsx").data
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["Câu hỏi"]["G2"] = "Câu hỏi viết lại cho năm 2025"
    broken = io.BytesIO()
    book["Xếp loại"]["C2"] = "tám mươi"
    book.save(broken)
    _post(demo_admin, f"/quan-tri/dot/{new_id}/bo-tieu-chi", broken.getvalue())
    messages = flashes(demo_admin, f"/quan-tri/dot/{new_id}/bo-tieu-chi")
    assert messages[0] == "Thay bộ tiêu chí: không dùng được tệp vì có 1 lỗi."
    assert messages[1] == ("Trang &#39;Xếp loại&#39;, dòng 2, cột &#39;Từ (điểm)&#39;: "
                           "&#39;tám mươi&#39; không phải là số")
    book["Xếp loại"]["C2"] = 80
    fixed = io.BytesIO()
    book.save(fixed)
    asked = _post(demo_admin, f"/quan-tri/dot/{new_id}/bo-tieu-chi", fixed.getvalue()).get_data(as_text=True)
    assert "1 thay đổi về cách chấm điểm" in asked, "a confirmation page first (issue 30 item 2)"
    token = re.search(r'name="tep" value="([0-9a-f]{32})"', asked).group(1)
    demo_admin.post(f"/quan-tri/dot/{new_id}/bo-tieu-chi/xac-nhan", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', asked).group(1), "tep": token, "xac_nhan": "y"})
    assert flashes(demo_admin, f"/quan-tri/dot/{new_id}/bo-tieu-chi") == ["Đã thay bộ tiêu chí."]
    with demo_app.extensions[DB_KEY].session() as s:
        cset = campaign_criteria(s.get(Campaign, new_id))
        assert cset.questions[0].text == "Câu hỏi viết lại cho năm 2025"
        assert s.scalar(select(AuditEntry).where(AuditEntry.attribute == "criteria",
                                                 AuditEntry.entity_id == str(new_id))).actor == "qt"
    page = demo_admin.get(f"/quan-tri/dot/{new_id}/bo-tieu-chi?so_sanh={LAST}").get_data(as_text=True)
    assert "1 thay đổi" in page and "đổi nội dung" in page and "Câu hỏi viết lại cho năm 2025" in page
    refused = _post(demo_admin, f"/quan-tri/dot/{CURRENT}/bo-tieu-chi", fixed.getvalue())
    assert refused.status_code == 302
    assert "đang chuẩn bị" in flashes(demo_admin, f"/quan-tri/dot/{CURRENT}/bo-tieu-chi")[0]


def test_a_campaign_starts_from_an_uploaded_workbook(demo_admin, demo_app):
    from survey_app.extensions import DB_KEY
    from survey_app.models import Campaign
    from survey_app.services.campaigns import campaign_criteria

    from .test_admin import token_of

    data = export_workbook(load_criteria_set(SETS / "quoc_gia"))
    made = demo_admin.post("/quan-tri/dot/moi", data={
        "csrf_token": token_of(demo_admin, "/quan-tri/dot/moi"), "name": "Từ tệp Excel", "year": "2026",
        "province": "Tỉnh Thử", "source": "tep:", "workbook": (io.BytesIO(data), "bo.xlsx")},
        content_type="multipart/form-data")
    assert made.status_code == 302, made.get_data(as_text=True)
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.query(Campaign).filter_by(name="Từ tệp Excel").one()
        assert [lv.code for lv in campaign_criteria(campaign).levels] == ["cap_so", "cap_huyen", "cap_xa"]
        assert {g.code for g in campaign.groups} == {"dai_bieu_hdnd", "cong_chuc", "can_bo_xa", "to_chuc",
                                                     "nguoi_dan_xa"}
    missing = demo_admin.post("/quan-tri/dot/moi", data={
        "csrf_token": token_of(demo_admin, "/quan-tri/dot/moi"), "name": "Không có tệp", "year": "2026",
        "source": "tep:"}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "Xin chọn tệp Excel bộ tiêu chí." in missing.get_data(as_text=True)
