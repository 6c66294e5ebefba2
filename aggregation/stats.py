"""How sure each figure is: bootstrap intervals, rank intervals, reliability, group disagreement.

References
----------
Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13
(percentile intervals), ch. 2 and 6 (stratified resampling).
Goldstein, H. & Spiegelhalter, D. (1996). League tables and their limitations:
statistical issues in comparisons of institutional performance. *JRSS A* 159(3),
385-443 (rank intervals).
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
*Psychometrika* 16, 297-334.
Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance
analysis. *JASA* 47, 583-621 (``scipy.stats.kruskal``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from questionnaires import CriteriaSet

from .answers import counted_answers, options_frame, rules_frame


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
    ``low``, ``high``. ``totals``: replicate × unit survey totals (for ranks).
    """

    intervals: pd.DataFrame
    totals: pd.DataFrame


def bootstrap_points(answers: pd.DataFrame, cset: CriteriaSet, replicates: int = 1000, seed: int = 2023,
                     confidence: float = 0.95) -> Bootstrap:
    """Percentile bootstrap of every unit's field points and total.

    Ballots are resampled with replacement within each unit × group stratum (as
    many as the stratum has), so each group keeps its size and weight; every
    replicate is scored with the formula of :mod:`aggregation.points`. A ballot
    rating several units is resampled independently in each unit's strata,
    which ignores the correlation between its ratings (intervals per unit are
    unaffected; rank intervals may be slightly too wide or narrow).

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
    rng = np.random.default_rng(seed)
    df = _scored(answers, cset)
    rules = rules_frame(cset)
    weight = {(r.level, r.question, r.group): r.weight for r in rules.itertuples()}
    meta = {
        (r.level, r.question): (r.max_points, r.field)
        for r in rules.drop_duplicates(["level", "question"]).itertuples()
    }
    # f(u,q,g) for every replicate (and the full sample as replicate -1), per stratum.
    fractions: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    full: dict[tuple[str, str], dict[str, float]] = {}
    for (level, unit, group), part in df.groupby(["level", "unit", "group"], sort=False):
        ballots, b_index = np.unique(part["ballot_id"].to_numpy(), return_inverse=True)
        questions, q_index = np.unique(part["question"].to_numpy(), return_inverse=True)
        values = np.zeros((len(ballots), len(questions)))
        answered = np.zeros_like(values)
        values[b_index, q_index] = part["fraction"].to_numpy()
        answered[b_index, q_index] = 1.0
        draws = rng.multinomial(len(ballots), np.full(len(ballots), 1.0 / len(ballots)), size=replicates)
        with np.errstate(invalid="ignore", divide="ignore"):
            rep = (draws @ values) / (draws @ answered)
            point = values.sum(0) / answered.sum(0)
        for j, q in enumerate(questions):
            fractions.setdefault((level, unit), {}).setdefault(q, []).append((group, rep[:, j]))
            full.setdefault((level, unit), {}).setdefault(q, []).append((group, point[j]))

    rows, totals = [], {}
    for (level, unit), by_question in fractions.items():
        field_rep: dict[str, np.ndarray] = {}
        field_point: dict[str, float] = {}
        for q, per_group in by_question.items():
            m, field = meta[(level, q)]
            num = np.zeros(replicates)
            den = np.zeros(replicates)
            for group, f in per_group:
                ok = ~np.isnan(f)
                num += np.where(ok, weight[(level, q, group)] * np.nan_to_num(f), 0.0)
                den += np.where(ok, weight[(level, q, group)], 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                points = np.where(den > 0, m * num / np.where(den > 0, den, 1.0), 0.0)
            pn = sum(weight[(level, q, g)] * f for g, f in full[(level, unit)][q])
            pd_ = sum(weight[(level, q, g)] for g, _ in full[(level, unit)][q])
            field_rep[field] = field_rep.get(field, 0.0) + points
            field_point[field] = field_point.get(field, 0.0) + (m * pn / pd_ if pd_ else 0.0)
        tail = (1.0 - confidence) / 2.0
        for code in sorted(field_rep) + ["total"]:
            rep = sum(field_rep.values()) if code == "total" else field_rep[code]
            point = sum(field_point.values()) if code == "total" else field_point[code]
            low, high = np.quantile(rep, [tail, 1.0 - tail])
            rows.append((level, unit, code, point, low, high))
        totals[(level, unit)] = sum(field_rep.values())
    intervals = pd.DataFrame(rows, columns=["level", "unit", "code", "points", "low", "high"])
    return Bootstrap(intervals, pd.DataFrame(totals))


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
        order = estimates.loc[level].sort_values(ascending=False)
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


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of a respondents × items matrix (complete rows only).

    Examples
    --------
    >>> cronbach_alpha(np.array([[1, 1], [0, 0], [1, 1], [0, 0]]))  # two items that always agree
    1.0
    >>> cronbach_alpha(np.array([[1, 1], [1, 0], [0, 1], [0, 0]]))  # two unrelated items
    0.0
    """
    items = np.asarray(items, dtype=float)
    k = items.shape[1]
    if k < 2 or items.shape[0] < 2:
        return float("nan")
    total_var = items.sum(1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - items.var(0, ddof=1).sum() / total_var))


def field_reliability(answers: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """Cronbach's alpha per level × field, over ballot × unit rows that answered every item
    of the field that their group is asked (``n``: rows used, ``items``: questions)."""
    df = _scored(answers, cset)
    meta = rules_frame(cset).drop_duplicates(["level", "question"])[["level", "question", "field"]]
    df = df.merge(meta, on=["level", "question"])
    rows = []
    for (level, field), part in df.groupby(["level", "field"], sort=True):
        wide = part.pivot_table(index=["ballot_id", "unit", "group"], columns="question", values="fraction")
        best = None
        for _group, block in wide.groupby(level="group"):
            block = block.dropna(axis=1, how="all").dropna(axis=0, how="any")
            if best is None or block.size > best.size:
                best = block
        alpha = cronbach_alpha(best.to_numpy()) if best is not None else float("nan")
        rows.append((level, field, alpha, 0 if best is None else best.shape[0], 0 if best is None else best.shape[1]))
    return pd.DataFrame(rows, columns=["level", "field", "alpha", "n", "items"])


def group_disagreement(answers: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """Kruskal-Wallis H test across groups, per level × question asked of two groups or more.

    A small ``p`` says the groups rate the question differently (pooled over units).
    """
    df = _scored(answers, cset)
    rows = []
    for (level, question), part in df.groupby(["level", "question"], sort=True):
        samples = [g["fraction"].to_numpy() for _, g in part.groupby("group") if len(g) > 0]
        if len(samples) < 2 or len(np.unique(np.concatenate(samples))) < 2:
            continue
        h, p = stats.kruskal(*samples)
        rows.append((level, question, len(samples), float(h), float(p)))
    return pd.DataFrame(rows, columns=["level", "question", "groups", "h", "p"])
