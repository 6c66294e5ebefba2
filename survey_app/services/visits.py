"""What one request of a respondent reads: the link, its campaign, group and unit, and the draft,
in one SQL statement on a plain connection (no ORM session, no objects tracked).

The respondent's path is the busiest in the system (a whole province answering in a few weeks,
many in the last days). Every page of it starts with :func:`find_link`: the invitation found by
the hash of its token (or of a QR card's short code), joined to its campaign's schedule, its
group's code, its unit and that unit's parent, and its draft's stored columns. What a page then
needs of the criteria set is parsed once per process (:func:`criteria_of`, keyed by the set's
digest, which never changes); the units a group rates one by one (``each``, ``choose``) are one
more statement (:func:`assignments`).

The objects returned are frozen snapshots; they carry the attribute names of the models they
mirror (``link.campaign.status``, ``link.group.code``, ``unit.parent``), so the rules written
for those (:func:`.drafts.link_status`, :func:`.drafts.key_for`) read either.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, or_, select

from questionnaires import CriteriaSet

from ..models import Campaign, Draft, Invitation, RespondentGroup, Unit
from .campaigns import cached_criteria
from .drafts import Assignment
from .invitations import hash_short_code, hash_token, normalise_short_code


@dataclass(frozen=True)
class LinkUnit:
    """A unit as a respondent's page shows it."""

    id: int
    name: str
    level: str
    parent_id: int | None
    parent: LinkUnit | None = None


@dataclass(frozen=True)
class LinkCampaign:
    """What a link needs of its campaign: whether it collects, and which criteria set it uses."""

    id: int
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    criteria_digest: str


@dataclass(frozen=True)
class LinkGroup:
    id: int
    code: str


@dataclass(frozen=True)
class StoredDraft:
    """A draft's stored columns (the plaintext ones are empty once sealed: see :mod:`.drafts`)."""

    sealed: bytes | None
    updated_at: datetime | None
    client_id: str | None
    data: dict | None
    started_at: datetime | None


@dataclass(frozen=True)
class Link:
    """An invitation as one request of its respondent sees it, with its draft (None when none)."""

    id: int
    kind: str
    name: str | None
    token_hash: str
    token_salt: str | None
    expires_at: datetime | None
    opened: bool
    used: bool
    revoked: bool
    campaign: LinkCampaign
    group: LinkGroup
    unit: LinkUnit | None
    draft: StoredDraft | None

    @property
    def campaign_id(self) -> int:
        return self.campaign.id

    @property
    def group_id(self) -> int:
        return self.group.id


_I, _C, _G, _D = Invitation.__table__, Campaign.__table__, RespondentGroup.__table__, Draft.__table__
_U, _P = Unit.__table__.alias("own"), Unit.__table__.alias("own_parent")
_LINK = select(
    _I.c.id, _I.c.kind, _I.c.name, _I.c.token_hash, _I.c.token_salt, _I.c.expires_at, _I.c.opened, _I.c.used,
    _I.c.revoked,
    _C.c.id.label("c_id"), _C.c.status, _C.c.opens_at, _C.c.closes_at, _C.c.criteria_digest,
    _G.c.id.label("g_id"), _G.c.code.label("g_code"),
    _U.c.id.label("u_id"), _U.c.name.label("u_name"), _U.c.level.label("u_level"), _U.c.parent_id.label("u_parent"),
    _P.c.id.label("p_id"), _P.c.name.label("p_name"), _P.c.level.label("p_level"),
    _P.c.parent_id.label("p_parent"),
    _D.c.invitation_id.label("d_id"), _D.c.sealed, _D.c.updated_at, _D.c.client_id, _D.c.data, _D.c.started_at,
).select_from(
    _I.join(_C, _C.c.id == _I.c.campaign_id).join(_G, _G.c.id == _I.c.group_id)
    .outerjoin(_U, _U.c.id == _I.c.unit_id).outerjoin(_P, _P.c.id == _U.c.parent_id)
    .outerjoin(_D, _D.c.invitation_id == _I.c.id)
)
_BY_TOKEN = _LINK.where(_I.c.token_hash == bindparam("token"))
_BY_TOKEN_OR_CODE = _LINK.where(or_(_I.c.token_hash == bindparam("token"), _I.c.short_code_hash == bindparam("code")))
_UNITS = (select(Unit.id, Unit.name, Unit.level, Unit.parent_id)
          .where(Unit.campaign_id == bindparam("campaign"), Unit.level.in_(bindparam("levels", expanding=True)))
          .order_by(Unit.id))
