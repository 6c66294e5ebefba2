"""The writes of campaign administration. Each takes a session and only flushes;
the request (or command) commits once. Every change leaves an audit entry."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import record
from .csv_import import NewInvitation, NewUnit
from .invitations import IssuedLink, issue_link
from .models import CAMPAIGN_STATUSES, Campaign, Invitation, RespondentGroup, SampleTarget, Unit, utcnow


def add_units(s: Session, campaign: Campaign, new_units: list[NewUnit], actor: str) -> list[Unit]:
    """Add units; communes are linked to their district by code (existing or in the same batch)."""
    by_code = {u.code: u for u in s.scalars(select(Unit).where(Unit.campaign_id == campaign.id))}
    added = []
    for nu in sorted(new_units, key=lambda u: u.level == "xa"):  # districts before their communes
        unit = Unit(campaign_id=campaign.id, code=nu.code, name=nu.name, level=nu.level,
                    parent=by_code.get(nu.parent_code) if nu.parent_code else None)
        s.add(unit)
        by_code[unit.code] = unit
        added.append(unit)
    s.flush()
    for unit in added:
        record(s, actor, "create", "unit", unit.id, new_value=f"{unit.code} {unit.name} ({unit.level})")
    return added


def set_targets(s: Session, campaign: Campaign, plan: list[tuple[Unit, RespondentGroup, int]], actor: str) -> int:
    """Set sample-plan targets; returns how many changed."""
    current = {(t.unit_id, t.group_id): t for t in s.scalars(select(SampleTarget).where(SampleTarget.campaign_id == campaign.id))}
    changed = 0
    for unit, group, target in plan:
        row = current.get((unit.id, group.id))
        old = row.target if row else 0
        if old == target:
            continue
        if row is None:
            s.add(SampleTarget(campaign_id=campaign.id, unit_id=unit.id, group_id=group.id, target=target))
        else:
            row.target = target
        record(s, actor, "update", "sample_target", f"{unit.code}/{group.code}", attribute="target",
               old_value=old, new_value=target)
        changed += 1
    s.flush()
    return changed


def set_schedule(s: Session, campaign: Campaign, status: str, opens_at: datetime | None,
                 closes_at: datetime | None, actor: str, double_entry: bool | None = None,
                 min_web_seconds: int | None = None) -> None:
    """Status (draft, open, closed), the dates links work between, and the paper/review settings."""
    if status not in CAMPAIGN_STATUSES:
        raise ValueError(status)
    changes = [("status", status), ("opens_at", opens_at), ("closes_at", closes_at)]
    if double_entry is not None:
        changes.append(("double_entry", double_entry))
    if min_web_seconds is not None:
        changes.append(("min_web_seconds", min_web_seconds))
    for attribute, value in changes:
        old = getattr(campaign, attribute)
        if old != value:
            setattr(campaign, attribute, value)
            record(s, actor, "update", "campaign", campaign.id, attribute=attribute, old_value=old, new_value=value)
    s.flush()


def create_invitations(s: Session, campaign: Campaign, rows: list[NewInvitation], secret: str,
                       actor: str) -> list[tuple[Invitation, IssuedLink]]:
    """Personal links, one per row."""
    made = []
    for row in rows:
        link = issue_link(secret)
        inv = Invitation(campaign_id=campaign.id, group_id=row.group.id, unit_id=row.unit.id if row.unit else None,
                         kind="personal", token_hash=link.token_hash, token_salt=link.salt,
                         name=row.name, email=row.email, phone=row.phone)
        s.add(inv)
        made.append((inv, link))
    s.flush()
    record(s, actor, "create", "invitations", campaign.id, new_value=f"{len(made)} đường link cá nhân")
    return made


def create_qr_cards(s: Session, campaign: Campaign, unit: Unit, group: RespondentGroup, count: int,
                    secret: str, actor: str) -> list[tuple[Invitation, IssuedLink]]:
    """``count`` single-use QR cards for a unit × group."""
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


def mark_sent(s: Session, invitations: list[Invitation], actor: str, reminder: bool = False) -> None:
    """Stamp the invitations e-mailed just now (one audit entry for the batch)."""
    now = utcnow()
    for inv in invitations:
        inv.sent_at = now
    s.flush()
    if invitations:
        record(s, actor, "update", "invitations", invitations[0].campaign_id, attribute="sent_at",
               new_value=f"{len(invitations)} thư {'nhắc' if reminder else 'mời'}: "
                         + ", ".join(str(inv.id) for inv in invitations[:50]))
