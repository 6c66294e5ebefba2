"""Unit succession (issue 28 item 2): the table of which of last year's units became which, imported and
checked whole, edited on the units page, audited; predecessors(); the copy across a reform; migration 0011.

Last year (2025) has departments a, b, d, f, g; this year (2026) has c, e, g. The good table: a and b
merged into c, d renamed e, f abolished, g kept.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app import migrate
from survey_app.db import Database
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Campaign, SampleTarget, Unit, UnitSuccession, UserUnit
from survey_app.services import succession
from survey_app.services.campaigns import create_campaign
from survey_app.services.csv_import import CsvProblems, NewUnit
from survey_app.services.succession_copy import checked_rows, copy_across_reform
from survey_app.services.units import add_units, set_targets

from .conftest import BACKENDS
from .test_admin import flashes
from .test_auth import csrf

HEADER = "Mã đơn vị cũ,Tên đơn vị cũ,Mã đơn vị mới,Loại thay đổi\n"
GOOD = HEADER + ("a,Sở A,c,Hợp nhất\n"
                 "b,Sở B,c,hợp nhất\n"
                 "d,Sở D,e,Đổi tên\n"
                 "f,Sở F,,Giải thể\n"
                 "g,Sở G,g,Giữ nguyên\n")
LAST = {"a": "Sở A", "b": "Sở B", "d": "Sở D", "f": "Sở F", "g": "Sở G"}
THIS = {"c": "Sở C", "e": "Sở E", "g": "Sở G"}


def _units(s, campaign, names: dict[str, str]) -> None:
    add_units(s, campaign, [NewUnit(code, name, "so", None) for code, name in names.items()], actor="t")


def _two_years(s) -> tuple[Campaign, Campaign]:
    texts = read_set_texts(DEFAULT_SET_DIR)
    last = create_campaign(s, year=2025, name="Điều tra XHH 2025", criteria_texts=texts, actor="t")
    this = create_campaign(s, year=2026, name="Điều tra XHH 2026", criteria_texts=texts, actor="t")
    _units(s, last, LAST)
    _units(s, this, THIS)
    return last, this


@pytest.fixture
def years(app):
    """The app's database holding the two campaigns (ids 1 and 2) and their units."""
    with app.extensions[DB_KEY].transaction() as s:
        _two_years(s)
    return app


def _import(app, data: str):
    with app.extensions[DB_KEY].transaction() as s:
        return succession.import_succession(s, s.get(Campaign, 2), data.encode(), "qt")


def _problems(app, data: str) -> list[tuple[int, str]]:
    with pytest.raises(CsvProblems) as caught:
        _import(app, data)
    return caught.value.problems


def _stored(app) -> list[tuple]:
    with app.extensions[DB_KEY].session() as s:
        return [(e.old_code, e.old_name, e.new_code, e.kind)
                for e in s.scalars(select(UnitSuccession).order_by(UnitSuccession.id))]


def _audits(app, action: str | None = None) -> list[AuditEntry]:
    with app.extensions[DB_KEY].session() as s:
        query = select(AuditEntry).where(AuditEntry.entity == "unit_succession").order_by(AuditEntry.id)
        return list(s.scalars(query.where(AuditEntry.action == action) if action else query))


GOOD_STORED = [("a", "Sở A", "c", "merged"), ("b", "Sở B", "c", "merged"), ("d", "Sở D", "e", "renamed"),
               ("f", "Sở F", None, "abolished"), ("g", "Sở G", "g", "kept")]


# --- import and its checks ------------------------------------------------------------------------


def test_a_good_file_is_stored_with_last_years_names_and_audited(years):
    stored = _import(years, GOOD)
    assert len(stored) == 5
    assert _stored(years) == GOOD_STORED
    [entry] = _audits(years, "import")
    assert (entry.actor, entry.entity_id, entry.old_value) == ("qt", "2", None)
    assert entry.new_value == "5 dòng từ “Điều tra XHH 2025”: 1 giữ nguyên, 1 đổi tên, 2 hợp nhất, 1 giải thể"
    again = _import(years, GOOD)  # a new file replaces the table; the audit says how many rows it replaced
    assert len(again) == 5 and len(_stored(years)) == 5
    assert _audits(years, "import")[-1].old_value == "5 dòng"


