"""The cluster bootstrap by ballot, worked out by hand: strata, census groups, one-ballot cells,
row order, class chances (the confidence page: tests/test_confidence_page.py)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from aggregation import Bootstrap
from aggregation.bootstrap import bootstrap_points, difference_interval
from questionnaires import load_default_set
from scoring.intervals import class_chances, index_intervals

DEFAULT = load_default_set()


def with_census(cset, census: set[str]):
    """The set with exactly ``census`` marked as surveyed in full."""
    return replace(cset, groups=tuple(replace(g, census=g.code in census) for g in cset.groups))


SAMPLED = with_census(DEFAULT, set())


def rows(*answers):
    """(ballot, group, unit, option) on question S19 of the level so (max 0.5; asked of hdnd_tinh, cc_so, ldp_huyen)."""
    return pd.DataFrame([(b, g, "so", u, "S19", o) for b, g, u, o in answers],
                        columns=["ballot_id", "group", "level", "unit", "question", "option"])


def test_a_ballot_rating_two_units_is_drawn_once_with_both_ratings():
    # Two delegates (how: each) rate departments a and b alike: one "tot" (1.0) on both, one "kem" (0.0) on both.
    # A replicate draws 2 of the 2 ballots for the whole group, so a and b always get the same ballots: their
    # totals are equal in every replicate (0, 0.25 or 0.5) and their difference is exactly 0. Resampled per
    # unit, as before, a and b were drawn apart and differed in about half the replicates.
    a = rows((1, "hdnd_tinh", "a", "tot"), (1, "hdnd_tinh", "b", "tot"),
             (2, "hdnd_tinh", "a", "kem"), (2, "hdnd_tinh", "b", "kem"))
    boot = bootstrap_points(a, SAMPLED, replicates=400, seed=3)
    ta, tb = boot.totals[("so", "a")], boot.totals[("so", "b")]
    assert (ta == tb).all()
    assert set(ta.round(9)) == {0.0, 0.25, 0.5}
    assert difference_interval(boot, ("so", "a"), ("so", "b")) == (0.0, 0.0)


def test_a_group_choosing_units_is_resampled_as_a_whole():
    # Heads of office (how: choose): ballot 1 rates a "tot", ballot 2 rates b "kem"; one civil servant of b
    # (how: own) says "kha" (0.6). Point of b on S19: 0.5 × (0.6 + 0.0) / 2 = 0.15 (delegates absent, weights
    # renormalised). A replicate draws 2 heads of office from {1, 2}: with chance 1/4 both are ballot 1, b has no
    # head of office and scores 0.5 × 0.6 = 0.3. Per unit × group (before) b's head of office was always drawn.
    a = rows((1, "ldp_huyen", "a", "tot"), (2, "ldp_huyen", "b", "kem"), (3, "cc_so", "b", "kha"))
    boot = bootstrap_points(a, SAMPLED, replicates=4000, seed=5)
    tb = boot.totals[("so", "b")].round(9)
    assert set(tb) == {0.15, 0.3}
    assert (tb == 0.3).mean() == pytest.approx(0.25, abs=0.03)  # sd of the share: √(0.25·0.75/4000) = 0.007
    point = boot.intervals.set_index(["unit", "code"]).loc[("b", "total")]
    assert point["points"] == pytest.approx(0.15)
    assert point["single"] == "cc_so,ldp_huyen"   # one ballot of each sampled group for b: said, not hidden


def test_census_group_adds_no_sampling_variance():
    # Delegates surveyed in full: "tot" and "kem" on a give 0.5 × (1 + 0) / 2 = 0.25 in every replicate.
    a = rows((1, "hdnd_tinh", "a", "tot"), (2, "hdnd_tinh", "a", "kem"))
    census = with_census(DEFAULT, {"hdnd_tinh"})
    boot = bootstrap_points(a, census, replicates=300, seed=1)
    assert boot.census == ("hdnd_tinh",)
    assert (boot.totals[("so", "a")] == 0.25).all()
    total = boot.intervals.set_index(["unit", "code"]).loc[("a", "total")]
    assert (total["low"], total["high"]) == (0.25, 0.25) and total["single"] == ""
    # Sampled, the same two ballots vary: 0, 0.25 or 0.5.
    assert set(bootstrap_points(a, SAMPLED, replicates=300, seed=1).totals[("so", "a")]) == {0.0, 0.25, 0.5}


def test_the_same_ballots_and_seed_give_the_same_figures_in_any_row_order():
    rng = np.random.default_rng(8)
    answers = []
    for b in range(40):
        group = ["hdnd_tinh", "cc_so", "ldp_huyen"][b % 3]
        units = ["a", "b", "c", "d"] if group == "hdnd_tinh" else [["a", "b", "c", "d"][b % 4]]
        answers += [(f"p{b}", group, u, rng.choice(["tot", "kha", "trung_binh", "kem"])) for u in units]
    frame = rows(*answers)
    shuffled = frame.sample(frac=1.0, random_state=11).reset_index(drop=True)
    one, two = bootstrap_points(frame, SAMPLED, 300, seed=4), bootstrap_points(shuffled, SAMPLED, 300, seed=4)
    pd.testing.assert_frame_equal(one.intervals, two.intervals)
    pd.testing.assert_frame_equal(one.totals, two.totals)


def test_class_chances_of_a_unit_near_a_band_edge():
    # Index replicates of a: 70 + (9.5, 10.5, 10.2, 9.9, 10.1) = 79.5, 80.5, 80.2, 79.9, 80.1: three of five reach
    # Tốt (80). Their 95 % interval (79.54 to 80.47) holds the edge 80. b: 70 + 2.x, far from 70 and 80: no chances.
    boot = Bootstrap(pd.DataFrame({"level": "so", "unit": ["a", "b"], "code": "total", "points": [10.0, 2.4],
                                   "low": [9.5, 2.1], "high": [10.5, 2.8], "single": ""}),
                     pd.DataFrame({("so", "a"): [9.5, 10.5, 10.2, 9.9, 10.1], ("so", "b"): [2.1, 2.5, 2.8, 2.2, 2.4]}))
    appraisal = pd.DataFrame({"level": "so", "unit": ["a", "b"], "appraisal": [70.0, 70.0]})
    chances = class_chances(boot, appraisal, DEFAULT)
    assert chances.values.tolist() == [["so", "a", "Tốt", 0.6], ["so", "a", "Khá", 0.4]]
    table, _ = index_intervals(boot, appraisal, cset=DEFAULT)
    assert table.set_index("unit")["class_chances"].to_dict() == {"a": "Tốt 60,0%; Khá 40,0%", "b": ""}
