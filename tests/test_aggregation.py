"""Survey points by hand, to 1e-9, on the small set of ``minimal_set.py`` with a 4-option scale.

Set: level so — Q1 (sub 1.1.1, max 0.5, asked of dai_bieu and cong_chuc, equal weights),
Q2 (sub 2.1.1, max 0.25, dai_bieu 3 : cong_chuc 1), Q3 (sub 2.1.1, max 0.25, dai_bieu only);
level huyen — H1 (max 0.5, dai_bieu). Scale: tot 1.0, kha 0.6, trung_binh 0.2, kem 0, kb = don't know.

Ballots: b1 (dai_bieu) rates A and B; b2 (dai_bieu) rates A and B; b3 (cong_chuc) rates A;
b4 (cong_chuc, rejected) rates A; b5 (dai_bieu) rates district X.

Unit A
  Q1: dai_bieu mean(tot 1.0, kem 0) = 0.5; cong_chuc mean(tot 1.0) = 1.0 (b4 rejected)
      f = 0.5·0.5 + 0.5·1.0 = 0.75 → 0.375
  Q2: dai_bieu mean(kha 0.6, tot 1.0) = 0.8; cong_chuc kem 0.0; f = 0.75·0.8 + 0.25·0 = 0.6 → 0.15
  Q3: dai_bieu: b1 don't know (left out), b2 kha 0.6 → 0.6 → 0.15
  total 0.675 of 1.0 (67.5 %), field 1 = 0.375, field 2 = 0.3, complete.
Unit B (no civil servant answered)
  Q1: dai_bieu mean(kha 0.6) = 0.6 (b2 don't know); cong_chuc missing → renormalised: 0.6 → 0.3
  Q2: dai_bieu kem 0 → 0 ; Q3: dai_bieu tot 1.0 → 0.25
  total 0.55, incomplete: missing cong_chuc for Q1 and Q2.
District X: H1 tot → 0.5 of 0.5.
Unit C (given as a unit, no answers): 0 points, incomplete, every question "no answers".
"""
from __future__ import annotations

import pandas as pd
import pytest

from aggregation import AnswerProblems, check_answers, survey_points
from questionnaires import load_criteria_set_from_texts

from . import minimal_set


def four_option_set():
    texts = minimal_set.texts()
    texts["set.yaml"] = texts["set.yaml"].replace(
        "      - {code: kem, label: Kém, fraction: 0}",
        "      - {code: kha, label: Khá, fraction: 0.6}\n"
        "      - {code: trung_binh, label: Trung bình, fraction: 0.2}\n"
        "      - {code: kem, label: Kém, fraction: 0}")
    return load_criteria_set_from_texts(texts)


CSET = four_option_set()
ROWS = [
    # ballot, group, level, unit, question, option, state
    ("b1", "dai_bieu", "so", "A", "Q1", "tot", "verified"), ("b1", "dai_bieu", "so", "A", "Q2", "kha", "verified"),
    ("b1", "dai_bieu", "so", "A", "Q3", "kb", "verified"),
    ("b1", "dai_bieu", "so", "B", "Q1", "kha", "verified"), ("b1", "dai_bieu", "so", "B", "Q2", "kem", "verified"),
    ("b1", "dai_bieu", "so", "B", "Q3", "tot", "verified"),
    ("b2", "dai_bieu", "so", "A", "Q1", "kem", "received"), ("b2", "dai_bieu", "so", "A", "Q2", "tot", "received"),
    ("b2", "dai_bieu", "so", "A", "Q3", "kha", "received"),
    ("b2", "dai_bieu", "so", "B", "Q1", "kb", "received"), ("b2", "dai_bieu", "so", "B", "Q2", "kb", "received"),
    ("b2", "dai_bieu", "so", "B", "Q3", "kb", "received"),
    ("b3", "cong_chuc", "so", "A", "Q1", "tot", "flagged"), ("b3", "cong_chuc", "so", "A", "Q2", "kem", "flagged"),
    ("b4", "cong_chuc", "so", "A", "Q1", "kha", "rejected"), ("b4", "cong_chuc", "so", "A", "Q2", "kha", "rejected"),
    ("b5", "dai_bieu", "huyen", "X", "H1", "tot", "verified"),
]
COLUMNS = ["ballot_id", "group", "level", "unit", "question", "option", "state"]


def answers() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


@pytest.fixture(scope="module")
def result():
    return survey_points(answers(), CSET, units=pd.DataFrame({"level": ["so"], "unit": ["C"]}))


def value(frame: pd.DataFrame, column: str, **where):
    rows = frame
    for key, val in where.items():
        rows = rows[rows[key] == val]
    assert len(rows) == 1, where
    return rows[column].iloc[0]


