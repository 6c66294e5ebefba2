"""The one place ballots and their answers are written: the web form and QR cards, paper
entry (single, double, reconciled), the API and the demo all come through here.

Rules every channel shares
--------------------------
* **Answers** (:func:`answer_problems`): the respondent group must rate the unit's
  level; every answer is to a question of the questionnaire that group answers for that
  level, as :func:`questionnaires.answers.answer_error` accepts it (an option of the scale;
  an expectation's choices; a comment's length); with ``complete`` (the default) every
  scored question of that questionnaire is answered ("don't know" is an answer), while
  profile, expectation and comment questions may be left out. The units must belong to
  the ballot's campaign.
* **Comments** go to their own table (``comments``), phone numbers and e-mail addresses
  masked before they are written (:func:`questionnaires.answers.mask_contacts`).
* **No time**: a ballot records no day or time of its own (only, for web ballots, the
  seconds spent, for the "too fast" flag).
* **Idempotency**: ``client_id`` is unique. Storing again under the same id with the same
  answers returns the stored ballot (``replay``); with other answers, or for another
  campaign, it is a ``conflict``. The answers are compared with those stored, never through
  a digest kept beside the ballot. The database's UNIQUE constraint settles a race.
* **Audit**: a ballot keyed by a person (paper, API) names who keyed it in the audit log;
  a respondent's own ballot (web, QR card) never appears there.

Anonymity: a ballot has no invitation key, no respondent unit, a random 63-bit id and no
time; answers are keyed by (ballot, unit, question), with no sequence number; on SQLite
neither table has a rowid. See ``docs/threat-model.md``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet
from questionnaires.answers import answer_error, mask_contacts

from ..models import Answer, Ballot, Comment, RespondentGroup, Unit, random_ballot_id
from .audit import record


@dataclass(frozen=True)
class Problem:
    """Something wrong with an answer (``question`` set) or with a whole unit (``question`` None)."""

    unit_id: int
    question: str | None
    message: str  # Vietnamese, for the person who sent it


def option_allowed(cset: CriteriaSet, level: str, question: str, option: str) -> bool:
    """Whether ``option`` answers ``question`` of ``level`` (see :func:`questionnaires.answers.answer_error`)."""
    q = cset.question_by_key.get((level, question))
    return q is not None and answer_error(cset, q, option) is None


def answer_problems(cset: CriteriaSet, group: str, levels: Mapping[int, str],
                    answers: Mapping[int, Mapping[str, str]], complete: bool = True) -> list[Problem]:
    """Every problem of a ballot's answers (empty when it can be stored).

    Parameters
    ----------
    group : str
        The respondent group's code.
    levels : mapping
        Unit id -> level code, for the units answered about.
    answers : mapping
        Unit id -> {question id: option code}.
    complete : bool
        Every question of the questionnaire must be answered.
    """
    problems: list[Problem] = []
    rule_group = cset.group_by_code.get(group)
    if rule_group is None:
        return [Problem(unit_id, None, f"không có đối tượng '{group}'") for unit_id in answers] or \
            [Problem(0, None, f"không có đối tượng '{group}'")]
    if not answers:
        return [Problem(0, None, "phiếu không đánh giá đơn vị nào")]
    for unit_id, given in answers.items():
        level = levels.get(unit_id)
        if level is None:
            problems.append(Problem(unit_id, None, "đơn vị không thuộc đợt đánh giá này"))
            continue
        questionnaire = cset.questionnaire(level, group) if rule_group.rule_for(level) else None
        if questionnaire is None:
            problems.append(Problem(unit_id, None, f"'{group}' không đánh giá cấp '{level}'"))
            continue
        asked = questionnaire.question_ids
        problems += [Problem(unit_id, q, "câu hỏi không có trong phiếu") for q in sorted(set(given) - set(asked))]
        for question in asked:
            option = given.get(question)
            q = cset.question_by_key[(level, question)]
            if option is None:
                if complete and q.scored:
                    problems.append(Problem(unit_id, question, "chưa trả lời"))
            elif (error := answer_error(cset, q, option)) is not None:
                problems.append(Problem(unit_id, question, error))
    return problems


class BallotProblems(ValueError):
    """The ballot cannot be stored as sent; ``problems`` says why. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@dataclass(frozen=True)
