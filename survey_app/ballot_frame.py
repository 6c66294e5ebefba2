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

from .models import Answer, Ballot, Campaign, RespondentGroup, Unit

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


def answers_frame(session: Session, campaign: Campaign) -> pd.DataFrame:
    """``ballot_id, group, level, unit, question, option, state`` of a campaign's counted ballots."""
    statement = (
        select(Answer.ballot_id, Ballot.group_id, Answer.unit_id, Answer.question, Answer.option, Ballot.state)
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.state.in_(COUNTED))
    )
    rows = session.connection().execute(statement).fetchall()
    units = {u.id: (u.code, u.level) for u in session.scalars(select(Unit).where(Unit.campaign_id == campaign.id))}
    groups = {g.id: g.code for g in session.scalars(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id))}
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    ballot_id, group_id, unit_id, question, option, state = zip(*rows)
    unit_ids = np.fromiter(unit_id, dtype=np.int64, count=len(rows))
    return pd.DataFrame({
        "ballot_id": np.fromiter(ballot_id, dtype=np.int64, count=len(rows)),
        "group": _categorical(np.fromiter(group_id, dtype=np.int64, count=len(rows)), groups),
        "level": _categorical(unit_ids, {k: v[1] for k, v in units.items()}),
        "unit": _categorical(unit_ids, {k: v[0] for k, v in units.items()}),
        "question": pd.Categorical(question),
        "option": pd.Categorical(option),
        "state": pd.Categorical(state),
    })
