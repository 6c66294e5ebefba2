"""Table writers (CSV, JSON, XLSX) and the raw ballots read from the demo province."""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date
from itertools import islice

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign
from survey_app.outputs import exports
from survey_app.outputs.exports import Column, Sheet, csv_chunks, json_chunks, safe_text, write_xlsx, xlsx_file
from survey_app.outputs.raw_ballots import LONG_COLUMNS, long_rows, wide_columns, wide_rows, withheld_unit_ids
from survey_app.services.campaigns import campaign_criteria

from .conftest import LAST

DANGEROUS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]

COLUMNS = [
    Column("unit", "Tên đơn vị"),
    Column("points", "Điểm", "number"),
    Column("ballots", "Số phiếu", "integer"),
    Column("share", "Tỷ lệ tốt (%)", "percent"),
]
ROWS = [
    {"unit": "Sở Tư pháp", "points": 7.123456789, "ballots": 120, "share": 81.25},
    ("Huyện Bạch Thông", -2.5, 0, 0.0),
    {"unit": "Xã Đồng Hỷ", "points": float("nan"), "ballots": None, "share": None},
]


def read_csv_text(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(chunks).removeprefix("\ufeff"), newline="")))


# --- safe_text --------------------------------------------------------------------------

@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_text_escapes_each_dangerous_prefix(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("value", ["Sở Y tế", "", "a=b", "1-2", "'=quoted", 3, -2, -0.5, 0.0, None])
def test_safe_text_leaves_safe_values(value):
    assert safe_text(value) is value


def test_column_kind_is_checked():
    with pytest.raises(ValueError, match="money"):
        Column("x", "X", "money")


# --- CSV --------------------------------------------------------------------------------

def test_csv_escapes_formulas_but_not_numbers():
    columns = [Column(f"c{i}", f"Cột {i}") for i in range(len(DANGEROUS))] + [Column("n", "Số", "number")]
    rows = read_csv_text(csv_chunks(columns, [DANGEROUS + [-2.0]]))
    assert rows[1][:-1] == ["'" + text for text in DANGEROUS]
    assert rows[1][-1] == "-2.0"


@pytest.mark.parametrize("shape", [tuple, list, dict])
def test_csv_escapes_a_formula_among_many_safe_text_rows(shape):
    columns = [Column("a", "A"), Column("b", "B")]
    rows = [("Sở Y tế", f"x{i}") for i in range(2500)]
    rows[1700] = ("Sở Y tế", "-2")
    rows[2400] = ("@cmd", None)
    made = [dict(zip("ab", r)) if shape is dict else shape(r) for r in rows]
    read = read_csv_text(csv_chunks(columns, made))
    assert read[1 + 1700] == ["Sở Y tế", "'-2"] and read[1 + 2400] == ["'@cmd", ""]
    assert read[1:1700] == [["Sở Y tế", f"x{i}"] for i in range(1699)]
    assert len(read) == 2501


def test_csv_starts_with_bom_and_reads_back_in_pandas():
    chunks = list(csv_chunks(COLUMNS, ROWS))
    assert chunks[0].startswith("\ufeffTên đơn vị,Điểm,Số phiếu,Tỷ lệ tốt (%)\r\n")
    frame = pd.read_csv(io.BytesIO("".join(chunks).encode("utf-8")), encoding="utf-8-sig")
    assert list(frame.columns) == ["Tên đơn vị", "Điểm", "Số phiếu", "Tỷ lệ tốt (%)"]
    assert list(frame["Tên đơn vị"]) == ["Sở Tư pháp", "Huyện Bạch Thông", "Xã Đồng Hỷ"]
    assert frame["Điểm"].iloc[0] == pytest.approx(7.123457, abs=1e-9)  # 6 decimals
    assert frame["Điểm"].iloc[1] == -2.5
    assert frame["Điểm"].isna().iloc[2] and frame["Số phiếu"].isna().iloc[2]
    assert frame["Số phiếu"].iloc[0] == 120 and frame["Tỷ lệ tốt (%)"].iloc[0] == 81.25


def test_csv_comes_in_blocks_with_the_header_once():
    rows = [("Đơn vị", i, i, i) for i in range(5)]
    chunks = list(csv_chunks(COLUMNS, rows, block_rows=2))
    assert len(chunks) == 3
    assert chunks[0].startswith("\ufeff") and not any(c.startswith("\ufeff") for c in chunks[1:])
    assert len(read_csv_text(chunks)) == 6


def test_csv_of_no_rows_is_the_header():
    assert "".join(csv_chunks(COLUMNS, [])) == "\ufeffTên đơn vị,Điểm,Số phiếu,Tỷ lệ tốt (%)\r\n"


def test_large_integers_stay_exact_and_dates_are_iso():
    columns = [Column("id", "Mã", "integer"), Column("day", "Ngày")]
    rows = [(2**63 - 1, date(2025, 3, 4)), (np.int64(2**62 + 1), None)]
    assert read_csv_text(csv_chunks(columns, rows))[1:] == [[str(2**63 - 1), "2025-03-04"], [str(2**62 + 1), ""]]
    assert json.loads("".join(json_chunks(columns, rows))) == [{"id": 2**63 - 1, "day": "2025-03-04"},
                                                               {"id": 2**62 + 1, "day": None}]


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="3 values for 4 columns"):
        list(csv_chunks(COLUMNS, [("a", 1, 2)]))