class NewBallot:
    """A ballot to store. ``answers`` are ``(unit id, question, option)``."""

    campaign_id: int
    group_id: int
    channel: str  # web, qr, paper, api
    client_id: str
    answers: Sequence[tuple[int, str, str]]
    state: str = "received"
    state_reason: str | None = None
    paper_serial: str | None = None
    duration_seconds: float | None = None
    ballot_id: int | None = None  # drawn by the box at close (see ballot_box._random_ids); else random when stored


@dataclass(frozen=True)
class Stored:
    """``stored`` (new), ``replay`` (the same ballot was stored before) or ``conflict``
    (the client id holds another ballot); ``ballot_id`` is the stored ballot's."""

    status: str
    ballot_id: int


# Built once: the web form stores a ballot a second at its peak, and building these is half their cost.
_LEVELS = select(Unit.campaign_id, Unit.id, Unit.level).where(
    Unit.id.in_(bindparam("units", expanding=True)), Unit.campaign_id.in_(bindparam("campaigns", expanding=True)))
_GROUPS = select(RespondentGroup.campaign_id, RespondentGroup.id, RespondentGroup.code).where(
    RespondentGroup.id.in_(bindparam("groups", expanding=True)))
_INSERT_BALLOT = insert(Ballot.__table__)


def stored_ballot(s: Session | Connection, client_id: str):
    """``(id, campaign_id)`` of the ballot stored under ``client_id``, or None."""
    return s.execute(select(Ballot.id, Ballot.campaign_id).where(Ballot.client_id == client_id)).first()


def _grouped(answers: Iterable[tuple[int, str, str]]) -> dict[int, dict[str, str]]:
    by_unit: dict[int, dict[str, str]] = {}
    for unit_id, question, option in answers:
        by_unit.setdefault(unit_id, {})[question] = option
    return by_unit


def _lookups(s: Session | Connection, ballots: Sequence[NewBallot]) -> tuple[dict, dict]:
    """The levels of the units and the codes of the groups the ballots name, by (campaign, id)."""
    campaign_ids = {b.campaign_id for b in ballots}
    unit_ids = {a[0] for b in ballots for a in b.answers}
    levels = {(c, i): lv for c, i, lv in s.execute(_LEVELS, {"units": sorted(unit_ids),
                                                             "campaigns": sorted(campaign_ids)})}
    groups = {(c, i): code for c, i, code in s.execute(_GROUPS, {"groups": sorted({b.group_id for b in ballots})})}
    return levels, groups


def _ballot_problems(cset: CriteriaSet, b: NewBallot, levels: dict, groups: dict, complete: bool) -> list[Problem]:
    by_unit = _grouped(b.answers)
    if len(by_unit) and sum(map(len, by_unit.values())) != len(b.answers):
        return [Problem(0, None, "một câu hỏi được trả lời hai lần cho cùng đơn vị")]
    group = groups.get((b.campaign_id, b.group_id))
    if group is None:
        return [Problem(0, None, "đối tượng không thuộc đợt đánh giá này")]
    mine = {u: levels[(b.campaign_id, u)] for u in by_unit if (b.campaign_id, u) in levels}
    return answer_problems(cset, group, mine, by_unit, complete)


def check_ballots(s: Session | Connection, cset: CriteriaSet, ballots: Sequence[NewBallot],
                  complete: bool = True) -> None:
    """Raise :class:`BallotProblems` for the first ballot whose answers break a rule."""
    levels, groups = _lookups(s, ballots)
    for b in ballots:
        problems = _ballot_problems(cset, b, levels, groups, complete)
        if problems:
            raise BallotProblems(problems)


def store_opened(s: Session | Connection, cset: CriteriaSet, opened: Sequence[NewBallot]) -> tuple[int, int]:
    """Store the ballots of opened envelopes, in the order given (the box's shuffled order), each checked
    with the rules every channel shares; one that breaks a rule is left out. Returns (stored, left out).

    Built for 100,000 ballots at close (``bench/closing.py``): the check is :func:`_opened_ok`, a
    yes/no of the same rules as :func:`answer_problems` over tables built once per (level, group).
    """
    if not opened:
        return 0, 0
    levels, groups = _lookups(s, opened)
    tables: dict = {}
    good = [b for b in opened if _opened_ok(cset, b, levels, groups, tables)]
    _insert(s, good, comment_ids(cset))
    return len(good), len(opened) - len(good)


# The foreign keys of ``answers``, as the models name them: see :func:`answers_checked_once`.
_ANSWER_KEYS = (("fk_answers_ballot_id_ballots", "ballot_id", "ballots"),
                ("fk_answers_unit_id_units", "unit_id", "units"))


