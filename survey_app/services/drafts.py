"""The web form's side of a respondent: what a link asks, whether it can still be used, the
draft kept for save-and-resume, page validation, and the one-time submit.

Anonymity, and how it is kept
-----------------------------
While the campaign collects, a sent ballot is an envelope in the campaign's box
(:mod:`.ballot_box`), opened only when the campaign closes; nothing stored joins it to its link:

* the envelope has a random id, the campaign, the group (and the unit for a group rating its own);
* the link leaves a spent marker, a keyed hash of it (:mod:`.markers`), with no invitation key;
* the draft, kept under a keyed row id (no invitation key either), is sealed with a key from the
  server's secret, the link's token and the respondent's resume code (:mod:`.sealing`), and is
  deleted in the transaction that seals the envelope (and when the campaign closes);
* the audit log records no submission.

What remains outside our tables: web server access logs, whose lines hold the token and a time.
Request logs show ``/s/…``.

One ballot per link
-------------------
:func:`submit` inserts the link's spent marker in the transaction that seals the envelope; the
marker is the table's primary key, so of two racing submits exactly one stores (the other's insert
fails and its transaction is undone). The marker keeps a keyed hash of the form's ``client_id``: a
retried or double-clicked submit of the same form is recognised by it and gets the thank-you page.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, Level, Question, Questionnaire, QuestionnaireItem
from questionnaires.answers import answer_error, split_choices

from ..db import writing
from ..models import Draft, Invitation, SpentLink, utcnow
from . import ballot_box, ballots
from .invitations import derive_token, hash_token
from .markers import receipt
from .sealing import Unreadable, draft_key, is_resumable, new_resume_code, seal, unseal

MISSING = "Xin chọn một câu trả lời (nếu không rõ, chọn “Không biết / không ý kiến”)."
INVALID = "Câu trả lời này không có trong phiếu; xin chọn lại."


@dataclass(frozen=True)
class Assignment:
    """One questionnaire of an invitation: the units of a level it rates, and how."""

    level: Level
    how: str  # own, each, choose (the units are then the choices offered)
    questionnaire: Questionnaire
    units: list  # Unit rows, or the snapshots of services.visits


def link_status(invitation) -> str:
    """``open``, or why the link cannot be answered: ``used``, ``revoked``, ``expired``, ``not_open``,
    ``closed`` (``invitation``: an :class:`~survey_app.models.Invitation` or a
    :class:`~survey_app.services.visits.Link`)."""
    campaign = invitation.campaign
    now = utcnow()
    if invitation.used:
        return "used"
    if invitation.revoked:
        return "revoked"
    if invitation.expires_at is not None and invitation.expires_at < now:
        return "expired"
    if campaign.status == "draft" or (campaign.opens_at is not None and campaign.opens_at > now):
        return "not_open"
    if campaign.status == "closed" or (campaign.closes_at is not None and campaign.closes_at < now):
        return "closed"
    return "open"


def answer_scales(cset: CriteriaSet, assigned: list[Assignment]) -> tuple[list[str], list[str]]:
    """What the respondent will choose from, as the welcome page says it: each scale's answers (without
    "don't know") as one text, and the "don't know" labels; in the criteria set's words."""
    scales: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for a in assigned:
        for question_id in cset.scored_ids(a.questionnaire):
            scale = cset.scale_by_code[cset.question_by_key[(a.level.code, question_id)].scale]
            scales[", ".join(o.label for o in scale.options if not o.dont_know)] = None
            for option in scale.options:
                if option.dont_know:
                    unknown[option.label] = None
    return list(scales), list(unknown)


@dataclass(frozen=True)
class Page:
    """One page of the form: the questions of one assignment about one unit."""

    number: int  # 1-based
    assignment: Assignment
    unit: object  # a Unit row, or a services.visits.LinkUnit


def answer_key(unit_id: int, question: str) -> str:
    return f"{unit_id}:{question}"


def chosen_key(level: str) -> str:
    return f"chosen:{level}"


@dataclass
class DraftContent:
    """What a draft holds: the client id the submit carries, the answers and choices, the start."""

    client_id: str
    data: dict
    started_at: datetime


def key_for(secret: str, invitation, presented: str, resume: str | None = None) -> bytes:
    """The key of an invitation's draft: from its token, derived again when it has a salt (so a
    QR card opened by its short code and by its link share one draft), else the token presented;
    and from the respondent's resume code (see :func:`begin_draft`)."""
    token = derive_token(secret, invitation.token_salt) if invitation.token_salt else presented
    if not invitation.token_salt and hash_token(presented) != invitation.token_hash:
        raise ValueError("the presented key is not this invitation's token")
    return draft_key(secret, token, resume)


