"""How sure the ranking is: 95% intervals of the survey totals, rank ranges and class chances of the final index.

The appraisal points are taken as exact (they are not sampled), so every bootstrap
replicate of a unit's survey total is shifted by its appraisal points alike: the
replicates of the index. Ranks, their ranges and the chance of each class are then those
of the index; without an appraisal, ranks are those of the survey points. A level the set
ranks within its parent (``rank_within: parent``) is ranked within each parent unit in every
replicate, as in the final table (:mod:`scoring.ranking`). The web's confidence page and
``parsurvey rank --intervals`` call :func:`index_intervals`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet
from questionnaires.model import round_points

from .ranking import rank_parents, ranked_within_parent

COLUMNS = ["level", "unit", "points", "low", "high", "rank", "rank_low", "rank_high", "single", "class_chances"]
CHANCE_COLUMNS = ["level", "unit", "class", "share"]


def _index_replicates(boot, appraisal: pd.DataFrame) -> pd.DataFrame:
    """Replicates × (level, unit) of the index: survey total + appraisal points, for units with an appraisal."""
    points = appraisal.dropna(subset=["appraisal"]).set_index(["level", "unit"])["appraisal"]
    shift = pd.Series([points.get(c, float("nan")) for c in boot.totals.columns], index=boot.totals.columns,
                      dtype=float)
    keep = shift.index[shift.notna()]
    return boot.totals[keep] + shift[keep]


def class_chances(boot, appraisal: pd.DataFrame, cset: CriteriaSet, confidence: float = 0.95) -> pd.DataFrame:
    """For each unit whose index interval holds a band edge, the share of replicates in each class.

    The index of a replicate is its survey total plus the appraisal points (taken as exact);
    its class is the set's band at 3 decimals (:meth:`CriteriaSet.class_for`), before the
    district rule. A unit is near an edge when the ``confidence`` interval of its index holds
    a band's lower bound (other than the lowest band's).

    Returns
    -------
    DataFrame
        ``level, unit, class`` (band name), ``share`` (of the replicates), best band first;
        only classes that some replicate reaches.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> from aggregation import Bootstrap
    >>> reps = pd.DataFrame({("so", "a"): [9.5, 10.5, 10.2, 9.9], ("so", "b"): [2.0, 2.5, 3.0, 2.2]})
    >>> boot = Bootstrap(pd.DataFrame(), reps)
    >>> appraisal = pd.DataFrame({"level": "so", "unit": ["a", "b"], "appraisal": [70.0, 70.0]})
    >>> class_chances(boot, appraisal, load_default_set(), confidence=0.5).values.tolist()  # a: 79.5..80.5
    [['so', 'a', 'Tốt', 0.5], ['so', 'a', 'Khá', 0.5]]
    """
    if boot.totals.empty:
        return pd.DataFrame(columns=CHANCE_COLUMNS)
    index = _index_replicates(boot, appraisal)
    tail = (1.0 - confidence) / 2.0
    edges = [band.min_points for band in cset.classes[:-1]]
    names = [band.name for band in cset.classes]
    rows = []
    for (level, unit), reps in index.items():
        values = reps.to_numpy(dtype=float)
        low, high = np.quantile(values, [tail, 1.0 - tail])
        if not any(round_points(low) <= edge <= round_points(high) for edge in edges):
            continue
        classes = pd.Series([cset.class_for(v).name for v in values]).value_counts() / len(values)
        rows += [(level, unit, name, float(classes[name])) for name in names if name in classes]
    return pd.DataFrame(rows, columns=CHANCE_COLUMNS)


def chances_text(chances: pd.DataFrame) -> dict[tuple[str, str], str]:
    """``{(level, unit): "Tốt 62,0%; Khá 38,0%"}``: a unit's class chances as the page shows them.

    Examples
    --------
    >>> chances_text(pd.DataFrame({"level": "so", "unit": "a", "class": ["Tốt", "Khá"], "share": [0.6215, 0.3785]}))
    {('so', 'a'): 'Tốt 62,2%; Khá 37,9%'}
    """
    out: dict[tuple[str, str], list[str]] = {}
    for level, unit, name, share in chances[CHANCE_COLUMNS].itertuples(index=False):
        percent = f"{round_points(100.0 * share, 1):.1f}".replace(".", ",")
        out.setdefault((level, unit), []).append(f"{name} {percent}%")
    return {key: "; ".join(parts) for key, parts in out.items()}
UNSETTLED_COLUMNS = ["level", "above", "below", "share_reversed"]


def ranks_within(boot, confidence: float = 0.95, cset: CriteriaSet | None = None,
                 units: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`aggregation.rank_intervals`, with a level the set ranks within its parent ranked per parent unit.

    The replicates of each parent's units are ranked among themselves, so a rank, its range and
    a not-settled pair of such a level are those within the parent (pairs are of the same parent).
    A unit whose parent ``units`` does not name is left out of the ranking, as in the final table.

    Parameters
    ----------
    boot : aggregation.Bootstrap
        Point estimates (``code == "total"``) and replicates of what is ranked.
    confidence : float
        Of the rank ranges.
    cset : CriteriaSet, optional
        Which levels are ranked within their parent (``Level.rank_within``); without it, every
        level is ranked across the province.
    units : DataFrame, optional
        ``level, code, parent``: the parents of the units (:func:`scoring.ranking.rank_parents`).

    Returns
    -------
    ranks, unsettled : DataFrame
        As :func:`aggregation.rank_intervals`.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from questionnaires import load_default_set
    >>> from aggregation import Bootstrap
    >>> cs = load_default_set()  # ranks communes across the province; here within their district
    >>> cs = replace(cs, levels=tuple(replace(lv, rank_within="parent") if lv.code == "xa" else lv
    ...                               for lv in cs.levels))
    >>> reps = pd.DataFrame({("xa", "x1"): [5.0, 6.0, 7.0, 10.0], ("xa", "x2"): [9.0] * 4, ("xa", "x3"): [1.0] * 4})
    >>> points = pd.DataFrame({"level": "xa", "unit": ["x1", "x2", "x3"], "code": "total", "points": [7.0, 9.0, 1.0]})
    >>> units = pd.DataFrame({"level": "xa", "code": ["x1", "x2", "x3"], "parent": ["h1", "h1", "h2"]})
    >>> ranks, unsettled = ranks_within(Bootstrap(points, reps), cset=cs, units=units)
    >>> ranks.values.tolist()  # x3 is 1st of 1 in h2, not 3rd of the province
    [['xa', 'x2', 1, 1, 2], ['xa', 'x1', 2, 1, 2], ['xa', 'x3', 1, 1, 1]]
    >>> unsettled.values.tolist()  # x1 tops x2 in 1 replicate of 4
    [['xa', 'x2', 'x1', 0.25]]
    """
    from aggregation.stats import Bootstrap, rank_intervals  # SciPy: loaded when first needed

    within = ranked_within_parent(cset) if cset is not None else set()
    columns = list(boot.totals.columns)
    if not within or not columns:
        return rank_intervals(boot, confidence)
    keys = pd.DataFrame(columns, columns=["level", "unit"])
    groups: dict[str, list[tuple[str, str]]] = {}
    for column, parent in zip(columns, rank_parents(keys, cset, units)):
        if parent is not None:  # "" for a level ranked across the province
            groups.setdefault(parent, []).append(column)
    ranks, unsettled = [], []
    for parent in sorted(groups):
        kept = pd.MultiIndex.from_tuples(groups[parent])
        part = Bootstrap(boot.intervals[boot.intervals.set_index(["level", "unit"]).index.isin(kept)],
                         boot.totals[groups[parent]], boot.census)
        r, u = rank_intervals(part, confidence)
        ranks.append(r)
        unsettled.append(u)
    if not ranks:
        return rank_intervals(Bootstrap(boot.intervals.iloc[:0], boot.totals.iloc[:, :0], boot.census), confidence)
    return (pd.concat(ranks, ignore_index=True).sort_values("level", kind="stable", ignore_index=True),
            pd.concat(unsettled, ignore_index=True).sort_values("level", kind="stable", ignore_index=True))


