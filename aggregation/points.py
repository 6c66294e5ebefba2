"""Survey points per unit, question, sub-criterion, criterion, field and total (DOMAIN.md).

For unit *u*, question *q* (max points *m*) and group *g*:

1. ``f(u,q,g)``: mean option fraction over the counted answers of *g*
   (rejected ballots and "don't know" left out);
2. ``f(u,q)``: mean of ``f(u,q,g)`` weighted by the set's group weights, over
   the groups that have a counted answer; the others are named as missing and
   the weights renormalised; with no group at all the question has no score;
3. ``points(u,q) = m × f(u,q)``; higher levels are plain sums, each also as a
   percentage of its max. A unit is complete only if every question scored
   with every group present.

Everything is computed from the answer counts per unit × question × group ×
option, one pass over the answers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet

from .answers import AnswerProblems, check_answers, counted_answers, options_frame, rules_frame

KEYS = ["level", "unit", "question", "group"]


def _join_by(frame: pd.DataFrame, keys: list[str], column: str, sep: str) -> pd.DataFrame:
    """``keys`` + ``column`` with the column's strings of each key joined by ``sep``.

    Faster than ``groupby().agg(sep.join)`` on many small groups: one sort, one
    split, no pandas object per group.
    """
    if frame.empty:
        return pd.DataFrame(columns=keys + [column])
    frame = frame.sort_values(keys, kind="stable")
    codes = frame.groupby(keys, sort=False).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    values = frame[column].to_numpy()
    joined = [sep.join(chunk) for chunk in np.split(values, starts[1:])]
    out = frame.iloc[starts][keys].reset_index(drop=True)
    out[column] = joined
    return out


def answer_counts(answers: pd.DataFrame) -> pd.DataFrame:
    """Counted answers per level × unit × question × group × option (column ``n``)."""
    df = counted_answers(answers)
    keys = KEYS + ["option"]
    frame = df[keys]
    if len(frame):  # categorical keys group fastest; the database adapter already gives them
        frame = frame.astype({k: "category" for k in keys if not isinstance(frame[k].dtype, pd.CategoricalDtype)})
    counts = frame.groupby(keys, observed=True, sort=False).size()
    counts = counts[counts > 0].rename("n").reset_index()
    return counts.astype({k: str for k in keys})


@dataclass(frozen=True)
class SurveyPoints:
    """Points at every level of the criteria tree, one DataFrame each.

    ``questions``: ``level, unit, question, sub_criterion, criterion, field,
    max_points, fraction, points, complete, missing_groups``;
    ``sub_criteria``, ``criteria``, ``fields``: ``level, unit, code, max_points,
    points, percent, complete, reason``; ``totals``: ``level, unit, max_points,
    points, percent, complete, reason``.
    """

    questions: pd.DataFrame
    sub_criteria: pd.DataFrame
    criteria: pd.DataFrame
    fields: pd.DataFrame
    totals: pd.DataFrame

    def table(self, field_codes: list[str]) -> pd.DataFrame:
        """One row per unit: ``level, unit, <field codes...>, total, complete`` (as ``points.csv``)."""
        wide = self.fields.pivot_table(index=["level", "unit"], columns="code", values="points", aggfunc="sum")
        wide = wide.reindex(columns=field_codes).fillna(0.0)
        out = wide.join(self.totals.set_index(["level", "unit"])[["points", "complete"]].rename(columns={"points": "total"}))
        out["complete"] = out["complete"].astype(int)
        out.columns.name = None
        return out.reset_index()


def survey_points(answers: pd.DataFrame, cset: CriteriaSet, units: pd.DataFrame | None = None,
                  check: bool = True) -> SurveyPoints:
    """Survey points of every unit in ``answers`` (and in ``units``, if given).

    Parameters
    ----------
    answers : DataFrame
        The long format of :mod:`aggregation.answers`.
    cset : CriteriaSet
        The criteria set the ballots answer.
    units : DataFrame, optional
        ``level, unit`` of units to score even without any answer (they get no
        points and are incomplete).
    check : bool
        Check the rows first and raise :class:`AnswerProblems` listing every bad row.

    Examples
    --------
    >>> import pandas as pd
    >>> from questionnaires import load_default_set
    >>> a = pd.DataFrame({"ballot_id": [1, 2], "group": ["nguoi_dan", "doanh_nghiep"], "level": "huyen",
    ...                   "unit": "ba_be", "question": "H10", "option": ["tot", "kha"]})
    >>> q = survey_points(a, load_default_set()).questions
    >>> float(q.loc[q.question == "H10", "points"].iloc[0])  # 0.5 x (1.0 + 0.6) / 2
    0.4
    """
    if check:
        problems = check_answers(answers, cset)
        if problems:
            raise AnswerProblems(problems)
    return points_from_counts(answer_counts(answers), cset, units)


def group_fractions(counts: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """``f(u,q,g)`` with the number of counted answers behind it: ``level, unit, question, group, f, n``."""
    options = options_frame(cset)
    c = counts.merge(options[["level", "question", "option", "fraction"]], on=["level", "question", "option"], how="left")
    c = c[c["fraction"].notna()]
    c = c.assign(weighted=c["fraction"] * c["n"])
    g = c.groupby(KEYS, sort=False)[["weighted", "n"]].sum().reset_index()
    g["f"] = g["weighted"] / g["n"]
    return g[KEYS + ["f", "n"]]


def points_from_counts(counts: pd.DataFrame, cset: CriteriaSet, units: pd.DataFrame | None = None) -> SurveyPoints:
    """:func:`survey_points` from answer counts (the bootstrap reuses this)."""
    rules = rules_frame(cset)
    seen = counts[["level", "unit"]].drop_duplicates()
    if units is not None:
        seen = pd.concat([seen, units[["level", "unit"]].astype(str)]).drop_duplicates()
    seen = seen[seen["level"].isin(rules["level"].unique())]
    grid = seen.merge(rules, on="level")  # every unit × question × asking group
    grid = grid.merge(group_fractions(counts, cset), on=KEYS, how="left")
    grid["present"] = grid["f"].notna()
    grid["wf"] = np.where(grid["present"], grid["weight"] * grid["f"], 0.0)
    grid["wp"] = np.where(grid["present"], grid["weight"], 0.0)
    qkeys = ["level", "unit", "question"]
    q = grid.groupby(qkeys, sort=False)[["wf", "wp"]].sum().reset_index()
    meta = rules.drop_duplicates(["level", "question"])[["level", "question", "sub_criterion", "criterion", "field", "max_points"]]
    q = q.merge(meta, on=["level", "question"], how="left")
    # Names of missing groups, built only for the (few) rows that miss one.
    missing = grid.loc[~grid["present"], qkeys + ["group"]].sort_values("group")
    missing = _join_by(missing, qkeys, "group", ",").rename(columns={"group": "missing_groups"})
    q = q.merge(missing, on=qkeys, how="left")
    q["missing_groups"] = q["missing_groups"].fillna("")
    q["fraction"] = np.where(q["wp"] > 0, q["wf"] / q["wp"].where(q["wp"] > 0, 1.0), np.nan)
    q["points"] = q["max_points"] * q["fraction"]
    q["complete"] = q["missing_groups"].eq("")
    q = q.drop(columns=["wf", "wp"])[["level", "unit", "question", "sub_criterion", "criterion", "field", "max_points",
                                      "fraction", "points", "complete", "missing_groups"]]
    scored = q.assign(points=q["points"].fillna(0.0))
    incomplete = q[~q["complete"]].copy()
    incomplete["reason"] = np.where(incomplete["points"].isna(), "no answers: " + incomplete["question"],
                                    "missing " + incomplete["missing_groups"] + ": " + incomplete["question"])

    def roll(by: str) -> pd.DataFrame:
        keys = ["level", "unit"] + ([by] if by else [])
        out = scored.groupby(keys, sort=False).agg(
            max_points=("max_points", "sum"), points=("points", "sum"), complete=("complete", "all")).reset_index()
        reasons = _join_by(incomplete[keys + ["question", "reason"]].sort_values("question"), keys, "reason", "; ")
        out = out.merge(reasons, on=keys, how="left")
        out["reason"] = out["reason"].fillna("")
        out["percent"] = 100.0 * out["points"] / out["max_points"]
        return out.rename(columns={by: "code"}) if by else out

    return SurveyPoints(q, roll("sub_criterion"), roll("criterion"), roll("field"), roll(""))
