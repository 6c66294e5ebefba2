"""What an import of results would replace (issue 30 item 2): the rows stored now, and the file they came
from, told on the confirmation page before a new file replaces them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Appraisal, AuditEntry, Campaign, CommuneResult, PreviousResult, Unit, vietnam_time

MODELS = {"appraisal": Appraisal, "communes": CommuneResult, "previous": PreviousResult}


@dataclass(frozen=True)
class Stored:
    """The campaign's current import of a kind: how many units it gives, and its last import (audit log)."""

    units: int
    last: str  # e.g. "tham-dinh.xlsx: 57 dòng, lúc 14:05 12/12/2026"; "" when the log has none


def stored_import(s: Session, campaign: Campaign, kind: str, levels: tuple[str, ...] = ()) -> Stored:
    """What an import of ``kind`` (``levels``: of those levels only, for an appraisal by level) would replace.

    Parameters
    ----------
    s : Session
    campaign : Campaign
    kind : str
        ``appraisal``, ``communes`` or ``previous``.
    levels : tuple of str, optional
        The unit levels the new file gives; empty: every level.

    Returns
    -------
    Stored
        ``units`` 0 when nothing is stored (nothing to confirm).
    """
    model = MODELS[kind]
    query = select(func.count(func.distinct(model.unit_id))).where(model.campaign_id == campaign.id)
    if levels:
        query = query.where(model.unit_id.in_(select(Unit.id).where(Unit.campaign_id == campaign.id,
                                                                    Unit.level.in_(levels))))
    entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "import", AuditEntry.entity == kind,
                                              AuditEntry.entity_id == str(campaign.id))
                     .order_by(AuditEntry.id.desc()).limit(1))
    last = f"{entry.new_value}, lúc {vietnam_time(entry.at).strftime('%H:%M %d/%m/%Y')}" if entry else ""
    return Stored(s.scalar(query) or 0, last)
