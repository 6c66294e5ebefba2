"""How sure a SIPAS figure is: a cluster bootstrap by ballot within each unit, and ranks within a level.

Pure pandas/numpy over the plain inputs of :mod:`aggregation.sipas`. The resampling is
:mod:`aggregation.bootstrap`'s (:func:`aggregation.bootstrap.replicate_weights`): a ballot is a cluster,
drawn with replacement within its stratum, here its unit (a SIPAS ballot rates one unit; a ballot rating
several would be a cluster in each), as many draws as the unit has ballots. Each replicate recomputes the
unit's figure with the index's own formula: per question ``positive / answered`` (don't-know left out, a
question nobody drawn answered left out), per element the mean of its satisfaction questions' shares, the
unit's SIPAS the mean of its element indices. The interval is the replicates' 2.5 and 97.5 percentiles
(``confidence`` 0.95). Units under ``min_ballots`` (no SIPAS) get no interval and draw nothing from the
random stream. The province's replicate is the plain (or dossier-weighted) mean of its units' replicates,
over the units the point figure is over.

Units are taken in sorted order and each unit's ballots in sorted order, so the same ballots and seed give
the same intervals in any row order.

:func:`rank_units` ranks units by SIPAS within a ranking group (a level, or a parent unit within a level),
as published (percent with one decimal, so units printed alike share a rank: 1, 2, 2, 4), and names the
neighbours in the ranking whose intervals overlap (their order is not settled).

References
----------
Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13 (percentile intervals).
Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, §3.8 (resampling
clusters).
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from questionnaires.model import round_points

from .bootstrap import replicate_weights
from .sipas import Options, _counted, _pairs, _questions, sipas

REPLICATES = 1000
SEED = 2023
INTERVAL_COLUMNS = ["unit", "ballots", "sipas", "low", "high"]
RANK_COLUMNS = ["unit", "rank", "rank_of", "overlaps"]


@dataclass(frozen=True)
class SipasBootstrap:
    """Percentile intervals of every unit's SIPAS and of the province's.

    ``units``: ``unit, ballots, sipas, low, high`` (every unit; NaN where the unit has no SIPAS);
    ``province``: ``(value, low, high)``; ``replicates``, ``seed``, ``confidence``: how they were drawn.
    """

    units: pd.DataFrame
    province: tuple[float, float, float]
    replicates: int
    seed: int
    confidence: float


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice is NaN, as the point formula says
        return np.nanmean(values, axis=axis)


def _replicate_sipas(answered: np.ndarray, positive: np.ndarray, element_of: np.ndarray, n_elements: int,
                     w: np.ndarray) -> np.ndarray:
    """SIPAS per replicate: ``answered``/``positive`` are ballots × questions (0/1), ``w`` replicates × ballots."""
    den, num = w @ answered, w @ positive
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)  # replicates × questions
    elements = np.full((w.shape[0], n_elements), np.nan)
    for e in range(n_elements):
        elements[:, e] = _nanmean(share[:, element_of == e], axis=1)
    return _nanmean(elements, axis=1)


def sipas_bootstrap(answers: pd.DataFrame, questions: pd.DataFrame, positive: Options, dont_know: Options,
                    units: Iterable[str] | None = None, min_ballots: int = 5,
                    dossiers: pd.Series | Mapping[str, float] | None = None, weighting: str = "units",
                    replicates: int = REPLICATES, seed: int = SEED, confidence: float = 0.95) -> SipasBootstrap:
    """Percentile cluster bootstrap (by ballot, within each unit) of every unit's SIPAS and the province's.

    Parameters are those of :func:`aggregation.sipas.sipas`, and the number of ``replicates``, the random
    ``seed`` and the intervals' ``confidence``.

    Examples
    --------
    Unit ``a``: five ballots all "hl" (positive): every replicate is 1, the interval [1, 1]. Unit ``b``:
    three of six positive: 0.5, and the replicates spread around it.

    >>> a = pd.DataFrame({"ballot": range(11), "unit": ["a"] * 5 + ["b"] * 6, "question": "q1",
    ...                   "option": ["hl"] * 5 + ["hl", "khl"] * 3})
    >>> q = pd.DataFrame({"question": ["q1"], "element": ["1"], "role": ["satisfaction"]})
    >>> b = sipas_bootstrap(a, q, {"q1": {"hl"}}, {"q1": set()}, replicates=200, seed=1)
    >>> b.units[["unit", "sipas", "low", "high"]].values.tolist()[0]
    ['a', 1.0, 1.0, 1.0]
    >>> r = b.units.iloc[1]
    >>> bool(r.low < 0.5 < r.high), b.province[0]
    (True, 0.75)
    """
    point = sipas(answers, questions, positive, dont_know, units, min_ballots, dossiers, weighting)
    per_unit = point.units.set_index("unit")
    q = _questions(questions)
    q = q[q["role"] == "satisfaction"].reset_index(drop=True)
    element_codes = list(dict.fromkeys(q["element"]))
    element_of = np.array([element_codes.index(e) for e in q["element"]], dtype=np.int64)
    a = _counted(answers)
    a = a[a["question"].isin(set(q["question"]))].astype({"ballot": str})
    dk, pos = _pairs(dont_know), _pairs(positive)
    pairs = list(zip(a["question"], a["option"]))
    is_dk = np.array([p in dk for p in pairs], dtype=bool)
    a = a.assign(answered=(~is_dk).astype(float),
                 positive=(np.array([p in pos for p in pairs], dtype=bool) & ~is_dk).astype(float))
    by_unit = dict(tuple(a.groupby("unit", sort=True)))
    rng = np.random.default_rng(seed)
    tail = (1.0 - confidence) / 2.0
    rows, reps = [], {}
    for unit in per_unit.index:  # sorted (unit_sipas sorts them)
        value = per_unit.at[unit, "sipas"]
        if pd.isna(value) or unit not in by_unit:
            rows.append((unit, int(per_unit.at[unit, "ballots"]), np.nan, np.nan, np.nan))
            continue
        mine = by_unit[unit]
        ballots = np.unique(mine["ballot"].to_numpy(dtype=str))
        bi = pd.Index(ballots).get_indexer(mine["ballot"])
        qi = pd.Index(q["question"]).get_indexer(mine["question"])
        answered = np.zeros((len(ballots), len(q)))
        positive_ = np.zeros((len(ballots), len(q)))
        answered[bi, qi] = mine["answered"].to_numpy()
        positive_[bi, qi] = mine["positive"].to_numpy()
        w = replicate_weights(np.zeros(len(ballots), dtype=np.int64), np.zeros(len(ballots), dtype=bool),
                              replicates, rng)
        rep = _replicate_sipas(answered, positive_, element_of, len(element_codes), w)
        reps[unit] = rep
        low, high = np.nanquantile(rep, [tail, 1.0 - tail])
        rows.append((unit, int(per_unit.at[unit, "ballots"]), float(value), float(low), float(high)))
    province = point.province
    over = [u for u in province.units if u in reps]
    if over and not pd.isna(province.value):
        matrix = np.column_stack([reps[u] for u in over])  # replicates × units
        if province.weighting == "dossiers":
            d = pd.Series(dossiers, dtype=float)
            d.index = d.index.astype(str)
            weights = np.broadcast_to(d.reindex(over).to_numpy(), matrix.shape)
            ok = ~np.isnan(matrix)
            values = (np.where(ok, matrix, 0.0) * weights).sum(axis=1) / np.where(ok, weights, 0.0).sum(axis=1)
        else:
            values = _nanmean(matrix, axis=1)
        p_low, p_high = np.nanquantile(values, [tail, 1.0 - tail])
        province_interval = (province.value, float(p_low), float(p_high))
    else:
        province_interval = (province.value, np.nan, np.nan)
    return SipasBootstrap(pd.DataFrame(rows, columns=INTERVAL_COLUMNS), province_interval, replicates, seed,
                          confidence)


def rank_units(frame: pd.DataFrame, group: list[str] | None = None, decimals: int = 3) -> pd.DataFrame:
    """Ranks by SIPAS, highest first, within each ranking group, and the neighbours whose intervals overlap.

    Units are compared as published: SIPAS rounded half up to ``decimals`` places of the share (3: percent
    with one decimal), so units printed alike share a rank and the next rank skips (1, 2, 2, 4). A unit
    without a SIPAS (NaN) gets no rank. ``rank_of`` is how many units share the ranking. ``overlaps`` names
    (comma-joined codes) the units ranked just above or just below (the next distinct rank each way) whose
    interval ``[low, high]`` meets the unit's: their order is not settled.

    Parameters
    ----------
    frame : DataFrame
        ``unit, sipas, low, high`` and the ``group`` columns.
    group : list of str, optional
        Columns whose values make one ranking (e.g. ``["level"]``); one ranking of every unit if None.

    Returns
    -------
    DataFrame
        ``unit, rank, rank_of, overlaps`` in ``frame``'s order (rank as nullable Int64).

    Examples
    --------
    B and C print alike (91,4 %) and share rank 2; A's interval meets B's and C's (its neighbours below),
    D's (rank 4) meets nobody's; E has no SIPAS.

    >>> f = pd.DataFrame({"unit": list("ABCDE"), "sipas": [0.95, 0.9141, 0.9138, 0.70, float("nan")],
    ...                   "low": [0.90, 0.88, 0.85, 0.60, None], "high": [0.99, 0.93, 0.95, 0.80, None]})
    >>> rank_units(f).values.tolist()
    [['A', 1, 4, 'B, C'], ['B', 2, 4, 'A'], ['C', 2, 4, 'A'], ['D', 4, 4, ''], ['E', <NA>, <NA>, '']]
    """
    group = list(group or [])
    out = pd.DataFrame({"unit": frame["unit"].astype(str).to_numpy()}, index=frame.index)
    out["rank"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    out["rank_of"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    out["overlaps"] = ""
    has = frame[frame["sipas"].notna()]
    if has.empty:
        return out[RANK_COLUMNS]
    shown = has["sipas"].map(lambda v: round_points(float(v), decimals))
    keys = [has[c] for c in group] if group else [pd.Series(0, index=has.index)]
    for _key, part in shown.groupby(keys, sort=False):
        ranks = part.rank(ascending=False, method="min").astype("int64")
        out.loc[part.index, "rank"] = ranks
        out.loc[part.index, "rank_of"] = len(part)
        distinct = sorted(set(ranks))
        for i in part.index:
            r = ranks[i]
            at = distinct.index(r)
            near = [x for x in distinct[max(at - 1, 0):at + 2] if x != r]
            lo, hi = frame.at[i, "low"], frame.at[i, "high"]
            if pd.isna(lo) or pd.isna(hi):
                continue
            near_units = sorted((ranks[j], str(frame.at[j, "unit"])) for j in part.index
                                if ranks[j] in near and not pd.isna(frame.at[j, "low"])
                                and frame.at[j, "low"] <= hi and lo <= frame.at[j, "high"])
            out.at[i, "overlaps"] = ", ".join(u for _r, u in near_units)
    return out[RANK_COLUMNS]
