"""The coverage guard (issue 26 item 1, docs/method.md "Coverage"): a unit under the set's min_ballots has no
survey score, is neither ranked nor classed, and says "chưa đủ phiếu (n phiếu)"; figures worked out by hand."""
from __future__ import annotations

import math

import pandas as pd

from questionnaires import load_default_set
from scoring import final_table
from scoring.coverage import unit_ballots, with_coverage

CSET = load_default_set()  # min_ballots = 5
FIELDS = [f.code for f in CSET.fields]


def _survey(rows: list[tuple[str, str, float, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["level", "unit", "total", "ballots", "planned"])
    for code in FIELDS:
        frame[code] = frame["total"] / len(FIELDS)
    frame["complete"] = 1
    return frame


def _appraisal(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["level", "unit", "total"])
    for code in FIELDS:
        frame[code] = float("nan")
    return frame


def test_units_under_min_ballots_are_neither_ranked_nor_classed_and_the_others_close_up():
    # Without the guard: none 70+13.5 = 83.5 (1st, Tốt), four 70+13 = 83 (2nd), five 68+12 = 80 (3rd, Tốt),
    # nine 65+11 = 76 (4th, Khá), many 60+10 = 70 (5th, Khá).
    s = _survey([("so", "none", 13.5, 0, 10), ("so", "four", 13.0, 4, 10), ("so", "five", 12.0, 5, 5),
                 ("so", "nine", 11.0, 9, 10), ("so", "many", 10.0, 12, 10)])
    a = _appraisal([("so", "none", 70.0), ("so", "four", 70.0), ("so", "five", 68.0), ("so", "nine", 65.0),
                    ("so", "many", 60.0)])
    t = final_table(s, a, CSET).table.set_index("unit")
    assert [(u, int(t.at[u, "rank"])) for u in ("five", "nine", "many")] == [("five", 1), ("nine", 2), ("many", 3)]
    assert [t.at[u, "class"] for u in ("five", "nine", "many")] == ["Tốt", "Khá", "Khá"]
    for unit, n in (("none", 0), ("four", 4)):
        assert t.at[unit, "rank"] is pd.NA and math.isnan(t.at[unit, "survey"]) and math.isnan(t.at[unit, "index"])
        assert t.at[unit, "class"] == f"Chưa đủ phiếu ({n} phiếu)"
        assert t.at[unit, "coverage"] == f"chưa đủ phiếu ({n} phiếu)"
        assert t.at[unit, "class_reason"].startswith("dưới 5 phiếu tối thiểu")
    # At min_ballots and under the plan: ranked and marked; at or over the plan: no mark.
    assert t.at["nine", "coverage"] == "dưới kế hoạch (9/10 phiếu)"
    assert t.at["five", "coverage"] == "" and t.at["many", "coverage"] == ""
    assert list(t.index[-2:]) == ["four", "none"], "unranked units come last"


def test_a_unit_absent_from_the_survey_with_the_counts_given_is_not_ranked_either():
    s = _survey([("so", "a", 12.0, 6, float("nan"))])
    a = _appraisal([("so", "a", 70.0), ("so", "b", 75.0)])
    result = final_table(s, a, CSET)
    t = result.table.set_index("unit")
    assert t.at["b", "class"] == "Chưa đủ phiếu (0 phiếu)" and t.at["b", "rank"] is pd.NA
    assert int(t.at["a", "rank"]) == 1
    assert any("chưa đủ phiếu (0 phiếu)" in w for w in result.warnings)


def test_an_unranked_commune_counts_in_the_district_rule_as_reaching_no_class():
    # District h: 70 + 12 = 82, Tốt by its index. Communes x1 (85), x2 (75) and x3 (would be 84, but 3 ballots).
    # Counted as Tốt, x3 would make 2/3 Tốt and h would stay Tốt; unranked, it reaches no class: 1/3, h drops to Khá.
    s = _survey([("huyen", "h", 12.0, 30, 30), ("xa", "x1", 12.0, 9, 9), ("xa", "x2", 12.0, 9, 9),
                 ("xa", "x3", 12.0, 3, 9)])
    a = _appraisal([("huyen", "h", 70.0), ("xa", "x1", 73.0), ("xa", "x2", 63.0), ("xa", "x3", 72.0)])
    units = pd.DataFrame({"level": ["huyen", "xa", "xa", "xa"], "code": ["h", "x1", "x2", "x3"],
                          "parent": [None, "h", "h", "h"]})
    t = final_table(s, a, CSET, units=units).table.set_index("unit")
    assert t.at["x3", "class"] == "Chưa đủ phiếu (3 phiếu)"
    assert t.at["h", "class"] == "Khá"
    assert t.at["h", "class_reason"] == ("chỉ 1/3 xã đạt loại Tốt trở lên (< 2/3; 1 xã chưa đủ phiếu, không tính là "
                                         "đạt): hạ từ Tốt xuống Khá")


def test_counted_ballots_per_unit_and_the_survey_points_emptied_under_the_minimum():
    # Unit a: ballots 1-4 of citizens and 5 of a firm, ballot 6 rejected: 5 counted. Unit b: ballots 1-4: 4.
    answers = pd.DataFrame({
        "ballot_id": [1, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4],
        "group": ["nguoi_dan"] * 6 + ["doanh_nghiep"] * 0 + ["nguoi_dan"] * 5,
        "level": "huyen", "unit": ["a"] * 7 + ["b"] * 4, "question": "H10", "option": "tot",
        "state": ["received"] * 6 + ["rejected"] + ["received"] * 4})
    answers.loc[5, "group"] = "doanh_nghiep"
    answers.loc[6, "ballot_id"] = 6
    per_group = unit_ballots(answers)
    assert per_group.values.tolist() == [["huyen", "a", "doanh_nghiep", 1], ["huyen", "a", "nguoi_dan", 4],
                                         ["huyen", "b", "nguoi_dan", 4]]
    s = pd.DataFrame({"level": "huyen", "unit": ["a", "b"], "total": [7.0, 9.0], **{c: [1.0, 1.0] for c in FIELDS}})
    out = with_coverage(s, per_group, CSET, pd.DataFrame({"level": "huyen", "unit": ["a"], "planned": [10.0]}))
    assert out["ballots"].tolist() == [5, 4]
    assert out.loc[0, "total"] == 7.0 and math.isnan(out.loc[1, "total"]) and math.isnan(out.loc[1, FIELDS[0]])
    assert out.loc[0, "planned"] == 10.0 and math.isnan(out.loc[1, "planned"])
