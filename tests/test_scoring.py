"""Index, rank, class and the district rule, on tables worked out by hand (DOMAIN.md)."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from questionnaires import load_default_set
from scoring import TableProblems, district_class, final_table, parse_appraisal, parse_communes, parse_previous

CSET = load_default_set()
FIELDS = [f.code for f in CSET.fields]


def survey(rows: list[tuple[str, str, float]], complete: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["level", "unit", "total"])
    for code in FIELDS:
        frame[code] = frame["total"] / len(FIELDS)
    frame["complete"] = int(complete)
    return frame


def appraisal(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["level", "unit", "total"])
    for code in FIELDS:
        frame[code] = float("nan")
    return frame


def row(table: pd.DataFrame, unit: str) -> pd.Series:
    return table.set_index("unit").loc[unit]


def test_equal_index_at_three_decimals_shares_the_rank_per_level():
    s = survey([("so", "a", 10.0), ("so", "b", 11.0004), ("so", "c", 10.9996), ("so", "d", 9.0), ("huyen", "x", 12.0)])
    a = appraisal([("so", "a", 80.0), ("so", "b", 74.0), ("so", "c", 74.0), ("so", "d", 70.0), ("huyen", "x", 60.0)])
    t = final_table(s, a, CSET).table
    # a 90.000; b 85.0004 and c 84.9996 both show 85.000; d 79.000.
    assert [(u, int(r)) for u, r in zip(t["unit"], t["rank"]) if u != "x"] == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]
    assert int(row(t, "x")["rank"]) == 1  # ranks restart in each level
    assert row(t, "b")["index"] == pytest.approx(85.0004, abs=1e-9)


@pytest.mark.parametrize("index, expected", [
    (100.0, "Tốt"), (80.0, "Tốt"), (79.9995, "Tốt"), (79.9994, "Khá"), (70.0, "Khá"), (69.9995, "Khá"),
    (69.9994, "Trung bình"), (50.0, "Trung bình"), (49.9995, "Trung bình"), (49.9994, "Yếu"), (0.0, "Yếu"),
])
def test_every_band_edge_is_read_at_three_decimals(index, expected):
    t = final_table(survey([("so", "u", 10.0)]), appraisal([("so", "u", index - 10.0)]), CSET).table
    assert row(t, "u")["class"] == expected


def communes(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame([(d, c, None, k) for d, c, k in rows], columns=["district", "commune", "index", "class"])


def test_the_district_rule_keeps_drops_or_withholds_the_class():
    s = survey([("huyen", "keep", 10.0), ("huyen", "drop", 10.0), ("huyen", "gap", 10.0), ("huyen", "none", 10.0),
                ("huyen", "low", 10.0)])
    a = appraisal([("huyen", "keep", 75.0), ("huyen", "drop", 72.0), ("huyen", "gap", 75.0), ("huyen", "none", 75.0),
                   ("huyen", "low", 35.0)])
    c = communes([
        # keep (index 85, Tốt): 2 of 3 communes Tốt -> exactly 2/3, keeps Tốt.
        ("keep", "x1", "tot"), ("keep", "x2", "tot"), ("keep", "x3", "kha"),
        # drop (index 82, Tốt): 2 of 4 Tốt or better -> 1/2 < 2/3, one class lower: Khá.
        ("drop", "y1", "tot"), ("drop", "y2", "tot"), ("drop", "y3", "kha"), ("drop", "y4", "trung_binh"),
        # gap: one commune without a result -> not classified.
        ("gap", "z1", "tot"), ("gap", "z2", None),
        # low (index 45, Yếu): the lowest class cannot drop further.
        ("low", "w1", "yeu"), ("low", "w2", "yeu"), ("low", "w3", "tot"),
    ])
    t = final_table(s, a, CSET, communes=c).table
    assert (row(t, "keep")["class"], row(t, "keep")["class_reason"]) == ("Tốt", "2/3 xã đạt loại Tốt trở lên (≥ 2/3)")
    assert row(t, "drop")["class"] == "Khá"
    assert row(t, "drop")["class_reason"] == "chỉ 2/4 xã đạt loại Tốt trở lên (< 2/3): hạ từ Tốt xuống Khá"
    assert row(t, "gap")["class"] == "Không xếp loại"
    assert row(t, "gap")["class_reason"] == "thiếu kết quả xếp loại của 1/2 xã trực thuộc"
    assert row(t, "none")["class"] == "Không xếp loại"
    assert row(t, "none")["class_reason"] == "không có kết quả xếp loại của các xã trực thuộc"
    assert row(t, "low")["class"] == "Yếu"
    # The rule does not move the rank: ranks follow the index.
    assert list(t["unit"][:2]) in (["keep", "gap"], ["gap", "keep"]) and int(row(t, "drop")["rank"]) == 4


def test_without_any_commune_results_no_district_is_classified_and_a_warning_says_so():
    result = final_table(survey([("huyen", "h", 10.0), ("so", "s", 10.0)]),
                         appraisal([("huyen", "h", 75.0), ("so", "s", 75.0)]), CSET)
    assert row(result.table, "h")["class"] == "Không xếp loại"
    assert row(result.table, "s")["class"] == "Tốt"  # departments have no rule
    assert any("cấp xã" in w for w in result.warnings)


def test_the_rule_share_is_exact_not_a_rounded_float():
    # 2/3 written as a float (0.6666...) would be missed by 2 of 3 if compared the wrong way round.
    assert district_class(0, ["tot", "tot", "yeu"], CSET).band_code == "tot"
    assert district_class(0, ["tot", "tot", "kha", "kha", "kha", "kha"], CSET).band_code == "kha"  # 2/6
    assert district_class(1, ["tot", "kha", "kha", "trung_binh", "kha", "tot"], CSET).band_code == "kha"  # 5/6 Khá+


def test_incomplete_survey_points_are_said_beside_the_class():
    t = final_table(survey([("so", "u", 10.0)], complete=False), appraisal([("so", "u", 75.0)]), CSET).table
    assert row(t, "u")["class"] == "Tốt" and "chưa đủ ý kiến" in row(t, "u")["class_reason"]


def test_per_field_index_when_the_appraisal_came_per_field():
    s = survey([("so", "u", 7.0)])  # 1.0 per field
    a = pd.DataFrame([{"level": "so", "unit": "u", **{c: 10.0 + i for i, c in enumerate(FIELDS)}, "total": 91.0}])
    result = final_table(s, a, CSET)
    fields = result.fields.set_index("code")
    assert fields.loc["1", "index"] == 11.0 and fields.loc["7", "index"] == 17.0
    assert row(result.table, "u")["index"] == 98.0


def test_comparison_with_last_year():
    s = survey([("so", "a", 10.0), ("so", "b", 10.0)])
    a = appraisal([("so", "a", 80.0), ("so", "b", 72.0)])
    prev = pd.DataFrame({"level": "so", "unit": ["a", "b"], "previous_index": [92.02, 79.06],
                         "previous_rank": [2, 1], "previous_class": ["Xuất sắc", "Khá"]})
    t = final_table(s, a, CSET, previous=prev).table
    a_row, b_row = row(t, "a"), row(t, "b")
    assert a_row["index_change"] == pytest.approx(90.0 - 92.02)
    assert int(a_row["rank_change"]) == 1 and int(b_row["rank_change"]) == -1
    # "Xuất sắc" is no longer a band this year (issue 27): not compared, rather than "Giảm".
    assert a_row["class_change"] == "không so sánh (thay đổi thang xếp loại)"
    assert b_row["class"] == "Tốt" and b_row["class_change"] == "Tăng"


# --- imported tables ---------------------------------------------------------------

UNITS = pd.DataFrame({"level": ["so", "so", "huyen", "xa"], "code": ["so_gtvt", "so_tp", "ba_be", "xa_1"],
                      "name": ["Sở Giao thông vận tải", "Sở Tư pháp", "Huyện Ba Bể", "Xã Một"]})


def cells(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows).fillna("").astype(str)
    frame.index = frame.index + 2
    return frame


def test_appraisal_by_code_or_name_with_decimal_commas():
    frame = cells([{"unit": "so_gtvt", "total": "82,436"}, {"unit": "Sở Tư pháp", "total": "80.5"},
                   {"unit": "ba_be", "total": "66"}])
    a = parse_appraisal(frame, UNITS, CSET).set_index("unit")
    assert a.loc["so_gtvt", "total"] == 82.436 and a.loc["so_tp", "total"] == 80.5
    assert list(a.index) == ["so_gtvt", "so_tp", "ba_be"]  # the commune level has no appraisal here


def test_an_appraisal_file_with_bad_rows_names_every_row_and_column():
    frame = cells([
        {"unit": "so_gtvt", "1": "10", "2": "x", "total": ""},          # row 2: not a number
        {"unit": "so_khong_co", "1": "1", "2": "1", "total": ""},       # row 3: unknown unit
        {"unit": "so_gtvt", "1": "1", "2": "1", "total": ""},           # row 4: repeated
        {"unit": "ba_be", "1": "50", "2": "40", "total": "95"},         # row 5: 90 != 95 and over 86
    ])
    with pytest.raises(TableProblems) as caught:
        parse_appraisal(frame, UNITS, CSET)
    said = [str(p) for p in caught.value.problems]
    assert "dòng 2, cột '2': 'x' không phải là số" in said
    assert "dòng 3, cột 'unit': không có đơn vị 'so_khong_co' trong đợt đánh giá" in said
    assert "dòng 4, cột 'unit': đơn vị 'so_gtvt' đã có ở dòng 2" in said
    assert any(s.startswith("dòng 5, cột 'total': tổng 95 khác tổng các lĩnh vực 90.000") for s in said)
    assert any(s.startswith("dòng 5, cột 'total': điểm thẩm định 95 vượt tối đa 86") for s in said)
    assert "thiếu điểm thẩm định của đơn vị 'so_tp' (Sở Tư pháp)" in said


def test_commune_results_fill_in_the_communes_absent_from_the_file():
    districts = UNITS[UNITS["level"] == "huyen"]
    known = pd.DataFrame({"code": ["xa_1", "xa_2"], "name": ["Xã Một", "Xã Hai"], "parent": ["ba_be", "ba_be"]})
    c = parse_communes(cells([{"commune": "Xã Một", "district": "Huyện Ba Bể", "index": "81,2", "class": ""}]),
                       districts, CSET, communes=known)
    assert c.to_dict("records") == [
        {"district": "ba_be", "commune": "Xã Một", "index": 81.2, "class": "tot"},
        {"district": "ba_be", "commune": "Xã Hai", "index": None, "class": None}]
    with pytest.raises(TableProblems) as caught:
        parse_communes(cells([{"commune": "Xã Một", "district": "ba_be", "index": "81", "class": "Khá"}]),
                       districts, CSET)
    assert str(caught.value.problems[0]) == "dòng 2, cột 'class': xếp loại 'Khá' không khớp chỉ số 81 (Tốt)"


def test_last_years_table_leaves_out_units_that_no_longer_exist():
    p = parse_previous(cells([{"unit": "Sở Tư pháp", "index": "94,28", "rank": "1", "class": "Xuất sắc"},
                              {"unit": "Sở đã sáp nhập", "index": "80", "rank": "2", "class": "Tốt"}]), UNITS)
    assert p.to_dict("records") == [{"level": "so", "unit": "so_tp", "previous_index": 94.28, "previous_rank": 1,
                                     "previous_class": "Xuất sắc"}]
    with pytest.raises(TableProblems, match="không phải là thứ hạng"):
        parse_previous(cells([{"unit": "so_tp", "index": "94", "rank": "1.5"}]), UNITS)


def test_unit_without_appraisal_gets_no_index_and_says_why():
    result = final_table(survey([("so", "a", 10.0), ("so", "b", 10.0)]), appraisal([("so", "a", 70.0)]), CSET)
    b = row(result.table, "b")
    assert math.isnan(b["index"]) and b["class"] == "Không xếp loại" and b["class_reason"] == "chưa có điểm thẩm định"
    assert pd.isna(b["rank"]) and any("'b'" in w for w in result.warnings)


def test_communes_scored_in_the_same_table_feed_their_districts_rule():
    """One pass: h1's index 12 + 70 = 82 (Tốt); its communes scored here: c1 0 + 85 = 85 (Tốt),
    c2 0 + 81 = 81 (Tốt), c3 0 + 60 = 60 (Trung bình): 2/3 reach Tốt, so h1 keeps Tốt. An imported
    class wins where given: c2 imported as Khá leaves 1/3, and h1 drops to Khá. A commune with no
    result at all leaves its district unclassified."""
    units = pd.DataFrame({"level": ["huyen", "xa", "xa", "xa"], "code": ["h1", "c1", "c2", "c3"],
                          "name": ["Huyện 1", "Xã 1", "Xã 2", "Xã 3"], "parent": [None, "h1", "h1", "h1"]})
    survey = pd.DataFrame({"level": ["huyen", "xa", "xa", "xa"], "unit": ["h1", "c1", "c2", "c3"],
                           "total": [12.0, 0.0, 0.0, 0.0]})
    appraisal = pd.DataFrame({"level": ["huyen", "xa", "xa", "xa"], "unit": ["h1", "c1", "c2", "c3"],
                              "total": [70.0, 85.0, 81.0, 60.0]})
    t = final_table(survey, appraisal, CSET, units=units).table
    assert row(t, "h1")["class"] == "Tốt" and row(t, "h1")["class_reason"].startswith("2/3 xã đạt loại Tốt")
    assert row(t, "c3")["class"] == "Trung bình"
    imported = pd.DataFrame({"district": ["h1"], "commune": ["c2"], "index": [None], "class": ["kha"]})
    t = final_table(survey, appraisal, CSET, communes=imported, units=units).table
    assert row(t, "h1")["class"] == "Khá" and "hạ từ Tốt xuống Khá" in row(t, "h1")["class_reason"]
    result = final_table(survey[survey["unit"] != "c3"], appraisal[appraisal["unit"] != "c3"], CSET, units=units)
    assert row(result.table, "h1")["class"] == "Không xếp loại"
    assert "thiếu kết quả xếp loại của 1/3 xã" in row(result.table, "h1")["class_reason"]
    without = final_table(survey, appraisal, CSET)
    assert row(without.table, "h1")["class"] == "Không xếp loại"
    assert any("điểm của các xã" in w for w in without.warnings)


def test_a_code_two_levels_share_is_matched_by_the_level_column():
    """A commune and a district both coded 'an_phu': with a level column each row finds its own unit;
    without one the row says so."""
    units = pd.DataFrame({"level": ["huyen", "xa"], "code": ["an_phu", "an_phu"],
                          "name": ["Huyện An Phú", "Xã An Phú"]})
    frame = pd.DataFrame({"level": ["Cấp huyện", "xa"], "unit": ["an_phu", "an_phu"], "total": ["70", "80"]},
                         index=[2, 3])
    table = parse_appraisal(frame, units, CSET)
    assert table[["level", "unit", "total"]].values.tolist() == [["huyen", "an_phu", 70.0], ["xa", "an_phu", 80.0]]
    with pytest.raises(TableProblems, match="mã 'an_phu' có ở nhiều cấp: thêm cột 'level'"):
        parse_appraisal(frame.drop(columns="level"), units, CSET)
