"""What one request of a respondent reads: the link, its campaign, group and unit, and the draft,
in one SQL statement on a plain connection (no ORM session, no objects tracked).

The respondent's path is the busiest in the system (a whole province answering in a few weeks,
many in the last days). Every page of it starts with :func:`find_link`: the invitation found by
the hash of its token (or of a QR card's short code), joined to its campaign's schedule, its
group's code, its unit and that unit's parent, its draft (found by its keyed row id) and whether
its ballot was sent (its spent marker, :mod:`.markers`). What a page then
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

from sqlalchemy import Connection, bindparam, select

from questionnaires import CriteriaSet

from ..models import Campaign, Draft, Invitation, RespondentGroup, SpentLink, Unit
from .campaigns import cached_criteria
from .drafts import Assignment
from .invitations import card_rule, hash_short_code, hash_token, normalise_short_code
from .markers import draft_id, spent_marker


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
    province: str = ""  # named in the respondent's page header


@dataclass(frozen=True)
class LinkGroup:
    id: int
    code: str


@dataclass(frozen=True)
class StoredDraft:
    """A draft as stored: sealed (see :mod:`.drafts`)."""

    sealed: bytes


@dataclass(frozen=True)
class Link:
    """An invitation as one request of its respondent sees it, with its draft (None when none)."""

    id: int
    kind: str
    name: str | None
    token_hash: str
    token_salt: str | None
    expires_at: datetime | None
    used: bool  # its spent marker is in the box's set
    revoked: bool
    campaign: LinkCampaign
    group: LinkGroup
    unit: LinkUnit | None
    draft: StoredDraft | None
    draft_id: str  # the keyed row id of its draft
    marker: str  # its spent marker

    @property
    def campaign_id(self) -> int:
        return self.campaign.id

    @property
    def group_id(self) -> int:
        return self.group.id


_I, _C, _G, _D, _S = (Invitation.__table__, Campaign.__table__, RespondentGroup.__table__, Draft.__table__,
                      SpentLink.__table__)
_U, _P = Unit.__table__.alias("own"), Unit.__table__.alias("own_parent")
_COLUMNS = (
    _I.c.id, _I.c.kind, _I.c.name, _I.c.token_hash, _I.c.token_salt, _I.c.expires_at, _I.c.revoked,
    _C.c.id.label("c_id"), _C.c.status, _C.c.opens_at, _C.c.closes_at, _C.c.criteria_digest, _C.c.province,
    _G.c.id.label("g_id"), _G.c.code.label("g_code"),
    _U.c.id.label("u_id"), _U.c.name.label("u_name"), _U.c.level.label("u_level"), _U.c.parent_id.label("u_parent"),
    _P.c.id.label("p_id"), _P.c.name.label("p_name"), _P.c.level.label("p_level"),
    _P.c.parent_id.label("p_parent"),
)
_JOINS = (_I.join(_C, _C.c.id == _I.c.campaign_id).join(_G, _G.c.id == _I.c.group_id)
          .outerjoin(_U, _U.c.id == _I.c.unit_id).outerjoin(_P, _P.c.id == _U.c.parent_id))
# By token, the draft and the marker come in the same statement: their keyed ids are computed from
# the token's hash before it runs. A QR card's short code finds its row first, then those (a second one).
_BY_TOKEN = select(*_COLUMNS, _D.c.sealed, _S.c.marker.label("spent")).select_from(
    _JOINS.outerjoin(_D, _D.c.id == bindparam("draft")).outerjoin(_S, _S.c.marker == bindparam("marker"))
).where(_I.c.token_hash == bindparam("token"))
_BY_CODE = select(*_COLUMNS).select_from(_JOINS).where(_I.c.short_code_hash == bindparam("code"))
_DRAFT_AND_MARKER = select(
    select(_D.c.sealed).where(_D.c.id == bindparam("draft")).scalar_subquery().label("sealed"),
    select(_S.c.marker).where(_S.c.marker == bindparam("marker")).scalar_subquery().label("spent"))
_UNITS = (select(Unit.id, Unit.name, Unit.level, Unit.parent_id)
          .where(Unit.campaign_id == bindparam("campaign"), Unit.level.in_(bindparam("levels", expanding=True)))
          .order_by(Unit.id))
_UNIT = select(Unit.id, Unit.name, Unit.level, Unit.parent_id).where(Unit.id == bindparam("unit"))
_CRITERIA = select(Campaign.criteria_files).where(Campaign.id == bindparam("campaign"))


def find_link(conn: Connection, key: str, secret: str) -> Link | None:
    """The link of a token, or of a QR card's short code, with its draft and whether it is spent;
    None if neither. One statement for a token (the common case), two for a short code."""
    if not key or len(key) > 128:
        return None
    token = hash_token(key)
    ids = {"token": token, "draft": draft_id(secret, token), "marker": spent_marker(secret, token)}
    row = conn.execute(_BY_TOKEN, ids).first()
    sealed = spent = None
    if row is not None:
        sealed, spent = row.sealed, row.spent
    elif len(normalise_short_code(key)) <= 16:
        row = conn.execute(_BY_CODE, {"code": hash_short_code(key)}).first()
        if row is not None:
            ids = {"draft": draft_id(secret, row.token_hash), "marker": spent_marker(secret, row.token_hash)}
            sealed, spent = conn.execute(_DRAFT_AND_MARKER, ids).one()
    if row is None:
        return None
    parent = None if row.p_id is None else LinkUnit(row.p_id, row.p_name, row.p_level, row.p_parent)
    unit = None if row.u_id is None else LinkUnit(row.u_id, row.u_name, row.u_level, row.u_parent, parent)
    return Link(row.id, row.kind, row.name, row.token_hash, row.token_salt, row.expires_at, spent is not None,
                bool(row.revoked), LinkCampaign(row.c_id, row.status, row.opens_at, row.closes_at, row.criteria_digest,
                                                row.province or ""),
                LinkGroup(row.g_id, row.g_code), unit, None if sealed is None else StoredDraft(bytes(sealed)),
                ids["draft"], ids["marker"])


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

    A personal link: ``own`` resolves to the respondent's unit, or to its district when the respondent
    belongs to a commune (a commune leader rates their district); ``each`` and ``choose`` to the
    campaign's units of the level, in the order they were added (one statement for all such levels).

    A QR card rates the unit it was printed for and nothing else (:func:`card_assignments`).
    """
    if link.kind == "qr_card" and link.unit is not None:
        return card_assignments(cset, link.group.code, link.unit)
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


def card_assignments(cset: CriteriaSet, group_code: str, unit: LinkUnit) -> list[Assignment]:
    """What a QR card printed for ``unit`` asks: its group's questionnaire for the unit's level, about that
    unit alone (:func:`.invitations.card_rule`); nothing when the group does not rate that level (a card
    printed before cards were refused for it).

    The assignment is ``own`` where the group rates its own unit; where it rates ``each`` unit of the level
    or ``choose``s among them, it is ``each`` over the one unit (nothing to choose, and the envelope names no
    unit, as for every ballot of such a group).
    """
    rule = card_rule(cset, group_code, unit.level)
    if rule is None:
        return []
    return [Assignment(cset.level_by_code[unit.level], "own" if rule.how == "own" else "each",
                       cset.questionnaire(unit.level, group_code), [unit])]
