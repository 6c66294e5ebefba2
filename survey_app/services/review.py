"""Reviewing ballots: states, quality flags, bulk changes. Flags only point; people decide.

While a campaign's results are sealed, only ballots keyed from a printed serial can be seen,
flagged or changed: a serial names a printed sheet, never a person. Respondents' own ballots
(web, QR card) appear once the campaign is closed.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import BALLOT_STATES, Answer, Ballot, Campaign, PaperEntry, PaperSerial, Unit
from .audit import record
from .campaigns import sealed

FLAGS = {
    "straight_line": "Cùng một phương án cho mọi câu (8 câu trở lên)",
    "too_fast": "Phiếu trực tuyến trả lời nhanh bất thường",
    "duplicate_vector": "Trùng hệt một phiếu khác nhập cùng phiên",
}
STATE_LABELS = {"received": "Đã nhận", "verified": "Đã xác minh", "flagged": "Cần xem lại", "rejected": "Loại"}
STRAIGHT_LINE_MIN = 8


def _visible(campaign: Campaign):
    """The ballots of ``campaign`` that may be seen now (see the module's doc)."""
    where = [Ballot.campaign_id == campaign.id]
    if sealed(campaign):
        where.append(Ballot.paper_serial.is_not(None))
    return where


def quality_flags(s: Session, campaign: Campaign) -> dict[int, set[str]]:
    """Flags per ballot id (of the ballots that may be seen now), computed afresh; nothing is rejected by them."""
    flags: dict[int, set[str]] = defaultdict(set)
    for (ballot_id,) in s.execute(
        select(Answer.ballot_id).join(Ballot, Answer.ballot_id == Ballot.id)
        .where(*_visible(campaign)).group_by(Answer.ballot_id)
        .having(func.count() >= STRAIGHT_LINE_MIN, func.count(func.distinct(Answer.option)) == 1)
    ):
        flags[ballot_id].add("straight_line")
    for (ballot_id,) in s.execute(
        select(Ballot.id).where(*_visible(campaign), Ballot.channel.in_(("web", "qr")),
                                Ballot.duration_seconds < campaign.min_web_seconds)
    ):
        flags[ballot_id].add("too_fast")
    # Identical answers keyed in one sitting for different serials: a copied ballot, or a keying habit.
    by_vector: dict[tuple[str, str], set[str]] = defaultdict(set)
    for session_key, answers, serial in s.execute(
        select(PaperEntry.session_key, PaperEntry.answers, PaperSerial.serial)
        .join(PaperSerial, PaperEntry.serial_id == PaperSerial.id).where(PaperSerial.campaign_id == campaign.id)
    ):
        by_vector[(session_key, json.dumps(answers, sort_keys=True))].add(serial)
    repeated = {serial for serials in by_vector.values() if len(serials) > 1 for serial in serials}
    if repeated:
        for (ballot_id,) in s.execute(select(Ballot.id).where(*_visible(campaign), Ballot.paper_serial.in_(repeated))):
            flags[ballot_id].add("duplicate_vector")
    return dict(flags)


class ReviewError(ValueError):
    """A state change that cannot be made; the message says why (Vietnamese)."""


def change_state(s: Session, campaign: Campaign, ballot_ids: list[int], state: str, reason: str | None,
                 actor: str, user_id: int | None = None) -> int:
    """Move ballots to ``state``; a rejection needs a reason. Returns how many changed; each is audited."""
    if state not in BALLOT_STATES:
        raise ReviewError(f"Trạng thái không hợp lệ: {state}")
    reason = (reason or "").strip() or None
    if state == "rejected" and not reason:
        raise ReviewError("Loại phiếu phải ghi lý do.")
    changed = 0
    for ballot in s.scalars(select(Ballot).where(*_visible(campaign), Ballot.id.in_(ballot_ids))):
        if ballot.state == state:
            continue
        old = ballot.state
        ballot.state, ballot.state_reason = state, reason
        record(s, actor, "state", "ballot", ballot.id, user_id=user_id, attribute="state",
               old_value=old, new_value=f"{state}: {reason}" if reason else state)
        changed += 1
    s.flush()
    return changed


@dataclass(frozen=True)
class ReviewRow:
    ballot: Ballot
    unit_names: str
    flags: frozenset[str]


def ballots_for_review(s: Session, campaign: Campaign, state=None, channel=None, group_id=None, flag=None,
                       limit: int = 200, offset: int = 0) -> tuple[list[ReviewRow], int]:
    """The ballots matching the filters (at most ``limit``, from the ``offset``-th on), and how many match in all."""
    flags = quality_flags(s, campaign)
    query = select(Ballot).where(*_visible(campaign))
    if state:
        query = query.where(Ballot.state == state)
    if channel:
        query = query.where(Ballot.channel == channel)
    if group_id:
        query = query.where(Ballot.group_id == group_id)
    if flag:
        query = query.where(Ballot.id.in_([b for b, f in flags.items() if flag in f] or [0]))
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    ballots = s.scalars(query.order_by(Ballot.paper_serial, Ballot.id).offset(offset).limit(limit)).all()
    names = defaultdict(list)
    if ballots:
        for ballot_id, name in s.execute(
            select(Answer.ballot_id, Unit.name).join(Unit, Answer.unit_id == Unit.id)
            .where(Answer.ballot_id.in_([b.id for b in ballots])).distinct()
        ):
            names[ballot_id].append(name)
    rows = [ReviewRow(b, ", ".join(sorted(names[b.id])[:3]) + (" …" if len(names[b.id]) > 3 else ""),
                      frozenset(flags.get(b.id, ()))) for b in ballots]
    return rows, total
