"""A campaign's raw ballots as tables for :mod:`survey_app.exports`, streamed from the database.

Raw means every ballot, rejected ones included: the ``state`` column says which
count. Two shapes:

- long: one row per answer (ballot, unit, question, option);
- wide: one row per ballot and unit, one column per question.

Rows are read with SQLAlchemy Core in chunks of ``CHUNK`` and yielded as they
come, ordered by ballot, unit and question, so memory stays that of one chunk
whatever the size of the campaign. The session must stay open while the rows
are consumed.

Rows about a unit the small-cell rule withholds (:mod:`aggregation.suppression`: a unit × group of
fewer than the set's ``min_cell`` people, and the units pooled with it) are left out, whoever calls:
the rule is applied here, not by the caller.

A ballot id is written as text: it is a random 63-bit number, more digits than
a spreadsheet (15) or JavaScript (about 16) keeps exactly.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation.suppression import small_cells
from questionnaires import CriteriaSet

from ..models import Answer, Ballot, Campaign, RespondentGroup, Unit
from ..services.ballot_frame import rated_frame
from ..services.campaigns import campaign_criteria
from .exports import Column

CHUNK = 10_000

BALLOT_COLUMNS = [
    Column("ballot_id", "Mã phiếu"),
    Column("group", "Đối tượng"),
    Column("channel", "Kênh"),
    Column("state", "Trạng thái"),
    Column("level", "Cấp"),
    Column("unit", "Mã đơn vị"),
    Column("unit_name", "Tên đơn vị"),
]
LONG_COLUMNS: list[Column] = BALLOT_COLUMNS + [Column("question", "Câu hỏi"), Column("option", "Phương án")]


def withheld_unit_ids(session: Session, campaign: Campaign) -> list[int]:
    """Ids of the units whose rows the raw ballots leave out (the set's ``min_cell``)."""
    small = small_cells(rated_frame(session, campaign), campaign_criteria(campaign).min_cell)
    out = small.withheld_units()
    return sorted(u.id for u in campaign.units if (u.level, u.code) in out)


def _campaign_answers(session: Session, campaign: Campaign):
    withheld = withheld_unit_ids(session, campaign)
    return (
        select(Answer.ballot_id, RespondentGroup.code, Ballot.channel, Ballot.state,
               Unit.level, Unit.code, Unit.name, Answer.question, Answer.option)
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .join(Unit, Answer.unit_id == Unit.id)
        .join(RespondentGroup, Ballot.group_id == RespondentGroup.id)
        .where(Ballot.campaign_id == campaign.id, Answer.unit_id.not_in(withheld))
        .order_by(Answer.ballot_id, Answer.unit_id, Answer.question)
    )


def long_rows(session: Session, campaign: Campaign) -> Iterator[tuple]:
    """Every answer of a campaign, in the order of :data:`LONG_COLUMNS`.

    Yields
    ------
    tuple
        ``(ballot id as text, group code, channel, state, level, unit code,
        unit name, question id, option code)``, ordered by
        ballot, unit and question; ballots in every state; none about a withheld unit.
    """
    result = session.connection().execute(_campaign_answers(session, campaign),
                                          execution_options={"yield_per": CHUNK})
    for chunk in result.partitions():
        for ballot_id, group, channel, state, level, unit, name, question, option in chunk:
            yield (str(ballot_id), group, channel, state, level, unit, name, question, option)


def _question_ids(session: Session, campaign: Campaign, cset: CriteriaSet) -> list[str]:
    """Question ids in the set's order, then any id answered that the set does not hold
    (the raw export loses nothing), each once."""
    ids = list(dict.fromkeys(q.id for q in cset.questions))
    answered = session.scalars(
        select(Answer.question).distinct().join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id)
    )
    known = set(ids)
    ids += sorted(q for q in answered if q not in known)
    return ids


def wide_columns(session: Session, campaign: Campaign, cset: CriteriaSet) -> list[Column]:
    """The ballot and unit columns, then one column per question id (every level, the set's order).

    A question id shared by two levels has one column: a row is about one unit, of one level.

    Raises
    ------
    ValueError
        If a question id is also the key of a ballot column (``unit``, ``state``...).
    """
    ids = _question_ids(session, campaign, cset)
    clash = sorted({c.key for c in BALLOT_COLUMNS} & set(ids))
    if clash:
        raise ValueError(f"question ids {', '.join(clash)} are also column names of the raw export")
    return BALLOT_COLUMNS + [Column(q, q) for q in ids]


def wide_rows(session: Session, campaign: Campaign, cset: CriteriaSet) -> Iterator[tuple]:
    """One row per ballot and unit, in the order of :func:`wide_columns`.

    Option codes fill the question columns; a question not asked about that
    unit is ``None``. Consecutive long rows of one ballot and unit make a row.
    """
    head = len(BALLOT_COLUMNS)
    position = {q: head + i for i, q in enumerate(_question_ids(session, campaign, cset))}
    width = head + len(position)
    row: list | None = None
    key = None
    for answer in long_rows(session, campaign):
        if (answer[0], answer[5]) != key:  # ballot id, unit code
            if row is not None:
                yield tuple(row)
            key = (answer[0], answer[5])
            row = list(answer[:head]) + [None] * (width - head)
        row[position[answer[7]]] = answer[8]  # question -> option
    if row is not None:
        yield tuple(row)
