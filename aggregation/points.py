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

from .answers import AnswerProblems, check_answers, options_frame, rules_frame

KEYS = ["level", "unit", "question", "group"]


def answer_counts(answers: pd.DataFrame) -> pd.DataFrame:
    """Counted answers per level × unit × question × group × option (column ``n``).

    Each key becomes integer codes (free for categorical columns, which the
    database adapter gives) and the counts come from one ``np.bincount`` over
    the combined code; a plain ``groupby`` is the fallback when the code space
    is too sparse for that.
    """
    keys = KEYS + ["option"]
    frame = answers[keys]
    if "state" in answers.columns:
        frame = frame[(answers["state"] != "rejected").to_numpy()]
    if frame.empty:
        return pd.DataFrame({**{k: pd.Series(dtype=str) for k in keys}, "n": pd.Series(dtype="int64")})
    codes, uniques = [], []
    for k in keys:
        column = frame[k]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes.append(column.cat.codes.to_numpy().astype(np.int64))
            uniques.append(column.cat.categories.astype(str).to_numpy())
        else:
            c, u = pd.factorize(column.astype(str))
            codes.append(c.astype(np.int64))
            uniques.append(np.asarray(u, dtype=object))
    sizes = [max(len(u), 1) for u in uniques]
    space = int(np.prod(sizes, dtype=np.float64))
    if space <= max(4 * len(frame), 1 << 20):
        combined = np.ravel_multi_index(codes, sizes)
        n = np.bincount(combined, minlength=space)
        present = np.flatnonzero(n)
        parts = np.unravel_index(present, sizes)
        counts = n[present]
    else:
        key_frame = pd.DataFrame(dict(zip(keys, codes)))
        grouped = key_frame.groupby(keys, sort=False).size()
        parts = [grouped.index.get_level_values(k).to_numpy() for k in keys]
        counts = grouped.to_numpy()
    out = pd.DataFrame({k: u[p] for k, u, p in zip(keys, uniques, parts)})
    out["n"] = counts.astype(np.int64)
    return out


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
        out = wide.join(
            self.totals.set_index(["level", "unit"])[["points", "complete"]].rename(columns={"points": "total"})
        )
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
    c = counts.merge(
        options[["level", "question", "option", "fraction"]], on=["level", "question", "option"], how="left"
    )
    c = c[c["fraction"].notna()]
    c = c.assign(weighted=c["fraction"] * c["n"])
    g = c.groupby(KEYS, sort=False)[["weighted", "n"]].sum().reset_index()
    g["f"] = g["weighted"] / g["n"]
    return g[KEYS + ["f", "n"]]


