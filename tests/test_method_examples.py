"""The worked examples of docs/method.md, computed by the code: the page and the program agree."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aggregation import survey_points
from questionnaires import load_default_set
from questionnaires.model import round_points
from scoring import district_class, final_table, ranks

METHOD = (Path(__file__).parent.parent / "docs" / "method.md").read_text(encoding="utf-8")


def _answers(rows):
    out, ballot = [], 0
    for group, counts in rows:
        for option, n in counts:
            for _ in range(n):
                ballot += 1
                out.append((ballot, group, "huyen", "huyen_a", "H10", option))
    return pd.DataFrame(out, columns=["ballot_id", "group", "level", "unit", "question", "option"])


def test_one_question_two_groups():
    cset = load_default_set()
    both = _answers([("nguoi_dan", [("tot", 6), ("kha", 3), ("kem", 1), ("khong_biet", 2)]),
                     ("doanh_nghiep", [("tot", 2), ("trung_binh", 1), ("kem", 1)])])
    row = survey_points(both, cset).questions.set_index("question").loc["H10"]
    assert (row["fraction"], row["points"], round_points(row["points"])) == (pytest.approx(0.665), 0.3325, 0.333)
    assert row["complete"] and "0.665" in METHOD and "**0.333**" in METHOD
    citizens = both[both["group"] == "nguoi_dan"]
    alone = survey_points(citizens, cset).questions.set_index("question").loc["H10"]
    assert alone["points"] == pytest.approx(0.39)
    assert not alone["complete"] and alone["missing_groups"] == "doanh_nghiep"


def test_index_rank_class_and_district_rule():
    cset = load_default_set()
    assert round_points(72.450 + 11.2985) == 83.749 and "**83.749**" in METHOD
    assert ranks(pd.Series([90.0, 85.0004, 84.9996, 70.0])).tolist() == [1, 2, 2, 4]
    survey = pd.DataFrame({"level": "huyen", "unit": ["a"], "total": [11.2985]})
    appraisal = pd.DataFrame({"level": "huyen", "unit": ["a"], "total": [72.450]})
    communes = pd.DataFrame({"district": "a", "commune": ["x1", "x2", "x3"], "class": ["tot", "tot", "kha"]})
    row = final_table(survey, appraisal, cset, communes=communes).table.iloc[0]
    assert (row["class"], row["class_reason"]) == ("Tốt", "2/3 xã đạt loại Tốt trở lên (≥ 2/3)")
    assert district_class(0, ["tot", "kha", "kha"], cset).band_code == "kha"
    assert district_class(0, ["tot", "tot", None], cset).band_code is None
    assert cset.class_for(79.9995).name == "Tốt"
