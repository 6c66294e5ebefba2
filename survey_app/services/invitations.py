"""Invitations: personal links and QR cards, issued, listed, marked sent.

Links and QR card codes are derived from the app's secret and stored only as hashes.

A link's token is ``HMAC(key, "token" + salt)`` (24 bytes, 192 bits, URL-safe
base64), where ``key`` is derived from ``SECRET_KEY`` and ``salt`` is random per
invitation. The database keeps the salt and the token's SHA-256, never the
token: a copy of the database alone opens no form. The running app can derive
a link again, which is what mail-merge exports and reminders need. Changing
``SECRET_KEY`` leaves every issued link working (its hash is stored) but makes
it impossible to export or re-send.

A QR card also carries an 8-character short code a person can type (from an
alphabet without 0/O and 1/I), derived and stored the same way; ``/s/<code>``
opens the same form as ``/s/<token>``.

A QR card is printed for one unit × group and rates that unit only, with the group's
questionnaire for the unit's level (:func:`card_rule`); a unit of a level the group does
not rate gets no card (:class:`CardRefused`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, RatingRule

from ..models import Campaign, Invitation, RespondentGroup, Unit, utcnow
from .audit import record
from .ballot_box import read_link_states
from .campaigns import campaign_criteria
from .csv_import import NewInvitation, fold, phone_number
from .revoking import mark_revoked, revocable

SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 letters: one byte mod 32 is uniform
SHORT_CODE_LENGTH = 8


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"parsurvey invitation links\0" + secret.encode("utf-8")).digest()


def _mac(secret: str, purpose: bytes, salt: str) -> bytes:
    return hmac.new(_key(secret), purpose + b"\0" + salt.encode("ascii"), hashlib.sha256).digest()


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_short_code(code: str) -> str:
    """A typed short code as stored: capitals, without spaces or dashes.

    Examples
    --------
    >>> normalise_short_code(" abcd-ef 23 ")
    'ABCDEF23'
    """
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_short_code(code: str) -> str:
    """The SHA-256 stored in place of a QR card's short code."""
    return hash_token(normalise_short_code(code))


def derive_token(secret: str, salt: str) -> str:
    """The link token of an invitation (192 bits, 32 URL-safe characters).

    Examples
    --------
    >>> t = derive_token("k", "00ff")
    >>> len(t), t == derive_token("k", "00ff"), t == derive_token("other", "00ff")
    (32, True, False)
    """
    return base64.urlsafe_b64encode(_mac(secret, b"token", salt)[:24]).decode("ascii")


def derive_short_code(secret: str, salt: str) -> str:
    """The 8-character code printed on a QR card."""
    mac = _mac(secret, b"short code", salt)
    return "".join(SHORT_CODE_ALPHABET[b % 32] for b in mac[:SHORT_CODE_LENGTH])


def format_short_code(code: str) -> str:
    """Printed in two groups of four, easier to read aloud: ``ABCD-EF23``."""
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class IssuedLink:
    """What a new invitation stores (salt, hashes) and what is shown once (token, code)."""

    salt: str
    token: str
    short_code: str | None

    @property
    def token_hash(self) -> str:
        return hash_token(self.token)

    @property
    def short_code_hash(self) -> str | None:
        return hash_short_code(self.short_code) if self.short_code else None


def issue_link(secret: str, qr_card: bool = False) -> IssuedLink:
    """A fresh salt and the token (and, for a QR card, the short code) it gives."""
    salt = secrets.token_hex(16)
    return IssuedLink(salt, derive_token(secret, salt), derive_short_code(secret, salt) if qr_card else None)


def link_of(secret: str, invitation: Invitation) -> IssuedLink | None:
    """The token and code of an existing invitation; ``None`` if it was not issued with a salt
    or under another secret."""
    if not invitation.token_salt:
        return None
    issued = IssuedLink(invitation.token_salt, derive_token(secret, invitation.token_salt),
                        derive_short_code(secret, invitation.token_salt) if invitation.short_code_hash else None)
    return issued if issued.token_hash == invitation.token_hash else None