def test_predecessors_by_hand():
    rows = [succession.SuccessionRow(n, old, "", new, kind) for n, (old, new, kind) in enumerate(
        [("a", "c", "merged"), ("b", "c", "merged"), ("d", "e", "renamed"), ("f", None, "abolished"),
         ("g", "g", "kept"), ("h", "h1", "split"), ("h", "h2", "split")], 2)]
    assert succession.predecessors(rows) == {
        "c": [("a", "merged"), ("b", "merged")], "e": [("d", "renamed")], "g": [("g", "kept")],
        "h1": [("h", "split")], "h2": [("h", "split")]}
    assert succession.predecessors([]) == {}


def test_predecessors_of_a_stored_table(years):
    _import(years, GOOD)
    with years.extensions[DB_KEY].session() as s:
        table = succession.entries(s, s.get(Campaign, 2))
    assert succession.predecessors(table) == {"c": [("a", "merged"), ("b", "merged")], "e": [("d", "renamed")],
                                              "g": [("g", "kept")]}


def test_an_unaccounted_old_unit(years):
    assert _problems(years, GOOD.replace("g,Sở G,g,Giữ nguyên\n", "")) == [
        (0, "Thiếu đơn vị năm trước 'g' (Sở G): mỗi đơn vị cần một dòng (giữ nguyên, đổi tên, hợp nhất, "
            "chia tách hay giải thể)")]


def test_an_unknown_new_code(years):
    assert _problems(years, GOOD.replace("d,Sở D,e,", "d,Sở D,x,")) == [
        (4, "không có đơn vị mã 'x' trong đợt này: thêm đơn vị trước, hoặc sửa mã")]


def test_a_bad_kind(years):
    assert _problems(years, GOOD.replace("g,Sở G,g,Giữ nguyên", "g,Sở G,g,Giữ nguyên trạng")) == [
        (6, "loại thay đổi 'Giữ nguyên trạng' không hợp lệ (dùng: giữ nguyên, đổi tên, hợp nhất, chia tách, "
            "giải thể)")]


def test_an_abolished_unit_with_a_new_code(years):
    assert _problems(years, GOOD.replace("f,Sở F,,Giải thể", "f,Sở F,c,Giải thể")) == [
        (5, "đơn vị giải thể không có đơn vị mới: để trống cột Mã đơn vị mới (đang ghi 'c')")]


def test_a_kind_other_than_abolished_needs_a_new_code(years):
    assert _problems(years, GOOD.replace("d,Sở D,e,Đổi tên", "d,Sở D,,Đổi tên")) == [
        (4, "đổi tên cần mã đơn vị mới")]


def _with_unit(app, code: str, name: str) -> None:
    with app.extensions[DB_KEY].transaction() as s:
        _units(s, s.get(Campaign, 2), {code: name})


def test_a_cycle_within_one_year(years):
    """d becomes g while g becomes d: both rows name the cycle."""
    _with_unit(years, "d", "Sở D")
    cycle = GOOD.replace("d,Sở D,e,Đổi tên", "d,Sở D,g,Đổi tên").replace("g,Sở G,g,Giữ nguyên", "g,Sở G,d,Đổi tên")
    assert _problems(years, cycle) == [
        (4, "vòng kế thừa d → g → d: trong một năm, một mã không thể vừa chuyển đi vừa nhận về"),
        (6, "vòng kế thừa g → d → g: trong một năm, một mã không thể vừa chuyển đi vừa nhận về")]


def test_a_chain_within_one_year(years):
    """d becomes g while last year's g becomes e: write d's row straight to where it ends."""
    chain = GOOD.replace("d,Sở D,e,Đổi tên", "d,Sở D,g,Đổi tên").replace("g,Sở G,g,Giữ nguyên", "g,Sở G,e,Đổi tên")
    assert _problems(years, chain) == [
        (4, "chuỗi kế thừa trong một năm: mã 'g' năm trước đã chuyển thành 'e'; ghi thẳng đơn vị cũ → đơn vị "
            "của năm nay")]