def _joined(slots: np.ndarray, texts: np.ndarray, size: int, sep: str) -> np.ndarray:
    """``size`` strings: slot *i* holds the ``texts`` whose slot is *i*, in their order, joined by ``sep``."""
    out = np.full(size, "", dtype=object)
    if len(slots):
        order = np.argsort(slots, kind="stable")
        slots, texts = slots[order], texts[order].tolist()
        starts = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
        ends = np.r_[starts[1:], len(slots)]
        out[slots[starts]] = [sep.join(texts[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    return out


def _codes(values, index: pd.Index) -> np.ndarray:
    return index.get_indexer(pd.Index(np.asarray(values, dtype=object)))


def points_from_counts(counts: pd.DataFrame, cset: CriteriaSet, units: pd.DataFrame | None = None) -> SurveyPoints:
    """:func:`survey_points` from answer counts (the bootstrap reuses this).

    Works level by level on dense arrays: units × questions × groups of
    ``f(u,q,g)``, so the weighting, the missing groups and every roll-up are
    array operations; only the reason texts of incomplete questions are strings.
    """
    rules = rules_frame(cset)
    seen = counts[["level", "unit"]].astype(str).drop_duplicates()
    if units is not None:
        seen = pd.concat([seen, units[["level", "unit"]].astype(str)]).drop_duplicates()
    fractions = group_fractions(counts, cset)
    parts = [_level_points(level, seen.loc[seen["level"] == level, "unit"].to_numpy(dtype=object),
                           level_rules, fractions[fractions["level"] == level])
             for level, level_rules in rules.groupby("level", sort=False)
             if (seen["level"] == level).any()]
    if not parts:
        parts = [_level_points(level, np.array([], dtype=object), level_rules, fractions.iloc[:0])
                 for level, level_rules in rules.groupby("level", sort=False)][:1]
    return SurveyPoints(*(pd.concat(frames, ignore_index=True) for frames in zip(*parts)))


def _level_points(level: str, units: np.ndarray, rules: pd.DataFrame, fractions: pd.DataFrame) -> tuple:
    """The five frames of :class:`SurveyPoints` for the units of one level."""
    meta = rules.drop_duplicates("question")
    questions = pd.Index(meta["question"])
    groups = pd.Index(rules["group"].unique())
    n, m, k = len(units), len(questions), len(groups)
    qi, gi = _codes(rules["question"], questions), _codes(rules["group"], groups)
    weight = np.zeros((m, k))
    weight[qi, gi] = rules["weight"].to_numpy(dtype=float)
    asked = np.zeros((m, k), dtype=bool)
    asked[qi, gi] = True
    f = np.full((n, m, k), np.nan)
    ui = _codes(fractions["unit"], pd.Index(units))
    fq, fg = _codes(fractions["question"], questions), _codes(fractions["group"], groups)
    ok = (ui >= 0) & (fq >= 0) & (fg >= 0)
    f[ui[ok], fq[ok], fg[ok]] = fractions["f"].to_numpy(dtype=float)[ok]
    present = ~np.isnan(f) & asked
    wp = (weight * present).sum(axis=2)
    wf = np.where(present, weight * np.nan_to_num(f), 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(wp > 0, wf / np.where(wp > 0, wp, 1.0), np.nan)
    max_points = meta["max_points"].to_numpy(dtype=float)
    points = max_points * fraction
    missing = asked & ~present
    complete = ~missing.any(axis=2)
    # Missing-group names per pattern of missing groups (a bit mask), not per cell.
    pattern = (missing * (1 << np.arange(k, dtype=np.int64))).sum(axis=2)
    patterns, which = np.unique(pattern, return_inverse=True)
    group_names = groups.tolist()
    names = np.array([",".join(sorted(group_names[j] for j in range(k) if int(p) >> j & 1)) for p in patterns] or [""],
                     dtype=object)
    missing_groups = names[which.reshape(n, m)]
    q = pd.DataFrame({
        "level": level, "unit": np.repeat(units, m), "question": np.tile(questions.to_numpy(dtype=object), n),
        "sub_criterion": np.tile(meta["sub_criterion"].to_numpy(dtype=object), n),
        "criterion": np.tile(meta["criterion"].to_numpy(dtype=object), n),
        "field": np.tile(meta["field"].to_numpy(dtype=object), n),
        "max_points": np.tile(max_points, n), "fraction": fraction.ravel(), "points": points.ravel(),
        "complete": complete.ravel(), "missing_groups": missing_groups.ravel()})
    # Reason texts of incomplete questions, in question order within each unit.
    bad_u, bad_q = np.nonzero(~complete)
    names_q = questions.tolist()
    reasons = np.array(
        [
            f"no answers: {names_q[j]}" if wp[i, j] == 0 else f"missing {missing_groups[i, j]}: {names_q[j]}"
            for i, j in zip(bad_u.tolist(), bad_q.tolist())
        ],
        dtype=object,
    )
    scored = np.nan_to_num(points)

    def roll(by: str | None) -> pd.DataFrame:
        codes = pd.Index(meta[by].unique()) if by else pd.Index(["total"])
        member = _codes(meta[by], codes) if by else np.zeros(m, dtype=np.int64)
        c = len(codes)
        one_hot = np.zeros((m, c))
        one_hot[np.arange(m), member] = 1.0
        out = pd.DataFrame({"level": level, "unit": np.repeat(units, c)})
        if by:
            out["code"] = np.tile(codes.to_numpy(dtype=object), n)
        out["max_points"] = np.tile(max_points @ one_hot, n)
        out["points"] = (scored @ one_hot).ravel()
        out["complete"] = ((~complete) @ one_hot == 0).ravel()
        out["reason"] = _joined(bad_u * c + member[bad_q], reasons, n * c, "; ")
        out["percent"] = 100.0 * out["points"] / out["max_points"]
        return out

    return q, roll("sub_criterion"), roll("criterion"), roll("field"), roll(None)
