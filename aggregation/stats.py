"""How sure each figure is: reliability, group disagreement; the bootstrap lives in :mod:`aggregation.bootstrap`.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
*Psychometrika* 16, 297-334.
Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance
analysis. *JASA* 47, 583-621 (``scipy.stats.kruskal``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from questionnaires import CriteriaSet

from .answers import rules_frame
from .bootstrap import Bootstrap, _scored, bootstrap_points, difference_interval, rank_intervals

__all__ = ["Bootstrap", "bootstrap_points", "difference_interval", "rank_intervals", "cronbach_alpha",
           "field_reliability", "group_disagreement"]


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