def test_merging_splitting_and_rows_twice(years):
    _with_unit(years, "h", "Sở H")
    lone_merge = GOOD.replace("b,Sở B,c,hợp nhất", "b,Sở B,e,hợp nhất").replace("d,Sở D,e,Đổi tên",
                                                                              "d,Sở D,h,Đổi tên")
    assert _problems(years, lone_merge) == [
        (2, "hợp nhất về 'c' cần ít nhất hai đơn vị cũ (chỉ có 'a'): một đơn vị thì ghi giữ nguyên hay đổi tên"),
        (3, "hợp nhất về 'e' cần ít nhất hai đơn vị cũ (chỉ có 'b'): một đơn vị thì ghi giữ nguyên hay đổi tên")]
    kept_into_a_merge = GOOD.replace("g,Sở G,g,Giữ nguyên", "g,Sở G,c,Giữ nguyên")
    assert _problems(years, kept_into_a_merge) == [
        (6, "'c' nhận từ nhiều đơn vị cũ (a, b, g): đó là hợp nhất, không phải giữ nguyên")]
    twice = GOOD + "g,Sở G,e,Giữ nguyên\n"
    assert (7, "đơn vị cũ 'g' đã có ở dòng 6: mỗi đơn vị năm trước một dòng, trừ chia tách (mỗi đơn vị mới "
               "một dòng)") in _problems(years, twice)
    one_part = GOOD.replace("d,Sở D,e,Đổi tên", "d,Sở D,e,Chia tách")
    assert _problems(years, one_part) == [(4, "chia tách 'd' cần ít nhất hai dòng, mỗi đơn vị mới một dòng")]
    split = GOOD.replace("d,Sở D,e,Đổi tên", "d,Sở D,e,Chia tách\nd,Sở D,h,chia tách")
    assert len(_import(years, split)) == 6
    assert ("d", "Sở D", "h", "split") in _stored(years)


def test_old_codes_and_names_are_checked_against_last_year(years):
    assert _problems(years, GOOD + "z,Sở Z,c,Hợp nhất\n") == [(7, "không có đơn vị mã 'z' trong đợt năm trước")]
    assert _problems(years, GOOD.replace("a,Sở A,", "a,Sở Ăn,")) == [
        (2, "'Sở Ăn' không phải tên năm trước của mã 'a' (Sở A)")]
    assert len(_import(years, GOOD.replace("a,Sở A,", "a, sở  a ,"))) == 5, "case and spaces do not matter"


def test_nothing_is_stored_on_any_error_and_no_audit_is_written(years):
    _import(years, GOOD)
    bad = GOOD.replace("d,Sở D,e,", "d,Sở D,x,").replace("g,Sở G,g,Giữ nguyên\n", "")
    assert len(_problems(years, bad)) == 2
    assert _stored(years) == GOOD_STORED, "the table imported before stays as it was"
    assert len(_audits(years)) == 1


def test_a_file_without_a_column_says_which(years):
    assert _problems(years, "Mã đơn vị cũ,Tên đơn vị cũ,Loại thay đổi\na,Sở A,Hợp nhất\n") == [
        (1, "thiếu cột 'mã đơn vị mới' (cần: 'mã đơn vị cũ', 'mã đơn vị mới', 'loại thay đổi')")]


def test_without_an_earlier_campaign_there_is_nothing_to_succeed(app):
    with app.extensions[DB_KEY].transaction() as s:
        only = create_campaign(s, year=2026, name="x", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t")
        with pytest.raises(CsvProblems, match="Không có đợt khảo sát nào trước năm 2026"):
            succession.import_succession(s, only, GOOD.encode(), "qt")


# --- the units page ----------------------------------------------------------------------------------


def _page(admin) -> str:
    return admin.get("/quan-tri/dot/2/don-vi").get_data(as_text=True)


def _upload(admin, data: str, name: str = "ke-thua.csv"):
    token = csrf(_page(admin))
    return admin.post("/quan-tri/dot/2/ke-thua", data={"csrf_token": token,
                                                       "file": (io.BytesIO(data.encode()), name)},
                      content_type="multipart/form-data")


def _cells(html: str) -> list[list[str]]:
    section = html.split('id="ke-thua"', 1)[1].split("</table>", 1)[0]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                                     row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)]


