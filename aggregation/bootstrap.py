"""How sure the survey points are: a cluster bootstrap by ballot, and rank intervals.

A ballot is the unit of resampling. A provincial delegate's ballot rates every
department; one lenient delegate lifts all of them together, so a replicate
draws that ballot once and it brings all its ratings of all units. Ballots are
drawn with replacement within their stratum, as many as the stratum holds:

- a group that rates its **own** unit: the unit × group (the plan draws the
  sample per unit, so each unit keeps its number of ballots of the group);
- a group that rates **each** unit of a level, or **chooses** among them: the
  group as a whole;
- a **census** group (``Group.census``: every member is surveyed) is not
  resampled at all: every replicate holds each of its ballots once, so it adds
  no sampling variance.

Ballots, strata and the replicates' draws are taken in sorted order, so the
same ballots and seed give the same figures in any row order. Points,
differences, rank ranges and class chances all come from the same replicates
(:attr:`Bootstrap.totals`).

References
----------
Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13
(percentile intervals), ch. 2 and 6 (stratified resampling).
Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their
Application*, §3.8 (resampling clusters, not the observations inside them).
Goldstein, H. & Spiegelhalter, D. (1996). League tables and their limitations:
statistical issues in comparisons of institutional performance. *JRSS A* 159(3),
385-443 (rank intervals).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from questionnaires import CriteriaSet

from .answers import counted_answers, options_frame, rules_frame

# Replicates are scored in chunks of about this many ballot weights (memory stays
# bounded for 30,000 ballots); the chunk size depends only on the number of ballots.
CHUNK_CELLS = 4_000_000
INTERVAL_COLUMNS = ["level", "unit", "code", "points", "low", "high", "single"]


def _scored(answers: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """Counted answers with their fraction; "don't know" rows left out (they never count)."""
    options = options_frame(cset)
    df = counted_answers(answers)[["ballot_id", "group", "level", "unit", "question", "option"]].astype(str)
    df = df.merge(options[["level", "question", "option", "fraction"]], on=["level", "question", "option"], how="left")
    return df[df["fraction"].notna()]


@dataclass(frozen=True)
class Bootstrap:
    """Point estimates with percentile intervals, and the replicates behind them.

    ``intervals``: ``level, unit, code`` (a field code or ``total``), ``points``,
    ``low``, ``high``, ``single`` (the sampled groups, comma-joined, with exactly one
    ballot for the unit: its interval says nothing of them). ``totals``: replicate ×
    (level, unit) survey totals (for differences, ranks and classes). ``census``: the
    groups taken as surveyed in full (not resampled).
    """

    intervals: pd.DataFrame
    totals: pd.DataFrame
    census: tuple[str, ...] = field(default=())


def census_groups(cset: CriteriaSet) -> tuple[str, ...]:
    """Codes of the groups the set marks as surveyed in full (``Group.census``)."""
    return tuple(sorted(g.code for g in cset.groups if getattr(g, "census", False)))


def ballot_strata(df: pd.DataFrame, cset: CriteriaSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted ballot ids, each ballot's stratum number and whether its group is a census.

    ``df`` holds ``ballot_id, group, level, unit`` as text. Strata are numbered in the
    sorted order of their keys: ``(group, level, unit)`` for a group rating its own unit,
    ``(group, "", "")`` otherwise.
    """
    own = {(g.code, r.level) for g in cset.groups for r in g.rates if r.how == "own"}
    first = df[["ballot_id", "group", "level", "unit"]].sort_values(["ballot_id", "level", "unit"], kind="stable")
    first = first.drop_duplicates("ballot_id")
    is_own = np.array([(g, lv) in own for g, lv in zip(first["group"], first["level"])], dtype=bool)
    key_level = np.where(is_own, first["level"].to_numpy(dtype=object), "")
    key_unit = np.where(is_own, first["unit"].to_numpy(dtype=object), "")
    keys = pd.Series([f"{g}\x1f{lv}\x1f{u}" for g, lv, u in zip(first["group"], key_level, key_unit)])
    strata, stratum = np.unique(keys.to_numpy(dtype=str), return_inverse=True)
    census = set(census_groups(cset))
    return (first["ballot_id"].to_numpy(dtype=str), stratum.astype(np.int64),
            first["group"].isin(census).to_numpy())


