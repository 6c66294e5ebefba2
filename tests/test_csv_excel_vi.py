"""CSV downloads as Excel set to Vietnamese reads them (issue 27 item 5): ``;`` between cells, a decimal
comma, numbers at the precision the pages show; the machine form (``?dang=may``) as before."""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd

from questionnaires.model import round_points
from survey_app.outputs.exports import CSV_FORM_WORD, EXCEL_VI, MACHINE, Column, csv_chunks, csv_form
from survey_app.outputs.report_tables import shown

from .conftest import LAST
from .test_reports import client_for, scores, users  # noqa: F401 - the fixture is used by name

COLUMNS = [
    Column("unit", "Đơn vị"),
    Column("points", "Điểm", "number"),
    Column("share", "Tỷ lệ (%)", "percent"),
    Column("ballots", "Số phiếu", "integer"),
]
ROWS = [
    ("Sở Lao động; Thương binh", 12.6084825, 2.35, 120),
    ('=HYPERLINK("http://x")', 79.9995, 2.25, -3),
    ("Huyện Ba Bể", 69.9995, 0.05, 0),
    ("-2", -1.2345, 100.0, 2**63 - 1),
    ("Xã Trống", float("nan"), None, None),
]


def read(chunks, delimiter: str) -> list[list[str]]:
    text = "".join(chunks)
    assert text.startswith("\ufeff")  # UTF-8 with a byte order mark, in both forms
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))


def test_the_default_form_is_what_vietnamese_excel_reads_as_the_published_figures():
    rows = read(csv_chunks(COLUMNS, ROWS, form=EXCEL_VI), ";")
    assert rows == [
        ["Đơn vị", "Điểm", "Tỷ lệ (%)", "Số phiếu"],
        # 12.6084825 → 12,608 (the 4th decimal is 4); 2.35 → 2,4.
        ["Sở Lao động; Thương binh", "12,608", "2,4", "120"],
        # Half up on the decimal value: round() gives 79.999 and 2.2 (2.25 is exact, banker's rounding goes to even).
        ["'=HYPERLINK(\"http://x\")", "80,000", "2,3", "-3"],
        ["Huyện Ba Bể", "70,000", "0,1", "0"],
        # A negative number stays a number (no apostrophe); text "-2" is escaped; a big integer is exact.
        ["'-2", "-1,235", "100,0", str(2**63 - 1)],
        ["Xã Trống", "", "", ""],
    ]
    assert round(79.9995, 3) == 79.999 and round(2.25, 1) == 2.2  # what the hand-worked half up guards against


def test_the_default_form_quotes_only_the_cell_holding_the_separator():
    text = "".join(csv_chunks(COLUMNS, ROWS[:1], form=EXCEL_VI))
    assert text == "\ufeffĐơn vị;Điểm;Tỷ lệ (%);Số phiếu\r\n\"Sở Lao động; Thương binh\";12,608;2,4;120\r\n"


def test_a_column_given_with_other_decimals_keeps_them():
    # Last year's index as published with 2 decimals: 80.125 → 80,13 (half up), 79.9 → 79,90; the 3-decimal rule
    # stays for the other number columns, and the machine form ignores the published decimals.
    columns = [Column("index", "Chỉ số", "number"), Column("previous_index", "Năm 2022", "number")]
    rows = [(80.125, 80.125), (79.9, 79.9)]
    assert read(csv_chunks(columns, rows, form=EXCEL_VI, places={"previous_index": 2}), ";")[1:] == [
        ["80,125", "80,13"], ["79,900", "79,90"]]
    assert read(csv_chunks(columns, rows, places={"previous_index": 2}), ",")[1:] == [
        ["80.125", "80.125"], ["79.9", "79.9"]]


def test_the_machine_form_is_todays_comma_separated_full_precision():
    rows = read(csv_chunks(COLUMNS, ROWS, form=MACHINE), ",")
    assert rows[0] == ["Đơn vị", "Điểm", "Tỷ lệ (%)", "Số phiếu"]
    assert rows[1] == ["Sở Lao động; Thương binh", "12.608482", "2.35", "120"]
    assert rows[2] == ["'=HYPERLINK(\"http://x\")", "79.9995", "2.25", "-3"]
    assert rows[4] == ["'-2", "-1.2345", "100.0", str(2**63 - 1)]
    assert "".join(csv_chunks(COLUMNS, ROWS)) == "".join(csv_chunks(COLUMNS, ROWS, form=MACHINE))  # the default


