"""The web form's side of a respondent: what a link asks, whether it can still be used, the
draft kept for save-and-resume, page validation, and the one-time submit.

Anonymity, and how it is kept
-----------------------------
Once a ballot is stored, nothing in the database joins it to its invitation or person:

* the ballot (:mod:`.ballots`) has no invitation key, a random id and only a day;
* the invitation only turns ``used`` (and ``opened``): booleans, no time;
* the draft, the one row that ties answers to an invitation, is encrypted with a key
  derived from the server's secret and the respondent's token (:mod:`.sealing`), and is
  deleted in the same transaction that stores the ballot (and when the campaign closes);
* the audit log records no submission.

What remains outside our tables: the physical order of rows inside the database files, and
web server access logs, whose lines hold the token and a time. Request logs show ``/s/…``.

One ballot per token
--------------------
:func:`submit` turns the invitation ``used`` with ``UPDATE ... WHERE used = false`` in the
transaction that stores the ballot. Two racing submits cannot both change that row (SQLite
serialises writers by ``BEGIN IMMEDIATE``, PostgreSQL by the row lock), so exactly one
stores. The form carries the draft's ``client_id``; a retried or double-clicked submit
finds its ballot by that id and gets the thank-you page again.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, Level, Questionnaire

from ..db import writing
from ..models import Draft, Invitation, utcnow
from . import ballots
from .invitations import derive_token, hash_token
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
        for item in a.questionnaire.items:
            scale = cset.scale_by_code[cset.question_by_key[(a.level.code, item.question)].scale]
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
    draft = link.draft
    if draft is None or (draft.sealed is None and draft.data is None):
        return "none"
    return "resumable" if is_resumable(draft.sealed) else "legacy"


def begin_draft(conn: Connection, link, secret: str, token: str, size: int = 0) -> tuple[DraftContent, str]:
    """Give a link's respondent a draft and its resume code, on a first visit or for a draft saved
    before resume codes (carried over: nothing typed is lost). Only the code opens the draft from
    then on, so whoever else holds the link (an admin who exported it) reads nothing of it.
    Returns the draft and the code; in a write transaction of its own on ``conn``."""
    legacy = read_stored(link, key_for(secret, link, token)) if draft_state(link) == "legacy" else None
    resume = new_resume_code()
    content = legacy or DraftContent(str(uuid.uuid4()), {}, utcnow())
    with writing(conn):
        conn.execute(update(Invitation).where(Invitation.id == link.id, Invitation.opened.is_(False))
                     .values(opened=True))
        write_draft(conn, link.id, key_for(secret, link, token, resume), content,
                    exists=link.draft is not None, size=size)
    return content, resume


def restart_draft(conn: Connection, invitation_id: int) -> None:
    """Throw a draft away unread (its respondent lost the resume code and starts again)."""
    with writing(conn):
        conn.execute(delete(Draft).where(Draft.invitation_id == invitation_id))


def _stored_draft(s: Session | Connection, invitation_id: int, key: bytes) -> tuple:
    """``(row, content)``: the draft's stored columns (one statement, no ORM object) or None, and what
    they hold when opened with ``key`` (None when there is no row or it does not open)."""
    row = s.execute(select(Draft.sealed, Draft.updated_at, Draft.client_id, Draft.data, Draft.started_at)
                    .where(Draft.invitation_id == invitation_id)).first()
    return row, None if row is None else _opened(row, invitation_id, key)


def _opened(row, invitation_id: int, key: bytes) -> DraftContent | None:
    if row.sealed is None:  # saved before drafts were sealed (revision 0006)
        if row.data is None:
            return None
        return DraftContent(row.client_id, dict(row.data), row.started_at or utcnow())
    try:
        content = unseal(key, invitation_id, bytes(row.sealed))
    except Unreadable:
        return None
    return DraftContent(content["client_id"], content["data"], datetime.fromisoformat(content["started_at"]))


def read_stored(link, key: bytes) -> DraftContent | None:
    """The draft read with a :class:`~survey_app.services.visits.Link`, opened with ``key``; None when
    there is none or it no longer opens (no statement: the link's one brought it)."""
    return None if link.draft is None else _opened(link.draft, link.id, key)


def read_draft(s: Session | Connection, invitation_id: int, key: bytes) -> DraftContent | None:
    """The invitation's draft, or None when there is none or it no longer opens (the secret changed)."""
    return _stored_draft(s, invitation_id, key)[1]


def draft_size(assigned: list[Assignment], cset: CriteriaSet) -> int:
    """The size every sealed draft of these questionnaires is padded to: that of a draft answering every
    question about every unit offered with the longest answer code, every unit chosen. A draft's length
    then says nothing of what its respondent answered, nor how far they got.
    """
    longest = max(len(json.dumps(o.code)) for scale in cset.scales for o in scale.options)
    size = len(json.dumps({"client_id": "", "data": {}, "started_at": ""}, separators=(",", ":"))) + 36 + 32
    for a in assigned:
        ids = sorted(u.id for u in a.units)
        for uid in ids:
            size += sum(len(json.dumps(answer_key(uid, item.question))) + 2 + longest
                        for item in a.questionnaire.items)
        if a.how == "choose":
            size += len(json.dumps(chosen_key(a.level.code))) + 2 + len(json.dumps(ids, separators=(",", ":")))
    return size


def write_draft(s: Session | Connection, invitation_id: int, key: bytes, content: DraftContent,
                exists: bool | None = None, size: int = 0) -> None:
    """Seal and keep the draft (emptying any plaintext left from before revision 0006), padded to
    ``size`` (:func:`draft_size` of the link's questionnaires).

    ``exists``: whether the row is known to be there (one UPDATE) or not (one INSERT); None when
    unknown (an UPDATE, then an INSERT when it changed nothing).
    """
    sealed = seal(key, invitation_id, {"client_id": content.client_id, "data": content.data,
                                       "started_at": content.started_at.isoformat()}, size)
    if exists is not False:
        changed = s.execute(update(Draft).where(Draft.invitation_id == invitation_id).values(
            sealed=sealed, client_id=None, data=None, started_at=None, updated_at=None)).rowcount
        if changed or exists:
            return
    s.execute(insert(Draft).values(invitation_id=invitation_id, sealed=sealed))


def seal_plaintext_drafts(s: Session, secret: str) -> int:
    """Seal every draft saved before revision 0006 whose token can be derived; returns how many."""
    sealed = 0
    for row in s.scalars(select(Draft).where(Draft.sealed.is_(None), Draft.data.is_not(None))):
        invitation = s.get(Invitation, row.invitation_id)
        if not invitation.token_salt:
            continue  # sealed when its respondent next opens the form
        key = draft_key(secret, derive_token(secret, invitation.token_salt))
        write_draft(s, row.invitation_id, key, DraftContent(row.client_id, dict(row.data), row.started_at or utcnow()))
        sealed += 1
    return sealed


def delete_drafts(s: Session, campaign_id: int) -> int:
    """Delete every draft of a campaign's invitations (when it closes); returns how many."""
    ids = select(Invitation.id).where(Invitation.campaign_id == campaign_id)
    return s.execute(delete(Draft).where(Draft.invitation_id.in_(ids))).rowcount


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


def save_page(session: Session | Connection, cset: CriteriaSet, invitation_id: int, key: bytes, page: Page,
              posted: dict[str, str | None], draft: DraftContent, size: int = 0) -> dict[str, str]:
    """Keep the answers posted for a page (question id -> option code, or None when none was
    chosen) in ``draft``, the stored one just read (updated in place); return a message per question
    still unanswered. Options not in the question's scale are not kept and get their own message."""
    data = dict(draft.data)
    errors: dict[str, str] = {}
    level = page.assignment.level.code
    for item in page.assignment.questionnaire.items:
        value = posted.get(item.question)
        answer = answer_key(page.unit.id, item.question)
        if value and ballots.option_allowed(cset, level, item.question, value):
            data[answer] = value
        elif value:
            errors[item.question] = INVALID
        elif answer not in data:
            errors[item.question] = MISSING
    draft.data = data
    write_draft(session, invitation_id, key, draft, exists=True, size=size)
    return errors


def save_choice(session: Session | Connection, invitation_id: int, key: bytes, assignment: Assignment,
                unit_ids: list[int], draft: DraftContent, size: int = 0) -> None:
    """Keep the units a ``choose`` respondent picked (only units offered to them) in ``draft``, the
    stored one just read."""
    offered = {u.id for u in assignment.units}
    draft.data = {**draft.data, chosen_key(assignment.level.code): sorted(set(unit_ids) & offered)}
    write_draft(session, invitation_id, key, draft, exists=True, size=size)


def unanswered(cset: CriteriaSet, form_pages: list[Page], data: dict) -> dict[int, int]:
    """Number of unanswered questions per page number (pages with none left out)."""
    result = {}
    for page in form_pages:
        given = page_answers(cset, page, data)
        missing = len(page.assignment.questionnaire.items) - len(given)
        if missing:
            result[page.number] = missing
    return result


def field_blocks(cset: CriteriaSet, page: Page) -> list:
    """The page's questions grouped by field, in questionnaire order: [(field, [(number, item, scale)])]."""
    blocks: list = []
    level = page.assignment.level.code
    for number, item in enumerate(page.assignment.questionnaire.items, 1):
        question = cset.question_by_key[(level, item.question)]
        field = cset.field_by_code[cset.sub_criterion_by_key[(level, question.sub_criterion)].field]
        if not blocks or blocks[-1][0] is not field:
            blocks.append((field, []))
        blocks[-1][1].append((number, item, cset.scale_by_code[question.scale]))
    return blocks


@dataclass(frozen=True)
class Outcome:
    """What a submit did: ``stored``, ``replay`` (already stored under this id),
    ``used`` (the link's ballot was sent from elsewhere), ``revoked``, ``stale`` (an old page),
    ``incomplete`` (questions left; see ``missing``) or ``nothing_chosen``."""

    status: str
    missing: dict[int, int] | None = None


def submit(conn: Connection, cset: CriteriaSet, link, client_id: str, assigned: list[Assignment],
           key: bytes) -> Outcome:
    """Store the draft of a link (a :class:`~survey_app.services.visits.Link`, read with its draft on
    ``conn``) as its one ballot.

    The draft read with the link is opened and checked first; the write transaction (on SQLite, the
    database's one write lock) then only confirms the draft is unchanged, marks the link used (the
    guard: one ballot per link), stores the ballot and deletes the draft. A draft saved from another
    page in between makes this one stale; a racing submit of the same link finds it used.
    """
    ready = _prepare(conn, cset, link, client_id, assigned, key)
    if isinstance(ready, Outcome):
        return ready
    try:
        with writing(conn):
            return _store(conn, cset, link.id, client_id, ready)
    except _Taken:  # rolled back: nothing of this submit is written, the draft stays
        if ballots.stored_ballot(conn, client_id) is not None:
            return Outcome("replay")
        revoked = conn.scalar(select(Invitation.revoked).where(Invitation.id == link.id))
        return Outcome("revoked" if revoked else "used")
    except IntegrityError:
        # The same client id stored by a racing request: that request's ballot is ours.
        if ballots.stored_ballot(conn, client_id) is not None:
            return Outcome("replay")
        raise


@dataclass(frozen=True)
class _Ready:
    """A draft checked and turned into a ballot, with the stored bytes it came from."""

    ballot: ballots.NewBallot
    sealed: bytes | None
    updated_at: datetime | None


class _Taken(Exception):
    """The link was used or revoked after its draft was read: the write transaction is undone."""


def _gone(conn: Connection, invitation_id: int, client_id: str) -> Outcome:
    """Why there is no draft to send: our ballot is stored already, the link was used, or the page is old."""
    if ballots.stored_ballot(conn, client_id) is not None:
        return Outcome("replay")
    used = conn.scalar(select(Invitation.used).where(Invitation.id == invitation_id))
    return Outcome("used" if used else "stale")


def _prepare(conn: Connection, cset: CriteriaSet, link, client_id: str, assigned: list[Assignment],
             key: bytes) -> Outcome | _Ready:
    draft = read_stored(link, key)
    if draft is None or draft.client_id != client_id:  # no draft: the ballot may be stored already
        return _gone(conn, link.id, client_id)
    form_pages = pages(assigned, draft.data)
    if any(a.how == "choose" for a in assigned) and not form_pages:
        return Outcome("nothing_chosen")
    missing = unanswered(cset, form_pages, draft.data)
    if missing:
        return Outcome("incomplete", missing)
    answers = [(p.unit.id, item.question, draft.data[answer_key(p.unit.id, item.question)])
               for p in form_pages for item in p.assignment.questionnaire.items]
    ballot = ballots.NewBallot(
        campaign_id=link.campaign.id, group_id=link.group.id, client_id=client_id,
        channel="qr" if link.kind == "qr_card" else "web", answers=answers,
        duration_seconds=float(round((utcnow() - draft.started_at).total_seconds())))
    return _Ready(ballot, link.draft.sealed, link.draft.updated_at)


def _same(column, value):
    return column.is_(None) if value is None else column == value


# The submit's two guards, built once (a sealed draft has no updated_at: write_draft empties it).
_DELETE_SEALED = delete(Draft).where(Draft.invitation_id == bindparam("invitation"),
                                     Draft.sealed == bindparam("sealed"), Draft.updated_at.is_(None))
_MARK_USED = update(Invitation).where(Invitation.id == bindparam("invitation"), Invitation.used.is_(False),
                                      Invitation.revoked.is_(False)).values(used=True)


def _store(conn: Connection, cset: CriteriaSet, invitation_id: int, client_id: str, ready: _Ready) -> Outcome:
    # The draft goes first, and only as it was read: if it changed or went since (a page saved
    # elsewhere, our own ballot stored by a racing request), nothing is written.
    if ready.sealed is not None and ready.updated_at is None:
        deleted = conn.execute(_DELETE_SEALED, {"invitation": invitation_id, "sealed": ready.sealed}).rowcount
    else:  # a draft saved before drafts were sealed (revision 0006)
        deleted = conn.execute(delete(Draft).where(
            Draft.invitation_id == invitation_id, _same(Draft.sealed, ready.sealed),
            _same(Draft.updated_at, ready.updated_at))).rowcount
    if deleted != 1:
        return _gone(conn, invitation_id, client_id)
    changed = conn.execute(_MARK_USED, {"invitation": invitation_id}).rowcount
    if changed != 1:
        raise _Taken
    ballots.store_ballot(conn, cset, ready.ballot, settle=False)  # a repeated client id: see submit
    return Outcome("stored")