def draft_state(link) -> str:
    """``none`` (no draft), ``legacy`` (saved before resume codes: the link alone opens it) or
    ``resumable`` (only its respondent's resume code opens it), for a link read with its draft."""
    if link.draft is None:
        return "none"
    return "resumable" if is_resumable(link.draft.sealed) else "legacy"


def begin_draft(conn: Connection, link, secret: str, token: str, size: int = 0) -> tuple[DraftContent, str]:
    """Give a link's respondent a draft and its resume code, on a first visit or for a draft saved
    before resume codes (carried over: nothing typed is lost). Only the code opens the draft from
    then on, so whoever else holds the link (an admin who exported it) reads nothing of it.
    Returns the draft and the code; in a write transaction of its own on ``conn``."""
    legacy = read_stored(link, key_for(secret, link, token)) if draft_state(link) == "legacy" else None
    resume = new_resume_code()
    content = legacy or DraftContent(str(uuid.uuid4()), {}, utcnow())
    with writing(conn):
        write_draft(conn, link, key_for(secret, link, token, resume), content,
                    exists=link.draft is not None, size=size)
    return content, resume


def restart_draft(conn: Connection, link) -> None:
    """Throw a link's draft away unread (its respondent lost the resume code and starts again)."""
    with writing(conn):
        conn.execute(delete(Draft).where(Draft.id == link.draft_id))


def _opened(sealed: bytes, invitation_id: int, key: bytes) -> DraftContent | None:
    try:
        content = unseal(key, invitation_id, bytes(sealed))
    except Unreadable:
        return None
    return DraftContent(content["client_id"], content["data"], datetime.fromisoformat(content["started_at"]))


def read_draft(s: Session | Connection, link, key: bytes) -> DraftContent | None:
    """A link's draft read now (``link``: anything with ``id`` and ``draft_id``); None when there is none
    or it does not open with ``key``."""
    sealed = s.execute(select(Draft.sealed).where(Draft.id == link.draft_id)).scalar()
    return None if sealed is None else _opened(sealed, link.id, key)


def read_stored(link, key: bytes) -> DraftContent | None:
    """The draft read with a :class:`~survey_app.services.visits.Link`, opened with ``key``; None when
    there is none or it no longer opens (no statement: the link's one brought it)."""
    return None if link.draft is None else _opened(link.draft.sealed, link.id, key)


def draft_size(assigned: list[Assignment], cset: CriteriaSet) -> int:
    """The size every sealed draft of these questionnaires is padded to: that of a draft answering every
    question about every unit offered with its longest answer, every unit chosen. A draft's length
    then says nothing of what its respondent answered, nor how far they got; with
    :data:`ENVELOPE_OVERHEAD`, neither does the length of the envelope it is sealed into.

    An answer's longest is, in JSON bytes (``json.dumps`` writes ``\\uXXXX`` for every character beyond
    ASCII): the longest option code of the set's scales (scored, profile); an expectation's
    ``choose_up_to`` longest codes joined (:func:`_longest_answer`); a comment's ``max_length`` characters,
    each as long as JSON writes a character (:data:`JSON_CHAR_MAX`). Each answer counts 2 bytes more than a
    draft writes it (``"12:Q":"a",``), for the envelope's ``[12,"Q","a"],``.
    """
    longest = max(len(json.dumps(o.code)) for scale in cset.scales for o in scale.options)
    size = len(json.dumps({"client_id": "", "data": {}, "started_at": ""}, separators=(",", ":"))) + 36 + 32
    for a in assigned:
        ids = sorted(u.id for u in a.units)
        answers = [_longest_answer(cset, cset.question_by_key[(a.level.code, item.question)], longest)
                   for item in a.questionnaire.items]
        for uid in ids:
            size += sum(len(json.dumps(answer_key(uid, item.question))) + 2 + answer + 2
                        for item, answer in zip(a.questionnaire.items, answers, strict=True))
        if a.how == "choose":
            size += len(json.dumps(chosen_key(a.level.code))) + 2 + len(json.dumps(ids, separators=(",", ":")))
    return size


JSON_CHAR_MAX = len(json.dumps("\U0001F600")) - 2  # 12: a character beyond the BMP, as two \uXXXX escapes


