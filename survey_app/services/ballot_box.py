"""The ballot box in the database: a campaign's box key, respondents' ballots sealed into envelopes
while it collects, and the box opened when it closes.

While a campaign collects, a ballot sent by link or QR card is not written as ballot and answer
rows: :func:`seal_ballot` seals it to the campaign's public box key (:mod:`.box`) and keeps only
the envelope, under a random id, with the campaign, the group and (for a group that rates its own
unit) the unit. The link leaves a spent marker (:mod:`.markers`). Closing opens the box
(:func:`open_box`): every envelope is opened, checked with the rules of :mod:`.ballots`, and written
as a ballot, in an order drawn by a CSPRNG, with a random id and a fresh client id; envelopes,
markers and drafts are deleted in the same transaction. :func:`forget_order` then rewrites the
database files so no page keeps the order envelopes arrived in.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet

from ..models import BallotBox, Draft, Envelope, SpentLink, random_ballot_id
from . import ballots
from .box import BoxError, WrappedKey, new_box, open_envelope, open_private, seal_envelope
from .markers import draft_id, key_check, spent_marker

BULK = 10_000  # from this many envelopes, PostgreSQL checks the answers' keys once (ballots.answers_checked_once)
CHUNK = 2000  # envelopes opened and written at a time: memory stays flat whatever the box holds
_PUBLIC = select(BallotBox.public, BallotBox.key_check).where(BallotBox.campaign_id == bindparam("campaign"))
_INSERT_ENVELOPE = insert(Envelope.__table__)


class SecretChanged(RuntimeError):
    """The server's ``SECRET_KEY`` is not the one the campaign's box was made under: spent markers would
    not be recognised (a used link could send again), so no ballot is taken until the old key is back."""


class PassphraseError(ValueError):
    """The box is kept under a passphrase and the one given does not open it (nothing was changed)."""


def _insert_ignoring(conn: Connection | Session, table, values: dict):
    """``INSERT ... ON CONFLICT DO NOTHING`` in the database's dialect."""
    dialect = conn.dialect if isinstance(conn, Connection) else conn.get_bind().dialect
    maker = pg_insert if dialect.name == "postgresql" else sqlite_insert
    return conn.execute(maker(table).values(**values).on_conflict_do_nothing())


def ensure_box(conn: Connection | Session, campaign_id: int, secret: str) -> bytes:
    """The campaign's public box key, the box made now (kept under ``SECRET_KEY``) if it has none.

    In the caller's write transaction; two first ballots racing each make a box and one is kept.

    Raises
    ------
    SecretChanged
        The box was made under another ``SECRET_KEY`` (its check value differs).
    """
    row = conn.execute(_PUBLIC, {"campaign": campaign_id}).first()
    if row is None:
        box = new_box(campaign_id, secret=secret)
        _insert_ignoring(conn, BallotBox.__table__, {
            "campaign_id": campaign_id, "public": box.public, "wrapped": box.wrapped, "how": box.how,
            "salt": box.salt, "key_check": key_check(secret, campaign_id)})
        row = conn.execute(_PUBLIC, {"campaign": campaign_id}).one()
    if row.key_check is not None and row.key_check != key_check(secret, campaign_id):
        raise SecretChanged(f"SECRET_KEY is not the one campaign {campaign_id}'s ballot box was made under")
    return bytes(row.public)


def box_kind(s: Session, campaign_id: int) -> str | None:
    """``secret``, ``passphrase``, or None when the campaign has no box yet."""
    return s.scalar(select(BallotBox.how).where(BallotBox.campaign_id == campaign_id))


def envelope_count(s: Session | Connection, campaign_id: int) -> int:
    """How many sealed ballots the campaign's box holds."""
    return s.scalar(select(func.count()).select_from(Envelope).where(Envelope.campaign_id == campaign_id)) or 0


def keep_under_passphrase(s: Session, campaign_id: int, passphrase: str, secret: str | None = None) -> bytes:
    """Make the campaign's box with its private key wrapped under ``passphrase`` (chosen when the
    campaign opens; the server keeps no copy). Returns the public key, for the key sheet.

    Raises
    ------
    ValueError
        The box holds envelopes already: they are sealed to the key it has.
    """
    if envelope_count(s, campaign_id):
        raise ValueError("Hòm phiếu đã có phiếu: không đổi cách giữ khoá được nữa.")
    box = new_box(campaign_id, passphrase=passphrase)
    s.execute(delete(BallotBox).where(BallotBox.campaign_id == campaign_id))
    s.add(BallotBox(campaign_id=campaign_id, public=box.public, wrapped=box.wrapped, how=box.how, salt=box.salt,
                    key_check=None if secret is None else key_check(secret, campaign_id)))
    s.flush()
    return box.public