def index_intervals(boot, appraisal: pd.DataFrame | None = None, confidence: float = 0.95,
                    cset: CriteriaSet | None = None,
                    units: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey totals with their interval, and ranks (of the index when ``appraisal`` is given) with their range.

    Parameters
    ----------
    boot : aggregation.Bootstrap
        :func:`aggregation.bootstrap_points` of the ballots.
    appraisal : DataFrame, optional
        ``level, unit, appraisal`` (e.g. :attr:`scoring.FinalTable.table`). Units without
        appraisal points are left out of the ranking; without the table, survey points are ranked.
    confidence : float
        Of the intervals and rank ranges.
    cset : CriteriaSet, optional
        With ``appraisal``: the class bands, for the class chances of units near a band edge.
        Also which levels are ranked within their parent (``rank_within: parent``).
    units : DataFrame, optional
        ``level, code, parent``: the units' parents, for a level the set ranks within its parent.
        Its ranks, rank ranges and not-settled pairs are then within each parent unit
        (:func:`ranks_within`); a unit whose parent is not known gets no rank.

    Returns
    -------
    intervals : DataFrame
        ``level, unit, points, low, high`` (the survey total and its interval), ``rank``,
        ``rank_low``, ``rank_high`` (within the unit's parent for a level ranked so; missing for units
        left out of the ranking), ``single`` (sampled groups with one ballot for the unit,
        comma-joined), ``class_chances`` (:func:`chances_text`, "" for a unit far from a band edge
        or without an appraisal).
    unsettled : DataFrame
        ``level, above, below, share_reversed``: neighbours (of the same parent, for a level
        ranked within its parent) whose order is reversed in more than ``(1 - confidence) / 2``
        of the replicates.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> from aggregation import bootstrap_points
    >>> a = pd.DataFrame({"ballot_id": range(6), "group": "nguoi_dan", "level": "huyen",
    ...                   "unit": ["x", "x", "x", "y", "y", "y"], "question": "H10",
    ...                   "option": ["tot", "tot", "kha", "kem", "kem", "tb"]})
    >>> boot = bootstrap_points(a, load_default_set(), replicates=200, seed=1)
    >>> appraisal = pd.DataFrame({"level": "huyen", "unit": ["x", "y"], "appraisal": [60.0, 70.0]})
    >>> table, _ = index_intervals(boot, appraisal)
    >>> table[["unit", "rank"]].values.tolist()  # y's appraisal outweighs x's better answers
    [['x', 2], ['y', 1]]
    """
    from aggregation.stats import Bootstrap  # SciPy: loaded when first needed

    if boot.intervals.empty:
        return pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=UNSETTLED_COLUMNS)
    totals = boot.intervals[boot.intervals["code"] == "total"].drop(columns="code")
    ranked = boot
    chances: dict[tuple[str, str], str] = {}
    if appraisal is not None:
        points = appraisal.dropna(subset=["appraisal"]).set_index(["level", "unit"])["appraisal"]
        index = _index_replicates(boot, appraisal)
        shifted = boot.intervals.assign(points=[
            p + points.get((level, unit), 0.0) if code == "total" else p
            for level, unit, code, p in boot.intervals[["level", "unit", "code", "points"]].itertuples(index=False)])
        ranked = Bootstrap(shifted[shifted.set_index(["level", "unit"]).index.isin(index.columns)], index,
                           boot.census)
        if cset is not None:
            chances = chances_text(class_chances(boot, appraisal, cset, confidence))
    ranks, unsettled = ranks_within(ranked, confidence, cset, units)
    table = totals.merge(ranks, on=["level", "unit"], how="left")
    for column in ("rank", "rank_low", "rank_high"):
        table[column] = table[column].astype("Int64")
    if "single" not in table:
        table["single"] = ""
    table["class_chances"] = [chances.get((level, unit), "") for level, unit in zip(table["level"], table["unit"])]
    return table[COLUMNS], unsettled
