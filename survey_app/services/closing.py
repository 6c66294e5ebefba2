"""Closing a campaign: the one audited act that opens its ballot box, and cannot be undone."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, Draft, PaperSerial
from .audit import record
from .ballot_box import Opened, envelope_count, open_box
from .campaigns import CampaignError, campaign_criteria
from .dossiers import forget_phones


@dataclass(frozen=True)
class ClosingNote:
    """What closing a campaign opens and what it leaves behind: sealed ballots in the box, unfinished
    forms and paper ballots that will not count."""

    drafts: int
    unfinished_serials: int
    envelopes: int = 0


def closing_note(s: Session, campaign: Campaign) -> ClosingNote:
    """What closing ``campaign`` now would open and drop (for the confirmation page)."""
    drafts = s.scalar(select(func.count()).select_from(Draft).where(Draft.campaign_id == campaign.id))
    serials = s.scalar(select(func.count()).select_from(PaperSerial).where(
        PaperSerial.campaign_id == campaign.id, PaperSerial.status.in_(("entering", "conflict"))))
    return ClosingNote(drafts, serials, envelope_count(s, campaign.id))


def close_campaign(s: Session, campaign: Campaign, actor: str, user_id: int | None = None, *, secret: str,
                   passphrase: str | None = None,
                   progress: Callable[[int, int], None] | None = None) -> tuple[ClosingNote, Opened]:
    """Close the campaign and open its ballot box, once and for all (audited), in the caller's
    transaction: nothing of it stays if that transaction does not commit.

    Every envelope becomes a ballot, in a random order (:func:`.ballot_box.open_box`); envelopes,
    spent markers and unfinished drafts are deleted; links stop working and keying stops. The caller
    commits, then runs :func:`.ballot_box.forget_order` so the files keep no trace of arrival order.

    Raises
    ------
    CampaignError
        The campaign is already closed.
    PassphraseError
        The box is kept under a passphrase and ``passphrase`` does not open it (nothing changed).
    """
    if campaign.status == "closed":
        raise CampaignError("Đợt khảo sát đã kết thúc.")
    note = closing_note(s, campaign)
    opened = open_box(s, campaign.id, campaign_criteria(campaign), secret=secret, passphrase=passphrase,
                      progress=progress)
    old, campaign.status = campaign.status, "closed"
    dropped = f"; {opened.unreadable + opened.invalid} phiếu niêm phong không hợp lệ bị loại" \
        if opened.unreadable or opened.invalid else ""
    record(s, actor, "close", "campaign", campaign.id, user_id=user_id, attribute="status", old_value=old,
           new_value=f"closed: mở hòm phiếu, {opened.ballots} phiếu trực tuyến{dropped}; xoá {note.drafts} phiếu "
                     f"đang làm dở; {note.unfinished_serials} phiếu giấy chưa nhập xong không được tính")
    forget_phones(s, campaign, actor, user_id)  # dossiers' phone numbers (SIPAS): deleted at close, audited
    s.flush()
    return note, opened
