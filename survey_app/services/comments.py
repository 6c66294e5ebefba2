"""Respondents' free comments (questions of ``kind: comment``, issue 29 item 2), as the results may show them.

The rules: comments are read only once the campaign is closed (the caller checks, as for every figure); only
the comments of counted ballots; per unit, and only for a unit with at least the set's ``min_cell`` counted
ballots (below, the unit is named with :func:`withheld_words` and none of its comments is given); within a
unit, sorted by question and text, never in the order ballots came in, and never with a ballot id. The text is
what :mod:`.ballots` stored: phone numbers and e-mail addresses already masked. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregation import COUNTED

from ..models import Answer, Ballot, Campaign, Comment
from .campaigns import campaign_criteria
from .results import campaign_units


def withheld_words(min_cell: int) -> str:
    """What a unit with too few ballots reads instead of its comments.

    Examples
    --------
    >>> withheld_words(5)
    'không hiển thị: dưới 5 người trả lời'
    """
    return f"không hiển thị: dưới {min_cell} người trả lời"


@dataclass(frozen=True)
class UnitComments:
    """One unit's comments ``(question, text)`` sorted, or none with ``shown`` False (too few ballots)."""

    unit: str
    name: str
    level: str
    ballots: int
    shown: bool
    comments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CampaignComments:
    """A campaign's comments per unit (units with at least one comment, in level then code order), the comment
    questions' texts by ``(level, id)`` and the set's ``min_cell``."""

    units: tuple[UnitComments, ...]
    questions: dict[tuple[str, str], str]
    min_cell: int

    @property
    def asked(self) -> bool:
        """Whether the campaign's set has a comment question at all."""
        return bool(self.questions)

    def rows(self) -> list[tuple[str, str, str]]:
        """``(unit name, question id, text)`` of every comment shown, for the CSV export."""
        return [(u.name, q, text) for u in self.units if u.shown for q, text in u.comments]


def campaign_comments(session: Session, campaign: Campaign) -> CampaignComments:
    """The comments of a campaign's counted ballots per unit, under the small-cell rule (see the module)."""
    cset = campaign_criteria(campaign)
    questions = {(q.level, q.id): q.text for q in cset.other_questions if q.kind == "comment"}
    units = campaign_units(session, campaign)
    order = {lv.code: i for i, lv in enumerate(cset.levels)}
    ballots = dict(session.execute(
        select(Answer.unit_id, func.count(func.distinct(Answer.ballot_id)))
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.state.in_(COUNTED))
        .group_by(Answer.unit_id)).all())
    texts: dict[int, list[tuple[str, str]]] = {}
    for unit_id, question, text in session.execute(
            select(Comment.unit_id, Comment.question, Comment.text)
            .join(Ballot, Comment.ballot_id == Ballot.id)
            .where(Ballot.campaign_id == campaign.id, Ballot.state.in_(COUNTED))):
        if text and text.strip():
            texts.setdefault(unit_id, []).append((question, text))
    out = []
    for u in sorted(units.itertuples(), key=lambda u: (order.get(u.level, len(order)), u.code)):
        mine = texts.get(u.id)
        if not mine:
            continue
        n = int(ballots.get(u.id, 0))
        shown = n >= cset.min_cell
        out.append(UnitComments(u.code, u.name, u.level, n, shown, tuple(sorted(mine)) if shown else ()))
    return CampaignComments(tuple(out), questions, cset.min_cell)
