"""The one adapter from database rows to the long DataFrame :mod:`aggregation` takes.

Only counted review states (received, verified, flagged) are read: rejected
ballots never reach the scores.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation import COUNTED

from .models import Answer, Ballot, Campaign, RespondentGroup, Unit


def answers_frame(session: Session, campaign: Campaign) -> pd.DataFrame:
    """``ballot_id, group, level, unit, question, option, state`` of a campaign's counted ballots.

    The rows come as integer keys plus question and option; unit and group codes
    are mapped afterwards from the small unit and group tables.
    """
    statement = (
        select(Answer.ballot_id, Ballot.group_id, Answer.unit_id, Answer.question, Answer.option, Ballot.state)
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.state.in_(COUNTED))
    )
    rows = session.execute(statement).all()
    frame = pd.DataFrame.from_records(rows, columns=["ballot_id", "group_id", "unit_id", "question", "option", "state"])
    units = {u.id: (u.code, u.level) for u in session.scalars(select(Unit).where(Unit.campaign_id == campaign.id))}
    groups = {g.id: g.code for g in session.scalars(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id))}
    unit_codes = pd.Series({k: v[0] for k, v in units.items()}, dtype=object)
    unit_levels = pd.Series({k: v[1] for k, v in units.items()}, dtype=object)
    frame["unit"] = frame["unit_id"].map(unit_codes)
    frame["level"] = frame["unit_id"].map(unit_levels)
    frame["group"] = frame["group_id"].map(pd.Series(groups, dtype=object))
    return frame[["ballot_id", "group", "level", "unit", "question", "option", "state"]]
