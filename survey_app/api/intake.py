"""Ballots submitted through the API: the web form's rules, idempotent by the client's ballot id.

A ballot names its respondent group and, for each unit it rates, an answer to every
question that group's questionnaire asks about the unit's level (``"don't know"``
included, as on the form). The group must rate that level; staff may only submit
ballots about the units they cover. The same ``ballot_id`` sent again returns the
stored ballot and stores nothing; with different answers it is refused (409).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..campaigns import campaign_criteria
from ..models import Answer, Ballot, Campaign, RespondentGroup, Unit, User
from ..submission import VIETNAM

CLIENT_PREFIX = "api:"


@dataclass
class Intake:
    """``status``: ``stored`` (201), ``replay`` (200), ``conflict`` (409) or ``invalid`` (422)."""

    status: str
    ballot_id: int | None = None
    problems: list[dict] = field(default_factory=list)


def _digest(rows: list[tuple[int, str, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(rows)).encode()).hexdigest()


def check_ballot(s: Session, campaign: Campaign, user: User, body: dict) -> tuple[list[dict], list[tuple], int | None]:
    """Problems (each ``{"field", "message"}``), the answer rows (unit id, question, option), the group id."""
    cset = campaign_criteria(campaign)
    problems: list[dict] = []
    group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                   RespondentGroup.code == body["group"]))
    if group is None:
        return [{"field": "group", "message": f"không có đối tượng '{body['group']}'"}], [], None
    rated = {r.level for r in cset.group_by_code[group.code].rates}
    units = {u.code: u for u in s.scalars(select(Unit).where(Unit.campaign_id == campaign.id))}
    allowed = None if user.role == "admin" else {u.id for u in user.units}
    rows: list[tuple[int, str, str]] = []
    seen_units: set[str] = set()
    for i, part in enumerate(body["units"]):
        where = f"units[{i}]"
        unit = units.get(part["unit"])
        if unit is None:
            problems.append({"field": f"{where}.unit", "message": f"không có đơn vị '{part['unit']}'"})
            continue
        if unit.code in seen_units:
            problems.append({"field": f"{where}.unit", "message": f"đơn vị '{unit.code}' có hai lần"})
            continue
        seen_units.add(unit.code)
        if unit.level not in rated:
            problems.append({"field": f"{where}.unit", "message": f"'{group.code}' không đánh giá cấp '{unit.level}'"})
            continue
        if allowed is not None and unit.id not in allowed and unit.parent_id not in allowed:
            problems.append({"field": f"{where}.unit", "message": f"tài khoản không phụ trách đơn vị '{unit.code}'"})
            continue
        questionnaire = cset.questionnaire(unit.level, group.code)
        asked = list(questionnaire.question_ids)
        answers = part["answers"]
        for question in sorted(set(answers) - set(asked)):
            problems.append({"field": f"{where}.answers.{question}", "message": "câu hỏi không có trong phiếu"})
        for question in asked:
            option = answers.get(question)
            scale = cset.scale_by_code[cset.question_by_key[(unit.level, question)].scale]
            if option is None:
                problems.append({"field": f"{where}.answers.{question}", "message": "chưa trả lời"})
            elif option not in {o.code for o in scale.options}:
                problems.append({"field": f"{where}.answers.{question}",
                                 "message": f"phương án '{option}' không có (dùng: {', '.join(o.code for o in scale.options)})"})
            else:
                rows.append((unit.id, question, option))
    return problems, rows, group.id


def submit_ballot(s: Session, campaign: Campaign, user: User, body: dict) -> Intake:
    """Check and store one ballot in the caller's transaction (see the module's rules)."""
    client_id = CLIENT_PREFIX + body["ballot_id"]
    problems, rows, group_id = check_ballot(s, campaign, user, body)
    existing = s.scalar(select(Ballot).where(Ballot.client_id == client_id))
    if existing is not None:
        same = not problems and existing.payload_digest == _digest(rows) and existing.campaign_id == campaign.id
        return Intake("replay" if same else "conflict", existing.id)
    if problems:
        return Intake("invalid", problems=problems)
    ballot = Ballot(campaign_id=campaign.id, client_id=client_id, group_id=group_id, channel="api", state="received",
                    payload_digest=_digest(rows),
                    submitted_on=datetime.now(timezone.utc).astimezone(VIETNAM).date())
    try:
        with s.begin_nested():
            s.add(ballot)
            s.flush()
            s.execute(insert(Answer), [{"ballot_id": ballot.id, "unit_id": u, "question": q, "option": o} for u, q, o in rows])
    except IntegrityError:  # the same ballot id stored by a racing request
        existing = s.scalar(select(Ballot).where(Ballot.client_id == client_id))
        if existing is None:
            raise
        return Intake("replay" if existing.payload_digest == _digest(rows) else "conflict", existing.id)
    return Intake("stored", ballot.id)
