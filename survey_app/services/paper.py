"""Keying paper ballots: digits to answers, single and blind double entry, reconciliation.

Answers are keyed as digits: ``1``..``n`` for the scale's counted options in printed order,
``0`` for "don't know". A serial is keyed on the keying screen or through the API (a tablet
or a form tool), the same way. The other question kinds (``questionnaires.answers``):

- a **profile** question: one digit like a scored one (its list numbered ``1``..``9``, then ``0`` for a
  tenth option), or :data:`SKIP_KEY` (or nothing) when the respondent left it blank;
- an **expectation**: the digits of every ticked box (at most ``choose_up_to``), stored as the joined codes;
- a **comment**: the text as written, kept with phone numbers and e-mail addresses masked.

Only scored questions must be keyed. Two keyings are compared answer by answer: an expectation as its set
of choices, a comment after masking and collapsing its whitespace (:func:`differing`).

With double entry (the campaign's default) a serial needs two entries by two different
users, who never see each other's: equal entries store a verified ballot; different ones
wait for a supervisor on the reconcile screen. With single entry, the first entry stores a
received ballot. With the campaign's ``cross_district_check``, the second entry must be
made by staff of another district or an admin, never by the district's own staff.

Keying is refused while a campaign is in preparation and once it is closed. Every entry and
every ballot stored is audited with the user, the serial and the channel.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, Questionnaire, Scale
from questionnaires.answers import answer_error, joined_choices, mask_contacts, split_choices

from ..models import Campaign, PaperEntry, PaperSerial, Unit, User
from .audit import record
from .ballots import BallotProblems, NewBallot, store_ballot
from .campaigns import campaign_criteria

CHANNEL_NAMES = {"paper": "màn hình nhập liệu", "api": "API"}


SKIP_KEY = "-"  # keyed on an optional question the respondent left blank
COMMENT_LINES = 4  # ruled lines printed for a comment
PROFILE_HEADING = "Thông tin về Ông/Bà (không bắt buộc trả lời)"


def digit_options(scale: Scale) -> dict[str, str]:
    """Digit typed -> option code, in printed order.

    A scored scale: its counted options ``1``..``n``, "don't know" ``0``. A list to choose from (a scale
    with ``scored: false``): ``1``..``9``, then ``0`` for a tenth option (one key each, as on a phone).
    """
    if not scale.scored:
        return {("0" if i == 10 else str(i)): o.code for i, o in enumerate(scale.options, 1)}
    keys = {str(i): o.code for i, o in enumerate(scale.counted_options, 1)}
    if scale.dont_know_option is not None:
        keys["0"] = scale.dont_know_option.code
    return keys


def questionnaire_of(cset: CriteriaSet, serial: PaperSerial) -> Questionnaire:
    return cset.questionnaire(serial.unit.level, serial.group.code)


@dataclass(frozen=True)
class BallotItem:
    """One question as the printed ballot and the keying screen show it: its number on the ballot, kind,
    and its options as ``(key, option code, label)`` in printed order (none for a comment)."""

    number: int
    question: str
    text: str
    kind: str
    options: tuple[tuple[str, str, str], ...]
    choose_up_to: int = 1
    max_length: int = 0

    @property
    def optional(self) -> bool:
        """Whether the item may be left blank (every kind but scored)."""
        return self.kind != "scored"

    @property
    def hint(self) -> str:
        """What the ballot adds to the question's wording (empty when the wording says it already)."""
        text = self.text.lower()
        if self.kind == "expectation" and "chọn tối đa" not in text:
            return f"(chọn tối đa {self.choose_up_to})"
        if self.kind == "comment" and "đừng ghi tên" not in text:
            return "(không bắt buộc; xin đừng ghi tên, số điện thoại)"
        if self.kind == "profile":
            return "(chọn một)"
        return ""


def ballot_items(cset: CriteriaSet, questionnaire: Questionnaire) -> list[BallotItem]:
    """The questionnaire's questions in order, numbered from 1, with their keys (:func:`digit_options`)."""
    items = []
    for number, item in enumerate(questionnaire.items, 1):
        question = cset.question_by_key[(questionnaire.level, item.question)]
        options: tuple[tuple[str, str, str], ...] = ()
        if question.kind != "comment":
            scale = cset.scale_by_code[question.scale]
            options = tuple((key, code, scale.by_code[code].label) for key, code in digit_options(scale).items())
        items.append(BallotItem(number, item.question, item.text, question.kind, options,
                                question.choose_up_to, question.max_length))
    return items