def replicate_weights(stratum: np.ndarray, census: np.ndarray, replicates: int,
                      rng: np.random.Generator) -> np.ndarray:
    """``replicates`` × ballots: how many times each ballot is drawn in each replicate.

    Each stratum of *n* sampled ballots gets *n* draws with replacement (a multinomial);
    a census ballot counts once in every replicate.

    Examples
    --------
    >>> w = replicate_weights(np.array([0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1], dtype=bool), 4,
    ...                       np.random.default_rng(0))
    >>> w.sum(axis=1).tolist(), w[:, 2:].tolist()[0]   # 2 drawn ballots + 3 census ones, always
    ([5.0, 5.0, 5.0, 5.0], [1.0, 1.0, 1.0])
    """
    w = np.ones((replicates, len(stratum)))
    for s in np.unique(stratum[~census]):
        members = np.flatnonzero((stratum == s) & ~census)
        n = len(members)
        w[:, members] = rng.multinomial(n, np.full(n, 1.0 / n), size=replicates)
    return w


class _Level:
    """One level's cells (unit × question × group) as a sparse ballots × cells matrix."""

    def __init__(self, level: str, part: pd.DataFrame, ballot_index: pd.Index, rules: pd.DataFrame):
        meta = rules.drop_duplicates("question")
        self.level = level
        self.units = pd.Index(np.unique(part["unit"].to_numpy(dtype=str)))
        self.questions = pd.Index(meta["question"])
        self.groups = pd.Index(sorted(rules["group"].unique()))
        self.fields = pd.Index(sorted(meta["field"].unique()))
        n, m, k = len(self.units), len(self.questions), len(self.groups)
        self.shape = (n, m, k)
        self.weight = np.zeros((m, k))
        qi, gi = self.questions.get_indexer(rules["question"]), self.groups.get_indexer(rules["group"])
        self.weight[qi, gi] = rules["weight"].to_numpy(dtype=float)
        self.max_points = meta["max_points"].to_numpy(dtype=float)
        self.one_hot = np.zeros((m, len(self.fields)))
        self.one_hot[np.arange(m), self.fields.get_indexer(meta["field"])] = 1.0
        ui = self.units.get_indexer(part["unit"])
        qj = self.questions.get_indexer(part["question"])
        gk = self.groups.get_indexer(part["group"])
        ok = (qj >= 0) & (gk >= 0)
        cell = ((ui * m + qj) * k + gk)[ok]
        rows = ballot_index.get_indexer(part["ballot_id"])[ok]
        cells = n * m * k
        values = part["fraction"].to_numpy(dtype=float)[ok]
        # Columns [0, cells): sum of fractions; [cells, 2·cells): number of answers.
        self.matrix = sparse.csr_matrix(
            (np.r_[values, np.ones(len(values))], (np.r_[rows, rows], np.r_[cell, cell + cells])),
            shape=(len(ballot_index), 2 * cells)).T.tocsr()
        # Ballots per unit × group (a ballot counts once however many questions it answered).
        pairs = pd.DataFrame({"u": ui[ok], "g": gk[ok], "b": rows}).drop_duplicates()
        self.ballots = np.zeros((n, k), dtype=np.int64)
        np.add.at(self.ballots, (pairs["u"].to_numpy(), pairs["g"].to_numpy()), 1)

    def field_points(self, w: np.ndarray) -> np.ndarray:
        """Replicates × units × fields of survey points, for ballot weights ``w`` (replicates × ballots)."""
        n, m, k = self.shape
        both = (self.matrix @ w.T).T  # replicates × 2·cells
        r = w.shape[0]
        num = both[:, : n * m * k].reshape(r, n, m, k)
        den = both[:, n * m * k:].reshape(r, n, m, k)
        present = den > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(present, num / np.where(present, den, 1.0), 0.0)
        wp = (present * self.weight).sum(axis=3)
        wf = (f * self.weight).sum(axis=3)
        fraction = np.where(wp > 0, wf / np.where(wp > 0, wp, 1.0), 0.0)
        return (fraction * self.max_points) @ self.one_hot