def wrapped_key(row: BallotBox) -> WrappedKey:
    """A stored box as :mod:`.box` reads it (the driver may hand its bytes as memoryviews)."""
    return WrappedKey(bytes(row.public), bytes(row.wrapped), row.how, bytes(row.salt))


def fingerprint(public: bytes) -> str:
    """A short, readable fingerprint of a public box key, for the key sheet (groups of four hex digits)."""
    digest = hashlib.sha256(bytes(public)).hexdigest()[:20].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 20, 4))


def read_link_states(s: Session, invitations: list, secret: str) -> list:
    """Set ``used`` (its ballot was sent) and ``opened`` (a draft or a ballot) on each invitation, from the
    spent markers and drafts of their campaigns (two statements); returns the invitations. Only the app,
    holding ``SECRET_KEY``, can tell; after close every link reads neither (the markers are gone)."""
    campaigns = sorted({inv.campaign_id for inv in invitations})
    if not campaigns:
        return invitations
    spent = set(s.scalars(select(SpentLink.marker).where(SpentLink.campaign_id.in_(campaigns))))
    drafts = set(s.scalars(select(Draft.id).where(Draft.campaign_id.in_(campaigns))))
    for inv in invitations:
        inv.used = bool(spent) and spent_marker(secret, inv.token_hash) in spent
        inv.opened = inv.used or (bool(drafts) and draft_id(secret, inv.token_hash) in drafts)
    return invitations


def spent_count(s: Session | Connection, campaign_id: int) -> int:
    """How many links of the campaign have sent their ballot (while it collects; 0 after close)."""
    return s.scalar(select(func.count()).select_from(SpentLink).where(SpentLink.campaign_id == campaign_id)) or 0


@dataclass(frozen=True)
class SealedCounts:
    """Ballots in a campaign's box, countable before close: per group, and per (unit, group) for the
    groups rating their own unit (the only envelopes that name a unit)."""

    by_group: dict
    by_unit_group: dict


def sealed_counts(s: Session | Connection, campaign_id: int) -> SealedCounts:
    """What the box holds, counted without opening it (one statement)."""
    by_group: dict = {}
    by_unit_group: dict = {}
    for group_id, unit_id, n in s.execute(
            select(Envelope.group_id, Envelope.unit_id, func.count()).where(Envelope.campaign_id == campaign_id)
            .group_by(Envelope.group_id, Envelope.unit_id)):
        by_group[group_id] = by_group.get(group_id, 0) + n
        if unit_id is not None:
            by_unit_group[(unit_id, group_id)] = n
    return SealedCounts(by_group, by_unit_group)


@dataclass(frozen=True)
class Sealed:
    """A respondent's ballot ready to go into the box."""

    campaign_id: int
    group_id: int
    unit_id: int | None  # only for a group that rates its own unit
    content: dict
    size: int


def envelope_content(ballot: ballots.NewBallot) -> dict:
    """What an envelope holds of a ballot: its answers, channel and seconds spent (for the flags)."""
    return {"client_id": ballot.client_id, "channel": ballot.channel, "seconds": ballot.duration_seconds,
            "state": ballot.state, "reason": ballot.state_reason,
            "answers": [list(a) for a in ballot.answers]}


def seal_ballot(conn: Connection | Session, sealed: Sealed, secret: str) -> str:
    """Put a ballot into its campaign's box (in the caller's write transaction); returns the envelope id."""
    public = ensure_box(conn, sealed.campaign_id, secret)
    envelope_id = secrets.token_hex(16)
    conn.execute(_INSERT_ENVELOPE, {
        "id": envelope_id, "campaign_id": sealed.campaign_id, "group_id": sealed.group_id,
        "unit_id": sealed.unit_id,
        "sealed": seal_envelope(public, sealed.campaign_id, sealed.content, sealed.size)})
    return envelope_id


@dataclass(frozen=True)
class Opened:
    """What opening a box did: ballots written, envelopes that did not open or broke a rule."""

    ballots: int
    unreadable: int
    invalid: int


