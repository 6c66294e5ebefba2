"""Keying paper ballots: digits to answers, single and blind double entry, reconciliation.

Answers are keyed as digits: ``1``..``n`` for the scale's counted options in printed order,
``0`` for "don't know". A serial is keyed on the keying screen or through the API (a tablet
or a form tool), the same way.

With double entry (the campaign's default) a serial needs two entries by two different
users, who never see each other's: equal entries store a verified ballot; different ones
wait for a supervisor on the reconcile screen. With single entry, the first entry stores a
received ballot. With the campaign's ``cross_district_check``, the second entry must be
made by staff of another district or an admin, never by the district's own staff.

Keying is refused while a campaign is in preparation and once it is closed. Every entry and
every ballot stored is audited with the user, the serial and the channel.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, Questionnaire, Scale

from ..models import Campaign, PaperEntry, PaperSerial, Unit, User
from .audit import record
from .ballots import NewBallot, store_ballot
from .campaigns import campaign_criteria

CHANNEL_NAMES = {"paper": "màn hình nhập liệu", "api": "API"}


def digit_options(scale: Scale) -> dict[str, str]:
    """Digit typed -> option code: counted options 1..n in printed order, "don't know" 0."""
    keys = {str(i): o.code for i, o in enumerate(scale.counted_options, 1)}
    if scale.dont_know_option is not None:
        keys["0"] = scale.dont_know_option.code
    return keys


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


def _entry_count(s: Session, serial: PaperSerial) -> int:
    return s.scalar(select(func.count()).select_from(PaperEntry).where(PaperEntry.serial_id == serial.id))


def _own_district(user: User, serial: PaperSerial) -> bool:
    return any(u.id == serial.unit_id for u in user.units)


def staff_can_enter(s: Session, user: User, serial: PaperSerial) -> bool:
    """Admins key any serial; staff those of the units they cover, except that with the campaign's
    ``cross_district_check`` the second keying is for staff of another district (never their own)."""
    if user.role == "admin":
        return True
    if user.role != "staff":
        return False
    campaign = s.get(Campaign, serial.campaign_id)
    if campaign.cross_district_check and campaign.double_entry and _entry_count(s, serial) == 1:
        return not _own_district(user, serial)
    return _own_district(user, serial)


def may_open(s: Session, user: User, serial: PaperSerial) -> bool:
    """Whether ``user`` may open the keying page of ``serial`` at all (else: 403). Staff open their own
    units' serials, and with ``cross_district_check`` other districts' too (for second keyings)."""
    if user.role == "admin":
        return True
    if user.role != "staff":
        return False
    campaign = s.get(Campaign, serial.campaign_id)
    return _own_district(user, serial) or (campaign.cross_district_check and campaign.double_entry)


def check_can_enter(s: Session, serial: PaperSerial, user: User) -> None:
    """Raise :class:`EntryRefused` if ``user`` may not key ``serial`` (now)."""
    campaign = s.get(Campaign, serial.campaign_id)
    if campaign.status == "draft":
        raise EntryRefused(f"Đợt khảo sát “{campaign.name}” chưa mở: chưa nhập phiếu {serial.serial}.")
    if campaign.status == "closed":
        raise EntryRefused(f"Đợt khảo sát “{campaign.name}” đã kết thúc: không nhập thêm phiếu {serial.serial}.")
    if serial.status == "done":
        raise EntryRefused(f"Phiếu {serial.serial} đã nhập xong, không nhập thêm.")
    if serial.status == "conflict":
        raise EntryRefused(f"Phiếu {serial.serial} đang chờ đối chiếu, không nhập thêm.")
    if s.scalar(select(PaperEntry.id).where(PaperEntry.serial_id == serial.id, PaperEntry.user_id == user.id)):
        raise EntryRefused(f"Ông/Bà đã nhập phiếu {serial.serial} rồi; lần nhập thứ hai phải do người khác làm.")
    if not staff_can_enter(s, user, serial):
        if campaign.cross_district_check and _own_district(user, serial):
            raise EntryRefused(f"Phiếu {serial.serial}: lần nhập thứ hai phải do nhân viên huyện khác "
                               "hoặc quản trị viên nhập.")
        raise EntryRefused(f"Tài khoản không phụ trách đơn vị của phiếu {serial.serial}.")


def save_entry(s: Session, serial: PaperSerial, user: User, answers: dict[str, str], session_key: str,
               channel: str = "paper", client_ref: str | None = None) -> EntryOutcome:
    """Keep one user's keying of a serial (on the keying screen, or through the API with the
    sender's ``client_ref``) and settle the serial when it can be."""
    check_can_enter(s, serial, user)
    campaign = s.get(Campaign, serial.campaign_id)
    entry = PaperEntry(serial_id=serial.id, user_id=user.id, answers=answers, session_key=session_key,
                       client_ref=client_ref)
    s.add(entry)
    s.flush()
    record(s, user.username, "create", "paper_entry", entry.id, user_id=user.id,
           new_value=f"phiếu {serial.serial}, qua {CHANNEL_NAMES[channel]}")
    if not campaign.double_entry:
        return EntryOutcome("received", _store_ballot(s, serial, answers, "received", user, channel))
    entries = s.scalars(select(PaperEntry).where(PaperEntry.serial_id == serial.id).order_by(PaperEntry.id)).all()
    if len(entries) < 2:
        serial.status = "entering"
        return EntryOutcome("waiting")
    if entries[0].answers == entries[1].answers:
        return EntryOutcome("verified", _store_ballot(s, serial, answers, "verified", user, channel))
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
    if s.get(Campaign, serial.campaign_id).status != "open":
        raise EntryRefused(f"Đợt khảo sát đã kết thúc: phiếu {serial.serial} không được tính.")
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
    return _store_ballot(s, serial, answers, "verified", supervisor, "paper")