def bootstrap_points(answers: pd.DataFrame, cset: CriteriaSet, replicates: int = 1000, seed: int = 2023,
                     confidence: float = 0.95) -> Bootstrap:
    """Percentile cluster bootstrap (by ballot) of every unit's field points and total.

    Each replicate draws ballots with replacement within their stratum (see the module
    docstring; census groups are not drawn), each drawn ballot bringing all its answers
    about every unit, and is scored with the formula of :mod:`aggregation.points`
    (weighted groups, missing groups renormalised, unscored questions worth 0).

    Parameters
    ----------
    answers : DataFrame
        The long format of :mod:`aggregation.answers`.
    cset : CriteriaSet
        The criteria set: weights, points, how each group rates, census groups.
    replicates, seed, confidence
        Number of replicates, the random seed, the intervals' coverage.

    Examples
    --------
    >>> import pandas as pd
    >>> from questionnaires import load_default_set
    >>> a = pd.DataFrame({"ballot_id": range(4), "group": "nguoi_dan", "level": "huyen", "unit": "x",
    ...                   "question": "H10", "option": ["tot", "tot", "kem", "kha"]})
    >>> b = bootstrap_points(a, load_default_set(), replicates=200, seed=1)
    >>> row = b.intervals.query("code == 'total'").iloc[0]
    >>> bool(row.low <= row.points <= row.high)
    True
    """
    df = _scored(answers, cset)
    census = census_groups(cset)
    if df.empty:
        return Bootstrap(pd.DataFrame(columns=INTERVAL_COLUMNS), pd.DataFrame(), census)
    ballot_ids, stratum, is_census = ballot_strata(df, cset)
    ballot_index = pd.Index(ballot_ids)
    rules = rules_frame(cset)
    levels = [_Level(level, df[df["level"] == level], ballot_index, rules[rules["level"] == level])
              for level in sorted(df["level"].unique())]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(replicates, CHUNK_CELLS // max(len(ballot_ids), 1)))
    reps: list[list[np.ndarray]] = [[] for _ in levels]
    for start in range(0, replicates, chunk):
        w = replicate_weights(stratum, is_census, min(chunk, replicates - start), rng)
        for i, lv in enumerate(levels):
            reps[i].append(lv.field_points(w))
    tail = (1.0 - confidence) / 2.0
    rows, totals = [], {}
    full = np.ones((1, len(ballot_ids)))
    for lv, parts in zip(levels, reps):
        rep = np.concatenate(parts)                      # replicates × units × fields
        point = lv.field_points(full)[0]                 # units × fields
        rep_total, point_total = rep.sum(axis=2), point.sum(axis=1)
        low, high = np.quantile(rep, [tail, 1.0 - tail], axis=0)
        t_low, t_high = np.quantile(rep_total, [tail, 1.0 - tail], axis=0)
        sampled = ~lv.groups.isin(census)
        for i, unit in enumerate(lv.units):
            single = ",".join(g for g, n, s in zip(lv.groups, lv.ballots[i], sampled) if n == 1 and s)
            for j, code in enumerate(lv.fields):
                rows.append((lv.level, unit, code, point[i, j], low[i, j], high[i, j], single))
            rows.append((lv.level, unit, "total", point_total[i], t_low[i], t_high[i], single))
            totals[(lv.level, unit)] = rep_total[:, i]
    return Bootstrap(pd.DataFrame(rows, columns=INTERVAL_COLUMNS), pd.DataFrame(totals), census)


def difference_interval(boot: Bootstrap, a: tuple[str, str], b: tuple[str, str],
                        confidence: float = 0.95) -> tuple[float, float]:
    """The percentile interval of survey total *a* minus survey total *b* (``(level, unit)`` each),
    from the same replicates: a ballot rating both units moves both in every replicate."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile((boot.totals[a] - boot.totals[b]).to_numpy(), [tail, 1.0 - tail])
    return float(low), float(high)


def rank_intervals(boot: Bootstrap, confidence: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each unit's rank range over the replicates, and neighbours whose order is not settled.

    Returns
    -------
    ranks : DataFrame
        ``level, unit, rank`` (of the point estimate, highest first), ``rank_low``,
        ``rank_high`` (the ``confidence`` range of its rank over the replicates).
    unsettled : DataFrame
        ``level, above, below, share_reversed``: neighbours in the ranking whose
        order is reversed in more than ``(1 - confidence) / 2`` of the replicates.
    """
    tail = (1.0 - confidence) / 2.0
    estimates = boot.intervals[boot.intervals["code"] == "total"].set_index(["level", "unit"])["points"]
    rank_rows, pairs = [], []
    for level in sorted({lv for lv, _ in boot.totals.columns}):
        reps = boot.totals[[c for c in boot.totals.columns if c[0] == level]]
        ranks = reps.rank(axis=1, ascending=False, method="min")
        order = estimates.loc[level].sort_index().sort_values(ascending=False, kind="stable")
        point_rank = order.rank(ascending=False, method="min")
        for unit in order.index:
            r = ranks[(level, unit)].to_numpy()
            low, high = np.quantile(r, [tail, 1.0 - tail])
            rank_rows.append((level, unit, int(point_rank[unit]), int(np.floor(low)), int(np.ceil(high))))
        for above, below in zip(order.index[:-1], order.index[1:]):
            reversed_share = float((reps[(level, below)] > reps[(level, above)]).mean())
            if reversed_share > tail:
                pairs.append((level, above, below, reversed_share))
    return (pd.DataFrame(rank_rows, columns=["level", "unit", "rank", "rank_low", "rank_high"]),
            pd.DataFrame(pairs, columns=["level", "above", "below", "share_reversed"]))
