"""The database schema (SQLAlchemy 2 ORM). It changes only through Alembic migrations.

Times are naive UTC. A campaign keeps a frozen copy of the criteria set it
was opened with (``criteria_files``), so later edits of the YAML never change
a past year. Invitation tokens and QR short codes are stored only as SHA-256
hashes.

Anonymity: nothing stored joins a ballot to its invitation or its respondent.
While a campaign collects, a respondent's ballot is an :class:`Envelope`
sealed to the campaign's :class:`BallotBox`; the link that sent it leaves a
:class:`SpentLink` (a keyed hash, no invitation key); the draft kept for
save-and-resume is sealed under a keyed row id. Closing opens the envelopes
into ballots in a random order with random ids and deletes envelopes, markers
and drafts. A ballot has no invitation key, no respondent unit, no day or time
and no digest of its answers; ballots, answers, envelopes, markers and drafts
have no rowid on SQLite; the audit log records no respondent's submission. See
``docs/threat-model.md``.
"""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CHANNELS = ("web", "qr", "paper", "api")
BALLOT_STATES = ("received", "verified", "flagged", "rejected")
ROLES = ("admin", "staff", "analyst")
INVITATION_KINDS = ("personal", "qr_card")
CAMPAIGN_STATUSES = ("draft", "open", "closed")


def random_ballot_id() -> int:
    """A random 63-bit ballot id: ids say nothing about the order ballots arrived in."""
    return secrets.randbits(63) or 1


BallotId = BigInteger().with_variant(Integer, "sqlite")  # SQLite's INTEGER is 64-bit already


VIETNAM = timezone(timedelta(hours=7))  # Vietnam time, UTC+7 all year (no daylight saving time)


def utcnow() -> datetime:
    """Now, as naive UTC (what every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def vietnam_time(value: datetime) -> datetime:
    """A stored time (naive UTC) as naive Vietnam time, as officials read and type it.

    Examples
    --------
    >>> vietnam_time(datetime(2026, 11, 30, 17, 30))
    datetime.datetime(2026, 12, 1, 0, 30)
    """
    return value.replace(tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None)


def utc_from_vietnam(value: datetime) -> datetime:
    """A naive Vietnam time typed by an official as the naive UTC the database stores.

    Examples
    --------
    >>> utc_from_vietnam(datetime(2026, 12, 1, 0, 30))
    datetime.datetime(2026, 11, 30, 17, 30)
    """
    return value.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Campaign(Base):
    """A year's survey, with the frozen criteria set it was opened with."""

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    criteria_name: Mapped[str] = mapped_column(String(300))
    criteria_digest: Mapped[str] = mapped_column(String(64))
    # Read only when a process first meets this digest (services.campaigns.campaign_criteria): 60 KB of
    # JSON that no request needs once the parsed set is cached.
    criteria_files: Mapped[dict] = mapped_column(JSON, deferred=True)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    double_entry: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")  # paper keyed twice
    min_web_seconds: Mapped[int] = mapped_column(Integer, default=120, server_default="120")  # quality flag
    # The second keying of a paper ballot must be done by staff of another district (or an admin).
    cross_district_check: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    province: Mapped[str] = mapped_column(String(200), default="", server_default="")  # printed on cards, ballots
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # out of the lists, kept
    # The closed SIPAS campaign whose index gives the points of the set's ``from_sipas`` sub-criteria (issue 29).
    # Loaded when read (0013): every page that lists campaigns still reads a database one release older
    # while it waits for its upgrade (tests/test_release.py serves 0008 and asks for the home page).
    sipas_source_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), deferred=True)

    units: Mapped[list[Unit]] = relationship(back_populates="campaign", order_by="Unit.id")
    groups: Mapped[list[RespondentGroup]] = relationship(back_populates="campaign", order_by="RespondentGroup.id")