def invitations_of(s: Session, campaign_id: int, secret: str, only_unanswered: bool = False) -> list[Invitation]:
    """A campaign's invitations by group, unit and id, each knowing whether it was opened and used
    (:func:`.ballot_box.read_link_states`); ``only_unanswered`` leaves out used and revoked links."""
    query = select(Invitation).where(Invitation.campaign_id == campaign_id)
    if only_unanswered:
        query = query.where(Invitation.revoked.is_(False))
    found = read_link_states(s, list(s.scalars(query.order_by(Invitation.group_id, Invitation.unit_id,
                                                              Invitation.id))), secret)
    return [inv for inv in found if not (only_unanswered and inv.used)]


def unused_cards(s: Session, campaign_id: int, unit: Unit, group: RespondentGroup, secret: str) -> list[Invitation]:
    """The QR cards of a unit × group not answered yet, in the order they were made."""
    cards = list(s.scalars(select(Invitation).where(
        Invitation.campaign_id == campaign_id, Invitation.unit_id == unit.id, Invitation.group_id == group.id,
        Invitation.kind == "qr_card", Invitation.revoked.is_(False)).order_by(Invitation.id)))
    return [card for card in read_link_states(s, cards, secret) if not card.used]


def _keys(name: str | None, group_id: int, unit_id: int | None, email: str | None, phone: str | None):
    """What makes two invitations the same person: a name in a group and unit, a phone, an e-mail."""
    keys = []
    if name:
        keys.append(("tên", (fold(name), group_id, unit_id)))
    if phone:
        keys.append(("điện thoại", phone_number(phone) or phone))
    if email:
        keys.append(("thư điện tử", email.strip().lower()))
    return keys


def already_invited(s: Session, campaign: Campaign, rows: list[NewInvitation]) -> list[tuple[NewInvitation, str]]:
    """Rows naming someone the campaign already invited (a link not revoked), or an earlier row of the
    same file: same name in the same group and unit, same phone, or same e-mail. ``(row, why)``."""
    seen: dict[tuple, str] = {}
    for inv in s.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id,
                                                  Invitation.kind == "personal", Invitation.revoked.is_(False))):
        for what, key in _keys(inv.name, inv.group_id, inv.unit_id, inv.email, inv.phone):
            seen.setdefault((what, key), f"đã được mời ({inv.name or 'không tên'}, cùng {what})")
    found = []
    for row in rows:
        keys = _keys(row.name, row.group.id, row.unit.id if row.unit else None, row.email, row.phone)
        reason = next((seen[(what, key)] for what, key in keys if (what, key) in seen), None)
        if reason:
            found.append((row, reason))
        for what, key in keys:
            seen.setdefault((what, key), f"trùng dòng {row.row} của tệp (cùng {what})")
    return found


def revoke_invitations(s: Session, campaign: Campaign, ids: list[int], actor: str, secret: str) -> int:
    """Revoke links not yet answered (kept, audited; a revoked link opens nothing). Returns how many."""
    return mark_revoked(s, campaign, revocable(s, campaign, ids, secret), True, actor)


def create_invitations(s: Session, campaign: Campaign, rows: list[NewInvitation], secret: str,
                       actor: str) -> list[tuple[Invitation, IssuedLink]]:
    """Personal links, one per row."""
    made = []
    for row in rows:
        link = issue_link(secret)
        inv = Invitation(campaign_id=campaign.id, group_id=row.group.id, unit_id=row.unit.id if row.unit else None,
                         kind="personal", token_hash=link.token_hash, token_salt=link.salt,
                         name=row.name, email=row.email, phone=row.phone, expires_at=row.expires_at)
        s.add(inv)
        made.append((inv, link))
    s.flush()
    record(s, actor, "create", "invitations", campaign.id, new_value=f"{len(made)} đường link cá nhân")
    return made


