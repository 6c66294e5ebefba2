"""Paper ballots: serials, keyed entries, blind double entry and reconciliation.

A serial is all digits, ``YY`` + a 6-digit number + a check digit (Luhn), so a
USB scanner or the number row types it and a mistyped serial is caught at once.
Answers are keyed as digits: ``1``..``n`` for the scale's counted options in
printed order, ``0`` for "don't know".

With double entry (the campaign's default) a serial needs two entries by two
different users, who never see each other's: equal entries store a verified
ballot; different ones wait for a supervisor on the reconcile screen. With
single entry, the first entry stores a received ballot.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, Questionnaire, Scale

from ..models import Campaign, PaperEntry, PaperSerial, RespondentGroup, Unit, User
from .audit import record
from .ballots import NewBallot, store_ballot
from .campaigns import campaign_criteria
from .units import targets


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits.

    Examples
    --------
    >>> luhn_digit("7992739871")
    '3'
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def make_serial(year: int, number: int) -> str:
    """``YY`` + 6-digit number + check digit, e.g. ``2300001`` + ``7``."""
    body = f"{year % 100:02d}{number:06d}"
    return body + luhn_digit(body)


def clean_serial(text: str) -> str | None:
    """The serial typed or scanned, without spaces or dashes, if its check digit holds."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) != 9 or luhn_digit(digits[:-1]) != digits[-1]:
        return None
    return digits


def digit_options(scale: Scale) -> dict[str, str]:
    """Digit typed -> option code: counted options 1..n in printed order, "don't know" 0."""
    keys = {str(i): o.code for i, o in enumerate(scale.counted_options, 1)}
    if scale.dont_know_option is not None:
        keys["0"] = scale.dont_know_option.code
    return keys


def reserve_serials(s: Session, campaign: Campaign, unit: Unit, group: RespondentGroup, count: int,
                    actor: str) -> list[PaperSerial]:
    """Reserve ``count`` new serials for a unit × group, numbered after the campaign's last."""
    last = s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == campaign.id))
    serials = [PaperSerial(campaign_id=campaign.id, serial=make_serial(campaign.year, last + i), unit_id=unit.id,
                           group_id=group.id) for i in range(1, count + 1)]
    s.add_all(serials)
    s.flush()
    record(s, actor, "create", "paper_serials", campaign.id,
           new_value=f"{count} phiếu giấy {unit.code}/{group.code}: {serials[0].serial}..{serials[-1].serial}")
    return serials


def questionnaire_of(cset: CriteriaSet, serial: PaperSerial) -> Questionnaire:
    return cset.questionnaire(serial.unit.level, serial.group.code)


def parse_keys(cset: CriteriaSet, serial: PaperSerial, typed_keys) -> tuple[dict[str, str], dict[str, str]]:
    """(answers by question, error by question) from the digits typed (question id -> text)."""
    answers, errors = {}, {}
    level = serial.unit.level
    for item in questionnaire_of(cset, serial).items:
        keys = digit_options(cset.scale_by_code[cset.question_by_key[(level, item.question)].scale])
        typed = (typed_keys.get(item.question) or "").strip()
        if typed in keys:
            answers[item.question] = keys[typed]
        else:
            allowed = ", ".join(sorted(keys, key=lambda k: (k == "0", k)))
            errors[item.question] = (
                f"Gõ một trong các số {allowed}"
                if typed == ""
                else f"“{typed}” không hợp lệ; gõ một trong các số {allowed}"
            )
    return answers, errors


@dataclass(frozen=True)
class EntryOutcome:
    """``waiting`` (first of two), ``verified``, ``conflict``, ``received`` (single entry)."""

    status: str
    ballot_id: int | None = None


class EntryRefused(ValueError):
    """The entry cannot be kept; the message says why, in Vietnamese. Nothing was written."""


def check_can_enter(s: Session, serial: PaperSerial, user: User) -> None:
    """Raise :class:`EntryRefused` if ``user`` may not key ``serial`` (now)."""
    if serial.status == "done":
        raise EntryRefused(f"Phiếu {serial.serial} đã nhập xong, không nhập thêm.")
    if serial.status == "conflict":
        raise EntryRefused(f"Phiếu {serial.serial} đang chờ đối chiếu, không nhập thêm.")
    if s.scalar(select(PaperEntry.id).where(PaperEntry.serial_id == serial.id, PaperEntry.user_id == user.id)):
        raise EntryRefused(f"Ông/Bà đã nhập phiếu {serial.serial} rồi; lần nhập thứ hai phải do người khác làm.")


def save_entry(s: Session, serial: PaperSerial, user: User, answers: dict[str, str], session_key: str) -> EntryOutcome:
    """Keep one user's keying of a serial and settle the serial when it can be."""
    check_can_enter(s, serial, user)
    campaign = s.get(Campaign, serial.campaign_id)
    entry = PaperEntry(serial_id=serial.id, user_id=user.id, answers=answers, session_key=session_key)
    s.add(entry)
    s.flush()
    record(s, user.username, "create", "paper_entry", entry.id, user_id=user.id, new_value=f"phiếu {serial.serial}")
    if not campaign.double_entry:
        return EntryOutcome("received", _store_ballot(s, serial, answers, "received", user.username, user.id))
    entries = s.scalars(select(PaperEntry).where(PaperEntry.serial_id == serial.id).order_by(PaperEntry.id)).all()
    if len(entries) < 2:
        serial.status = "entering"
        return EntryOutcome("waiting")
    if entries[0].answers == entries[1].answers:
        return EntryOutcome("verified", _store_ballot(s, serial, answers, "verified", user.username, user.id))
    serial.status = "conflict"
    record(s, user.username, "state", "paper_serial", serial.serial, user_id=user.id, attribute="status",
           old_value="entering", new_value="conflict")
    return EntryOutcome("conflict")