class Unit(Base):
    """A unit rated or assessed, at a level of the campaign's criteria set (the bundled set: a department
    ``so``, district ``huyen`` or commune ``xa``); its parent is a unit of the level's parent level."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        Index("ix_units_campaign_level", "campaign_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(64))  # a level code of the campaign's criteria set
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # "Ngừng sử dụng" (migration 0016): out of the plan, cards, links and forms; its history kept
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    campaign: Mapped[Campaign] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class RespondentGroup(Base):
    """A respondent group of a campaign (mirrors the criteria set's groups)."""

    __tablename__ = "respondent_groups"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    reached_by: Mapped[str] = mapped_column(String(16), default="link")

    campaign: Mapped[Campaign] = relationship(back_populates="groups")


class SampleTarget(Base):
    """The sample plan: how many ballots of a group are wanted for a unit."""

    __tablename__ = "sample_targets"
    __table_args__ = (
        UniqueConstraint("unit_id", "group_id"),
        CheckConstraint("target >= 0", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    target: Mapped[int] = mapped_column(Integer)


class Invitation(Base):
    """A personal link or a single-use QR card. Neither token nor short code is stored."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("short_code_hash"),
        CheckConstraint(_in("kind", INVITATION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the respondent's own unit
    kind: Mapped[str] = mapped_column(String(16), default="personal")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str | None] = mapped_column(String(32))  # the link can be derived again: see invitations.py
    short_code_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # opens nothing; kept
    # Not stored: whether its ballot was sent, whether its form was opened. Read, where the app holds
    # SECRET_KEY, from the box's spent markers and drafts (services.ballot_box.read_link_states); a copy
    # of the database cannot tell, and after close nobody can.
    used = False
    opened = False

    group: Mapped[RespondentGroup] = relationship()
    unit: Mapped[Unit | None] = relationship()
    campaign: Mapped[Campaign] = relationship()


class Draft(Base):
    """A half-filled web form, sealed (see :mod:`survey_app.services.drafts`).

    The row id is a keyed hash of the link (:func:`survey_app.services.markers.draft_id`): nothing
    here references an invitation, so a copy of the database without ``SECRET_KEY`` cannot say
    whose draft it is, nor whose went when a ballot was sent. ``sealed`` is the draft encrypted
    under the server's secret, the link's token and the respondent's resume code, padded to one
    size per questionnaire. Deleted when the ballot is sent, and when the campaign closes.
    """

    __tablename__ = "drafts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class BallotBox(Base):
    """A campaign's box key (:mod:`survey_app.services.box`): the public half seals respondents'
    ballots as they come; the private half, wrapped under ``SECRET_KEY`` (``how`` = ``secret``) or
    under the Department's passphrase (``passphrase``), opens them when the campaign closes."""

    __tablename__ = "ballot_boxes"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    public: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    how: Mapped[str] = mapped_column(String(16))
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    key_check: Mapped[str | None] = mapped_column(String(64))  # of the SECRET_KEY it was made under: markers.key_check


class Envelope(Base):
    """A respondent's ballot (link or QR card) sealed to the campaign's box until it closes.

    A random id, the campaign and group, the unit only for a group that rates its own unit (what its
    link says anyway), and the sealed bytes, padded to one size per questionnaire: no invitation, no
    time. On SQLite the table has no rowid, so rows sit in the order of their random ids.
    """

    __tablename__ = "envelopes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class SpentLink(Base):
    """A link whose ballot was sent: a keyed hash of it (:func:`survey_app.services.markers.spent_marker`),
    with no reference to the invitation, and the keyed hash of the form's client id (a repeated
    submit is told from another device's). All deleted when the campaign closes."""

    __tablename__ = "spent_links"
    __table_args__ = ({"sqlite_with_rowid": False},)

    marker: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    receipt: Mapped[str] = mapped_column(String(64))


class Ballot(Base):
    """One filled questionnaire (web, QR card, paper or API), rating one or many units.

    Nothing here says who answered or when: no invitation, no respondent unit, no day or time
    (``duration_seconds`` only feeds the "too fast" flag), no digest of the answers. The id is
    random and, on SQLite, the table has no rowid (``WITHOUT ROWID``), so rows are kept in the
    order of their random keys, not of their arrival.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("campaign_id", "paper_serial"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("state", BALLOT_STATES), name="state"),
        CheckConstraint("state <> 'rejected' OR state_reason IS NOT NULL", name="reject_reason"),
        Index("ix_ballots_campaign_state", "campaign_id", "state"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[int] = mapped_column(BallotId, primary_key=True, autoincrement=False, default=random_ballot_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    client_id: Mapped[str] = mapped_column(String(128), unique=True)  # from the sender: retries are harmless
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    channel: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="received")
    state_reason: Mapped[str | None] = mapped_column(Text)
    paper_serial: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[float | None] = mapped_column(Float)

    group: Mapped[RespondentGroup] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="ballot")


class Answer(Base):
    """One fact: this ballot gave this option to this question about this unit.

    Keyed by what it is about (no sequence number, and no rowid on SQLite, that would record
    arrival order).
    """

    __tablename__ = "answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[int] = mapped_column(BallotId, ForeignKey("ballots.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    question: Mapped[str] = mapped_column(String(32), primary_key=True)
    option: Mapped[str] = mapped_column(String(32))

    ballot: Mapped[Ballot] = relationship(back_populates="answers")


class Comment(Base):
    """A ballot's free comment about a unit (a question of ``kind: comment``), phone numbers and e-mail
    addresses masked before it is written. Keyed like an answer (no sequence, no rowid); shown only after
    the campaign closes, under the small-cell rule (``services/comments.py``)."""

    __tablename__ = "comments"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[int] = mapped_column(BallotId, ForeignKey("ballots.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    question: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


SERIAL_STATUSES = ("printed", "entering", "conflict", "done")


class PaperSerial(Base):
    """A printed paper ballot: its serial, reserved for a unit × group, and how far its entry is."""

    __tablename__ = "paper_serials"
    __table_args__ = (
        UniqueConstraint("campaign_id", "serial"),
        CheckConstraint(_in("status", SERIAL_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    serial: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    status: Mapped[str] = mapped_column(String(16), default="printed")
    printed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    group: Mapped[RespondentGroup] = relationship()


class PaperEntry(Base):
    """One staff user's keying of a paper ballot: ``answers`` maps question id to option code.

    One per serial and user (a second keying by the same user is refused, never overwrites);
    ``session_key`` names the sitting it was keyed in, for the duplicate-vector flag.
    """

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("serial_id", "user_id"), UniqueConstraint("user_id", "client_ref"))

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_id: Mapped[int] = mapped_column(ForeignKey("paper_serials.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[dict] = mapped_column(JSON)
    session_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    client_ref: Mapped[str | None] = mapped_column(String(160))  # the sender's ballot id, for an API keying

    serial: Mapped[PaperSerial] = relationship()
    user: Mapped[User] = relationship()


class Appraisal(Base):
    """Imported appraisal points (thẩm định) of a unit: per field code, or ``total``."""

    __tablename__ = "appraisals"
    __table_args__ = (UniqueConstraint("unit_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    field: Mapped[str] = mapped_column(String(16))
    points: Mapped[float] = mapped_column(Float)


class CommuneResult(Base):
    """A commune's (xã) index and/or class, imported for the district rule.

    A commune of the campaign without a row has no result, and its district is
    not classified.
    """

    __tablename__ = "commune_results"
    __table_args__ = (CheckConstraint("index_points IS NOT NULL OR class_code IS NOT NULL", name="some_result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    index_points: Mapped[float | None] = mapped_column(Float)
    class_code: Mapped[str | None] = mapped_column(String(16))


class PreviousResult(Base):
    """Last year's published index, rank and class of a unit (class as written then)."""

    __tablename__ = "previous_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    index_points: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    class_name: Mapped[str] = mapped_column(String(64), default="")


SUCCESSION_KINDS = ("kept", "renamed", "merged", "split", "abolished")


class UnitSuccession(Base):
    """One row of the table of which of last year's units became which of this campaign's (the campaign
    the succession leads into): kept, renamed, merged (several old rows, one new code), split (one old
    unit, several rows) or abolished (no new code). Old units are named as last year had them (their
    campaign may be archived or gone); see :mod:`survey_app.services.succession`."""

    __tablename__ = "unit_successions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "old_code", "new_code"),
        CheckConstraint(_in("kind", SUCCESSION_KINDS), name="kind"),
        CheckConstraint("(kind = 'abolished') = (new_code IS NULL)", name="new_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    old_code: Mapped[str] = mapped_column(String(64))
    old_name: Mapped[str] = mapped_column(String(200))
    new_code: Mapped[str | None] = mapped_column(String(64))  # a unit code of the campaign; None when abolished
    kind: Mapped[str] = mapped_column(String(16))


class Dossier(Base):
    """A dossier (hồ sơ) completed at a unit's one-stop shop during the period, imported to draw SIPAS
    respondents from (:mod:`survey_app.services.dossiers`). A drawn dossier gets a personal invitation;
    its phone number (and its invitation's) is deleted when the campaign closes."""

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        CheckConstraint("drawn OR invitation_id IS NULL", name="invitation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    number: Mapped[str] = mapped_column(String(64))  # số hồ sơ
    procedure: Mapped[str] = mapped_column(String(300))  # tên thủ tục hành chính
    field: Mapped[str] = mapped_column(String(200))  # lĩnh vực
    completed_on: Mapped[date] = mapped_column(Date)  # ngày trả kết quả
    phone: Mapped[str | None] = mapped_column(String(32))
    drawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    # who applied: an organisation (tổ chức, doanh nghiệp) or a citizen (công dân); migration 0015
    organisation: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    unit: Mapped[Unit] = relationship()
    invitation: Mapped[Invitation | None] = relationship()


class User(Base):
    """A person who signs in: admin, staff (scoped to units) or analyst (read-only)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Every session carries the version it began under; sign-out, a new password, deactivation and a
    # change of role or units raise it, which ends every session of the user at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    units: Mapped[list[Unit]] = relationship(secondary="user_units")


class ApiToken(Base):
    """A user's token for the JSON API (``Authorization: Bearer …``); only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)  # to the minute or so: see web/api/auth.py

    user: Mapped[User] = relationship()


class UserUnit(Base):
    """The units a staff user covers."""

    __tablename__ = "user_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class AuditEntry(Base):
    """Who changed what, when, from which value to which. Only ever appended."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    attribute: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
