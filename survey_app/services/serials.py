"""Paper ballot serials: printed for one campaign and one unit × group, found again when keyed.

A serial is all digits, so a USB scanner or the number row types it: the campaign id (3
digits or more) + a 6-digit number + a Luhn check digit, so a mistyped serial is caught at
once and a serial always says which campaign it belongs to. Serials printed before
revision 0006 have 9 digits (year + number + check digit) and are looked up among the
campaigns being collected.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, PaperSerial, RespondentGroup, Unit
from .audit import record
from .units import targets

NUMBER_DIGITS = 6
LEGACY_DIGITS = 9


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


def make_serial(campaign_id: int, number: int) -> str:
    """Campaign id (3 digits or more) + 6-digit number + check digit.

    Examples
    --------
    >>> make_serial(2, 17)
    '0020000170'
    """
    body = f"{campaign_id:03d}{number:0{NUMBER_DIGITS}d}"
    return body + luhn_digit(body)


def clean_serial(text: str) -> str | None:
    """The serial typed or scanned, without spaces or dashes, if its check digit holds.

    Examples
    --------
    >>> clean_serial(" 002-000017 0 "), clean_serial("0020000171")
    ('0020000170', None)
    """
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not (len(digits) == LEGACY_DIGITS or NUMBER_DIGITS + 4 <= len(digits) <= NUMBER_DIGITS + 8):
        return None
    return digits if luhn_digit(digits[:-1]) == digits[-1] else None


def serial_campaign(serial: str) -> int | None:
    """The campaign id a (clean) serial names; None for a 9-digit serial printed before revision 0006."""
    return None if len(serial) == LEGACY_DIGITS else int(serial[: -NUMBER_DIGITS - 1])


class Lookup(NamedTuple):
    """A serial found (``serial``), or why not (``message``, in Vietnamese)."""

    serial: PaperSerial | None
    message: str = ""


def find_serial(s: Session, text: str, campaign_id: int | None = None) -> Lookup:
    """The printed serial typed as ``text``; with ``campaign_id``, only one of that campaign."""
    clean = clean_serial(text or "")
    shown = (text or "").strip()[:40]
    if clean is None:
        return Lookup(None, f"Mã phiếu “{shown}” không đúng (sai chữ số hoặc chưa được in).")
    named = serial_campaign(clean)
    if campaign_id is not None and named is not None and named != campaign_id:
        return Lookup(None, f"Phiếu {clean} thuộc một đợt khảo sát khác, không nhập vào đợt này.")
    query = select(PaperSerial).where(PaperSerial.serial == clean)
    if named is not None or campaign_id is not None:
        query = query.where(PaperSerial.campaign_id == (named if named is not None else campaign_id))
    else:
        query = query.join(Campaign, Campaign.id == PaperSerial.campaign_id).where(Campaign.status == "open")
    found = s.scalars(query.limit(2)).all()
    if len(found) > 1:
        return Lookup(None, f"Mã phiếu {clean} (in theo mẫu cũ) có ở nhiều đợt khảo sát: xin nhập từ trang của đợt.")
    if not found:
        return Lookup(None, f"Mã phiếu “{shown}” không đúng (sai chữ số hoặc chưa được in).")
    return Lookup(found[0])


def reserve_serials(s: Session, campaign: Campaign, unit: Unit, group: RespondentGroup, count: int,
                    actor: str) -> list[PaperSerial]:
    """Reserve ``count`` new serials for a unit × group, numbered after the campaign's last."""
    last = s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == campaign.id))
    serials = [PaperSerial(campaign_id=campaign.id, serial=make_serial(campaign.id, last + i), unit_id=unit.id,
                           group_id=group.id) for i in range(1, count + 1)]
    s.add_all(serials)
    s.flush()
    record(s, actor, "create", "paper_serials", campaign.id,
           new_value=f"{count} phiếu giấy {unit.code}/{group.code}: {serials[0].serial}..{serials[-1].serial}")
    return serials


class PrintedBatch(NamedTuple):
    """Serials of a unit × group in one entry status: how many, the first and the last."""

    unit_id: int
    group_id: int
    status: str
    count: int
    first: str
    last: str


def printed_batches(s: Session, campaign_id: int) -> list[PrintedBatch]:
    """The campaign's printed serials counted per unit × group × status: a unit's together, in the order
    units and groups were added, each status where its first serial falls (an order of its own: without
    one, PostgreSQL lists groups in whatever order its plan of the day produces)."""
    first = func.min(PaperSerial.serial)
    return [PrintedBatch(*row) for row in s.execute(
        select(PaperSerial.unit_id, PaperSerial.group_id, PaperSerial.status, func.count(), first,
               func.max(PaperSerial.serial))
        .where(PaperSerial.campaign_id == campaign_id)
        .group_by(PaperSerial.unit_id, PaperSerial.group_id, PaperSerial.status)
        .order_by(PaperSerial.unit_id, PaperSerial.group_id, first))]


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
