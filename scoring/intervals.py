"""How sure the ranking is: 95% intervals of the survey totals and rank ranges of the final index.

The appraisal points are fixed (they are not sampled), so every bootstrap replicate of a
unit's survey total is shifted by its appraisal points alike: the replicates of the
index. Ranks and their ranges are then those of the index; without an appraisal, of the
survey points. The web's confidence page and ``parsurvey rank --intervals`` call
:func:`index_intervals`.
"""
from __future__ import annotations

import pandas as pd

COLUMNS = ["level", "unit", "points", "low", "high", "rank", "rank_low", "rank_high"]
UNSETTLED_COLUMNS = ["level", "above", "below", "share_reversed"]


def index_intervals(boot, appraisal: pd.DataFrame | None = None,
                    confidence: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
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

    Returns
    -------
    intervals : DataFrame
        ``level, unit, points, low, high`` (the survey total and its interval), ``rank``,
        ``rank_low``, ``rank_high`` (missing for units left out of the ranking).
    unsettled : DataFrame
        ``level, above, below, share_reversed``: neighbours whose order is reversed in more
        than ``(1 - confidence) / 2`` of the replicates.

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
    from aggregation.stats import Bootstrap, rank_intervals  # SciPy: loaded when first needed

    if boot.intervals.empty:
        return pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=UNSETTLED_COLUMNS)
    totals = boot.intervals[boot.intervals["code"] == "total"].drop(columns="code")
    ranked = boot
    if appraisal is not None:
        points = appraisal.dropna(subset=["appraisal"]).set_index(["level", "unit"])["appraisal"]
        shift = pd.Series([points.get(c, float("nan")) for c in boot.totals.columns], index=boot.totals.columns)
        keep = shift.index[shift.notna()]
        shifted = boot.intervals.assign(points=[
            p + points.get((level, unit), 0.0) if code == "total" else p
            for level, unit, code, p in boot.intervals[["level", "unit", "code", "points"]].itertuples(index=False)])
        ranked = Bootstrap(shifted[shifted.set_index(["level", "unit"]).index.isin(keep)],
                           boot.totals[keep] + shift[keep])
    ranks, unsettled = rank_intervals(ranked, confidence)
    table = totals.merge(ranks, on=["level", "unit"], how="left")
    for column in ("rank", "rank_low", "rank_high"):
        table[column] = table[column].astype("Int64")
    return table[COLUMNS], unsettled