def test_the_units_page_shows_the_section_the_form_and_after_an_import_the_table(years, admin):
    page = _page(admin)
    assert "Kế thừa đơn vị từ năm trước" in page and "Điều tra XHH 2025" in page
    assert 'action="/quan-tri/dot/2/ke-thua"' in page and 'enctype="multipart/form-data"' in page
    assert '<label for="file-ke-thua">' in page and 'id="file-ke-thua"' in page
    assert "/quan-tri/dot/2/mau-ke-thua.xlsx" in page and "Chưa có bảng kế thừa." in page
    for header in ("STT", "Đơn vị năm trước", "Đơn vị năm nay", "Loại thay đổi"):
        assert f'<th scope="col">{header}</th>' in page
    assert _upload(admin, GOOD).status_code == 302
    assert flashes(admin, "/quan-tri/dot/2/don-vi") == [
        "Đã nhập bảng kế thừa đơn vị: 5 dòng (1 giữ nguyên, 1 đổi tên, 2 hợp nhất, 1 giải thể)."]
    assert _cells(_page(admin)) == [
        ["1", "Sở A a", "→ Sở C c", "hợp nhất", "Sửa · Xoá"], ["2", "Sở B b", "→ Sở C c", "hợp nhất", "Sửa · Xoá"],
        ["3", "Sở D d", "→ Sở E e", "đổi tên", "Sửa · Xoá"], ["4", "Sở F f", "—", "giải thể", "Sửa · Xoá"],
        ["5", "Sở G g", "→ Sở G g", "giữ nguyên", "Sửa · Xoá"]]


def test_a_bad_file_on_the_page_lists_every_row_and_stores_nothing(years, admin):
    bad = GOOD.replace("f,Sở F,,Giải thể", "f,Sở F,c,Giải thể").replace("g,Sở G,g,Giữ nguyên", "g,Sở G,g,gộp")
    _upload(admin, bad)
    assert flashes(admin, "/quan-tri/dot/2/don-vi") == [
        "Nhập bảng kế thừa đơn vị: không nhập gì vì tệp có 2 lỗi.",
        "Dòng 5: đơn vị giải thể không có đơn vị mới: để trống cột Mã đơn vị mới (đang ghi &#39;c&#39;)",
        "Dòng 6: loại thay đổi &#39;gộp&#39; không hợp lệ (dùng: giữ nguyên, đổi tên, hợp nhất, chia tách, giải thể)"]
    assert _stored(years) == []


def test_the_template_filled_in_imports(years, admin):
    """The CSV template lists last year's units, g already kept; fill in the others, import it."""
    response = admin.get("/quan-tri/dot/2/mau-ke-thua.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Mã đơn vị cũ", "Tên đơn vị cũ", "Mã đơn vị mới", "Tên đơn vị mới", "Loại thay đổi"],
                    ["a", "Sở A", "", "", ""], ["b", "Sở B", "", "", ""], ["d", "Sở D", "", "", ""],
                    ["f", "Sở F", "", "", ""], ["g", "Sở G", "g", "Sở G", "giữ nguyên"]]
    filled = {"a": ("c", "hợp nhất"), "b": ("c", "hợp nhất"), "d": ("e", "đổi tên"), "f": ("", "giải thể")}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for code, name, new, new_name, kind in rows[1:]:
        new, kind = filled.get(code, (new, kind))
        writer.writerow([code, name, new, new_name, kind])
    _upload(admin, out.getvalue())
    assert _stored(years) == GOOD_STORED
    xlsx = admin.get("/quan-tri/dot/2/mau-ke-thua.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:4] == b"PK\x03\x04"
    _upload_xlsx = admin.post("/quan-tri/dot/2/ke-thua", data={
        "csrf_token": csrf(_page(admin)), "file": (io.BytesIO(xlsx.data), "mau.xlsx")},
        content_type="multipart/form-data")
    assert _upload_xlsx.status_code == 302
    messages = flashes(admin, "/quan-tri/dot/2/don-vi")
    assert messages[0] == "Nhập bảng kế thừa đơn vị: không nhập gì vì tệp có 4 lỗi.", messages
    assert _stored(years) == GOOD_STORED, "the unfilled template (four kinds empty) changed nothing"


def _entry_id(app, old_code: str) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(UnitSuccession.id).where(UnitSuccession.old_code == old_code))


