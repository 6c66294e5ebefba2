"""Bootstrap intervals, rank intervals, reliability, group disagreement and the analyst tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aggregation import answer_counts, survey_points
from aggregation.shares import level_summary, option_shares, poor_shares
from aggregation.stats import bootstrap_points, cronbach_alpha, field_reliability, group_disagreement, rank_intervals
from questionnaires import load_default_set

from .test_aggregation import CSET, answers

DEFAULT = load_default_set()


def test_bootstrap_estimates_are_the_survey_points():
    boot = bootstrap_points(answers(), CSET, replicates=50, seed=1)
    points = survey_points(answers(), CSET)
    est = boot.intervals.set_index(["unit", "code"])["points"]
    for row in points.totals.itertuples():
        assert est[(row.unit, "total")] == pytest.approx(row.points, abs=1e-9)
    for row in points.fields.itertuples():
        assert est[(row.unit, row.code)] == pytest.approx(row.points, abs=1e-9)


def test_bootstrap_is_reproducible_with_a_seed():
    survey = simulated_survey(np.random.default_rng(0), 60, [0.5, 0.3, 0.1, 0.1])
    a = bootstrap_points(survey, DEFAULT, replicates=200, seed=7).intervals
    b = bootstrap_points(survey, DEFAULT, replicates=200, seed=7).intervals
    c = bootstrap_points(survey, DEFAULT, replicates=200, seed=8).intervals
    pd.testing.assert_frame_equal(a, b)
    assert not a[["low", "high"]].equals(c[["low", "high"]])


def simulated_survey(rng, n: int, probabilities) -> pd.DataFrame:
    options = rng.choice(["tot", "kha", "trung_binh", "kem"], size=n, p=probabilities)
    return pd.DataFrame({"ballot_id": np.arange(n), "group": "nguoi_dan", "level": "huyen", "unit": "x",
                         "question": "H10", "option": options})


def test_the_interval_covers_the_true_value_at_about_the_nominal_rate():
    """200 simulated surveys of 60 citizens; true mean fraction 0.5·1 + 0.3·0.6 + 0.1·0.2 = 0.70,
    so the true points of H10 (max 0.5) are 0.35."""
    rng = np.random.default_rng(12345)
    truth, covered = 0.35, 0
    for i in range(200):
        boot = bootstrap_points(simulated_survey(rng, 60, [0.5, 0.3, 0.1, 0.1]), DEFAULT, replicates=300, seed=i)
        row = boot.intervals.query("code == 'total'").iloc[0]
        covered += row.low <= truth <= row.high
    assert 0.88 <= covered / 200 <= 0.99, covered


def test_rank_intervals_separate_clear_units_and_name_unsettled_neighbours():
    rng = np.random.default_rng(3)
    frames = []
    for unit, p in (("good", [0.9, 0.1, 0, 0]), ("close_a", [0.5, 0.3, 0.1, 0.1]),
                    ("close_b", [0.5, 0.3, 0.12, 0.08]), ("poor", [0.05, 0.1, 0.25, 0.6])):
        f = simulated_survey(rng, 80, p).assign(unit=unit)
        f["ballot_id"] = unit + f["ballot_id"].astype(str)
        frames.append(f)
    boot = bootstrap_points(pd.concat(frames), DEFAULT, replicates=500, seed=1)
    ranks, unsettled = rank_intervals(boot)
    by = ranks.set_index("unit")
    assert (by.loc["good", "rank_low"], by.loc["good", "rank_high"]) == (1, 1)
    assert (by.loc["poor", "rank_low"], by.loc["poor", "rank_high"]) == (4, 4)
    assert {by.loc["close_a", "rank_low"], by.loc["close_b", "rank_low"]} == {2}
    assert by.loc["close_a", "rank_high"] == by.loc["close_b", "rank_high"] == 3
    assert {frozenset((r.above, r.below)) for r in unsettled.itertuples()} == {frozenset(("close_a", "close_b"))}


def test_cronbach_alpha_by_hand_and_per_field():
    # Three items, four respondents. Item variances (n - 1): 1/3, 1/4, 1/4; totals 3, 2, 1, 0
    # (variance 5/3). alpha = 3/2 · (1 - (1/3 + 1/4 + 1/4) / (5/3)) = 3/2 · 1/2 = 0.75
    data = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    assert cronbach_alpha(data) == pytest.approx(0.75, abs=1e-12)
    consistent = pd.DataFrame([(b, "nguoi_dan", "huyen", "x", q, opt)
                               for b, opt in enumerate(["tot", "kha", "kem", "tot", "trung_binh"])
                               for q in ("H10", "H11", "H14")],
                              columns=["ballot_id", "group", "level", "unit", "question", "option"])
    rel = field_reliability(consistent, DEFAULT).set_index(["level", "field"])
    assert rel.loc[("huyen", "3"), "alpha"] == pytest.approx(1.0) and rel.loc[("huyen", "3"), "items"] == 3


def test_kruskal_wallis_tells_where_groups_disagree():
    rows = [(f"n{i}", "nguoi_dan", "huyen", "x", "H10", "tot") for i in range(30)]
    rows += [(f"d{i}", "doanh_nghiep", "huyen", "x", "H10", "kem") for i in range(30)]
    rows += [(f"n{i}", "nguoi_dan", "huyen", "x", "H11", ["tot", "kha"][i % 2]) for i in range(30)]
    rows += [(f"d{i}", "doanh_nghiep", "huyen", "x", "H11", ["tot", "kha"][i % 2]) for i in range(30)]
    frame = pd.DataFrame(rows, columns=["ballot_id", "group", "level", "unit", "question", "option"])
    kw = group_disagreement(frame, DEFAULT).set_index("question")
    assert kw.loc["H10", "p"] < 1e-6 and kw.loc["H11", "p"] == pytest.approx(1.0)


def test_analyst_tables_by_hand():
    counts = answer_counts(answers())
    shares = option_shares(counts, CSET)
    q1 = shares[(shares.question == "Q1") & (shares.group == "dai_bieu")].set_index("option")["share"]
    # dai_bieu on Q1: tot (b1 about A), kha (b1 about B), kem (b2 about A), don't know (b2 about B).
    assert q1.to_dict() == {"kb": 0.25, "kem": 0.25, "kha": 0.25, "tot": 0.25}
    poor = poor_shares(counts, CSET).set_index(["question", "group"])["share"]
    # b3 (cong_chuc) kem on Q2 is 1 of 1 counted answers; b4 was rejected.
    assert poor[("Q2", "cong_chuc")] == 1.0 and poor[("Q1", "dai_bieu")] == 0.25
    summary = level_summary(survey_points(answers(), CSET)).set_index(["level", "code"])
    total = summary.loc[("so", "total")]
    assert (
        total["average"] == pytest.approx((0.675 + 0.55) / 2)
        and total["highest_unit"] == "A"
        and total["lowest_unit"] == "B"
    )