def printed_sections(items: list[BallotItem]) -> list[tuple[str, list[BallotItem]]]:
    """The items in runs for the printed ballot: ``(heading, items)``, the heading :data:`PROFILE_HEADING`
    over a run of profile questions and empty over the others."""
    sections: list[tuple[str, list[BallotItem]]] = []
    for item in items:
        heading = PROFILE_HEADING if item.kind == "profile" else ""
        if not sections or sections[-1][0] != heading:
            sections.append((heading, []))
        sections[-1][1].append(item)
    return sections


def marking_help(items: list[BallotItem]) -> str:
    """How to mark the printed ballot, in Vietnamese, for the kinds it asks."""
    kinds = {item.kind for item in items}
    words = "Đánh dấu ✗ vào <strong>một</strong> ô cho mỗi câu."
    words += " Câu nào không rõ, đánh dấu ô “Không biết / không ý kiến”." if "scored" in kinds else ""
    if "expectation" in kinds:
        words += " Câu ghi “chọn tối đa” thì đánh dấu không quá số ô đã ghi."
    if kinds & {"profile", "expectation", "comment"}:
        words += " Các câu về mong đợi, ý kiến và thông tin về Ông/Bà không bắt buộc trả lời."
    return words


def _choices_error(cset: CriteriaSet, question, keys: dict[str, str], typed: str) -> tuple[str | None, str]:
    """(error, joined codes) of an expectation keyed as the digits of its ticked boxes."""
    codes = []
    for token in re.split(r"[\s,;]+", typed):
        if token in keys:
            codes.append(keys[token])
        elif token:
            bad = next((c for c in token if c not in keys), None)
            if bad is not None:
                allowed = ", ".join(keys)
                return f"“{bad}” không hợp lệ; gõ số của các ô được đánh dấu ({allowed})", ""
            codes += [keys[c] for c in token]
    joined = joined_choices(cset, question, codes)
    return answer_error(cset, question, joined), joined


def parse_keys(cset: CriteriaSet, serial: PaperSerial, typed_keys) -> tuple[dict[str, str], dict[str, str]]:
    """(answers by question, error by question) from what was typed (question id -> text).

    A scored question needs one of its digits; a profile question takes one or is left blank
    (nothing, or :data:`SKIP_KEY`); an expectation takes the digits of its ticked boxes, at most
    ``choose_up_to``, and is stored as the joined codes; a comment is kept as typed, masked.
    """
    answers, errors = {}, {}
    level = serial.unit.level
    for item in questionnaire_of(cset, serial).items:
        question = cset.question_by_key[(level, item.question)]
        typed = (typed_keys.get(item.question) or "").strip()
        if question.kind == "comment":
            if typed:
                kept = mask_contacts(typed)
                error = answer_error(cset, question, typed) or answer_error(cset, question, kept)
                if error:
                    errors[item.question] = error[:1].upper() + error[1:]
                else:
                    answers[item.question] = kept
            continue
        keys = digit_options(cset.scale_by_code[question.scale])
        if question.kind == "expectation":
            if typed and typed != SKIP_KEY:
                error, joined = _choices_error(cset, question, keys, typed)
                if error:
                    errors[item.question] = error[:1].upper() + error[1:]
                elif joined:
                    answers[item.question] = joined
            continue
        if typed in keys:
            answers[item.question] = keys[typed]
        elif question.kind == "profile" and typed in ("", SKIP_KEY):
            continue
        else:
            allowed = ", ".join(sorted(keys, key=lambda k: (k == "0", k)))
            errors[item.question] = (
                f"Gõ một trong các số {allowed}"
                if typed == ""
                else f"“{typed}” không hợp lệ; gõ một trong các số {allowed}"
            )
    return answers, errors


def _comparable(cset: CriteriaSet, level: str, question: str, answer: str | None) -> str | None:
    """An answer as two keyings are compared: an expectation as its choices sorted, a comment masked
    with its whitespace collapsed; an empty one as no answer."""
    if answer is None:
        return None
    q = cset.question_by_key.get((level, question))
    kind = q.kind if q is not None else "scored"
    if kind == "comment":
        answer = " ".join(mask_contacts(answer).split())
    elif kind == "expectation":
        answer = " ".join(sorted(split_choices(answer)))
    return answer or None