def test_edit_a_row_by_clicking_and_an_edit_that_breaks_the_table_is_refused(years, admin):
    _upload(admin, GOOD)
    page = _page(admin)
    edit_url = f"/quan-tri/dot/2/ke-thua/{_entry_id(years, 'g')}"
    assert f'href="{edit_url}"' in page
    form = admin.get(edit_url).get_data(as_text=True)
    assert '<label for="kind">Loại thay đổi</label>' in form and '<label for="new_code">Đơn vị mới</label>' in form
    assert '<option value="g" selected>Sở G (g)</option>' in form
    refused = admin.post(edit_url, data={"csrf_token": csrf(form), "new_code": "c", "kind": "kept"})
    assert refused.status_code == 400
    assert "Dòng 5: &#39;c&#39; nhận từ nhiều đơn vị cũ (a, b, g): đó là hợp nhất, không phải giữ nguyên" in \
        refused.get_data(as_text=True)
    assert _stored(years) == GOOD_STORED
    # d was renamed e; say instead it was abolished (e is then a new unit with no predecessor: allowed)
    d_url = f"/quan-tri/dot/2/ke-thua/{_entry_id(years, 'd')}"
    done = admin.post(d_url, data={"csrf_token": csrf(admin.get(d_url).get_data(as_text=True)), "new_code": "",
                                   "kind": "abolished"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/quan-tri/dot/2/don-vi#ke-thua")
    assert _stored(years)[2] == ("d", "Sở D", None, "abolished")
    [entry] = _audits(years, "update")
    assert (entry.attribute, entry.old_value, entry.new_value) == ("d", "e (đổi tên)", "— (giải thể)")


def test_delete_a_row_after_confirming_and_the_page_says_what_is_missing(years, admin):
    _upload(admin, GOOD)
    url = f"/quan-tri/dot/2/ke-thua/{_entry_id(years, 'f')}/xoa"
    assert f'href="{url}"' in _page(admin)
    confirm = admin.get(url).get_data(as_text=True)
    assert "Xoá dòng kế thừa?" in confirm and "Sở F" in confirm
    assert len(_stored(years)) == 5, "asking deletes nothing"
    assert admin.post(url, data={}).status_code == 400 and len(_stored(years)) == 5, "no CSRF token, no deletion"
    admin.post(url, data={"csrf_token": csrf(confirm)})
    assert [row[0] for row in _stored(years)] == ["a", "b", "d", "g"]
    assert "Thiếu đơn vị năm trước &#39;f&#39; (Sở F)" in _page(admin)
    [entry] = _audits(years, "delete")
    assert (entry.attribute, entry.old_value) == ("f", "f Sở F → — (giải thể)")


def test_only_an_admin_changes_the_table(years, app):
    from survey_app.services.users import create_user

    _import(years, GOOD)

    from .test_auth import PASSWORD, login

    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="t")
    analyst = app.test_client()
    login(analyst, "pt")
    page = analyst.get("/quan-tri/dot/2/don-vi").get_data(as_text=True)
    assert "Kế thừa đơn vị từ năm trước" in page and 'action="/quan-tri/dot/2/ke-thua"' not in page
    token = csrf(page)
    entry = _entry_id(years, "f")
    for url in ("/quan-tri/dot/2/ke-thua", f"/quan-tri/dot/2/ke-thua/{entry}", f"/quan-tri/dot/2/ke-thua/{entry}/xoa"):
        assert analyst.post(url, data={"csrf_token": token, "new_code": "", "kind": "abolished"}).status_code == 403
    assert _stored(years) == GOOD_STORED


# --- copy from last year across a reform -----------------------------------------------------------------

COPY = ("Mã đơn vị cũ,Tên đơn vị cũ,Mã đơn vị mới,Tên đơn vị mới,Loại thay đổi\n"
        "a,Sở A,c,Sở C,Hợp nhất\n"
        "b,Sở B,c,Sở C,Hợp nhất\n"
        "d,Sở D,e,Sở E,Đổi tên\n"
        "f,Sở F,,,Giải thể\n"
        "g,Sở G,g,,Giữ nguyên\n")
SUMMARY = ["Giữ nguyên 1 đơn vị.", "Đổi tên 1 đơn vị: Sở D → Sở E.",
           "Đề xuất 1 đơn vị mới: Sở C (hợp nhất từ Sở A, Sở B). Kế hoạch mẫu của các đơn vị này để trống: nhập ở "
           "bước Kế hoạch mẫu.",
           "Bỏ 1 đơn vị giải thể: Sở F."]


def _last_year_with_plan_and_staff(s) -> Campaign:
    """Last year's campaign alone, a target of 10 for each unit and group that rates departments, a keyer
    for a and another for b."""
    from survey_app.services.users import create_user

    from .test_auth import PASSWORD

    last = create_campaign(s, year=2025, name="Điều tra XHH 2025", criteria_texts=read_set_texts(DEFAULT_SET_DIR),
                           actor="t")
    _units(s, last, LAST)
    raters = [g for g in last.groups if g.code in ("cc_so", "hdnd_tinh", "doanh_nghiep")]
    set_targets(s, last, [(u, g, 10) for u in last.units for g in raters], actor="t")
    create_user(s, "nl1", PASSWORD, "staff", unit_codes=("a",), campaign_id=last.id, actor="t")
    create_user(s, "nl2", PASSWORD, "staff", unit_codes=("b", "g"), campaign_id=last.id, actor="t")
    return last


def test_copy_across_a_reform_carries_survivors_proposes_successors_and_drops_the_abolished(app):
    with app.extensions[DB_KEY].transaction() as s:
        last = _last_year_with_plan_and_staff(s)
        rows = checked_rows(COPY.encode(), last)
        campaign, done = copy_across_reform(s, last, rows, year=2026, name="Điều tra XHH 2026", province="",
                                            actor="qt")
        new_id = campaign.id
    assert done.sentences() == SUMMARY
    with app.extensions[DB_KEY].session() as s:
        units = {u.code: u for u in s.scalars(select(Unit).where(Unit.campaign_id == new_id))}
        assert {code: u.name for code, u in units.items()} == {"c": "Sở C", "e": "Sở E", "g": "Sở G"}
        plan = dict(s.execute(select(Unit.code, func.count()).join(SampleTarget, SampleTarget.unit_id == Unit.id)
                              .where(Unit.campaign_id == new_id).group_by(Unit.code)).all())
        assert plan == {"e": 3, "g": 3}, "survivors keep their 3 cells; the proposed unit c starts with none"
        staff = s.execute(select(UserUnit.unit_id, func.count()).where(UserUnit.unit_id.in_(
            [u.id for u in units.values()])).group_by(UserUnit.unit_id)).all()
        assert dict(staff) == {units["c"].id: 2, units["g"].id: 1}, "a's and b's keyers key for c; nl2 for g too"
        assert [(e.old_code, e.new_code, e.kind) for e in s.scalars(
            select(UnitSuccession).where(UnitSuccession.campaign_id == new_id).order_by(UnitSuccession.id))] == [
            ("a", "c", "merged"), ("b", "c", "merged"), ("d", "e", "renamed"), ("f", None, "abolished"),
            ("g", "g", "kept")]
        assert s.scalar(select(func.count()).select_from(Unit).where(Unit.campaign_id == last.id)) == 5, \
            "last year is untouched"
        summary = s.scalar(select(AuditEntry.new_value).where(AuditEntry.entity == "campaign",
                                                              AuditEntry.attribute == "units"))
        assert summary == "kế thừa đơn vị: " + " ".join(SUMMARY)


def test_a_copy_file_needs_the_new_names(app):
    with app.extensions[DB_KEY].transaction() as s:
        last = _last_year_with_plan_and_staff(s)
        with pytest.raises(CsvProblems) as caught:
            checked_rows(COPY.replace("d,Sở D,e,Sở E,", "d,Sở D,e,,").replace("b,Sở B,c,Sở C,", "b,Sở B,c,Sở Cê,")
                         .encode(), last)
    assert caught.value.problems == [(3, "đơn vị mới 'c' đã có tên khác ở dòng 2"),
                                     (4, "đổi tên: cần tên đơn vị mới ở cột Tên đơn vị mới")]


def test_the_new_campaign_page_copies_across_a_reform_and_shows_what_it_did(app, admin):
    with app.extensions[DB_KEY].transaction() as s:
        _last_year_with_plan_and_staff(s)
    page = admin.get("/quan-tri/dot/moi").get_data(as_text=True)
    assert '<label for="succession">' in page and 'id="succession"' in page
    data = {"csrf_token": csrf(page), "name": "Điều tra XHH 2026", "year": "2026", "source": "bo:default",
            "succession": (io.BytesIO(COPY.encode()), "ke-thua.csv")}
    not_a_copy = admin.post("/quan-tri/dot/moi", data=data, content_type="multipart/form-data")
    assert not_a_copy.status_code == 400 and "Bảng kế thừa đơn vị chỉ dùng khi sao chép một đợt trước" in \
        not_a_copy.get_data(as_text=True)
    data = {"csrf_token": csrf(page), "name": "Điều tra XHH 2026", "year": "2026", "source": "dot:1",
            "succession": (io.BytesIO(COPY.replace("g,Sở G,g", "g,Sở Gờ,g").encode()), "ke-thua.csv")}
    refused = admin.post("/quan-tri/dot/moi", data=data, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "Bảng kế thừa đơn vị — Dòng 6: &#39;Sở Gờ&#39; không phải tên năm trước của mã &#39;g&#39; (Sở G)" in \
        refused.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1, "nothing made"
    data["succession"] = (io.BytesIO(COPY.encode()), "ke-thua.csv")
    made = admin.post("/quan-tri/dot/moi", data=data, content_type="multipart/form-data")
    assert made.status_code == 302
    shown = flashes(admin, made.headers["Location"])
    assert shown == ["Giữ nguyên 1 đơn vị.", "Đổi tên 1 đơn vị: Sở D → Sở E.", SUMMARY[2],
                     "Bỏ 1 đơn vị giải thể: Sở F.", "Đã tạo đợt khảo sát. Làm tiếp các bước dưới đây, theo thứ tự."]
    cells = _cells(admin.get("/quan-tri/dot/2/don-vi").get_data(as_text=True))
    assert [row[1:4] for row in cells] == [["Sở A a", "→ Sở C c", "hợp nhất"], ["Sở B b", "→ Sở C c", "hợp nhất"],
                                           ["Sở D d", "→ Sở E e", "đổi tên"], ["Sở F f", "—", "giải thể"],
                                           ["Sở G g", "→ Sở G g", "giữ nguyên"]]
    template = admin.get("/quan-tri/dot/1/mau-ke-thua.csv?sao_chep=1").get_data(as_text=True).lstrip("\ufeff")
    assert template.splitlines()[1:3] == ["a,Sở A,a,Sở A,giữ nguyên", "b,Sở B,b,Sở B,giữ nguyên"]


# --- the first two-tier year: a copy across the reform onto the two-tier set ------------------------------

THREE_LEVELS = [NewUnit("a", "Sở A", "so", None), NewUnit("h", "Huyện H", "huyen", None),
                NewUnit("x1", "Xã X1", "xa", "h"), NewUnit("x2", "Xã X2", "xa", "h")]
ONTO_TWO_TIERS = ("Mã đơn vị cũ,Tên đơn vị cũ,Mã đơn vị mới,Tên đơn vị mới,Loại thay đổi\n"
                  "a,Sở A,a,,Giữ nguyên\n"
                  "h,Huyện H,,,Giải thể\n"
                  "x1,Xã X1,xm,Xã M,Hợp nhất\n"
                  "x2,Xã X2,xm,Xã M,Hợp nhất\n")


def _three_levels(s) -> Campaign:
    last = create_campaign(s, year=2024, name="Điều tra XHH 2024", criteria_texts=read_set_texts(DEFAULT_SET_DIR),
                           actor="t")
    add_units(s, last, THREE_LEVELS, actor="t")
    return last


def test_a_copy_across_the_reform_moves_onto_the_two_tier_set(app):
    from questionnaires import load_criteria_set_from_texts
    from survey_app.services.campaigns import NEW_CAMPAIGN_SET_DIR, campaign_criteria

    texts = read_set_texts(NEW_CAMPAIGN_SET_DIR)
    with app.extensions[DB_KEY].transaction() as s:
        last = _three_levels(s)
        campaign, done = copy_across_reform(s, last, checked_rows(ONTO_TWO_TIERS.encode(), last), year=2026,
                                            name="Điều tra XHH 2026", province="", actor="qt",
                                            criteria=(texts, load_criteria_set_from_texts(texts)))
        new_id, set_name = campaign.id, campaign_criteria(campaign).name
    assert set_name.endswith("(chính quyền địa phương hai cấp)")
    assert done.no_parent == [], "a commune has no parent level in the two-tier set: nothing is missing"
    assert done.sentences()[-1] == (f"Đợt mới dùng bộ tiêu chí “{set_name}” (bỏ đối tượng Đại biểu HĐND huyện; "
                                    "bỏ đối tượng Lãnh đạo phòng chuyên môn cấp huyện; bỏ đối tượng Lãnh đạo cấp "
                                    "xã; thêm đối tượng Cán bộ, công chức cấp xã).")
    with app.extensions[DB_KEY].session() as s:
        units = {u.code: (u.name, u.level, u.parent_id) for u in s.scalars(select(Unit).where(
            Unit.campaign_id == new_id))}
        assert units == {"a": ("Sở A", "so", None), "xm": ("Xã M", "xa", None)}
        groups = s.get(Campaign, new_id).groups
        assert {g.code for g in groups} == {"hdnd_tinh", "cc_so", "cb_xa", "nguoi_dan", "doanh_nghiep"}


def test_the_new_campaign_page_copies_onto_the_two_tier_set_and_refuses_a_kept_district(app, admin):
    with app.extensions[DB_KEY].transaction() as s:
        _three_levels(s)
    page = admin.get("/quan-tri/dot/moi").get_data(as_text=True)
    assert '<label for="new_set">' in page and '<option value="hai_cap">' in page
    base = {"csrf_token": csrf(page), "name": "Điều tra XHH 2026", "year": "2026", "source": "dot:1",
            "new_set": "hai_cap"}
    alone = admin.post("/quan-tri/dot/moi", data=base, content_type="multipart/form-data")
    assert alone.status_code == 400 and "Đổi bộ tiêu chí khi sao chép chỉ dùng cùng bảng kế thừa đơn vị" in \
        alone.get_data(as_text=True)
    kept = ONTO_TWO_TIERS.replace("h,Huyện H,,,Giải thể", "h,Huyện H,h,,Giữ nguyên")
    refused = admin.post("/quan-tri/dot/moi", data={**base, "succession": (io.BytesIO(kept.encode()), "k.csv")},
                         content_type="multipart/form-data")
    assert refused.status_code == 400 and "Bộ tiêu chí mới không có cấp huyen" in refused.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1, "nothing made, nothing half made"
    made = admin.post("/quan-tri/dot/moi", data={**base, "succession": (io.BytesIO(ONTO_TWO_TIERS.encode()),
                                                                          "k.csv")},
                      content_type="multipart/form-data")
    assert made.status_code == 302
    shown = flashes(admin, made.headers["Location"])
    assert shown[0] == "Giữ nguyên 1 đơn vị." and shown[-2].startswith("Đợt mới dùng bộ tiêu chí “Bộ tiêu chí XHH")
    assert "Bỏ 1 đơn vị giải thể: Huyện H." in shown
    units = admin.get("/quan-tri/dot/2/don-vi").get_data(as_text=True)
    assert "Xã M" in units and "Huyện H</td>" not in units


# --- migration 0011 ------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    yield db
    db.dispose()


def test_migration_0011_creates_the_table_with_its_checks_and_goes_back(database):
    migrate.upgrade(database, "0010")
    assert "unit_successions" not in inspect(database.engine).get_table_names()
    migrate.upgrade(database, "0011")
    assert migrate.current_revision(database) == "0011"
    with database.transaction() as s:
        s.execute(text("INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, "
                       "criteria_files, created_at) VALUES (1, 2026, 'c', 'draft', 'x', 'd', '{}', '2026-01-01')"))
        s.execute(text("INSERT INTO unit_successions (campaign_id, old_code, old_name, new_code, kind) "
                       "VALUES (1, 'a', 'Sở A', 'c', 'merged'), (1, 'f', 'Sở F', NULL, 'abolished')"))
    for values in ("(1, 'g', 'Sở G', 'g', 'gop')",  # not a kind
                   "(1, 'f2', 'Sở F', 'c', 'abolished')",  # abolished with a new code
                   "(1, 'd', 'Sở D', NULL, 'renamed')",  # renamed to nothing
                   "(1, 'a', 'Sở A', 'c', 'merged')"):  # the same row twice
        with pytest.raises(IntegrityError):
            with database.transaction() as s:
                s.execute(text("INSERT INTO unit_successions (campaign_id, old_code, old_name, new_code, kind) "
                               f"VALUES {values}"))
    with database.session() as s:
        assert s.execute(text("SELECT count(*) FROM unit_successions")).scalar() == 2
    assert [loss.table for loss in migrate.data_lost_by_downgrade(database, "0010")] == ["unit_successions"]
    with database.transaction() as s:
        s.execute(text("DELETE FROM unit_successions"))
    migrate.downgrade(database, "0010")
    assert "unit_successions" not in inspect(database.engine).get_table_names()
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision() == "0016"