@contextmanager
def answers_checked_once(s: Session | Connection) -> Iterator[None]:
    """PostgreSQL: while the block writes many answers (a large box opened at close), their two foreign
    keys are checked once at the end, in one join, instead of one lookup per row (about half of the
    closing's time for 4 million answers). Inside the caller's transaction: the keys are dropped and
    added again, so a failure or a crash leaves them as they were; ``answers`` is locked against readers
    and ``ballots`` and ``units`` against writers meanwhile. Elsewhere (SQLite) nothing changes."""
    conn = s.connection() if isinstance(s, Session) else s
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("ALTER TABLE answers " + ", ".join(f"DROP CONSTRAINT {name}" for name, _c, _t in _ANSWER_KEYS))
    yield
    conn.exec_driver_sql("ALTER TABLE answers " + ", ".join(
        f"ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {table} (id)"
        for name, column, table in _ANSWER_KEYS))


def _append_answers(conn: Connection, rows: list[tuple[int, int, str, str]]) -> None:
    """Answer rows ``(ballot, unit, question, option)`` written in the connection's transaction: SQLite's
    ``executemany`` of plain tuples, PostgreSQL's ``COPY``. Through SQLAlchemy's ``executemany`` and
    psycopg's, the 4 million answers of 100,000 ballots took most of a closing's time in Python."""
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql("INSERT INTO answers (ballot_id, unit_id, question, option) VALUES (?, ?, ?, ?)", rows)
        return
    with conn.connection.driver_connection.cursor() as cursor, \
            cursor.copy("COPY answers (ballot_id, unit_id, question, option) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _allowed(cset: CriteriaSet, level: str, group: str) -> tuple[dict, frozenset] | None:
    """(question -> the option codes of its scale, or its Question when it is not a plain choice; the
    scored questions that must be answered), for the questionnaire ``group`` answers about ``level``;
    None when the group does not rate the level."""
    rule_group = cset.group_by_code.get(group)
    questionnaire = cset.questionnaire(level, group) if rule_group and rule_group.rule_for(level) else None
    if questionnaire is None:
        return None
    table = {}
    for question in questionnaire.question_ids:
        q = cset.question_by_key[(level, question)]
        table[question] = frozenset(cset.scale_by_code[q.scale].by_code) if q.kind in ("scored", "profile") else q
    return table, frozenset(cset.scored_ids(questionnaire))


def _opened_ok(cset: CriteriaSet, b: NewBallot, levels: dict, groups: dict, tables: dict) -> bool:
    """Whether :func:`_ballot_problems` (complete) finds nothing, without building its messages:
    the group is the campaign's; every unit is the campaign's, of a level the group rates; each unit's
    answers are exactly the questionnaire's questions, each once, with an option of its scale."""
    group = groups.get((b.campaign_id, b.group_id))
    by_unit = _grouped(b.answers)
    if group is None or not by_unit or sum(map(len, by_unit.values())) != len(b.answers):
        return False
    for unit_id, given in by_unit.items():
        level = levels.get((b.campaign_id, unit_id))
        if level is None:
            return False
        if (level, group) not in tables:
            tables[(level, group)] = _allowed(cset, level, group)
        if tables[(level, group)] is None:
            return False
        table, required = tables[(level, group)]
        if not required <= given.keys() <= table.keys() or not all(
                option in table[question] if isinstance(table[question], frozenset)
                else answer_error(cset, table[question], option) is None for question, option in given.items()):
            return False
    return True


def comment_ids(cset: CriteriaSet) -> frozenset[str]:
    """The ids of the set's comment questions (a comment's id is never another kind's at another level:
    :mod:`questionnaires.checks`)."""
    return frozenset(q.id for q in cset.other_questions if q.kind == "comment")


_INSERT_COMMENT = insert(Comment.__table__)


def _insert(s: Session | Connection, ballots: Sequence[NewBallot], comments: frozenset[str] = frozenset()) -> list[int]:
    """Write the ballots and their answers; an answer to a question of ``comments`` (ids) is written, masked,
    to the comments table (an empty comment to none)."""
    if not ballots:
        return []
    ids = [b.ballot_id or random_ballot_id() for b in ballots]
    s.execute(_INSERT_BALLOT, [
        {"id": ballot_id, "campaign_id": b.campaign_id, "client_id": b.client_id, "group_id": b.group_id,
         "channel": b.channel, "state": b.state, "state_reason": b.state_reason, "paper_serial": b.paper_serial,
         "duration_seconds": b.duration_seconds}
        for ballot_id, b in zip(ids, ballots)])
    _append_answers(s.connection() if isinstance(s, Session) else s,
                    [(ballot_id, u, q, o) for ballot_id, b in zip(ids, ballots) for u, q, o in sorted(b.answers)
                     if q not in comments])
    written = [{"ballot_id": ballot_id, "unit_id": u, "question": q, "text": mask_contacts(o)}
               for ballot_id, b in zip(ids, ballots) for u, q, o in b.answers if q in comments and o.strip()]
    if written:
        s.execute(_INSERT_COMMENT, written)
    return ids


def same_answers(s: Session | Connection, ballot_id: int, answers: Iterable[tuple[int, str, str]],
                 comments: frozenset[str] = frozenset()) -> bool:
    """Whether the ballot stored as ``ballot_id`` holds exactly these ``(unit id, question, option)``
    (a comment, of a question in ``comments``, compared as stored: masked)."""
    stored = set(map(tuple, s.execute(select(Answer.unit_id, Answer.question, Answer.option)
                                      .where(Answer.ballot_id == ballot_id))))
    stored |= set(map(tuple, s.execute(select(Comment.unit_id, Comment.question, Comment.text)
                                       .where(Comment.ballot_id == ballot_id))))
    given = {(u, q, mask_contacts(o) if q in comments else o) for u, q, o in answers
             if q not in comments or o.strip()}
    return stored == given


def _settle(s: Session | Connection, existing, ballot: NewBallot, comments: frozenset[str]) -> Stored:
    same = existing.campaign_id == ballot.campaign_id and same_answers(s, existing.id, ballot.answers, comments)
    return Stored("replay" if same else "conflict", existing.id)


def store_ballot(s: Session | Connection, cset: CriteriaSet, ballot: NewBallot, *, actor: str | None = None,
                 user_id: int | None = None, note: str = "", complete: bool = True, settle: bool = True) -> Stored:
    """Check and store one ballot in the caller's transaction (see the module's rules).

    Parameters
    ----------
    s : Session or Connection
        The caller's transaction: an ORM session, or a plain connection (the respondent's path,
        whose ballots are never audited).
    actor, user_id : optional
        Who keyed the ballot (paper, API): an audit entry names them, with ``note`` (``s`` must then
        be a session). Leave out for a respondent's own ballot, which is never audited.
    settle : bool
        A client id stored already is settled here, as ``replay`` or ``conflict``, inside a savepoint.
        ``False`` leaves it to the caller, without the savepoint: the :class:`IntegrityError` then
        undoes the caller's whole transaction (the web submit, which looks its ballot up afterwards).

    Raises
    ------
    BallotProblems
        The answers break a rule; nothing was written.
    IntegrityError
        With ``settle=False``, the client id is stored already.
    """
    check_ballots(s, cset, [ballot], complete)
    comments = comment_ids(cset)
    if not settle:
        (ballot_id,) = _insert(s, [ballot], comments)
        return Stored("stored", ballot_id)
    try:  # a new client id is the common case: no lookup before; a replay fails the UNIQUE and is settled
        with s.begin_nested():
            (ballot_id,) = _insert(s, [ballot], comments)
    except IntegrityError:  # the client id is stored already (a replay, or a racing request)
        existing = stored_ballot(s, ballot.client_id)
        if existing is None:
            raise
        return _settle(s, existing, ballot, comments)
    if actor is not None:
        record(s, actor, "create", "ballot", ballot_id, user_id=user_id,
               new_value=note or f"{ballot.channel}, {ballot.state}")
    return Stored("stored", ballot_id)


def store_ballots(s: Session, cset: CriteriaSet, ballots: Sequence[NewBallot]) -> list[int]:
    """Store many new ballots at once (the demo), with the same checks; every client id must be new.

    Raises
    ------
    BallotProblems
        A ballot breaks a rule, or a client id is already used; nothing was written.
    """
    if not ballots:
        return []
    check_ballots(s, cset, ballots)
    client_ids = [b.client_id for b in ballots]
    if len(set(client_ids)) != len(client_ids) or s.scalar(select(Ballot.id).where(Ballot.client_id.in_(client_ids))):
        raise BallotProblems([Problem(0, None, "mã phiếu của bên gửi đã được dùng")])
    return _insert(s, ballots, comment_ids(cset))