def _longest_answer(cset: CriteriaSet, question: Question, longest: int) -> int:
    """The most JSON bytes an answer to ``question`` takes (quotes included); ``longest``: an option code's."""
    if question.kind == "comment":
        return 2 + JSON_CHAR_MAX * question.max_length
    if question.kind == "expectation":
        codes = sorted((len(json.dumps(o.code)) - 2 for o in cset.scale_by_code[question.scale].options),
                       reverse=True)[:question.choose_up_to]
        return max(longest, 2 + sum(codes) + len(codes) - 1)
    return longest


def write_draft(s: Session | Connection, link, key: bytes, content: DraftContent,
                exists: bool | None = None, size: int = 0) -> None:
    """Seal and keep a link's draft (``link``: anything with ``id``, ``campaign_id`` and ``draft_id``,
    its keyed row id), padded to ``size`` (:func:`draft_size` of the link's questionnaires).

    ``exists``: whether the row is known to be there (one UPDATE) or not (one INSERT); None when
    unknown (an UPDATE, then an INSERT when it changed nothing).
    """
    sealed = seal(key, link.id, {"client_id": content.client_id, "data": content.data,
                                 "started_at": content.started_at.isoformat()}, size)
    if exists is not False:
        changed = s.execute(update(Draft).where(Draft.id == link.draft_id).values(sealed=sealed)).rowcount
        if changed or exists:
            return
    s.execute(insert(Draft).values(id=link.draft_id, campaign_id=link.campaign_id, sealed=sealed))


def delete_drafts(s: Session, campaign_id: int) -> int:
    """Delete every draft of a campaign (when it closes); returns how many."""
    return s.execute(delete(Draft).where(Draft.campaign_id == campaign_id)).rowcount


def pages(assigned: list[Assignment], data: dict) -> list[Page]:
    """The pages of the form: a unit per page; for ``choose``, only the chosen units."""
    result: list[Page] = []
    for a in assigned:
        units = a.units
        if a.how == "choose":
            chosen = set(data.get(chosen_key(a.level.code), []))
            units = [u for u in a.units if u.id in chosen]
        for unit in units:
            result.append(Page(len(result) + 1, a, unit))
    return result


def page_answers(cset: CriteriaSet, page: Page, data: dict) -> dict[str, str]:
    """The answers already given on a page, by question id."""
    return {
        item.question: data[answer_key(page.unit.id, item.question)]
        for item in page.assignment.questionnaire.items
        if answer_key(page.unit.id, item.question) in data
    }


def page_questions(cset: CriteriaSet, page: Page) -> list[tuple[QuestionnaireItem, Question]]:
    """The questions of a page, in questionnaire order, each with its item (the wording asked)."""
    level = page.assignment.level.code
    return [(item, cset.question_by_key[(level, item.question)]) for item in page.assignment.questionnaire.items]


def save_page(session: Session | Connection, cset: CriteriaSet, link, key: bytes, page: Page,
              posted: dict[str, str | None], draft: DraftContent, size: int = 0) -> dict[str, str]:
    """Keep the answers posted for a page (question id -> option code, an expectation's chosen codes joined,
    a comment's text; None when none was given) in ``draft``, the stored one just read (updated in place);
    return a message per question still unanswered, or whose answer was refused.

    A refused answer is not kept and gets its own message (:data:`INVALID`, or what is wrong with an
    expectation or a comment). A scored question keeps its earlier answer when none is posted (radio
    buttons cannot be cleared); a profile, expectation or comment question left empty has no answer.
    """
    data = dict(draft.data)
    errors: dict[str, str] = {}
    for item, question in page_questions(cset, page):
        value = posted.get(item.question)
        answer = answer_key(page.unit.id, item.question)
        problem = answer_error(cset, question, value) if value else None
        if value and problem is None:
            data[answer] = value
        elif value:
            errors[item.question] = INVALID if question.kind in ("scored", "profile") else _sentence(problem)
        elif not question.scored:
            data.pop(answer, None)
        elif answer not in data:
            errors[item.question] = MISSING
    draft.data = data
    write_draft(session, link, key, draft, exists=True, size=size)
    return errors


def _sentence(text: str) -> str:
    """A message of :func:`questionnaires.answers.answer_error` as a sentence beside its question."""
    return text[:1].upper() + text[1:] + "."


