"""The coverage guard (docs/method.md, "Coverage"): no survey score without enough ballots.

A unit × group with no counted ballot adds nothing to a unit's points (the group weights are
renormalised over the groups present, :mod:`aggregation.points`). A unit whose counted ballots,
over all groups, are fewer than the set's ``min_ballots`` has **no survey score**: its points are
left empty, it is neither ranked nor classed, and every table says "chưa đủ phiếu (n phiếu)". A
unit at or above the minimum but under its plan (the sample targets of its cells) is ranked and
marked "dưới kế hoạch".

Pure pandas, like the rest of :mod:`scoring`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet

NOT_ENOUGH = "Chưa đủ phiếu"


def not_enough(ballots) -> str:
    """What a table shows instead of a score, rank or class.

    Examples
    --------
    >>> not_enough(4), not_enough(0)
    ('chưa đủ phiếu (4 phiếu)', 'chưa đủ phiếu (0 phiếu)')
    """
    return f"chưa đủ phiếu ({int(ballots)} phiếu)"


def under_plan(ballots, planned) -> str:
    """The mark of a ranked unit under its plan.

    Examples
    --------
    >>> under_plan(6, 10)
    'dưới kế hoạch (6/10 phiếu)'
    """
    return f"dưới kế hoạch ({int(ballots)}/{int(planned)} phiếu)"


def unit_ballots(answers: pd.DataFrame) -> pd.DataFrame:
    """Counted ballots per ``level, unit, group`` (column ``ballots``): the distinct ballots with an
    answer for the unit, rejected ones left out. A ballot belongs to one group, so a unit's ballots
    over all groups are the sum of its rows.

    Examples
    --------
    >>> a = pd.DataFrame({"ballot_id": [1, 1, 2, 3], "group": ["g", "g", "g", "h"], "level": "so",
    ...                   "unit": ["a", "a", "a", "a"], "question": ["q1", "q2", "q1", "q1"], "option": "x",
    ...                   "state": ["received", "received", "rejected", "verified"]})
    >>> unit_ballots(a).values.tolist()
    [['so', 'a', 'g', 1], ['so', 'a', 'h', 1]]
    """
    keys = ["level", "unit", "group"]
    frame = answers
    if "state" in frame.columns:
        frame = frame[(frame["state"] != "rejected").to_numpy()]
    if frame.empty:
        return pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys}, "ballots": pd.Series(dtype="int64")})
    pairs = frame[keys + ["ballot_id"]].astype({k: str for k in keys}).drop_duplicates()
    out = pairs.groupby(keys, sort=True, observed=True).size().rename("ballots").reset_index()
    out["ballots"] = out["ballots"].astype("int64")
    return out


def with_coverage(survey: pd.DataFrame, ballots: pd.DataFrame, cset: CriteriaSet,
                  planned: pd.DataFrame | None = None) -> pd.DataFrame:
    """``survey`` (``level, unit, <fields>, total[, complete]``) with ``ballots`` (counted, over all
    groups) and ``planned`` (the unit's sample targets, NaN without a plan); the points of a unit
    under ``cset.min_ballots`` are emptied (NaN): it has no survey score.

    Parameters
    ----------
    ballots : DataFrame
        ``level, unit[, group], ballots`` (:func:`unit_ballots`).
    planned : DataFrame, optional
        ``level, unit, planned``.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> s = pd.DataFrame({"level": "so", "unit": ["a", "b"], "total": [9.0, 8.0]})
    >>> b = pd.DataFrame({"level": "so", "unit": ["a", "b"], "ballots": [5, 4]})
    >>> with_coverage(s, b, load_default_set())[["unit", "total", "ballots"]].values.tolist()
    [['a', 9.0, 5], ['b', nan, 4]]
    """
    per_unit = ballots.groupby(["level", "unit"], sort=False)["ballots"].sum()
    keys = pd.MultiIndex.from_frame(survey[["level", "unit"]].astype(str))
    out = survey.copy()
    out["ballots"] = per_unit.reindex(keys).fillna(0).astype("int64").to_numpy()
    if planned is not None and not planned.empty:
        plan = planned.groupby(["level", "unit"], sort=False)["planned"].sum()
        out["planned"] = plan.reindex(keys).to_numpy(dtype=float)
    else:
        out["planned"] = np.nan
    under = out["ballots"] < cset.min_ballots
    points = [f.code for f in cset.fields if f.code in out.columns] + ["total"]
    out.loc[under, points] = np.nan
    return out


def coverage_marks(ballots: pd.Series, planned: pd.Series, minimum: int) -> list[str]:
    """Per unit: :func:`not_enough` under ``minimum``, :func:`under_plan` under a plan, else "".

    Examples
    --------
    >>> coverage_marks(pd.Series([0, 4, 5, 12]), pd.Series([10, 10, 10, float("nan")]), 5)
    ['chưa đủ phiếu (0 phiếu)', 'chưa đủ phiếu (4 phiếu)', 'dưới kế hoạch (5/10 phiếu)', '']
    """
    out = []
    for n, p in zip(ballots, planned):
        if n < minimum:
            out.append(not_enough(n))
        elif pd.notna(p) and n < p:
            out.append(under_plan(n, p))
        else:
            out.append("")
    return out


# A commune not ranked for want of ballots, in a district's list of commune classes
# (:func:`scoring.final.district_class`): it counts among the communes and reaches no class.
UNRANKED = "chua_du_phieu"
UNRANKED_BAND = -2  # its band number in :func:`scoring.final.final_table` (-1: no appraisal)


def guarded_ballots(merged: pd.DataFrame, cset: CriteriaSet) -> tuple[pd.Series, pd.Series]:
    """Each row's counted ballots and whether it is under ``cset.min_ballots``.

    Without a ``ballots`` column (a ``points.csv`` written before the guard) nothing is known:
    the counts are NA and no unit is held back. With it, a unit absent from the survey has 0.
    """
    if "ballots" not in merged:
        return pd.Series(pd.NA, merged.index, "Int64"), pd.Series(False, merged.index)
    ballots = merged["ballots"].fillna(0).astype("int64")
    return ballots, ballots < cset.min_ballots


def mark_coverage(out: pd.DataFrame, merged: pd.DataFrame, ballots: pd.Series, under: pd.Series,
                  cset: CriteriaSet) -> None:
    """Fill ``out``'s ``ballots`` and ``coverage`` columns, and say "Chưa đủ phiếu (n phiếu)" in the
    class of a unit under the minimum (its rank and index are already empty)."""
    out["ballots"] = ballots
    planned = merged["planned"] if "planned" in merged else pd.Series(np.nan, merged.index)
    out["coverage"] = coverage_marks(ballots, planned, cset.min_ballots) if "ballots" in merged else ""
    for i in out.index[under]:
        out.at[i, "class"] = f"{NOT_ENOUGH} ({int(ballots[i])} phiếu)"
        out.at[i, "class_reason"] = (f"dưới {cset.min_ballots} phiếu tối thiểu: không tính điểm điều tra XHH, "
                                     "không xếp hạng, không xếp loại")