def differing(cset: CriteriaSet, level: str, first: dict[str, str], second: dict[str, str]) -> list[str]:
    """The questions whose answers differ between two keyings of a ballot about a unit of ``level``."""
    return sorted(q for q in set(first) | set(second)
                  if _comparable(cset, level, q, first.get(q)) != _comparable(cset, level, q, second.get(q)))


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
    sender's ``client_ref``) and settle the serial when it can be. When it is refused
    (:class:`EntryRefused`), nothing of it is kept."""
    check_can_enter(s, serial, user)
    with s.begin_nested():  # a ballot that cannot be stored takes its keying with it
        return _keep_entry(s, serial, user, answers, session_key, channel, client_ref)


def _keep_entry(s: Session, serial: PaperSerial, user: User, answers: dict[str, str], session_key: str,
                channel: str, client_ref: str | None) -> EntryOutcome:
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
    if not differing(campaign_criteria(campaign), serial.unit.level, entries[0].answers, entries[1].answers):
        # the same answers; a comment as the first keying wrote it (they may differ in spaces and line breaks)
        return EntryOutcome("verified", _store_ballot(s, serial, entries[0].answers, "verified", user, channel))
    serial.status = "conflict"
    record(s, user.username, "state", "paper_serial", serial.serial, user_id=user.id, attribute="status",
           old_value="entering", new_value="conflict")
    return EntryOutcome("conflict")


def differences(s: Session, serial: PaperSerial) -> tuple[list[PaperEntry], list[str]]:
    """The two entries of a serial and the questions where they differ (:func:`differing`)."""
    entries = s.scalars(select(PaperEntry).where(PaperEntry.serial_id == serial.id).order_by(PaperEntry.id)).all()[:2]
    if len(entries) < 2:
        return list(entries), []
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    return list(entries), differing(cset, serial.unit.level, entries[0].answers, entries[1].answers)


VERSIONS = ("1", "2")  # the supervisor's choice of an expectation or a comment: the first or the second keying


def reconcile(s: Session, serial: PaperSerial, chosen: dict[str, str], supervisor: User) -> int:
    """Store the ballot of a conflicting serial with the supervisor's answer where entries differ.

    ``chosen`` holds, per differing question: for a scored question an option code; for a profile
    question an option code or :data:`SKIP_KEY` (left blank); for an expectation or a comment the keying
    whose version is right, ``"1"`` or ``"2"`` (:data:`VERSIONS`).
    """
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    entries, differ = differences(s, serial)
    if serial.status != "conflict" or not differ:
        raise EntryRefused(f"Phiếu {serial.serial} không có gì để đối chiếu.")
    if s.get(Campaign, serial.campaign_id).status != "open":
        raise EntryRefused(f"Đợt khảo sát đã kết thúc: phiếu {serial.serial} không được tính.")
    answers, changes = dict(entries[0].answers), []
    for question in differ:
        q = cset.question_by_key[(serial.unit.level, question)]
        value = chosen.get(question) or ""
        first, second = entries[0].answers.get(question), entries[1].answers.get(question)
        if q.kind in ("expectation", "comment"):
            if value not in VERSIONS:
                raise EntryRefused(f"Chưa chọn lần nhập đúng cho câu {question}.")
            kept = (first, second)[int(value) - 1]
            old, new = (("ý kiến: hai lần nhập khác nhau", f"lần {value}") if q.kind == "comment"
                        else (f"{first} | {second}", f"lần {value}: {kept or '(để trống)'}"))
        elif q.kind == "profile" and value == SKIP_KEY:
            kept, old, new = None, f"{first} | {second}", "(để trống)"
        elif value in cset.scale_by_code[q.scale].by_code:
            kept, old, new = value, f"{first} | {second}", value
        else:
            raise EntryRefused(f"Chưa chọn câu trả lời cho câu {question}.")
        if kept is None:
            answers.pop(question, None)
        else:
            answers[question] = kept
        changes.append((question, old, new))
    with s.begin_nested():  # nothing written unless the ballot is stored
        ballot_id = _store_ballot(s, serial, answers, "verified", supervisor, "paper")
        for question, old, new in changes:
            record(s, supervisor.username, "update", "answer", f"{serial.serial}/{question}",
                   user_id=supervisor.id, attribute="option", old_value=old, new_value=new)
    return ballot_id


def _store_ballot(s: Session, serial: PaperSerial, answers: dict[str, str], state: str, user: User,
                  channel: str) -> int:
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    try:
        stored = store_ballot(s, cset, NewBallot(
            campaign_id=serial.campaign_id, group_id=serial.group_id, channel=channel, state=state,
            client_id=f"paper-{serial.campaign_id}-{serial.serial}", paper_serial=serial.serial,
            answers=[(serial.unit_id, q, o) for q, o in answers.items()]),
            actor=user.username, user_id=user.id, note=f"phiếu {serial.serial}, qua {CHANNEL_NAMES[channel]}, {state}")
    except BallotProblems as exc:
        raise EntryRefused(f"Phiếu {serial.serial} không lưu được: {exc}.") from exc
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