def save_choice(session: Session | Connection, link, key: bytes, assignment: Assignment,
                unit_ids: list[int], draft: DraftContent, size: int = 0) -> None:
    """Keep the units a ``choose`` respondent picked (only units offered to them) in ``draft``, the
    stored one just read."""
    offered = {u.id for u in assignment.units}
    draft.data = {**draft.data, chosen_key(assignment.level.code): sorted(set(unit_ids) & offered)}
    write_draft(session, link, key, draft, exists=True, size=size)


def unanswered(cset: CriteriaSet, form_pages: list[Page], data: dict) -> dict[int, int]:
    """Number of unanswered questions per page number (pages with none left out)."""
    result = {}
    for page in form_pages:
        missing = sum(1 for q in cset.scored_ids(page.assignment.questionnaire)
                      if answer_key(page.unit.id, q) not in data)
        if missing:
            result[page.number] = missing
    return result


@dataclass(frozen=True)
class Block:
    """A part of a question page: ``kind`` ``field`` (scored questions of one field, titled by it), ``views``
    (expectations and comments) or ``profile`` (about the respondent); ``entries`` are
    ``(number, item, question, scale or None)``."""

    kind: str
    title: str
    note: str
    entries: list


VIEWS_TITLE = "Mong đợi và ý kiến của Ông/Bà"
VIEWS_NOTE = "Không bắt buộc trả lời; không tính vào kết quả đánh giá."
PROFILE_TITLE = "Thông tin về người trả lời"
PROFILE_NOTE = "Không bắt buộc trả lời; chỉ dùng để tổng hợp theo nhóm, không dùng để nhận biết Ông/Bà là ai."


def field_blocks(cset: CriteriaSet, page: Page) -> list[Block]:
    """The page's questions in blocks, in questionnaire order: scored questions grouped by field, then
    (wherever the questionnaire puts them) expectations and comments, and the respondent's profile."""
    blocks: list[Block] = []
    level = page.assignment.level.code
    for number, (item, question) in enumerate(page_questions(cset, page), 1):
        if question.scored:
            field = cset.field_by_code[cset.sub_criterion_by_key[(level, question.sub_criterion)].field]
            kind, title, note = "field", field.name, ""
        elif question.kind == "profile":
            kind, title, note = "profile", PROFILE_TITLE, PROFILE_NOTE
        else:
            kind, title, note = "views", VIEWS_TITLE, VIEWS_NOTE
        if not blocks or (blocks[-1].kind, blocks[-1].title) != (kind, title):
            blocks.append(Block(kind, title, note, []))
        blocks[-1].entries.append((number, item, question, cset.scale_by_code.get(question.scale)))
    return blocks


def given_answers(cset: CriteriaSet, form_pages: list[Page], data: dict) -> dict[int, list[tuple[str, str]]]:
    """What a respondent gave to the questions beyond the scored ones, per page number, as the review page
    shows it: (the question's wording, the options' labels or the comment)."""
    result: dict[int, list[tuple[str, str]]] = {}
    for page in form_pages:
        for item, question in page_questions(cset, page):
            answer = data.get(answer_key(page.unit.id, item.question))
            if question.scored or not answer:
                continue
            if question.kind == "comment":
                shown = answer
            else:
                labels = cset.scale_by_code[question.scale].by_code
                shown = "; ".join(labels[c].label for c in split_choices(answer) if c in labels)
            result.setdefault(page.number, []).append((item.text, shown))
    return result


@dataclass(frozen=True)
class Outcome:
    """What a submit did: ``stored``, ``replay`` (already stored under this id), ``misconfigured`` (the
    server's SECRET_KEY is not the box's: nothing taken),
    ``used`` (the link's ballot was sent from elsewhere), ``revoked``, ``stale`` (an old page),
    ``incomplete`` (questions left; see ``missing``) or ``nothing_chosen``."""

    status: str
    missing: dict[int, int] | None = None


def submit(conn: Connection, cset: CriteriaSet, link, client_id: str, assigned: list[Assignment],
           key: bytes, secret: str) -> Outcome:
    """Seal the draft of a link (a :class:`~survey_app.services.visits.Link`, read with its draft on
    ``conn``) into its one envelope.

    The draft read with the link is opened and checked first (with the rules every channel shares);
    the write transaction (on SQLite, the database's one write lock) then marks the link spent (the
    guard: one ballot per link), deletes the draft only as it was read, and seals the envelope. A
    draft saved from another page in between makes this one stale; a racing submit of the same link
    finds it spent, and one of the same form (a double click) gets the thank-you page again.
    """
    if link.used:
        return _gone(conn, link, client_id, secret)
    ready = _prepare(conn, cset, link, client_id, assigned, key)
    if isinstance(ready, Outcome):
        return ready
    try:
        with writing(conn):
            return _store(conn, link, client_id, ready, secret)
    except IntegrityError:  # rolled back: the link's marker is there already, nothing of this is written
        return _gone(conn, link, client_id, secret)
    except _Taken as taken:
        return Outcome(taken.args[0])
    except ballot_box.SecretChanged:  # undone: the draft stays, the link unspent
        return Outcome("misconfigured")