def open_box(s: Session, campaign_id: int, cset: CriteriaSet, *, secret: str, passphrase: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> Opened:
    """Open every envelope of the campaign into a ballot, in a random order, and empty the box,
    its spent markers and its drafts (in the caller's transaction: a failure undoes all of it).

    Raises
    ------
    PassphraseError
        The box is kept under a passphrase and ``passphrase`` is missing or wrong.
    """
    row = s.get(BallotBox, campaign_id)
    ids = list(s.scalars(select(Envelope.id).where(Envelope.campaign_id == campaign_id)))
    written = unreadable = invalid = 0
    if ids:
        if row is None:
            raise BoxError("envelopes without a box key")
        try:
            private = open_private(wrapped_key(row), campaign_id, secret=secret, passphrase=passphrase)
        except BoxError as error:
            if row.how == "passphrase":
                raise PassphraseError("Mật khẩu hòm phiếu không đúng: hòm phiếu chưa được mở.") from error
            raise
        secrets.SystemRandom().shuffle(ids)
        ballot_ids = _random_ids(len(ids))
        with ballots.answers_checked_once(s) if len(ids) >= BULK else nullcontext():
            written, unreadable, invalid = _open_all(s, campaign_id, cset, private, ids, ballot_ids, progress)
    s.execute(delete(Envelope).where(Envelope.campaign_id == campaign_id))
    s.execute(delete(SpentLink).where(SpentLink.campaign_id == campaign_id))
    s.execute(delete(Draft).where(Draft.campaign_id == campaign_id))
    return Opened(written, unreadable, invalid)


def _open_all(s: Session, campaign_id: int, cset: CriteriaSet, private, ids: list[str], ballot_ids: list[int],
              progress) -> tuple[int, int, int]:
    """The envelopes ``ids``, in that order, opened, checked and written as ballots ``ballot_ids``, a chunk at
    a time; returns (written, unreadable, invalid)."""
    written = unreadable = invalid = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = {r.id: r for r in s.execute(select(Envelope.id, Envelope.group_id, Envelope.sealed)
                                           .where(Envelope.id.in_(chunk)))}
        opened = []
        for at, envelope_id in enumerate(chunk, start):
            try:
                content = open_envelope(private, campaign_id, rows[envelope_id].sealed)
            except BoxError:
                unreadable += 1
                continue
            opened.append(ballots.NewBallot(
                campaign_id=campaign_id, group_id=rows[envelope_id].group_id, channel=content["channel"],
                client_id=str(uuid.uuid4()),  # not the form's: its receipt in a marker must match nothing
                answers=content["answers"], state=content.get("state") or "received",
                state_reason=content.get("reason"), duration_seconds=content.get("seconds"),
                ballot_id=ballot_ids[at]))
        stored, refused = ballots.store_opened(s, cset, opened)
        written, invalid = written + stored, invalid + refused
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return written, unreadable, invalid


def _random_ids(n: int) -> list[int]:
    """``n`` distinct random ballot ids, in increasing order: handed out in the box's shuffled order, the
    ballots and answers are appended to their B-trees instead of inserted all over them (the answers of
    100,000 ballots took most of the closing so). Which ballot gets which id is as random as before: the
    order they are written in is the shuffle's, drawn by a CSPRNG and kept nowhere."""
    drawn: set[int] = set()
    while len(drawn) < n:
        drawn.update(random_ballot_id() for _ in range(n - len(drawn)))
    return sorted(drawn)


def forget_order(database) -> str:
    """After a box is opened: rewrite the database so no page keeps the envelopes, markers and drafts
    deleted, nor the order they came in. SQLite: checkpoint the WAL into the file, ``VACUUM``, and
    truncate the WAL. PostgreSQL: ``VACUUM FULL`` of those tables and a ``CHECKPOINT`` (what else the
    operator runs is in docs/operations.md). Returns what was done, for the audit log."""
    # Both drivers run in autocommit; ``statement_reads`` keeps db._explicit_begin from wrapping these
    # statements in a BEGIN (VACUUM, like VACUUM FULL, cannot run inside a transaction).
    with database.read_engine.connect() as conn:
        if database.is_sqlite:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("VACUUM")
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            return "SQLite: VACUUM; WAL đã xoá" if busy is None or not busy[0] else \
                "SQLite: VACUUM; WAL còn người đọc, sẽ được xoá ở lần ghi sau"
        conn.exec_driver_sql("VACUUM FULL envelopes, spent_links, drafts, ballots, answers")
        try:
            conn.exec_driver_sql("CHECKPOINT")
        except Exception:  # noqa: BLE001 - CHECKPOINT needs pg_checkpoint or superuser: the operator's step then
            return "PostgreSQL: VACUUM FULL; CHECKPOINT do người vận hành chạy"
        return "PostgreSQL: VACUUM FULL; CHECKPOINT"
