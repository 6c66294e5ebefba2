"""Ballots sent through the API: named by codes, checked by the rules of :mod:`.ballots`.

Two paths:

* **A printed serial** (``serial``; the only path for staff): the ballot is one keying of
  that paper ballot. It rates the serial's unit for the serial's group, and goes through
  :func:`.paper.save_entry` like the keying screen: single entry stores it; with double
  entry it waits for a second keying by another person (of another district when the
  campaign asks), and two different keyings wait for a supervisor.
* **Without a serial** (admins only): the ballot is stored at once, audited with the admin's
  name.

The sender's ``ballot_id`` is scoped to the campaign and the user: sent again with the same
content it changes nothing (``replay``); with other content it is refused (``conflict``).
Every problem comes back at once, each with its JSON path.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Ballot, Campaign, PaperEntry, PaperSerial, RespondentGroup, User
from . import ballots, paper
from .campaigns import campaign_criteria
from .serials import find_serial
from .units import units_by_code

STATES = {"received": "received", "verified": "verified", "waiting": "waiting_second_entry",
          "conflict": "awaiting_reconciliation"}


@dataclass
class Intake:
    """``status``: ``stored`` (201), ``kept`` (202: a keying waits for another), ``replay`` (200),
    ``conflict`` (409), ``refused`` (409, ``message`` says why) or ``invalid`` (422)."""

    status: str
    ballot_id: int | None = None
    state: str = "received"
    problems: list[dict] = field(default_factory=list)
    message: str = ""


def ballot_ref(campaign: Campaign, user: User, ballot_id: str) -> str:
    """The stored form of a sender's ballot id: one namespace per campaign and user."""
    return f"api:{campaign.id}:{user.id}:{ballot_id}"


def _read(s: Session, campaign: Campaign, user: User, body: dict, in_scope: bool):
    """(problems, answers by unit id, group) of a request body whose shape is valid."""
    cset = campaign_criteria(campaign)
    group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                   RespondentGroup.code == body["group"]))
    if group is None:
        return [{"field": "group", "message": f"không có đối tượng '{body['group']}'"}], {}, None
    units = units_by_code(campaign)
    allowed = None if user.role == "admin" or not in_scope else {u.id for u in user.units}
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
        where_wrong = f"{path}.answers.{p.question}" if p.question else f"{path}.unit"
        problems.append({"field": where_wrong, "message": p.message})
    return problems, answers, group


def submit_ballot(s: Session, campaign: Campaign, user: User, body: dict) -> Intake:
    """Check and store (or keep as one keying) one ballot in the caller's transaction."""
    ref = ballot_ref(campaign, user, body["ballot_id"])
    if body.get("serial") is not None:
        return _keyed(s, campaign, user, body, ref)
    if user.role != "admin":
        return Intake("invalid", problems=[{"field": "serial", "message": "phiếu do nhân viên gửi phải kèm số phiếu in "
                                            "(serial) của đợt, đơn vị và đối tượng"}])
    problems, answers, group = _read(s, campaign, user, body, in_scope=True)
    if problems:
        existing = ballots.stored_ballot(s, ref)
        return Intake("conflict", existing.id) if existing is not None else Intake("invalid", problems=problems)
    new = ballots.NewBallot(campaign_id=campaign.id, group_id=group.id, channel="api", client_id=ref,
                            answers=[(u, q, o) for u, given in answers.items() for q, o in given.items()])
    stored = ballots.store_ballot(s, campaign_criteria(campaign), new, actor=user.username, user_id=user.id,
                                  note="qua API, không có phiếu in")
    return Intake(stored.status, stored.ballot_id)


def _keyed(s: Session, campaign: Campaign, user: User, body: dict, ref: str) -> Intake:
    """A keying of a printed serial (see the module's doc)."""
    serial, message = find_serial(s, str(body["serial"]), campaign.id)
    if serial is None:
        return Intake("invalid", problems=[{"field": "serial", "message": message}])
    if not paper.may_open(s, user, serial):
        return Intake("invalid", problems=[{"field": "serial",
                                            "message": f"tài khoản không phụ trách đơn vị của phiếu {serial.serial}"}])
    problems, answers, group = _read(s, campaign, user, body, in_scope=False)
    if group is not None and group.id != serial.group_id:
        problems.append({"field": "group", "message": f"phiếu {serial.serial} in cho đối tượng '{serial.group.code}'"})
    if set(answers) - {serial.unit_id} or (not problems and serial.unit_id not in answers):
        problems.append({"field": "units",
                         "message": f"phiếu {serial.serial} chỉ đánh giá đơn vị '{serial.unit.code}'"})
    given = answers.get(serial.unit_id, {})
    earlier = s.scalar(select(PaperEntry).where(PaperEntry.user_id == user.id, PaperEntry.client_ref == ref))
    if earlier is not None:
        same = not problems and earlier.serial_id == serial.id and earlier.answers == given
        return _state_of(s, serial, "replay") if same else Intake("conflict")
    if problems:
        return Intake("invalid", problems=problems)
    try:
        outcome = paper.save_entry(s, serial, user, given, session_key=f"api:{user.id}", channel="api",
                                   client_ref=ref)
    except paper.EntryRefused as exc:
        return Intake("refused", message=str(exc))
    stored = outcome.ballot_id is not None
    return Intake("stored" if stored else "kept", outcome.ballot_id, STATES[outcome.status])


def _state_of(s: Session, serial: PaperSerial, status: str) -> Intake:
    """Where a serial stands, for a keying sent again."""
    ballot = s.execute(select(Ballot.id, Ballot.state).where(Ballot.campaign_id == serial.campaign_id,
                                                             Ballot.paper_serial == serial.serial)).first()
    if ballot is not None:
        return Intake(status, ballot.id, ballot.state if ballot.state in STATES else "received")
    return Intake(status, None, STATES["conflict" if serial.status == "conflict" else "waiting"])