def differences(s: Session, serial: PaperSerial) -> tuple[list[PaperEntry], list[str]]:
    """The two entries of a serial and the questions where they differ."""
    entries = s.scalars(select(PaperEntry).where(PaperEntry.serial_id == serial.id).order_by(PaperEntry.id)).all()[:2]
    if len(entries) < 2:
        return list(entries), []
    a, b = entries[0].answers, entries[1].answers
    return list(entries), sorted(q for q in set(a) | set(b) if a.get(q) != b.get(q))


def reconcile(s: Session, serial: PaperSerial, chosen: dict[str, str], supervisor: User) -> int:
    """Store the ballot of a conflicting serial with the supervisor's answer where entries differ."""
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    entries, differing = differences(s, serial)
    if serial.status != "conflict" or not differing:
        raise EntryRefused(f"Phiếu {serial.serial} không có gì để đối chiếu.")
    answers = dict(entries[0].answers)
    for question in differing:
        scale = cset.scale_by_code[cset.question_by_key[(serial.unit.level, question)].scale]
        value = chosen.get(question)
        if value not in scale.by_code:
            raise EntryRefused(f"Chưa chọn câu trả lời cho câu {question}.")
        answers[question] = value
        record(s, supervisor.username, "update", "answer", f"{serial.serial}/{question}", user_id=supervisor.id,
               attribute="option", old_value=f"{entries[0].answers.get(question)} | {entries[1].answers.get(question)}",
               new_value=value)
    return _store_ballot(s, serial, answers, "verified", supervisor.username, supervisor.id)


def _store_ballot(s: Session, serial: PaperSerial, answers: dict[str, str], state: str, actor: str,
                  user_id: int | None = None) -> int:
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    stored = store_ballot(s, cset, NewBallot(
        campaign_id=serial.campaign_id, group_id=serial.group_id, channel="paper", state=state,
        client_id=f"paper-{serial.campaign_id}-{serial.serial}", respondent_unit_id=serial.unit_id,
        paper_serial=serial.serial, answers=[(serial.unit_id, q, o) for q, o in answers.items()]),
        actor=actor, user_id=user_id, note=f"phiếu giấy {serial.serial}, {state}")
    if stored.status != "stored":
        raise EntryRefused(f"Phiếu {serial.serial} đã được lưu trước đó.")
    old, serial.status = serial.status, "done"
    record(s, actor, "state", "paper_serial", serial.serial, user_id=user_id, attribute="status", old_value=old,
           new_value="done")
    return stored.ballot_id


def staff_can_enter(user: User, serial: PaperSerial) -> bool:
    """Admins enter any serial; staff only those of the units they cover."""
    return user.role == "admin" or any(u.id == serial.unit_id for u in user.units)


def find_serial(s: Session, text: str) -> PaperSerial | None:
    serial = clean_serial(text)
    if serial is None:
        return None
    return s.scalar(select(PaperSerial).where(PaperSerial.serial == serial).order_by(PaperSerial.id.desc()))



class PrintedBatch(NamedTuple):
    """Serials of a unit × group in one entry status: how many, the first and the last."""

    unit_id: int
    group_id: int
    status: str
    count: int
    first: str
    last: str


def printed_batches(s: Session, campaign_id: int) -> list[PrintedBatch]:
    """The campaign's printed serials counted per unit × group × status."""
    return [PrintedBatch(*row) for row in s.execute(
        select(PaperSerial.unit_id, PaperSerial.group_id, PaperSerial.status, func.count(),
               func.min(PaperSerial.serial), func.max(PaperSerial.serial))
        .where(PaperSerial.campaign_id == campaign_id)
        .group_by(PaperSerial.unit_id, PaperSerial.group_id, PaperSerial.status))]


def paper_plan(s: Session, campaign: Campaign, units: list[Unit], groups: list[RespondentGroup]
               ) -> list[tuple[Unit, RespondentGroup, int, int]]:
    """(unit, group, target, printed) for every cell of the sample plan with a target."""
    planned = targets(s, campaign)
    printed: dict[tuple[int, int], int] = {}
    for batch in printed_batches(s, campaign.id):
        printed[(batch.unit_id, batch.group_id)] = printed.get((batch.unit_id, batch.group_id), 0) + batch.count
    return [(u, g, planned[(u.id, g.id)], printed.get((u.id, g.id), 0))
            for u in units for g in groups if planned.get((u.id, g.id))]


def serials_between(s: Session, campaign_id: int, first: str, last: str, limit: int = 1000) -> list[PaperSerial]:
    """The campaign's serials from ``first`` to ``last`` (at most ``limit``)."""
    return list(s.scalars(select(PaperSerial).where(
        PaperSerial.campaign_id == campaign_id, PaperSerial.serial >= first, PaperSerial.serial <= last
    ).order_by(PaperSerial.serial).limit(limit)))


def conflicting_serials(s: Session, campaign_id: int) -> list[PaperSerial]:
    """Serials whose two entries differ, waiting for a supervisor."""
    return list(s.scalars(select(PaperSerial).where(PaperSerial.campaign_id == campaign_id,
                                                    PaperSerial.status == "conflict").order_by(PaperSerial.serial)))


def serial_of(s: Session, campaign_id: int, serial: str) -> PaperSerial | None:
    """The campaign's printed serial of that number."""
    return s.scalar(select(PaperSerial).where(PaperSerial.campaign_id == campaign_id, PaperSerial.serial == serial))
