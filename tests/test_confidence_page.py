"""What the confidence page ("Độ tin cậy") says of census groups, one-ballot cells, class chances and the
appraisal (survey_app/outputs/report_tables.py::intervals_table)."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from survey_app.outputs.report_tables import intervals_table

from .test_bootstrap import DEFAULT, with_census


def page(single: str = "", census: set[str] | None = None):
    cset = with_census(DEFAULT, census or set())
    intervals = pd.DataFrame({"level": ["so"], "unit": ["a"], "points": [10.0], "low": [10.0], "high": [10.0],
                              "rank": [1], "rank_low": [1], "rank_high": [1], "single": [single],
                              "class_chances": ["Tốt 60,0%; Khá 40,0%"]})
    sc = SimpleNamespace(cset=cset, final=object(), names={"a": "Sở A"})
    return intervals_table(sc, intervals)


def test_the_confidence_table_says_one_ballot_instead_of_a_zero_width_interval():
    row = page(single="cc_so").rows[0]
    assert row["low"] is None and row["high"] is None
    assert row["remark"] == "Chỉ có 1 phiếu của Công chức cấp sở: không ước lượng được khoảng tin cậy"
    assert row["classes"] == "Tốt 60,0%; Khá 40,0%"
    assert page().rows[0]["low"] == 10.0 and page().rows[0]["remark"] == ""


def test_the_confidence_table_names_census_groups_and_the_appraisal_as_exact():
    census = page(census={"hdnd_tinh"}).note
    assert "Đối tượng khảo sát toàn bộ (Đại biểu HĐND tỉnh) không có sai số chọn mẫu" in census
    assert "Với các đối tượng khảo sát theo mẫu (Đại biểu HĐND huyện, " in census
    assert "theo mẫu (Đại biểu HĐND tỉnh" not in census
    assert "Điểm thẩm định được coi là chính xác" in census
    assert "khảo sát toàn bộ" not in page().note
