"""PAR points from a SIPAS index (issue 29 item 5): a sub-criterion the set marks ``from_sipas`` asks no
question; a unit earns ``maximum × index`` of it, or ``maximum × share`` of the band its index reaches, the
index being the unit's SIPAS in a closed SIPAS campaign (docs/method.md, "SIPAS into the PAR index").

A unit without a SIPAS (not surveyed there, or under its ballot minimum) gets no points for the
sub-criterion: its survey points lack that part and say so (``complete`` false, a reason), nothing is
invented. Pure pandas, no Flask.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet
from questionnaires.model import SubCriterion, round_points

from .points import SurveyPoints

COLUMNS = ["level", "unit", "code", "criterion", "field", "max_points", "sipas", "share", "points"]


def sipas_sub_criteria(cset: CriteriaSet) -> tuple[SubCriterion, ...]:
    """The sub-criteria of ``cset`` that take their points from a SIPAS index, in the set's order."""
    return tuple(s for lv in cset.levels for s in lv.sub_criteria if s.from_sipas)


def band_share(index: float, bands: tuple[tuple[float, float], ...]) -> float:
    """The share of the maximum an index earns: the index itself without bands, else the share of the first band
    whose threshold it reaches, compared as the pages print it (percent with one decimal); NaN for NaN.

    Examples
    --------
    >>> bands = ((0.95, 1.0), (0.9, 0.75), (0.8, 0.5), (0.0, 0.0))
    >>> band_share(0.91389, ()), band_share(0.91389, bands), band_share(0.94951, bands), band_share(0.5, bands)
    (0.91389, 0.75, 1.0, 0.0)
    """
    if pd.isna(index):
        return float("nan")
    if not bands:
        return float(index)
    shown = round_points(100.0 * index, 1)
    return next((share for low, share in bands if shown >= round_points(100.0 * low, 1)), 0.0)


def sipas_points(sipas_by_unit: pd.Series, sub_criteria: Iterable[SubCriterion],
                 unit_levels: Mapping[str, str] | pd.Series | None = None) -> pd.DataFrame:
    """Points of every unit × sub-criterion that takes its points from SIPAS.

    Parameters
    ----------
    sipas_by_unit : Series
        A unit's SIPAS (a share 0..1) by unit code; NaN for a unit without one.
    sub_criteria : iterable of SubCriterion
        The ``from_sipas`` sub-criteria (others are ignored).
    unit_levels : mapping or Series, optional
        Unit code → level: a unit gets the sub-criteria of its level only. Without it every unit gets every
        sub-criterion given.

    Returns
    -------
    DataFrame
        ``level, unit, code, criterion, field, max_points, sipas, share, points``: ``share`` is the part of the
        maximum earned (the index, or its band's share), ``points = max_points × share``; both NaN when the unit
        has no SIPAS.

    Examples
    --------
    >>> sub = SubCriterion("2.1.3", "x", "so", "2", "2.1", 0.5, True)
    >>> banded = SubCriterion("2.1.4", "y", "so", "2", "2.1", 0.5, True, ((0.95, 1.0), (0.9, 0.75), (0.0, 0.0)))
    >>> p = sipas_points(pd.Series({"so_a": 0.914, "so_c": float("nan")}), [sub, banded])
    >>> [round(v, 3) for v in p["points"].fillna(-1)]
    [0.457, 0.375, -1.0, -1.0]
    """
    subs = [s for s in sub_criteria if s.from_sipas]
    rows = []
    for unit, index in sipas_by_unit.items():
        level = None if unit_levels is None else unit_levels.get(unit)
        for s in subs:
            if unit_levels is not None and s.level != level:
                continue
            share = band_share(index, s.sipas_bands)
            rows.append((s.level, unit, s.code, s.criterion, s.field, s.max_points,
                         float(index) if pd.notna(index) else np.nan, share, s.max_points * share))
    return pd.DataFrame(rows, columns=COLUMNS).astype({"max_points": float, "sipas": float, "share": float,
                                                       "points": float})


def _added(frame: pd.DataFrame, extra: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """``frame`` (a roll-up of :class:`SurveyPoints`) with ``extra``'s points and maxima added per ``key``."""
    keys = ["level", "unit"] + (["code"] if key else [])
    e = extra.assign(code=extra[key]) if key else extra
    e = e.assign(missing=e["points"].isna(), scored=e["points"].fillna(0.0),
                 why=np.where(e["points"].isna(), "không có Chỉ số SIPAS: " + e["sub"], ""))
    agg = e.groupby(keys, sort=False).agg(s_max=("max_points", "sum"), s_points=("scored", "sum"),
                                          s_missing=("missing", "any"),
                                          s_why=("why", lambda w: "; ".join(x for x in w if x))).reset_index()
    out = frame.merge(agg, on=keys, how="outer", sort=False)
    out["max_points"] = out["max_points"].fillna(0.0) + out["s_max"].fillna(0.0)
    out["points"] = out["points"].fillna(0.0) + out["s_points"].fillna(0.0)
    out["complete"] = out["complete"].astype("boolean").fillna(True).astype(bool) & \
        ~out["s_missing"].astype("boolean").fillna(False).astype(bool)
    reason, why = out["reason"].fillna("").astype(str), out["s_why"].fillna("").astype(str)
    out["reason"] = reason + np.where((reason != "") & (why != ""), "; ", "") + why
    out["percent"] = 100.0 * out["points"] / out["max_points"].where(out["max_points"] > 0)
    return out[frame.columns]


def with_sipas_points(points: SurveyPoints, extra: pd.DataFrame) -> SurveyPoints:
    """``points`` with the ``from_sipas`` sub-criteria of :func:`sipas_points` joined in before every roll-up:
    a row per unit × such sub-criterion in ``sub_criteria`` (its points NaN without a SIPAS), and their points
    and maxima added to the criteria, fields and totals of the unit. Units not in ``points`` are ignored; a unit
    without a SIPAS is incomplete, its reason naming the sub-criterion.
    """
    seen = points.totals[["level", "unit"]]
    extra = extra.merge(seen, on=["level", "unit"], how="inner")
    if extra.empty:
        return points
    subs = pd.DataFrame({"level": extra["level"], "unit": extra["unit"], "code": extra["code"],
                         "max_points": extra["max_points"], "points": extra["points"],
                         "percent": 100.0 * extra["points"] / extra["max_points"].where(extra["max_points"] > 0),
                         "complete": extra["points"].notna(),
                         "reason": np.where(extra["points"].isna(), "không có Chỉ số SIPAS", "")})
    sub_frame = pd.concat([points.sub_criteria, subs[points.sub_criteria.columns]], ignore_index=True)
    extra = extra.assign(sub=extra["code"])
    return replace(points, sub_criteria=sub_frame, criteria=_added(points.criteria, extra, "criterion"),
                   fields=_added(points.fields, extra, "field"), totals=_added(points.totals, extra, None))