@pytest.mark.parametrize("unit,question,fraction,points,complete,missing", [
    ("A", "Q1", 0.75, 0.375, True, ""),
    ("A", "Q2", 0.6, 0.15, True, ""),
    ("A", "Q3", 0.6, 0.15, True, ""),
    ("B", "Q1", 0.6, 0.3, False, "cong_chuc"),
    ("B", "Q2", 0.0, 0.0, False, "cong_chuc"),
    ("B", "Q3", 1.0, 0.25, True, ""),
    ("X", "H1", 1.0, 0.5, True, ""),
])
def test_question_points_by_hand(result, unit, question, fraction, points, complete, missing):
    q = result.questions
    assert value(q, "fraction", unit=unit, question=question) == pytest.approx(fraction, abs=1e-9)
    assert value(q, "points", unit=unit, question=question) == pytest.approx(points, abs=1e-9)
    assert value(q, "complete", unit=unit, question=question) == complete
    assert value(q, "missing_groups", unit=unit, question=question) == missing


def test_sums_and_percentages_by_hand(result):
    f, t = result.fields, result.totals
    assert value(f, "points", unit="A", code="1") == pytest.approx(0.375, abs=1e-9)
    assert value(f, "points", unit="A", code="2") == pytest.approx(0.3, abs=1e-9)
    assert value(f, "percent", unit="A", code="2") == pytest.approx(60.0, abs=1e-9)
    assert value(result.sub_criteria, "points", unit="A", code="2.1.1") == pytest.approx(0.3, abs=1e-9)
    assert value(result.criteria, "points", unit="B", code="2.1") == pytest.approx(0.25, abs=1e-9)
    assert value(t, "points", unit="A") == pytest.approx(0.675, abs=1e-9)
    assert value(t, "percent", unit="A") == pytest.approx(67.5, abs=1e-9)
    assert value(t, "max_points", unit="A") == pytest.approx(1.0, abs=1e-9)
    assert value(t, "points", unit="B") == pytest.approx(0.55, abs=1e-9)
    assert value(t, "points", unit="X") == pytest.approx(0.5, abs=1e-9) and value(t, "max_points", unit="X") == 0.5


def test_incompleteness_is_carried_up_with_its_reason(result):
    t = result.totals
    assert value(t, "complete", unit="A") and value(t, "complete", unit="X")
    assert not value(t, "complete", unit="B")
    assert value(t, "reason", unit="B") == "missing cong_chuc: Q1; missing cong_chuc: Q2"
    assert not value(result.fields, "complete", unit="B", code="1") and not value(
        result.fields, "complete", unit="B", code="2"
    )
    assert value(t, "points", unit="C") == 0.0 and not value(t, "complete", unit="C")
    assert value(t, "reason", unit="C") == "no answers: Q1; no answers: Q2; no answers: Q3"


def test_points_table_is_one_row_per_unit(result):
    table = result.table(["1", "2"])
    assert list(table.columns) == ["level", "unit", "1", "2", "total", "complete"]
    rows = {r.unit: r for r in table.itertuples()}
    assert (rows["A"].complete, rows["B"].complete, rows["X"].complete) == (1, 0, 1)
    assert rows["A"].total == pytest.approx(0.675, abs=1e-9)
    by_unit = table.set_index("unit")
    assert by_unit.loc["X", "1"] == 0.5 and by_unit.loc["X", "2"] == 0.0, "a field the level lacks shows 0"


def test_rejected_rows_change_nothing():
    kept = answers()
    without = kept[kept["state"] != "rejected"]
    a, b = survey_points(kept, CSET), survey_points(without, CSET)
    pd.testing.assert_frame_equal(a.totals, b.totals)


def test_every_bad_row_is_reported_with_its_label():
    bad = answers()
    bad.loc[len(bad)] = ("b6", "khach", "so", "A", "Q1", "tot", "verified")  # unknown group
    bad.loc[len(bad)] = ("b6", "cong_chuc", "huyen", "X", "H1", "tot", "verified")  # group does not rate huyen
    bad.loc[len(bad)] = ("b6", "cong_chuc", "so", "A", "Q3", "tot", "verified")  # Q3 not asked of cong_chuc
    bad.loc[len(bad)] = ("b8", "dai_bieu", "so", "A", "Q1", "rat_tot", "verified")  # option not in scale
    bad.loc[len(bad)] = ("b1", "dai_bieu", "so", "A", "Q1", "kem", "verified")  # b1 answered A/Q1 already
    bad.loc[len(bad)] = ("b7", "dai_bieu", "so", "A", "Q1", "tot", "deleted")  # unknown state
    problems = check_answers(bad, CSET)
    n = len(ROWS)
    assert sorted(label for label, _ in problems) == list(range(n, n + 6))
    with pytest.raises(AnswerProblems) as info:
        survey_points(bad, CSET)
    assert len(info.value.problems) == 6
