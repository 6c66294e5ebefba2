"""Revoked links brought back (issue 30 item 2): the undo of :func:`.invitations.revoke_invitations`.

A revoked link is kept (its row, its hashed token): clearing the mark makes the very same address open
the form again. Functions only flush; the request commits once; every change is audited.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, Invitation
from .audit import record
from .ballot_box import read_link_states


def revocable(s: Session, campaign: Campaign, ids: list[int], secret: str) -> list[Invitation]:
    """The links among ``ids`` that revoking would stop: the campaign's, not revoked, not answered."""
    found = list(s.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id, Invitation.id.in_(ids),
                                                    Invitation.revoked.is_(False)).order_by(Invitation.id)))
    return [inv for inv in read_link_states(s, found, secret) if not inv.used]


def restore_invitations(s: Session, campaign: Campaign, ids: list[int], actor: str) -> int:
    """Clear the revoked mark of the campaign's links among ``ids`` (audited); returns how many.

    Nothing is restored once the campaign is closed: its links open nothing any more anyway.
    """
    if campaign.status == "closed":
        return 0
    return mark_revoked(s, campaign, list(s.scalars(select(Invitation).where(
        Invitation.campaign_id == campaign.id, Invitation.id.in_(ids), Invitation.revoked.is_(True)))), False, actor)


def mark_revoked(s: Session, campaign: Campaign, links: list[Invitation], revoked: bool, actor: str) -> int:
    """Set the revoked mark of ``links`` (revoking, or its undo), audited with their count and first 50 ids;
    returns how many."""
    for inv in links:
        inv.revoked = revoked
    s.flush()
    if links:
        record(s, actor, "update", "invitations", campaign.id, attribute="revoked",
               new_value=f"{len(links)} {'thu hồi' if revoked else 'khôi phục'}: "
               + ", ".join(str(inv.id) for inv in links[:50]))
    return len(links)
