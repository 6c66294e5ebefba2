"""The SIPAS bootstrap and ranks (aggregation/sipas_bootstrap.py) on tiny data whose intervals are known."""
from __future__ import annotations

import pandas as pd
import pytest

from aggregation.sipas_bootstrap import rank_units, sipas_bootstrap

Q = pd.DataFrame({"question": ["q1", "q2"], "element": ["1", "2"], "role": ["satisfaction", "satisfaction"]})
POSITIVE = {"q1": {"hl"}, "q2": {"hl"}}
DONT_KNOW = {"q1": {"kb"}, "q2": {"kb"}}


def _answers(unit: str, options: list[str], start: int = 0) -> pd.DataFrame:
    """One ballot per option, answering it to both questions."""
    rows = [(start + i, unit, q, o) for i, o in enumerate(options) for q in ("q1", "q2")]
    return pd.DataFrame(rows, columns=["ballot", "unit", "question", "option"])


def _tiny() -> pd.DataFrame:
    # same: 6 identical ballots (SIPAS 1); half: 5 satisfied, 5 not (0.5); few: 3 ballots, under min_ballots 5
    return pd.concat([_answers("same", ["hl"] * 6), _answers("half", ["hl", "khl"] * 5, 100),
                      _answers("few", ["hl", "khl", "hl"], 200)], ignore_index=True)


def test_identical_ballots_give_a_zero_width_interval_and_a_split_unit_a_wide_one():
    b = sipas_bootstrap(_tiny(), Q, POSITIVE, DONT_KNOW, units=["few", "half", "same"], replicates=1000, seed=7)
    u = b.units.set_index("unit")
    assert u.loc["same", ["sipas", "low", "high"]].tolist() == [1.0, 1.0, 1.0]
    # half: a replicate's SIPAS is k/10, k ~ Binomial(10, 1/2) satisfied ballots drawn; P(k ≤ 1) = 1,1 % and
    # P(k ≤ 2) = 5,5 %, so the 2.5 percentile is near 0.2 and the 97.5 one near 0.8.
    low, high = u.loc["half", ["low", "high"]]
    assert u.loc["half", "sipas"] == 0.5 and low < 0.5 < high
    assert 0.1 <= low <= 0.3 and 0.7 <= high <= 0.9
    assert u.loc["few", ["sipas", "low", "high"]].isna().all() and u.loc["few", "ballots"] == 3
    value, p_low, p_high = b.province
    assert value == 0.75 and p_low < 0.75 < p_high and p_high <= 1.0
    # the province's replicate is the mean of 1 and half's: its interval is half's, halved and moved up
    assert (p_low, p_high) == pytest.approx(((1 + low) / 2, (1 + high) / 2))


def test_the_same_seed_gives_the_same_intervals_in_any_row_order():
    a = _tiny()
    one = sipas_bootstrap(a, Q, POSITIVE, DONT_KNOW, replicates=300, seed=11)
    shuffled = a.sample(frac=1.0, random_state=3)
    two = sipas_bootstrap(shuffled, Q, POSITIVE, DONT_KNOW, replicates=300, seed=11)
    pd.testing.assert_frame_equal(one.units, two.units)
    assert one.province == two.province and (one.seed, one.replicates) == (11, 300)


def test_dont_know_and_rejected_answers_stay_out_of_the_replicates():
    a = _answers("u", ["hl"] * 5 + ["kb"] * 3)
    a.loc[len(a)] = [99, "u", "q1", "khl"]
    a["state"] = ["verified"] * (len(a) - 1) + ["rejected"]
    b = sipas_bootstrap(a, Q, POSITIVE, DONT_KNOW, replicates=200, seed=1)
    # every counted answer that is not "kb" is positive: every replicate is 1 (or leaves a question out)
    assert b.units[["sipas", "low", "high"]].iloc[0].tolist() == [1.0, 1.0, 1.0]


def test_dossier_weighting_weighs_the_replicates_too():
    b = sipas_bootstrap(_tiny(), Q, POSITIVE, DONT_KNOW, dossiers={"same": 3, "half": 1}, weighting="dossiers",
                        replicates=500, seed=5)
    u = b.units.set_index("unit")
    value, low, high = b.province
    assert value == pytest.approx((3 * 1.0 + 0.5) / 4)
    assert (low, high) == pytest.approx(((3 + u.loc["half", "low"]) / 4, (3 + u.loc["half", "high"]) / 4))


def test_ranks_within_groups_ties_as_printed_and_overlaps_of_neighbours():
    f = pd.DataFrame({"level": ["so"] * 4 + ["xa"] * 2, "unit": ["a", "b", "c", "d", "x", "y"],
                      "sipas": [0.80, 0.9141, 0.9139, float("nan"), 0.5, 0.6],
                      "low": [0.70, 0.90, 0.91, None, 0.45, 0.56], "high": [0.85, 0.93, 0.92, None, 0.55, 0.65]})
    r = rank_units(f, ["level"]).set_index("unit")
    # b and c print alike (91,4 %): rank 1 both, a is 3; d has no SIPAS; x, y are ranked apart, in their level
    assert r["rank"].tolist() == [3, 1, 1, pd.NA, 2, 1]
    assert r["rank_of"].tolist() == [3, 3, 3, pd.NA, 2, 2]
    # a's interval [0.70, 0.85] meets neither b's nor c's; x [0.45, 0.55] and y [0.56, 0.65] do not meet
    assert r["overlaps"].tolist() == [""] * 6
    f.loc[0, "high"] = 0.905
    r = rank_units(f, ["level"]).set_index("unit")
    assert r.loc["a", "overlaps"] == "b" and r.loc["b", "overlaps"] == "a" and r.loc["c", "overlaps"] == ""