def test_text_only_tables_take_the_separator_and_keep_ids_as_written():
    # The raw ballots' fast path (all text, tuples of strings): ids with leading zeros stay text.
    columns = [Column("ballot_id", "Mã phiếu"), Column("unit", "Tên đơn vị"), Column("option", "Phương án")]
    rows = [("007", "Sở Y tế; Sở Tư pháp", "tot"), ("0012", "Huyện Ba Bể", "@x")] * 3
    read_back = read(csv_chunks(columns, rows, block_rows=2, form=EXCEL_VI), ";")
    assert read_back[1:3] == [["007", "Sở Y tế; Sở Tư pháp", "tot"], ["0012", "Huyện Ba Bể", "'@x"]]
    assert len(read_back) == 7


def test_the_query_word_names_the_form():
    assert CSV_FORM_WORD == "dang"
    assert csv_form(None) is EXCEL_VI and csv_form("may") is MACHINE and csv_form("excel") is EXCEL_VI
    assert csv_form("MAY") is None and csv_form("") is None


# --- the downloads, on the demo ---------------------------------------------------------

def xlsx_frame(data: bytes) -> pd.DataFrame:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    header_row = next(r for r in range(1, 4) if sheet.cell(r, 1).value == "STT")
    return pd.read_excel(io.BytesIO(data), skiprows=header_row - 1, dtype={"Mã đơn vị": str})


def test_the_final_tables_csv_reads_in_excel_vi_as_the_xlsx_rounded(demo_app, users):  # noqa: F811
    client = client_for(demo_app, "pt")
    response = client.get(f"/bao-cao/{LAST}/xuat/ket-qua.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    from_csv = pd.read_csv(io.BytesIO(response.data), sep=";", decimal=",", encoding="utf-8-sig",
                           dtype={"Mã đơn vị": str})
    from_xlsx = xlsx_frame(client.get(f"/bao-cao/{LAST}/xuat/ket-qua.xlsx").data)
    assert list(from_csv.columns) == list(from_xlsx.columns) and len(from_csv) == len(from_xlsx) > 20
    kinds = {c.header: c.kind for c in scores_table(demo_app).columns}
    numeric = [h for h in from_csv.columns if kinds[h] != "text"]
    assert "Chỉ số CCHC" in numeric and kinds["Chỉ số CCHC"] == "number"
    for header in from_csv.columns:
        kind, got, expected = kinds[header], from_csv[header], from_xlsx[header]
        if kind in ("number", "percent"):
            places = 3 if kind == "number" else 1
            expected = expected.map(lambda v, p=places: v if pd.isna(v) else round_points(v, p))
        pd.testing.assert_series_equal(got, expected, check_dtype=False, check_exact=True, obj=header)
    # A figure as the page shows it is the CSV cell as written.
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    cells = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    final = scores(demo_app).final.table.set_index("unit")
    so_gtvt = next(r for r in cells if r["Mã đơn vị"] == "so_gtvt")
    assert so_gtvt["Chỉ số CCHC"] == shown(final.loc["so_gtvt", "index"], "number")
    assert re.fullmatch(r"\d+,\d{3}", so_gtvt["Chỉ số CCHC"])
    page = client.get(f"/bao-cao/{LAST}/ket-qua").get_data(as_text=True)
    assert so_gtvt["Chỉ số CCHC"] in page
    # Last year's index at the decimals it was published with, as the page shows it (94,28, not 94,280).
    table = scores_table(demo_app)
    previous = next(c for c in table.columns if c.key == "previous_index")
    so_tp = next(r for r in cells if r["Mã đơn vị"] == "so_tp")
    places = table.places["previous_index"]
    assert so_tp[previous.header] == shown(final.loc["so_tp", "previous_index"], "number", places)
    assert so_tp[previous.header] == "94,28" and "94,28" in page