def create_qr_cards(s: Session, campaign: Campaign, unit: Unit, group: RespondentGroup, count: int,
                    secret: str, actor: str) -> list[tuple[Invitation, IssuedLink]]:
    """``count`` single-use QR cards for a unit × group.

    Raises
    ------
    CardRefused
        When the group does not rate the unit's level (:func:`card_refusal`): nothing is made.
    """
    refusal = card_refusal(campaign_criteria(campaign), unit, group)
    if refusal:
        raise CardRefused(refusal)
    made = []
    for _ in range(count):
        link = issue_link(secret, qr_card=True)
        inv = Invitation(campaign_id=campaign.id, group_id=group.id, unit_id=unit.id, kind="qr_card",
                         token_hash=link.token_hash, token_salt=link.salt, short_code_hash=link.short_code_hash)
        s.add(inv)
        made.append((inv, link))
    s.flush()
    record(s, actor, "create", "invitations", campaign.id, new_value=f"{count} thẻ QR {unit.code}/{group.code}")
    return made


class CardRefused(ValueError):
    """A QR card asked for a unit whose level its group does not rate; the message says so (Vietnamese)."""


def card_rule(cset: CriteriaSet, group_code: str, level: str) -> RatingRule | None:
    """The rule of the criteria set a QR card of ``group_code`` printed for a unit of ``level`` follows.

    A card is handed out at (or for) one unit, so it rates that unit and no other: with the group's
    questionnaire for the unit's level, whether the group rates its ``own`` unit of that level, ``each``
    unit of it, or ``choose``s among them (the card's unit is then the one it chose, as on a paper
    ballot printed for the unit). It never rates another level, not even the unit's district. None when
    the group does not rate the unit's level at all: no card is printed for it.

    Examples
    --------
    >>> from questionnaires import load_criteria_set, DEFAULT_SET_DIR
    >>> cset = load_criteria_set(DEFAULT_SET_DIR)
    >>> card_rule(cset, "nguoi_dan", "huyen").how, card_rule(cset, "nguoi_dan", "so")
    ('own', None)
    """
    group = cset.group_by_code.get(group_code)
    return None if group is None else group.rule_for(level)


def card_refusal(cset: CriteriaSet, unit: Unit, group: RespondentGroup) -> str | None:
    """Why no QR card may be printed for ``unit`` × ``group`` (a Vietnamese sentence), or None when it may."""
    if card_rule(cset, group.code, unit.level) is not None:
        return None
    level = cset.level_by_code.get(unit.level)
    level_name = level.name.lower() if level is not None else unit.level
    rated = [cset.level_by_code[r.level].name.lower() for r in cset.group_by_code[group.code].rates] \
        if group.code in cset.group_by_code else []
    return (f"Không in thẻ QR cho {group.name} — {unit.name}: theo bộ tiêu chí, {group.name} không đánh giá "
            f"{level_name}" + (f" (chỉ đánh giá {', '.join(rated)})." if rated else "."))


def mark_sent(s: Session, invitations: list[Invitation], actor: str, reminder: bool = False) -> None:
    """Stamp the invitations e-mailed just now (one audit entry for the batch).

    A reminder goes only to those who have not answered, so it leaves no trace per invitation: it
    does not restamp ``sent_at`` and its audit entry gives a count, not who. Otherwise the stamps
    and the entries, which outlive the campaign, would say who had not answered by each reminder,
    and so who answered in between.
    """
    if not invitations:
        return
    if reminder:
        record(s, actor, "update", "invitations", invitations[0].campaign_id, attribute="sent_at",
               new_value=f"{len(invitations)} thư nhắc")
        return
    now = utcnow()
    for inv in invitations:
        inv.sent_at = now
    s.flush()
    record(s, actor, "update", "invitations", invitations[0].campaign_id, attribute="sent_at",
           new_value=f"{len(invitations)} thư mời: " + ", ".join(str(inv.id) for inv in invitations[:50]))