@dataclass(frozen=True)
class _Ready:
    """A draft checked and turned into a ballot for the box, with the stored bytes it came from."""

    sealed: ballot_box.Sealed
    stored: bytes


class _Taken(Exception):
    """The link was revoked, or its draft changed, after it was read: the write transaction is undone."""


def _gone(conn: Connection, link, client_id: str, secret: str) -> Outcome:
    """Why there is no draft to send: our ballot is in the box already, the link was spent from
    elsewhere, or the page is old."""
    spent = conn.scalar(select(SpentLink.receipt).where(SpentLink.marker == link.marker))
    if spent is None:
        return Outcome("stale")
    return Outcome("replay" if client_id and spent == receipt(secret, client_id) else "used")


def own_unit(assigned: list[Assignment]) -> int | None:
    """The unit an envelope may name: the one a group rating only its own unit rates, else None."""
    if assigned and all(a.how == "own" for a in assigned):
        rated = {u.id for a in assigned for u in a.units}
        return next(iter(rated)) if len(rated) == 1 else None
    return None


def _prepare(conn: Connection, cset: CriteriaSet, link, client_id: str, assigned: list[Assignment],
             key: bytes) -> Outcome | _Ready:
    draft = read_stored(link, key)
    if draft is None or draft.client_id != client_id:  # the link is not spent (read in the same statement)
        return Outcome("stale")
    form_pages = pages(assigned, draft.data)
    if any(a.how == "choose" for a in assigned) and not form_pages:
        return Outcome("nothing_chosen")
    missing = unanswered(cset, form_pages, draft.data)
    if missing:
        return Outcome("incomplete", missing)
    answers = [(p.unit.id, item.question, draft.data[answer_key(p.unit.id, item.question)])
               for p in form_pages for item in p.assignment.questionnaire.items
               if answer_key(p.unit.id, item.question) in draft.data]  # profile, expectation, comment: optional
    ballot = ballots.NewBallot(
        campaign_id=link.campaign.id, group_id=link.group.id, client_id=client_id,
        channel="qr" if link.kind == "qr_card" else "web", answers=answers,
        duration_seconds=float(round((utcnow() - draft.started_at).total_seconds())))
    ballots.check_ballots(conn, cset, [ballot])  # the rules the box is opened with: refused now, not at close
    size = draft_size(assigned, cset) + ENVELOPE_OVERHEAD
    return _Ready(ballot_box.Sealed(link.campaign.id, link.group.id, own_unit(assigned),
                                    ballot_box.envelope_content(ballot), size), link.draft.sealed)


ENVELOPE_OVERHEAD = 160  # an envelope's fields beyond a draft's (channel, seconds, state), with room
_DELETE_DRAFT = delete(Draft).where(Draft.id == bindparam("draft"), Draft.sealed == bindparam("sealed"))
_SPEND = insert(SpentLink.__table__).from_select(
    ["marker", "campaign_id", "receipt"],
    select(bindparam("marker"), Invitation.campaign_id, bindparam("receipt"))
    .where(Invitation.id == bindparam("invitation"), Invitation.revoked.is_(False))
).returning(SpentLink.marker)  # not rowcount: psycopg reports -1 for INSERT ... SELECT


def _store(conn: Connection, link, client_id: str, ready: _Ready, secret: str) -> Outcome:
    # The marker first (its primary key is the guard: a spent link raises IntegrityError, undoing
    # all); it is not written for a revoked link. Then the draft, only as it was read; then the envelope.
    spent = conn.execute(_SPEND, {"marker": link.marker, "receipt": receipt(secret, client_id),
                                  "invitation": link.id}).first()
    if spent is None:
        raise _Taken("revoked")
    if conn.execute(_DELETE_DRAFT, {"draft": link.draft_id, "sealed": ready.stored}).rowcount != 1:
        raise _Taken("stale")
    ballot_box.seal_ballot(conn, ready.sealed, secret)
    return Outcome("stored")
