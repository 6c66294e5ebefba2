"""Closing a campaign: the one audited act that unseals its results, and cannot be undone."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, Draft, Invitation, PaperSerial
from .audit import record
from .campaigns import CampaignError
from .drafts import delete_drafts


@dataclass(frozen=True)
class ClosingNote:
    """What closing a campaign leaves behind: unfinished forms and paper ballots that will not count."""

    drafts: int
    unfinished_serials: int


def closing_note(s: Session, campaign: Campaign) -> ClosingNote:
    """What closing ``campaign`` now would drop (for the confirmation page)."""
    drafts = s.scalar(select(func.count()).select_from(Draft).join(Invitation, Draft.invitation_id == Invitation.id)
                      .where(Invitation.campaign_id == campaign.id))
    serials = s.scalar(select(func.count()).select_from(PaperSerial).where(
        PaperSerial.campaign_id == campaign.id, PaperSerial.status.in_(("entering", "conflict"))))
    return ClosingNote(drafts, serials)


def close_campaign(s: Session, campaign: Campaign, actor: str, user_id: int | None = None) -> ClosingNote:
    """Close the campaign and unseal its results, once and for all (audited).

    Links stop working, keying stops, unfinished drafts are deleted.

    Raises
    ------
    CampaignError
        The campaign is already closed.
    """
    if campaign.status == "closed":
        raise CampaignError("Đợt khảo sát đã kết thúc.")
    note = closing_note(s, campaign)
    delete_drafts(s, campaign.id)
    old, campaign.status = campaign.status, "closed"
    record(s, actor, "close", "campaign", campaign.id, user_id=user_id, attribute="status", old_value=old,
           new_value=f"closed: mở niêm phong kết quả; xoá {note.drafts} phiếu đang làm dở; "
                     f"{note.unfinished_serials} phiếu giấy chưa nhập xong không được tính")
    s.flush()
    return note
