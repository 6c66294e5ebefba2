"""What an invitation asks of its respondent, and whether its link can still be used."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Level, Questionnaire

from .campaigns import campaign_criteria
from .models import Campaign, Invitation, Unit, utcnow


@dataclass(frozen=True)
class Assignment:
    """One questionnaire of an invitation: the units of a level it rates, and how."""

    level: Level
    how: str  # own, each, choose (the units are then the choices offered)
    questionnaire: Questionnaire
    units: list[Unit]


def link_status(session: Session, invitation: Invitation) -> str:
    """``open``, or why the link cannot be answered: ``used``, ``expired``, ``not_open``, ``closed``."""
    campaign = session.get(Campaign, invitation.campaign_id)
    now = utcnow()
    if invitation.used:
        return "used"
    if invitation.expires_at is not None and invitation.expires_at < now:
        return "expired"
    if campaign.status == "draft" or (campaign.opens_at is not None and campaign.opens_at > now):
        return "not_open"
    if campaign.status == "closed" or (campaign.closes_at is not None and campaign.closes_at < now):
        return "closed"
    return "open"


def assignments(session: Session, invitation: Invitation) -> list[Assignment]:
    """The questionnaires an invitation's respondent answers, with the units each rates.

    ``own`` resolves to the respondent's unit, or to its district when the
    respondent belongs to a commune (a commune leader rates their district).
    """
    campaign = session.get(Campaign, invitation.campaign_id)
    cset = campaign_criteria(campaign)
    group = cset.group_by_code[invitation.group.code]
    result = []
    for rule in group.rates:
        if rule.how == "own":
            own = invitation.unit
            while own is not None and own.level != rule.level:
                own = own.parent
            units = [own] if own is not None else []
        else:
            units = list(session.scalars(
                select(Unit).where(Unit.campaign_id == campaign.id, Unit.level == rule.level).order_by(Unit.id)))
        result.append(Assignment(cset.level_by_code[rule.level], rule.how,
                                 cset.questionnaire(rule.level, group.code), units))
    return result
