"""SIPAS index (aggregation/sipas.py) on the worked example of docs/method.md, numbers worked by hand."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from aggregation.sipas import (
    ballot_counts,
    element_indices,
    expectation_counts,
    perception_shares,
    province_sipas,
    question_shares,
    sipas,
    unit_sipas,
)

METHOD = (Path(__file__).parent.parent / "docs" / "method.md").read_text(encoding="utf-8")

SAT = {"rhl", "hl"}  # Rất hài lòng, Hài lòng
QUESTIONS = pd.DataFrame(
    [("q11", "1", "satisfaction"), ("q21", "2", "satisfaction"), ("q22", "2", "satisfaction"),
     ("p21", "2", "perception"), ("q31", "3", "satisfaction"), ("q32", "3", "satisfaction"),
     ("q41", "4", "satisfaction"), ("q51", "5", "satisfaction")],
    columns=["question", "element", "role"])
POSITIVE = {q: SAT for q in QUESTIONS["question"] if q != "p21"} | {"p21": {"co"}}
DONT_KNOW = {q: {"kb"} for q in QUESTIONS["question"]}

# Sở A, 10 ballots: the table of the worked example.
SO_A = {
    "q11": ["rhl"] * 5 + ["hl"] * 4 + ["bt"],
    "q21": ["rhl"] * 3 + ["hl"] * 4 + ["bt", "khl", "kb"],
    "q22": ["rhl"] * 2 + ["hl"] * 6 + ["bt", "khl"],
    "p21": ["co"] * 9 + ["khong"],
    "q31": ["hl"] * 10,
    "q32": ["kb"] * 10,
    "q41": ["hl"] * 6 + ["bt"] * 3 + ["rkhl"],
    "q51": ["kb"] * 10,
}


def _answers(unit: str, table: dict[str, list[str]], first_ballot: int = 1) -> pd.DataFrame:
    rows = [(first_ballot + i, unit, q, o) for q, opts in table.items() for i, o in enumerate(opts)]
    return pd.DataFrame(rows, columns=["ballot", "unit", "question", "option"])


def _share(shares: pd.DataFrame, unit: str, question: str) -> pd.Series:
    return shares.set_index(["unit", "question"]).loc[(unit, question)]


@pytest.fixture
def so_a() -> pd.DataFrame:
    return _answers("so_a", SO_A)


def test_question_shares_by_hand(so_a):
    s = question_shares(so_a, QUESTIONS, POSITIVE, DONT_KNOW)
    assert list(s["question"]) == list(QUESTIONS["question"])
    q21 = _share(s, "so_a", "q21")
    assert (q21["answered"], q21["dont_know"], q21["positive"]) == (9, 1, 7)
    assert q21["share"] == pytest.approx(7 / 9) and f"{7 / 9 * 100:.1f}" == "77.8"
    assert _share(s, "so_a", "q22")["share"] == pytest.approx(0.8)
    assert _share(s, "so_a", "q11")["share"] == pytest.approx(0.9)
    assert _share(s, "so_a", "q41")["share"] == pytest.approx(0.6)
    nobody = _share(s, "so_a", "q32")
    assert (nobody["answered"], nobody["dont_know"], nobody["positive"]) == (0, 10, 0)
    assert math.isnan(nobody["share"])
    assert "7/9 = 77,8 %" in METHOD and "8/10 = 80,0 %" in METHOD


def test_element_indices_by_hand(so_a):
    e = element_indices(question_shares(so_a, QUESTIONS, POSITIVE, DONT_KNOW)).set_index("element")
    assert list(e.index) == ["1", "2", "3", "4", "5"]
    assert e.loc["2", "index"] == pytest.approx(71 / 90)  # (7/9 + 8/10) / 2 = 0.78889
    assert (e.loc["2", "questions"], e.loc["2", "left_out"]) == (2, "")
    # A question nobody answered is left out of the mean and named; the element stands on the other.
    assert (e.loc["3", "index"], e.loc["3", "questions"], e.loc["3", "left_out"]) == (1.0, 1, "q32")
    assert math.isnan(e.loc["5", "index"]) and (e.loc["5", "questions"], e.loc["5", "left_out"]) == (0, "q51")
    assert "71/90 = **78,9 %**" in METHOD


def test_unit_sipas_by_hand(so_a):
    e = element_indices(question_shares(so_a, QUESTIONS, POSITIVE, DONT_KNOW))
    u = unit_sipas(e, ballot_counts(so_a)).iloc[0]
    assert (u["unit"], u["ballots"], u["covered"], u["elements"], u["left_out"]) == ("so_a", 10, True, 4, "5")
    assert u["sipas"] == pytest.approx(37 / 45)  # (0.9 + 71/90 + 1 + 0.6) / 4 = 0.82222
    assert "37/45 = **82,2 %**" in METHOD


def test_dont_know_is_left_out_not_counted_as_unsatisfied(so_a):
    base = question_shares(so_a, QUESTIONS, POSITIVE, DONT_KNOW)
    # Five more "don't know" on q22 about so_a (new ballots) change nothing but the dont_know count.
    more = pd.concat([so_a, _answers("so_a", {"q22": ["kb"] * 5}, first_ballot=11)], ignore_index=True)
    s = question_shares(more, QUESTIONS, POSITIVE, DONT_KNOW)
    assert (_share(s, "so_a", "q22")["answered"], _share(s, "so_a", "q22")["dont_know"]) == (10, 5)
    assert _share(s, "so_a", "q22")["share"] == _share(base, "so_a", "q22")["share"] == pytest.approx(0.8)
    # Counted as an answer, q21's don't-know would make 7/10 and the element 75,0 % (the doc's contrast).
    no_dk = question_shares(so_a, QUESTIONS, POSITIVE, {})
    e = element_indices(no_dk).set_index("element")
    assert e.loc["2", "index"] == pytest.approx(0.75)
    # A don't-know option wrongly listed positive is still don't know.
    s = question_shares(so_a, QUESTIONS, {**POSITIVE, "q21": SAT | {"kb"}}, DONT_KNOW)
    assert _share(s, "so_a", "q21")["positive"] == 7


def test_perception_questions_are_not_in_the_index(so_a):
    e = element_indices(question_shares(so_a, QUESTIONS, POSITIVE, DONT_KNOW))
    flipped = so_a.copy()
    flipped.loc[flipped["question"] == "p21", "option"] = "khong"  # everyone says "not posted"
    s2 = question_shares(flipped, QUESTIONS, POSITIVE, DONT_KNOW)
    e2 = element_indices(s2)
    pd.testing.assert_frame_equal(e, e2)
    p = perception_shares(question_shares(so_a, QUESTIONS, POSITIVE, DONT_KNOW))
    assert p[["unit", "element", "question", "answered", "positive"]].values.tolist() == [["so_a", "2", "p21", 10, 9]]
    assert p["share"].iloc[0] == pytest.approx(0.9)
    assert perception_shares(s2)["share"].iloc[0] == 0.0
    # An element holding only perception questions has no index row at all.
    only = pd.DataFrame([("p21", "9", "perception")], columns=["question", "element", "role"])
    assert element_indices(question_shares(so_a, only, POSITIVE, DONT_KNOW)).empty


def test_unit_under_min_ballots_gets_no_index(so_a):
    four = _answers("so_d", {"q11": ["rhl"] * 4}, first_ballot=101)
    five = _answers("so_e", {"q11": ["rhl"] * 5}, first_ballot=201)
    answers = pd.concat([so_a, four, five], ignore_index=True)
    r = sipas(answers, QUESTIONS, POSITIVE, DONT_KNOW, units=["so_z"])
    u = r.units.set_index("unit")
    assert u["ballots"].to_dict() == {"so_a": 10, "so_d": 4, "so_e": 5, "so_z": 0}
    assert u["covered"].to_dict() == {"so_a": True, "so_d": False, "so_e": True, "so_z": False}
    assert math.isnan(u.loc["so_d", "sipas"]) and math.isnan(u.loc["so_z", "sipas"])
    assert u.loc["so_e", "sipas"] == 1.0  # 5 of 5 positive on its one answered element
    # No figure of an uncovered unit is left in the frames to publish.
    assert set(r.questions["unit"]) == set(r.elements["unit"]) == {"so_a", "so_e"}
    assert r.province.units == ("so_a", "so_e") and r.province.left_out == ("so_d", "so_z")
    assert r.province.value == pytest.approx((37 / 45 + 1.0) / 2)
    # A higher minimum drops so_e too.
    assert list(unit_sipas(r.elements, ballot_counts(answers), min_ballots=6)["covered"]) == [True, False, False]


def test_rejected_ballots_do_not_count(so_a):
    rejected = _answers("so_a", {"q11": ["khl"] * 5}, first_ballot=11).assign(state="rejected")
    answers = pd.concat([so_a.assign(state="verified"), rejected], ignore_index=True)
    assert ballot_counts(answers).to_dict() == {"so_a": 10}
    assert _share(question_shares(answers, QUESTIONS, POSITIVE, DONT_KNOW), "so_a", "q11")["share"] == 0.9


PROVINCE = pd.DataFrame({"unit": ["so_a", "so_b", "so_c", "so_d"], "sipas": [37 / 45, 0.95, 0.70, math.nan]})
DOSSIERS = pd.Series({"so_a": 120, "so_b": 400, "so_c": 80, "so_d": 30})


def test_province_plain_mean_by_hand():
    p = province_sipas(PROVINCE)
    assert p.value == pytest.approx(0.824074, abs=1e-6)  # (0.82222 + 0.95 + 0.70) / 3
    assert (p.units, p.left_out, p.weighting) == (("so_a", "so_b", "so_c"), ("so_d",), "units")
    assert "**82,4 %**" in METHOD


def test_weighting_by_dossiers_changes_the_province_figure():
    p = province_sipas(PROVINCE, DOSSIERS, weighting="dossiers")
    # (120 × 37/45 + 400 × 0.95 + 80 × 0.70) / 600 = 534.667 / 600; so_d's 30 dossiers not in the divisor.
    assert p.value == pytest.approx(534.6667 / 600, abs=1e-6) and p.value == pytest.approx(0.891111, abs=1e-6)
    assert p.units == ("so_a", "so_b", "so_c") and p.without_dossiers == ()
    assert p.value - province_sipas(PROVINCE).value == pytest.approx(0.067037, abs=1e-6)
    assert "**89,1 %**" in METHOD and "534.667 / 600" in METHOD
    # Equal dossiers give the plain mean back; a unit with no dossier count is left out and named.
    assert province_sipas(PROVINCE, {"so_a": 1, "so_b": 1, "so_c": 1}, "dossiers").value == pytest.approx(
        province_sipas(PROVINCE).value)
    partial = province_sipas(PROVINCE, {"so_a": 120, "so_b": 400}, "dossiers")
    assert partial.without_dossiers == ("so_c",)
    assert partial.value == pytest.approx((120 * 37 / 45 + 400 * 0.95) / 520)


def test_province_refuses_bad_weighting():
    with pytest.raises(ValueError, match="dossiers"):
        province_sipas(PROVINCE, weighting="dossiers")
    with pytest.raises(ValueError, match="unknown weighting"):
        province_sipas(PROVINCE, weighting="people")
    with pytest.raises(ValueError, match="negative"):
        province_sipas(PROVINCE, {"so_a": -1}, "dossiers")


def test_bad_input_is_refused(so_a):
    twice = pd.concat([so_a, so_a.iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="repeat"):
        question_shares(twice, QUESTIONS, POSITIVE, DONT_KNOW)
    with pytest.raises(ValueError, match="unknown role"):
        question_shares(so_a, QUESTIONS.assign(role="points"), POSITIVE, DONT_KNOW)
    with pytest.raises(ValueError, match="ballot"):
        question_shares(so_a.drop(columns="ballot"), QUESTIONS, POSITIVE, DONT_KNOW)


def test_expectations_ranked_by_hand():
    chosen = {"wait": 25, "docs": 18, "info": 18, "staff": 7}
    rows = []
    # 40 people: 1-25 choose "wait", 23-40 "docs", 1-18 "info", 34-40 "staff"; each chooses at least one.
    people = list(range(1, 41))
    for option, n in chosen.items():
        start = {"wait": 0, "docs": 22, "info": 0, "staff": 33}[option]
        rows += [(people[(start + i) % 40], "so_a", "e1", option) for i in range(n)]
    rows.append((1, "so_a", "e1", "wait"))  # the same choice twice counts once
    e = expectation_counts(pd.DataFrame(rows, columns=["ballot", "unit", "question", "option"]))
    assert e["respondents"].unique().tolist() == [40]
    assert e[["option", "n", "rank"]].values.tolist() == [
        ["wait", 25, 1], ["docs", 18, 2], ["info", 18, 2], ["staff", 7, 4]]
    assert e["share"].tolist() == pytest.approx([0.625, 0.45, 0.45, 0.175])
    assert "62,5 %, rank 1" in METHOD and "17,5 %, rank 4" in METHOD


def test_empty_input_gives_empty_frames():
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ("ballot", "unit", "question", "option")})
    s = question_shares(empty, QUESTIONS, POSITIVE, DONT_KNOW)
    assert s.empty and "share" in s.columns
    e = element_indices(s)
    assert e.empty and list(e.columns) == ["unit", "element", "index", "questions", "left_out"]
    u = unit_sipas(e, ballot_counts(empty))
    assert u.empty and "sipas" in u.columns
    assert perception_shares(s).empty and expectation_counts(empty).empty
    p = province_sipas(u)
    assert math.isnan(p.value) and p.units == () and p.left_out == ()
    assert math.isnan(province_sipas(u, {}, "dossiers").value)
    r = sipas(empty, QUESTIONS, POSITIVE, DONT_KNOW)
    assert r.units.empty and r.elements.empty and math.isnan(r.province.value)
    # No questions at all: empty too, not an error.
    none = question_shares(_answers("so_a", SO_A), QUESTIONS.iloc[:0], POSITIVE, DONT_KNOW)
    assert none.empty
