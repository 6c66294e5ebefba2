"""Scores for the report pages, computed once per state of the data and kept per process.

A report page, its charts and its exports all need the same scores. They are
recomputed only when the data changes: the key is the ballot count per review
state and the newest audit entry (imports and review changes are audited).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd
from sqlalchemy import func, select

from ..extensions import db_session
from ..models import AuditEntry, Ballot, Campaign
from ..results import CampaignScores, campaign_scores

REPLICATES = 1000
SEED = 2023
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _fingerprint(campaign: Campaign) -> tuple:
    s = db_session()
    states = s.execute(select(Ballot.state, func.count()).where(Ballot.campaign_id == campaign.id)
                       .group_by(Ballot.state).order_by(Ballot.state)).all()
    return campaign.id, tuple(map(tuple, states)), s.scalar(select(func.max(AuditEntry.id)))


def _cached(key: tuple, compute):
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = compute()
    with _lock:
        _cache[key] = value
        while len(_cache) > 8:
            _cache.popitem(last=False)
    return value


def scores(campaign: Campaign) -> CampaignScores:
    return _cached(("scores",) + _fingerprint(campaign), lambda: campaign_scores(db_session(), campaign))


def intervals(campaign: Campaign) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey totals with 95% intervals and ranks with their range, of the final index when the
    appraisal is imported (appraisal points are fixed, so they shift every replicate alike),
    else of the survey points; and the neighbouring pairs whose order is not settled."""
    def compute():
        from aggregation.stats import Bootstrap, bootstrap_points, rank_intervals  # SciPy: loaded when first needed

        sc = scores(campaign)
        if sc.answers.empty:
            empty = pd.DataFrame(columns=["level", "unit", "points", "low", "high", "rank", "rank_low", "rank_high"])
            return empty, pd.DataFrame(columns=["level", "above", "below", "share_reversed"])
        boot = bootstrap_points(sc.answers, sc.cset, replicates=REPLICATES, seed=SEED)
        totals = boot.intervals[boot.intervals["code"] == "total"].drop(columns="code")
        ranked = boot
        if sc.final is not None:
            appraisal = sc.final.table.set_index(["level", "unit"])["appraisal"]
            shift = pd.Series([appraisal.get(c, float("nan")) for c in boot.totals.columns], index=boot.totals.columns)
            keep = shift.index[shift.notna()]
            point = boot.intervals.assign(points=[p + appraisal.get((lv, u), 0.0) if c == "total" else p for lv, u, c, p in
                                                  boot.intervals[["level", "unit", "code", "points"]].itertuples(index=False)])
            ranked = Bootstrap(point[point.set_index(["level", "unit"]).index.isin(keep)], boot.totals[keep] + shift[keep])
        ranks, unsettled = rank_intervals(ranked)
        return totals.merge(ranks, on=["level", "unit"], how="left"), unsettled
    return _cached(("intervals",) + _fingerprint(campaign), compute)


def clear() -> None:
    """Forget every cached score (tests)."""
    with _lock:
        _cache.clear()
