"""Ranks within a level: across the province, or within each parent unit (the set's ``rank_within``).

A level the set ranks ``province`` (the default) has one ranking; a level it ranks ``parent``
(communes within their district) has one ranking per parent unit, so a commune's rank is its
place among the communes of the same district and "xếp thứ N/M" counts M within that district.
Ties are those of :func:`ranks` either way. :func:`scoring.final_table` calls these; a rule that
leaves a unit out of the ranking (its index missing) leaves it out of M too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet
from questionnaires.model import round_points

# Columns the final table gains when a level of the set is ranked within its parent.
WITHIN_COLUMNS = ["parent", "rank_of"]


def ranks(index: pd.Series) -> pd.Series:
    """Ranks, highest first; values equal at 3 decimals share the lowest rank (1, 2, 2, 4).

    Examples
    --------
    >>> ranks(pd.Series([90.0, 85.0004, 84.9996, 70.0])).tolist()
    [1, 2, 2, 4]
    """
    shown = index.map(lambda v: round_points(v) if pd.notna(v) else np.nan)
    return shown.rank(method="min", ascending=False).astype("Int64")


def ranked_within_parent(cset: CriteriaSet) -> set[str]:
    """Codes of the levels the set ranks within their parent unit (``rank_within: parent``)."""
    return {lv.code for lv in cset.levels if lv.rank_within == "parent"}


def rank_parents(table: pd.DataFrame, cset: CriteriaSet, units: pd.DataFrame | None) -> pd.Series:
    """Per row of ``table`` (``level, unit``), the unit whose children it is ranked among.

    ``""`` for a level ranked across the province; the parent's code for a level ranked within
    its parent (from ``units``: ``level, code, parent``); None where that parent is not known.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> cs = load_default_set()
    >>> t = pd.DataFrame({"level": ["so", "xa", "xa"], "unit": ["s", "x1", "x9"]})
    >>> u = pd.DataFrame({"level": ["xa"], "code": ["x1"], "parent": ["h1"]})
    >>> rank_parents(t, cs, u).tolist()  # the bundled set ranks communes across the province
    ['', '', '']
    """
    within = ranked_within_parent(cset)
    parent_of = {} if units is None else {c: p for c, p in zip(units["code"], units["parent"]) if isinstance(p, str)}
    return pd.Series([parent_of.get(unit) if level in within else "" for level, unit in zip(table["level"],
                                                                                             table["unit"])],
                     index=table.index, dtype=object)


def level_ranks(table: pd.DataFrame, parents: pd.Series) -> pd.DataFrame:
    """Rank of each row's ``index`` among the rows of the same level and parent, and how many are ranked there.

    Parameters
    ----------
    table : DataFrame
        ``level, index`` (a missing index is not ranked and not counted).
    parents : Series
        :func:`rank_parents` of the table: rows with None are not ranked.

    Returns
    -------
    DataFrame
        ``rank`` and ``rank_of`` (M of "xếp thứ N/M"), both ``Int64``, on the table's index.

    Examples
    --------
    >>> t = pd.DataFrame({"level": "xa", "index": [70.0, 90.0, 80.0, 80.0, 60.0]})
    >>> r = level_ranks(t, pd.Series(["h1", "h1", "h2", "h2", None]))
    >>> r["rank"].tolist(), r["rank_of"].tolist()
    ([2, 1, 1, 1, <NA>], [2, 2, 2, 2, <NA>])
    """
    known = parents.notna()
    index = table["index"].where(known)
    keys = [table["level"], parents.fillna("")]
    rank = index.groupby(keys).transform(ranks).astype("Int64")
    rank_of = rank.notna().astype(int).groupby(keys).transform("sum").astype("Int64").where(known, pd.NA)
    return pd.DataFrame({"rank": rank, "rank_of": rank_of}, index=table.index)