# --- JSON -------------------------------------------------------------------------------

def test_json_is_valid_with_null_for_nan_and_text_as_it_is():
    rows = ROWS + [{"unit": "=cmd", "points": float("inf"), "ballots": 3.0, "share": -1}]
    data = json.loads("".join(json_chunks(COLUMNS, rows, block_rows=2)))
    assert data[0] == {"unit": "Sở Tư pháp", "points": 7.123457, "ballots": 120, "share": 81.25}
    assert data[1] == {"unit": "Huyện Bạch Thông", "points": -2.5, "ballots": 0, "share": 0.0}
    assert data[2] == {"unit": "Xã Đồng Hỷ", "points": None, "ballots": None, "share": None}
    assert data[3] == {"unit": "=cmd", "points": None, "ballots": 3, "share": -1.0}


def test_json_chunks_are_non_ascii_and_empty_is_an_array():
    assert "Sở Tư pháp" in "".join(json_chunks(COLUMNS, ROWS))
    assert json.loads("".join(json_chunks(COLUMNS, []))) == []
    assert len(json.loads("".join(json_chunks(COLUMNS, [("x", 1, 1, 1)] * 4, block_rows=2)))) == 4


# --- XLSX -------------------------------------------------------------------------------

def test_xlsx_header_formats_widths_and_no_formula(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = ROWS + [("=HYPERLINK(\"http://x\")", 1, 2, 3)]
    write_xlsx(path, [Sheet("Chỉ số", COLUMNS, rows)])
    book = openpyxl.load_workbook(path)
    ws = book["Chỉ số"]
    assert book.properties.creator == "parsurvey"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["Tên đơn vị", "Điểm", "Số phiếu", "Tỷ lệ tốt (%)"]
    assert all(c.font.bold for c in ws[1]) and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert (ws["B2"].number_format, ws["C2"].number_format, ws["D2"].number_format) == ("0.000", "0", "0.0")
    assert ws["B2"].value == pytest.approx(7.123457) and ws["B3"].value == -2.5
    assert ws["B4"].value is None
    assert ws.column_dimensions["A"].width == len("'=HYPERLINK(\"http://x\")") + 2  # the longest cell
    assert ws.column_dimensions["B"].width >= len("Điểm") + 2
    formula = ws["A5"]
    assert formula.value == "'=HYPERLINK(\"http://x\")" and formula.data_type == "s"


def test_xlsx_widths_are_capped_or_given():
    target = io.BytesIO()
    columns = [Column("a", "A"), Column("b", "B", width=12)]
    write_xlsx(target, [Sheet("A", columns, [("x" * 100, "y" * 100)])])
    ws = openpyxl.load_workbook(io.BytesIO(target.getvalue()))["A"]
    assert (ws.column_dimensions["A"].width, ws.column_dimensions["B"].width) == (exports.MAX_WIDTH, 12)


def test_xlsx_reads_back_in_pandas(tmp_path):
    path = xlsx_file([Sheet("Chỉ số", COLUMNS, ROWS)])
    try:
        assert path.suffix == ".xlsx"
        frame = pd.read_excel(path, sheet_name="Chỉ số")
    finally:
        path.unlink()
    assert list(frame["Tên đơn vị"]) == ["Sở Tư pháp", "Huyện Bạch Thông", "Xã Đồng Hỷ"]
    assert frame["Điểm"].iloc[0] == pytest.approx(7.123457) and frame["Điểm"].iloc[1] == -2.5
    assert frame["Số phiếu"].iloc[0] == 120 and frame["Tỷ lệ tốt (%)"].iloc[0] == 81.25


def test_xlsx_note_goes_above_the_header_and_panes_freeze_below_it():
    target = io.BytesIO()
    write_xlsx(target, [Sheet("A", COLUMNS, ROWS[:1], note="=Số liệu tạm tính")])
    ws = openpyxl.load_workbook(io.BytesIO(target.getvalue()))["A"]
    assert ws["A1"].value == "'=Số liệu tạm tính" and ws["A1"].data_type == "s"
    assert ws["A2"].value == "Tên đơn vị" and ws["A2"].font.bold
    assert ws.freeze_panes == "A3" and ws["A3"].value == "Sở Tư pháp"


def test_xlsx_sheet_titles_are_made_valid_and_unique():
    target = io.BytesIO()
    long_title = "Chỉ số cải cách hành chính cấp huyện năm 2025"
    write_xlsx(target, [Sheet("Sở: [2025]/*?", COLUMNS, []), Sheet(long_title, COLUMNS, []),
                        Sheet(long_title, COLUMNS, [])])
    names = openpyxl.load_workbook(io.BytesIO(target.getvalue())).sheetnames
    assert names[0] == "Sở   2025"
    assert names[1] == long_title[:31].strip() and len(names[2]) == 31 and names[2].endswith(" (2)")


def test_xlsx_goes_on_in_a_next_sheet_past_the_row_limit(monkeypatch):
    monkeypatch.setattr(exports, "SHEET_ROW_LIMIT", 5)
    target = io.BytesIO()
    write_xlsx(target, [Sheet("Phiếu", COLUMNS, [(f"u{i}", i, i, i) for i in range(7)])])
    book = openpyxl.load_workbook(io.BytesIO(target.getvalue()))
    assert book.sheetnames == ["Phiếu", "Phiếu (2)"]
    first, second = ([r[0] for r in book[n].iter_rows(values_only=True)] for n in book.sheetnames)
    assert first == ["Tên đơn vị", "u0", "u1", "u2", "u3"]
    assert second == ["Tên đơn vị", "u4", "u5", "u6"]


def test_xlsx_drops_characters_xml_cannot_hold():
    target = io.BytesIO()
    write_xlsx(target, [Sheet("A", COLUMNS, [("Sở\x00 Y\x1f tế", 1, 1, 1)])])
    assert openpyxl.load_workbook(io.BytesIO(target.getvalue()))["A"]["A2"].value == "Sở Y tế"


def test_xlsx_needs_a_sheet():
    with pytest.raises(ValueError):
        write_xlsx(io.BytesIO(), [])


# --- raw ballots from the demo province -------------------------------------------------

@pytest.fixture
def demo(demo_app):
    session = demo_app.extensions[DB_KEY].session()
    campaign = session.get(Campaign, LAST)
    yield session, campaign
    session.close()


def test_long_rows_are_every_answer_of_every_state(demo):
    # Every answer but those about the two districts the small-cell rule withholds (their district
    # delegates are 3 people each: tests/test_small_cells.py).
    session, campaign = demo
    rows = list(long_rows(session, campaign))
    withheld = withheld_unit_ids(session, campaign)
    assert len(withheld) == 2
    answers = session.scalar(
        select(func.count()).select_from(Answer).join(Ballot)
        .where(Ballot.campaign_id == campaign.id, Answer.unit_id.not_in(withheld))
    )
    assert len(rows) == answers > 30_000
    assert all(len(r) == len(LONG_COLUMNS) for r in rows[:100])
    assert {r[3] for r in rows} == {"received", "verified", "flagged", "rejected"}
    keys = [(int(r[0]), r[5], r[7]) for r in rows]
    assert len(set(keys)) == len(keys)
    ids = [k[0] for k in keys]
    assert ids == sorted(ids)
    ballot = session.get(Ballot, ids[0])
    assert rows[0][:4] == (str(ballot.id), ballot.group.code, ballot.channel, ballot.state)


def test_wide_rows_hold_the_long_rows_of_each_ballot_and_unit(demo):
    session, campaign = demo
    cset = campaign_criteria(campaign)
    columns = wide_columns(session, campaign, cset)
    keys = [c.key for c in columns]
    assert keys[:7] == [c.key for c in LONG_COLUMNS[:7]]
    assert keys[7:] == list(dict.fromkeys(q.id for q in cset.questions))
    pairs = session.execute(
        select(func.count()).select_from(select(Answer.ballot_id, Answer.unit_id).distinct().join(Ballot)
                                          .where(Ballot.campaign_id == campaign.id,
                                                 Answer.unit_id.not_in(withheld_unit_ids(session, campaign)))
                                          .subquery())
    ).scalar()
    long_by_pair: dict[tuple, dict] = defaultdict(dict)
    for r in long_rows(session, campaign):
        long_by_pair[(r[0], r[5])][r[7]] = r[8]
    wide = list(wide_rows(session, campaign, cset))
    assert len(wide) == pairs == len(long_by_pair)
    for row in wide:
        answered = {keys[i]: v for i, v in enumerate(row) if i >= 7 and v is not None}
        assert answered == long_by_pair[(row[0], row[5])]


def test_raw_ballots_go_through_every_writer(demo):
    session, campaign = demo
    cset = campaign_criteria(campaign)
    head = list(islice(long_rows(session, campaign), 50))
    assert len(read_csv_text(csv_chunks(LONG_COLUMNS, head))) == 51
    assert json.loads("".join(json_chunks(LONG_COLUMNS, head)))[0]["ballot_id"] == head[0][0]
    target = io.BytesIO()
    write_xlsx(target, [Sheet("Dạng dài", LONG_COLUMNS, head),
                        Sheet("Dạng rộng", wide_columns(session, campaign, cset),
                              islice(wide_rows(session, campaign, cset), 50))])
    book = openpyxl.load_workbook(io.BytesIO(target.getvalue()))
    assert book["Dạng dài"]["A2"].value == head[0][0]  # a 63-bit id kept exactly, as text
    assert book["Dạng rộng"].max_row == 51
