"""A campaign's raw ballots as tables for :mod:`survey_app.exports`, streamed from the database.

Raw means every ballot, rejected ones included: the ``state`` column says which
count. Two shapes:

- long: one row per answer (ballot, unit, question, option), as stored: an expectation's chosen
  option codes joined by one space (``thong_tin phi``);
- wide: one row per ballot and unit, one column per question; a profile question is one column (its
  option code), an expectation one 0/1 column per option of its scale (multiple-response dummies,
  ``XE1_thoi_gian``: 1 chosen, 0 not chosen, empty when the ballot left the question out or was not
  asked it).

Comments (free text) are never here: they are kept in their own table, not in ``answers``, because
what a person writes may say who they are; they are read on their own after the campaign closes
(:data:`COMMENTS_NOTE`).

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
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation.suppression import small_cells
from questionnaires import CriteriaSet
from questionnaires.answers import split_choices

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
COMMENTS_NOTE = ("Ý kiến ghi chữ của người trả lời không có trong tệp phiếu thô (chữ tự do có thể làm lộ người "
                 "viết); ý kiến được xem riêng sau khi kết thúc đợt.")
DUMMY_NOTE = "Câu chọn nhiều phương án: mỗi phương án một cột 1 (có chọn) / 0 (không chọn)."


def comments_note(cset: CriteriaSet) -> str | None:
    """What a raw export says of the set's comment questions (left out), or None when it has none."""
    return COMMENTS_NOTE if any(q.kind == "comment" for q in cset.other_questions) else None


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


@dataclass(frozen=True)
class WideColumn:
    """A question column of the wide form: ``key`` (its name), the ``question`` id and, for an expectation's
    dummy, the ``option`` code it counts (None: the column holds the option code answered)."""

    key: str
    question: str
    option: str | None = None


def _expectation_options(session: Session, campaign: Campaign, cset: CriteriaSet) -> dict[str, list[str]]:
    """Expectation question id -> its options' codes: the scale's, in order, then any code answered that the
    scale does not hold (the raw export loses nothing)."""
    options: dict[str, list[str]] = {}
    for q in cset.all_questions:
        if q.kind == "expectation":
            known = options.setdefault(q.id, [])
            known += [o.code for o in cset.scale_by_code[q.scale].options if o.code not in known]
    if not options:
        return options
    answered = session.scalars(
        select(Answer.option).distinct().join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Answer.question.in_(sorted(options)))
    )
    extra = sorted({code for joined in answered for code in split_choices(joined or "")})
    for codes in options.values():
        codes += [c for c in extra if c not in codes]
    return options


def _question_ids(session: Session, campaign: Campaign, cset: CriteriaSet) -> list[str]:
    """Question ids in the set's order (scored, then profile and expectation; comments are never answers),
    then any id answered that the set does not hold (the raw export loses nothing), each once."""
    ids = list(dict.fromkeys(q.id for q in cset.all_questions if q.kind != "comment"))
    answered = session.scalars(
        select(Answer.question).distinct().join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id)
    )
    known = set(ids)
    ids += sorted(q for q in answered if q not in known)
    return ids


def wide_layout(session: Session, campaign: Campaign, cset: CriteriaSet) -> list[WideColumn]:
    """The question columns of the wide form, in order: one per question id, an expectation's one per option
    (``<id>_<option code>``).

    Raises
    ------
    ValueError
        If a column name is also the key of a ballot column (``unit``, ``state``...) or of another column.
    """
    expectations = _expectation_options(session, campaign, cset)
    layout: list[WideColumn] = []
    for qid in _question_ids(session, campaign, cset):
        if qid in expectations:
            layout += [WideColumn(f"{qid}_{code}", qid, code) for code in expectations[qid]]
        else:
            layout.append(WideColumn(qid, qid))
    keys = [c.key for c in layout]
    clash = sorted(({c.key for c in BALLOT_COLUMNS} & set(keys)) | {k for k in keys if keys.count(k) > 1})
    if clash:
        raise ValueError(f"question ids {', '.join(clash)} are also column names of the raw export")
    return layout


def wide_columns(session: Session, campaign: Campaign, cset: CriteriaSet) -> list[Column]:
    """The ballot and unit columns, then the question columns of :func:`wide_layout` (every level, the set's
    order).

    A question id shared by two levels has one column: a row is about one unit, of one level.

    Raises
    ------
    ValueError
        If a question column's name is also the key of a ballot column (``unit``, ``state``...).
    """
    return BALLOT_COLUMNS + [Column(c.key, c.key, "text" if c.option is None else "integer")
                             for c in wide_layout(session, campaign, cset)]


def wide_rows(session: Session, campaign: Campaign, cset: CriteriaSet) -> Iterator[tuple]:
    """One row per ballot and unit, in the order of :func:`wide_columns`.

    Option codes fill the question columns; an expectation answered fills each of its dummies with 1
    (chosen) or 0; a question not asked about that unit, or left out, is ``None``. Consecutive long rows
    of one ballot and unit make a row.
    """
    head = len(BALLOT_COLUMNS)
    layout = wide_layout(session, campaign, cset)
    position: dict[str, int] = {}
    dummies: dict[str, dict[str, int]] = {}
    for i, column in enumerate(layout, start=head):
        if column.option is None:
            position[column.question] = i
        else:
            dummies.setdefault(column.question, {})[column.option] = i
    width = head + len(layout)
    row: list | None = None
    key = None
    for answer in long_rows(session, campaign):
        if (answer[0], answer[5]) != key:  # ballot id, unit code
            if row is not None:
                yield tuple(row)
            key = (answer[0], answer[5])
            row = list(answer[:head]) + [None] * (width - head)
        question, option = answer[7], answer[8]
        if question in dummies:
            chosen = set(split_choices(option or ""))
            for code, i in dummies[question].items():
                row[i] = int(code in chosen)
        else:
            row[position[question]] = option
    if row is not None:
        yield tuple(row)
