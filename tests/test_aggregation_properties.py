"""Properties of survey points, on random ballots (hypothesis)."""
from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregation import survey_points

from .test_aggregation import COLUMNS, CSET

UNITS = ["A", "B", "C"]
# Who may answer what about level "so", from the small set: Q1, Q2 both groups; Q3 dai_bieu only.
ASKED = {"dai_bieu": ["Q1", "Q2", "Q3"], "cong_chuc": ["Q1", "Q2"]}
OPTIONS = ["tot", "kha", "trung_binh", "kem", "kb"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ballots(draw, min_size=1):
    rows = []
    for b in range(draw(st.integers(min_size, 8))):
        group = draw(st.sampled_from(sorted(ASKED)))
        state = draw(st.sampled_from(["received", "verified", "flagged", "rejected"]))
        units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True))
        for unit in units:
            for q in ASKED[group]:
                if draw(st.booleans()) or q == "Q1":
                    rows.append((f"b{b}", group, "so", unit, q, draw(st.sampled_from(OPTIONS)), state))
    return pd.DataFrame(rows, columns=COLUMNS)


def totals(frame: pd.DataFrame) -> dict[str, float]:
    t = survey_points(frame, CSET, units=pd.DataFrame({"level": "so", "unit": UNITS})).totals
    return dict(zip(t["unit"], t["points"]))


@SETTINGS
@given(ballots())
def test_points_never_exceed_their_max(frame):
    result = survey_points(frame, CSET)
    for table in (result.sub_criteria, result.criteria, result.fields, result.totals):
        assert (table["points"] <= table["max_points"] + 1e-12).all()
        assert (table["points"] >= 0).all()
    q = result.questions.dropna(subset=["points"])
    assert (q["points"] <= q["max_points"] + 1e-12).all()


@SETTINGS
@given(ballots(), st.randoms())
def test_row_order_does_not_matter(frame, rnd):
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    before, after = totals(frame), totals(shuffled)
    assert before.keys() == after.keys()
    assert all(abs(before[u] - after[u]) < 1e-12 for u in before)


@SETTINGS
@given(ballots(), st.sampled_from(sorted(ASKED)), st.sampled_from(UNITS))
def test_a_ballot_of_top_answers_never_lowers_a_unit(frame, group, unit):
    top = pd.DataFrame([("top", group, "so", unit, q, "tot", "verified") for q in ASKED[group]], columns=COLUMNS)
    before, after = totals(frame), totals(pd.concat([frame, top], ignore_index=True))
    assert after[unit] >= before[unit] - 1e-12


@SETTINGS
@given(ballots())
def test_removing_rejected_ballots_changes_nothing(frame):
    before = totals(frame)
    after = totals(frame[frame["state"] != "rejected"])
    assert all(abs(before[u] - after[u]) < 1e-12 for u in before)