_UNIT = select(Unit.id, Unit.name, Unit.level, Unit.parent_id).where(Unit.id == bindparam("unit"))
_CRITERIA = select(Campaign.criteria_files).where(Campaign.id == bindparam("campaign"))


def find_link(conn: Connection, key: str) -> Link | None:
    """The link of a token, or of a QR card's short code (one statement); None if neither."""
    if not key or len(key) > 128:
        return None
    token = hash_token(key)
    if len(normalise_short_code(key)) <= 16:
        rows = conn.execute(_BY_TOKEN_OR_CODE, {"token": token, "code": hash_short_code(key)}).all()
    else:
        rows = conn.execute(_BY_TOKEN, {"token": token}).all()
    if not rows:
        return None
    row = next((r for r in rows if r.token_hash == token), rows[0])  # a token wins over a short code
    parent = None if row.p_id is None else LinkUnit(row.p_id, row.p_name, row.p_level, row.p_parent)
    unit = None if row.u_id is None else LinkUnit(row.u_id, row.u_name, row.u_level, row.u_parent, parent)
    draft = None if row.d_id is None else StoredDraft(
        None if row.sealed is None else bytes(row.sealed), row.updated_at, row.client_id, row.data, row.started_at)
    return Link(row.id, row.kind, row.name, row.token_hash, row.token_salt, row.expires_at, bool(row.opened),
                bool(row.used), bool(row.revoked),
                LinkCampaign(row.c_id, row.status, row.opens_at, row.closes_at, row.criteria_digest),
                LinkGroup(row.g_id, row.g_code), unit, draft)


def criteria_of(conn: Connection, campaign: LinkCampaign) -> CriteriaSet:
    """The campaign's criteria set, parsed once per process (the 60 KB of JSON are read only then)."""
    return cached_criteria(campaign.criteria_digest,
                           lambda: conn.execute(_CRITERIA, {"campaign": campaign.id}).scalar_one())


def _own(conn: Connection, unit: LinkUnit | None, level: str) -> LinkUnit | None:
    """The unit itself or its ancestor at ``level`` (the parent comes with the link; further up is read)."""
    while unit is not None and unit.level != level:
        if unit.parent is None and unit.parent_id is not None:
            row = conn.execute(_UNIT, {"unit": unit.parent_id}).one()
            unit = LinkUnit(row.id, row.name, row.level, row.parent_id)
        else:
            unit = unit.parent
    return unit


def assignments(conn: Connection, link: Link, cset: CriteriaSet) -> list[Assignment]:
    """The questionnaires a link's respondent answers, with the units each rates.

    ``own`` resolves to the respondent's unit, or to its district when the respondent belongs to a
    commune (a commune leader rates their district); ``each`` and ``choose`` to the campaign's units
    of the level, in the order they were added (one statement for all such levels).
    """
    group = cset.group_by_code[link.group.code]
    listed = sorted({rule.level for rule in group.rates if rule.how != "own"})
    by_level: dict[str, list[LinkUnit]] = {level: [] for level in listed}
    if listed:
        for row in conn.execute(_UNITS, {"campaign": link.campaign.id, "levels": listed}):
            by_level[row.level].append(LinkUnit(row.id, row.name, row.level, row.parent_id))
    result = []
    for rule in group.rates:
        if rule.how == "own":
            own = _own(conn, link.unit, rule.level)
            units = [own] if own is not None else []
        else:
            units = by_level[rule.level]
        result.append(Assignment(cset.level_by_code[rule.level], rule.how,
                                 cset.questionnaire(rule.level, group.code), units))
    return result