def _store_ballot(s: Session, serial: PaperSerial, answers: dict[str, str], state: str, user: User,
                  channel: str) -> int:
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    stored = store_ballot(s, cset, NewBallot(
        campaign_id=serial.campaign_id, group_id=serial.group_id, channel=channel, state=state,
        client_id=f"paper-{serial.campaign_id}-{serial.serial}", paper_serial=serial.serial,
        answers=[(serial.unit_id, q, o) for q, o in answers.items()]),
        actor=user.username, user_id=user.id, note=f"phiếu {serial.serial}, qua {CHANNEL_NAMES[channel]}, {state}")
    if stored.status != "stored":
        raise EntryRefused(f"Phiếu {serial.serial} đã được lưu trước đó.")
    old, serial.status = serial.status, "done"
    record(s, user.username, "state", "paper_serial", serial.serial, user_id=user.id, attribute="status",
           old_value=old, new_value="done")
    return stored.ballot_id


@dataclass(frozen=True)
class KeyingScope:
    """A unit a user keys paper ballots for, in a campaign collecting now, and how many of its ballots
    are printed and not yet keyed, keyed once, or waiting for the supervisor."""

    campaign: Campaign
    unit: Unit
    waiting: int
    once: int
    conflicts: int


def keying_scope(s: Session, user: User) -> list[KeyingScope]:
    """What ``user`` may key now: the units they cover (every unit for an admin) that have printed
    ballots in an open campaign."""
    query = (select(PaperSerial.campaign_id, PaperSerial.unit_id, PaperSerial.status, func.count())
             .join(Campaign, Campaign.id == PaperSerial.campaign_id)
             .where(Campaign.status == "open").group_by(PaperSerial.campaign_id, PaperSerial.unit_id,
                                                        PaperSerial.status))
    if user.role != "admin":
        query = query.where(PaperSerial.unit_id.in_([u.id for u in user.units]))
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for campaign_id, unit_id, status, n in s.execute(query):
        counts.setdefault((campaign_id, unit_id), {})[status] = n
    scopes = [KeyingScope(s.get(Campaign, c), s.get(Unit, u), n.get("printed", 0), n.get("entering", 0),
                          n.get("conflict", 0)) for (c, u), n in counts.items()]
    return sorted(scopes, key=lambda k: (-k.campaign.year, k.unit.name))


def refusal(user: User, serial: PaperSerial) -> str:
    """Why ``user`` may not open the keying page of ``serial``, in words they can act on."""
    own = sorted({u.name for u in user.units if u.parent_id is None})
    mine = f"chỉ được nhập phiếu của {', '.join(own)}" if own else "chưa được giao đơn vị nào"
    return (f"Phiếu {serial.serial} là phiếu của {serial.unit.name}; tài khoản {user.username} {mine}. "
            "Nếu cần nhập phiếu này, xin quản trị viên giao thêm đơn vị ở trang Người dùng.")


@dataclass(frozen=True)
class KeyingProgress:
    """How far the keying of a unit's printed ballots has come, in a campaign collecting now.

    ``printed`` counts every serial printed for the unit; ``waiting`` (not keyed), ``once`` (keyed once,
    waiting for the second keying), ``conflicts`` (two keyings differ) and ``done`` (a ballot stored)
    split it. ``mine`` counts the serials of the unit this user has keyed, first or second.
    """

    campaign: Campaign
    unit: Unit
    printed: int
    waiting: int
    once: int
    conflicts: int
    done: int
    mine: int


def keying_progress(s: Session, user: User) -> list[KeyingProgress]:
    """Per unit with printed ballots in an open campaign: the counts of :class:`KeyingProgress`.

    The units are those ``user`` covers (every unit for an admin), and the units of every serial the user
    has keyed there (a second keying for another district); newest campaign first, then each district
    (or department) by name followed by its communes.
    """
    mine_query = (select(PaperSerial.campaign_id, PaperSerial.unit_id, func.count())
                  .join(PaperEntry, PaperEntry.serial_id == PaperSerial.id)
                  .join(Campaign, Campaign.id == PaperSerial.campaign_id)
                  .where(Campaign.status == "open", PaperEntry.user_id == user.id)
                  .group_by(PaperSerial.campaign_id, PaperSerial.unit_id))
    mine = {(c, u): n for c, u, n in s.execute(mine_query)}
    query = (select(PaperSerial.campaign_id, PaperSerial.unit_id, PaperSerial.status, func.count())
             .join(Campaign, Campaign.id == PaperSerial.campaign_id)
             .where(Campaign.status == "open")
             .group_by(PaperSerial.campaign_id, PaperSerial.unit_id, PaperSerial.status))
    if user.role != "admin":
        keyed_units = {u for _c, u in mine}
        query = query.where(PaperSerial.unit_id.in_({u.id for u in user.units} | keyed_units))
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for campaign_id, unit_id, status, n in s.execute(query):
        counts.setdefault((campaign_id, unit_id), {})[status] = n
    rows = [KeyingProgress(s.get(Campaign, c), s.get(Unit, u), sum(n.values()), n.get("printed", 0),
                           n.get("entering", 0), n.get("conflict", 0), n.get("done", 0), mine.get((c, u), 0))
            for (c, u), n in counts.items()]
    return sorted(rows, key=lambda k: (-k.campaign.year, k.campaign.id, (k.unit.parent or k.unit).name,
                                       k.unit.parent_id is not None, k.unit.name))