def scores_table(app):
    from survey_app.outputs.report_tables import final_report_table

    return final_report_table(scores(app))


def test_the_machine_option_gives_full_precision_with_a_decimal_point(demo_app, users):  # noqa: F811
    client = client_for(demo_app, "pt")
    response = client.get(f"/bao-cao/{LAST}/xuat/ket-qua.csv?dang=may")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    text = response.get_data(as_text=True)
    assert text.removeprefix("\ufeff").startswith("STT,")
    from_csv = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", dtype={"Mã đơn vị": str})
    final = scores(demo_app).final.table.set_index("unit")
    index = from_csv.set_index("Mã đơn vị").loc["so_gtvt", "Chỉ số CCHC"]
    assert index == round(final.loc["so_gtvt", "index"], 6)
    assert index != round_points(index, 3)  # more than the 3 published decimals: the full figure
    assert client.get(f"/bao-cao/{LAST}/xuat/ket-qua.csv?dang=khac").status_code == 404
    # JSON and XLSX do not change with the form (an XLSX is compared by its cells: the file holds a timestamp).
    assert client.get(f"/bao-cao/{LAST}/xuat/ket-qua.json?dang=may").data == \
        client.get(f"/bao-cao/{LAST}/xuat/ket-qua.json").data
    pd.testing.assert_frame_equal(xlsx_frame(client.get(f"/bao-cao/{LAST}/xuat/ket-qua.xlsx?dang=may").data),
                                  xlsx_frame(client.get(f"/bao-cao/{LAST}/xuat/ket-qua.xlsx").data))


def test_raw_ballots_take_the_same_separator_and_keep_ids_as_text(demo_app, users):  # noqa: F811
    client = client_for(demo_app, "pt")
    for slug in ("phieu-dai", "phieu-rong"):
        default = client.get(f"/bao-cao/{LAST}/xuat/{slug}.csv").get_data(as_text=True).removeprefix("\ufeff")
        machine = client.get(f"/bao-cao/{LAST}/xuat/{slug}.csv?dang=may").get_data(as_text=True)
        machine = machine.removeprefix("\ufeff")
        assert default.startswith("Mã phiếu;Đối tượng;Kênh;Trạng thái;Cấp;Mã đơn vị;Tên đơn vị;"), slug
        assert machine.startswith("Mã phiếu,Đối tượng,Kênh,Trạng thái,Cấp,Mã đơn vị,Tên đơn vị,"), slug
        by_semicolon = list(csv.reader(io.StringIO(default, newline=""), delimiter=";"))
        by_comma = list(csv.reader(io.StringIO(machine, newline=""), delimiter=","))
        assert by_semicolon == by_comma and len(by_semicolon) > 1000, slug  # the same cells, text as written


def test_the_pages_offer_both_forms_by_name(demo_app, users):  # noqa: F811
    client = client_for(demo_app, "pt")
    excel = "CSV (Excel tiếng Việt: dấu phẩy thập phân, dấu ; phân cách)"
    machine = "CSV (máy đọc: dấu chấm thập phân)"
    page = client.get(f"/bao-cao/{LAST}/ket-qua").get_data(as_text=True)
    assert f'<a href="/bao-cao/{LAST}/xuat/ket-qua.csv" download>{excel}</a>' in page
    assert f'<a href="/bao-cao/{LAST}/xuat/ket-qua.csv?dang=may" download>{machine}</a>' in page
    overview = client.get(f"/bao-cao/{LAST}/").get_data(as_text=True)
    slugs = ("diem-dieu-tra", "nhan-xet", "phuong-an", "ket-qua", "do-tin-cay", "phieu-dai", "phieu-rong")
    for slug in slugs:
        assert f'<a href="/bao-cao/{LAST}/xuat/{slug}.csv" download>{excel}</a>' in overview, slug
        assert f'<a href="/bao-cao/{LAST}/xuat/{slug}.csv?dang=may" download>{machine}</a>' in overview, slug
    assert overview.count(">CSV (") == 2 * len(slugs)
    assert "dấu chấm phẩy" in overview and "đủ 6 chữ số thập phân" in overview
