"""Ballots sent through the API: named by codes, checked by the rules of :mod:`.ballots`,
idempotent by the sender's ballot id.

A ballot names its respondent group and, for each unit it rates, an answer to every
question that group's questionnaire asks about the unit's level ("don't know" included, as
on the form). Staff may only send ballots about the units they cover. The same
``ballot_id`` sent again returns the stored ballot and stores nothing; with different
answers it is refused (409). Every problem comes back at once, each with its JSON path.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, RespondentGroup, User
from . import ballots
from .campaigns import campaign_criteria
from .units import units_by_code

CLIENT_PREFIX = "api:"


@dataclass
class Intake:
    """``status``: ``stored`` (201), ``replay`` (200), ``conflict`` (409) or ``invalid`` (422)."""

    status: str
    ballot_id: int | None = None
    problems: list[dict] = field(default_factory=list)


def _read(s: Session, campaign: Campaign, user: User, body: dict):
    """(problems, answers by unit id, group) of a request body whose shape is valid."""
    cset = campaign_criteria(campaign)
    group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                   RespondentGroup.code == body["group"]))
    if group is None:
        return [{"field": "group", "message": f"không có đối tượng '{body['group']}'"}], {}, None
    units = units_by_code(campaign)
    allowed = None if user.role == "admin" else {u.id for u in user.units}
    problems: list[dict] = []
    answers: dict[int, dict[str, str]] = {}
    levels: dict[int, str] = {}
    where: dict[int, str] = {}
    for i, part in enumerate(body["units"]):
        path = f"units[{i}]"
        unit = units.get(part["unit"])
        if unit is None:
            problems.append({"field": f"{path}.unit", "message": f"không có đơn vị '{part['unit']}'"})
        elif unit.id in answers:
            problems.append({"field": f"{path}.unit", "message": f"đơn vị '{unit.code}' có hai lần"})
        elif allowed is not None and unit.id not in allowed and unit.parent_id not in allowed:
            problems.append({"field": f"{path}.unit", "message": f"tài khoản không phụ trách đơn vị '{unit.code}'"})
        else:
            answers[unit.id], levels[unit.id], where[unit.id] = dict(part["answers"]), unit.level, path
    for p in ballots.answer_problems(cset, group.code, levels, answers):
        path = where.get(p.unit_id, "units")
        problems.append(
            {"field": f"{path}.answers.{p.question}" if p.question else f"{path}.unit", "message": p.message}
        )
    return problems, answers, group


def submit_ballot(s: Session, campaign: Campaign, user: User, body: dict) -> Intake:
    """Check and store one ballot in the caller's transaction (see the module's rules)."""
    client_id = CLIENT_PREFIX + body["ballot_id"]
    problems, answers, group = _read(s, campaign, user, body)
    if problems:
        existing = ballots.stored_ballot(s, client_id)
        return Intake("conflict", existing.id) if existing is not None else Intake("invalid", problems=problems)
    new = ballots.NewBallot(campaign_id=campaign.id, group_id=group.id, channel="api", client_id=client_id,
                            answers=[(u, q, o) for u, given in answers.items() for q, o in given.items()])
    stored = ballots.store_ballot(s, campaign_criteria(campaign), new)
    return Intake(stored.status, stored.ballot_id)
