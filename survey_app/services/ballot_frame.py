"""The one adapter from database rows to the long DataFrame :mod:`aggregation` takes.

Only counted review states (received, verified, flagged) are read: rejected
ballots never reach the scores. Rows are fetched as plain tuples (SQLAlchemy
Core, no ORM objects); unit, level and group become categorical columns built
from their integer keys, which is also what aggregation groups fastest.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation import COUNTED

from ..models import Answer, Ballot, Campaign
from .campaigns import campaign_criteria

COLUMNS = ["ballot_id", "group", "level", "unit", "question", "option", "state"]


def _categorical(ids: np.ndarray, labels: dict[int, str]) -> pd.Categorical:
    """Integer keys as a categorical of their labels (unknown keys become missing)."""
    categories = sorted(set(labels.values()))
    position = {label: i for i, label in enumerate(categories)}
    lookup = np.full(max(labels, default=0) + 2, -1, dtype=np.int64)
    for key, label in labels.items():
        lookup[key] = position[label]
    codes = lookup[np.clip(ids, 0, len(lookup) - 1)] if len(ids) else np.empty(0, dtype=np.int64)
    return pd.Categorical.from_codes(codes, categories=categories)


class _Coder:
    """Strings to stable integer codes, chunk by chunk (few distinct values, many rows)."""

    def __init__(self) -> None:
        self.labels: dict[str, int] = {}

    def codes(self, values: tuple) -> np.ndarray:
        local, uniques = pd.factorize(np.asarray(values, dtype=object))
        remap = np.array([self.labels.setdefault(u, len(self.labels)) for u in uniques], dtype=np.int32)
        return remap[local] if len(remap) else local.astype(np.int32)

    def categorical(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=list(self.labels)) if self.labels else \
            pd.Categorical([], categories=[])


CHUNK = 200_000


def answers_frame(session: Session, campaign: Campaign, scored: bool = True) -> pd.DataFrame:
    """``ballot_id, group, level, unit, question, option, state`` of a campaign's counted ballots.

    Rows are read in chunks of ``CHUNK`` and turned into NumPy arrays at once, so
    memory holds the final columns (about 20 bytes an answer) and one chunk of tuples.
    With ``scored`` (the default) only the answers to scored questions are kept, what points and
    indices are made of; ``scored=False`` keeps the profile and expectation answers too.
    """
    frame = _answers_frame(session, campaign)
    cset = campaign_criteria(campaign)
    if not scored or not cset.other_questions or frame.empty:
        return frame
    others = pd.MultiIndex.from_tuples([(q.level, q.id) for q in cset.other_questions])
    keep = ~pd.MultiIndex.from_arrays([frame["level"].astype(object), frame["question"].astype(object)]).isin(others)
    frame = frame[keep].reset_index(drop=True)
    for name in ("question", "option"):
        frame[name] = frame[name].cat.remove_unused_categories()
    return frame


def _answers_frame(session: Session, campaign: Campaign) -> pd.DataFrame:
    statement = (
        select(Answer.ballot_id, Ballot.group_id, Answer.unit_id, Answer.question, Answer.option, Ballot.state)
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.state.in_(COUNTED))
    )
    units = {u.id: (u.code, u.level) for u in campaign.units}
    groups = {g.id: g.code for g in campaign.groups}
    columns: dict[str, list[np.ndarray]] = {
        c: [] for c in ("ballot_id", "group_id", "unit_id", "question", "option", "state")
    }
    coders = {c: _Coder() for c in ("question", "option", "state")}
    result = session.connection().execute(statement, execution_options={"yield_per": CHUNK})
    for chunk in result.partitions():
        ballot_id, group_id, unit_id, question, option, state = zip(*chunk)
        n = len(chunk)
        columns["ballot_id"].append(np.fromiter(ballot_id, dtype=np.int64, count=n))
        columns["group_id"].append(np.fromiter(group_id, dtype=np.int64, count=n))
        columns["unit_id"].append(np.fromiter(unit_id, dtype=np.int64, count=n))
        for name, values in (("question", question), ("option", option), ("state", state)):
            columns[name].append(coders[name].codes(values))
    if not columns["ballot_id"]:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    whole = {name: np.concatenate(parts) for name, parts in columns.items()}
    unit_ids = whole["unit_id"]
    return pd.DataFrame({
        "ballot_id": whole["ballot_id"],
        "group": _categorical(whole["group_id"], groups),
        "level": _categorical(unit_ids, {k: v[1] for k, v in units.items()}),
        "unit": _categorical(unit_ids, {k: v[0] for k, v in units.items()}),
        **{name: coders[name].categorical(whole[name]) for name in ("question", "option", "state")},
    })


def rated_frame(session: Session, campaign: Campaign) -> pd.DataFrame:
    """``ballot_id, level, unit, group, counted``: one row per ballot (any state) and unit it rates, what
    :func:`aggregation.suppression.small_cells` counts people with."""
    statement = (
        select(Answer.ballot_id, Answer.unit_id, Ballot.group_id, Ballot.state).distinct()
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id)
    )
    units = {u.id: (u.code, u.level) for u in campaign.units}
    groups = {g.id: g.code for g in campaign.groups}
    rows = [(b, units[u][1], units[u][0], groups[g], s in COUNTED) for b, u, g, s in session.execute(statement)
            if u in units and g in groups]
    return pd.DataFrame(rows, columns=["ballot_id", "level", "unit", "group", "counted"])
