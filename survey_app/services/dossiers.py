"""Respondents drawn from dossiers (SIPAS, issue 29 item 3): the one-stop shop's completed dossiers of a
campaign, imported from its Excel template; a reproducible random sample per unit; a personal link per
drawn dossier, sent by SMS or printed on a QR card handed over at the counter; phone numbers deleted once
the invitations are sent, and at close.

The file (:func:`parse_file`) has the template's Vietnamese headings "Số hồ sơ, Đơn vị, Thủ tục hành
chính, Lĩnh vực, Ngày trả kết quả, Điện thoại, Người nộp (công dân/tổ chức)" (the phone and the applicant
are optional; a blank applicant is a citizen). It is checked whole: every bad row is named by its row (as
Excel numbers it), a dossier number twice names both rows, and nothing is stored on any error
(:func:`import_dossiers`).

Each group draws from its own kind of dossier (:func:`for_organisations`): a group of organisations
(code ``to_chuc`` or ``doanh_nghiep``, or a name beginning "Tổ chức" or "Doanh nghiệp") from the
dossiers an organisation applied for, every other group from citizens'.

The draw (:func:`draw_sample`) takes, for each unit, as many dossiers as the sample plan's target for
the unit × group, with ``random.Random(f"{seed}-{unit.code}")`` over the unit's dossiers sorted by
number: the same seed draws the same dossiers, and a unit's draw does not depend on the other units.
Stratified by field, each field gets its proportional share by largest remainders
(:func:`allocate`). The seed is generated when not given, shown, and kept in the audit log with the
counts. Each drawn dossier gets a personal invitation of the group for its unit, with the dossier's
phone copied for the SMS (:func:`sms_text`, one GSM-7 segment).

Phone numbers are personal data (Nghị định 13/2023/NĐ-CP; Luật Bảo vệ dữ liệu cá nhân 2025), kept only
to send the invitations. Downloading the drawn list with its SMS texts stamps the invitations with a phone
as sent (:func:`stamp_listed`). The admin then says the messages went out (:func:`forget_sent_phones`),
which deletes, from the dossiers and their invitations, the numbers of the drawn dossiers whose links
were listed, and of the dossiers not drawn that no draw can still take (their unit was drawn for every
group of their kind with a target there, or has no target): those people will never be contacted, so
minimisation says delete them too. What remains (drawn dossiers not yet listed, dossiers of units still to
be drawn) is counted and said (:func:`phone_counts`); everything left is deleted when the campaign closes
(:func:`forget_phones`, called by :func:`.closing.close_campaign`), the backstop.

Functions take a session and only flush; the caller commits once. No Flask here.
"""
from __future__ import annotations

import random
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from ..models import AuditEntry, Campaign, Dossier, Invitation, RespondentGroup, Unit, utcnow
from .audit import record
from .campaigns import campaign_criteria
from .csv_import import Catalogue, CsvProblems, fold, read_rows
from .csv_import import phone_number as normalise_phone
from .invitations import issue_link
from .units import targets

# The file's columns as read_rows names them: "unit" and "phone" take csv_import's aliases ("Đơn vị",
# "Điện thoại", "Số điện thoại"...); the others are the template's headings, compared folded.
NUMBER, UNIT, PROCEDURE, FIELD, COMPLETED, PHONE = ("số hồ sơ", "unit", "thủ tục hành chính", "lĩnh vực",
                                                    "ngày trả kết quả", "phone")
HEADINGS = ("Số hồ sơ", "Đơn vị", "Thủ tục hành chính", "Lĩnh vực", "Ngày trả kết quả", "Điện thoại")
# The optional column saying who applied (blank: a citizen), with the words it accepts (compared folded).
APPLICANT_HEADING = "Người nộp (công dân/tổ chức)"
APPLICANT = fold(APPLICANT_HEADING)
APPLICANT_WORDS = {"công dân": False, "cá nhân": False, "người dân": False, "tổ chức": True, "doanh nghiệp": True,
                   "tổ chức, doanh nghiệp": True}
ORGANISATION_GROUPS = ("to_chuc", "doanh_nghiep")  # group codes drawn from organisations' dossiers
ORGANISATION_NAMES = ("tổ chức", "doanh nghiệp")  # ... and the beginnings of such groups' names (folded)
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's (1900) date numbers
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y")
SEED_DIGITS = 6
SMS_LIMIT = 160  # one GSM-7 segment
# The GSM 03.38 basic character set (what one 160-character segment may hold; the escape table's
# characters count twice and are not used here).
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")


class DossierError(ValueError):
    """A dossier import or draw that cannot be done; the message (Vietnamese) says why."""


@dataclass(frozen=True)
class DossierRow:
    """One row of a dossier file: ``unit`` as typed (code or name), the date and phone read."""

    row: int
    number: str
    unit: str
    procedure: str
    field: str
    completed_on: date | None
    phone: str | None
    organisation: bool = False


def vietnam_today() -> date:
    """Today in Vietnam (UTC+7)."""
    return (datetime.now(UTC) + timedelta(hours=7)).date()


def read_date(text: str) -> date | None:
    """A completion date as typed (dd/mm/yyyy and the like), as an Excel date cell reads
    (``2026-03-15 00:00:00``), or as Excel's day number; None when it is none of these.

    Examples
    --------
    >>> read_date("15/03/2026"), read_date("2026-03-15 00:00:00"), read_date("46096"), read_date("31/02/2026")
    (datetime.date(2026, 3, 15), datetime.date(2026, 3, 15), datetime.date(2026, 3, 15), None)
    """
    text = text.strip()
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    serial = text[:-2] if text.endswith(".0") else text
    if serial.isascii() and serial.isdigit() and 20_000 <= int(serial) <= 80_000:  # 1954 .. 2119
        return EXCEL_EPOCH + timedelta(days=int(serial))
    return None


def _number(text: str) -> str:
    """A dossier number as kept: a whole number Excel stored as ``123.0`` loses its ``.0``."""
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def _read(data: bytes) -> tuple[list[DossierRow], list[tuple[int, str]]]:
    """The file's rows and the problems found in the rows themselves (units are not looked up)."""
    rows = read_rows(data, (NUMBER, UNIT, PROCEDURE, FIELD, COMPLETED), (PHONE, APPLICANT))
    today = vietnam_today()
    problems: list[tuple[int, str]] = []
    result: list[DossierRow] = []
    seen: dict[str, int] = {}
    for n, r in rows:
        number = _number(r[NUMBER])
        if not number:
            problems.append((n, "thiếu số hồ sơ"))
        elif len(number) > 64:
            problems.append((n, f"số hồ sơ '{number[:20]}…' dài quá 64 ký tự"))
        elif number in seen:
            problems.append((n, f"số hồ sơ '{number}' trùng với dòng {seen[number]}"))
        else:
            seen[number] = n
        if not r[UNIT]:
            problems.append((n, "thiếu đơn vị (ghi mã hay tên đơn vị)"))
        for column, label, limit in ((PROCEDURE, "thủ tục hành chính", 300), (FIELD, "lĩnh vực", 200)):
            if not r[column]:
                problems.append((n, f"thiếu {label}"))
            elif len(r[column]) > limit:
                problems.append((n, f"{label} dài quá {limit} ký tự"))
        completed = read_date(r[COMPLETED]) if r[COMPLETED] else None
        if not r[COMPLETED]:
            problems.append((n, "thiếu ngày trả kết quả"))
        elif completed is None:
            problems.append((n, f"ngày trả kết quả '{r[COMPLETED]}' không phải ngày (ghi ngày/tháng/năm, "
                                "ví dụ 15/03/2026)"))
        elif completed > today:
            problems.append((n, f"ngày trả kết quả {completed:%d/%m/%Y} chưa đến"))
        typed = r.get(PHONE) or ""
        phone = normalise_phone(typed) if typed else None
        if typed and phone is None:
            problems.append((n, f"số điện thoại '{typed}' không hợp lệ"))
        applicant = r.get(APPLICANT) or ""
        organisation = APPLICANT_WORDS.get(fold(applicant), None) if applicant else False
        if organisation is None:
            problems.append((n, f"người nộp '{applicant}' không rõ (ghi Công dân, Cá nhân, Tổ chức hay Doanh nghiệp; "
                                "để trống là công dân)"))
        result.append(DossierRow(n, number, r[UNIT], r[PROCEDURE], r[FIELD], completed, phone, bool(organisation)))
    return result, problems


def parse_file(data: bytes) -> list[DossierRow]:
    """The rows of a dossier file (XLSX or CSV with the template's headings), checked row by row.

    Units are not looked up here (:func:`import_dossiers` does, against the campaign).

    Raises
    ------
    CsvProblems
        The file cannot be read, lacks a column, still holds the example row, or has bad rows: every
        problem with its row; a number twice names the row it repeats.
    """
    rows, problems = _read(data)
    if problems:
        raise CsvProblems(problems)
    return rows


def _open(campaign: Campaign) -> None:
    if campaign.status == "closed":
        raise DossierError(f"Đợt khảo sát “{campaign.name}” đã kết thúc: không nhập hồ sơ hay chọn mẫu nữa.")


def import_dossiers(s: Session, campaign: Campaign, data: bytes, actor: str,
                    user_id: int | None = None) -> list[Dossier]:
    """Add a file's dossiers to the campaign (audited), or nothing at all.

    Raises
    ------
    CsvProblems
        Every problem of the file (:func:`parse_file`), an unknown or ambiguous unit, a number the
        campaign already holds; sorted by row. Nothing is stored.
    DossierError
        The campaign is closed.
    """
    _open(campaign)
    rows, problems = _read(data)
    catalogue = Catalogue(campaign, campaign_criteria(campaign))
    held = set(s.scalars(select(Dossier.number).where(Dossier.campaign_id == campaign.id)))
    units: dict[int, Unit] = {}
    for row in rows:
        if row.unit:
            unit, why = catalogue.unit(row.unit)
            if unit is None:
                problems.append((row.row, why))
            else:
                units[row.row] = unit
        if row.number in held:
            problems.append((row.row, f"số hồ sơ '{row.number}' đã được nhập trước đây"))
    if problems:
        raise CsvProblems(sorted(problems, key=lambda p: p[0]))
    made = [Dossier(campaign_id=campaign.id, unit_id=units[row.row].id, number=row.number, procedure=row.procedure,
                    field=row.field, completed_on=row.completed_on, phone=row.phone, drawn=False,
                    organisation=row.organisation) for row in rows]
    s.add_all(made)
    s.flush()
    phones = sum(1 for d in made if d.phone)
    organisations = sum(1 for d in made if d.organisation)
    record(s, actor, "import", "dossiers", campaign.id, user_id=user_id,
           new_value=f"{len(made)} hồ sơ của {len(set(units[r.row].id for r in rows))} đơn vị "
                     f"({phones} có số điện thoại" + (f", {organisations} của tổ chức" if organisations else "") + ")")
    return made


def allocate(sizes: dict[str, int], target: int) -> dict[str, int]:
    """Proportional allocation of ``target`` among strata of ``sizes`` by largest remainders.

    Each stratum first gets the whole part of ``target × size / total``; the places left go to the
    largest remainders (ties: the larger stratum, then the name). When ``target`` is at least the
    total, every stratum is taken whole.

    Examples
    --------
    10 dossiers, 5 of land (A), 3 of justice (B), 2 of building (C), target 4: the shares are
    4×5/10 = 2.0, 4×3/10 = 1.2 and 4×2/10 = 0.8; whole parts 2, 1, 0 make 3; the one place left goes to
    the largest remainder, C's 0.8:

    >>> allocate({"A": 5, "B": 3, "C": 2}, 4)
    {'A': 2, 'B': 1, 'C': 1}
    >>> allocate({"A": 6, "B": 4}, 5)
    {'A': 3, 'B': 2}
    """
    total = sum(sizes.values())
    if target >= total:
        return dict(sizes)
    whole = {k: target * n // total for k, n in sizes.items()}
    left = target - sum(whole.values())
    by_remainder = sorted(sizes, key=lambda k: (-(target * sizes[k] % total), -sizes[k], k))
    for k in by_remainder[:left]:
        whole[k] += 1
    return whole


def draw_unit(dossiers: list[Dossier], target: int, seed: int, unit_code: str,
              stratify_by_field: bool) -> list[Dossier]:
    """The dossiers of one unit drawn for ``target`` respondents, reproducibly from ``seed``.

    ``random.Random(f"{seed}-{unit_code}")`` samples the dossiers sorted by number (stratified: each
    field's own, in field order, its :func:`allocate` share); the result is in number order. Fewer
    dossiers than ``target``: all of them.
    """
    ordered = sorted(dossiers, key=lambda d: d.number)
    if target >= len(ordered):
        return ordered
    rng = random.Random(f"{seed}-{unit_code}")
    if not stratify_by_field:
        return sorted(rng.sample(ordered, target), key=lambda d: d.number)
    strata: dict[str, list[Dossier]] = {}
    for d in ordered:
        strata.setdefault(d.field, []).append(d)
    shares = allocate({k: len(v) for k, v in strata.items()}, target)
    chosen = [d for field in sorted(strata) for d in rng.sample(strata[field], shares[field])]
    return sorted(chosen, key=lambda d: d.number)


@dataclass(frozen=True)
class UnitDraw:
    """One unit's draw: its dossiers, the plan's target, how many were drawn (and so invited)."""

    unit: Unit
    dossiers: int
    target: int
    drawn: int

    @property
    def short(self) -> bool:
        """Fewer dossiers than the target: all were drawn."""
        return self.dossiers < self.target


@dataclass(frozen=True)
class Draw:
    """A draw: its seed, the group, whether by field, each unit's counts, and the units left out
    because they were drawn before (named by code)."""

    seed: int
    group: RespondentGroup
    stratified: bool
    units: tuple[UnitDraw, ...]
    already_drawn: tuple[str, ...] = ()
    organisations: bool = False  # drawn from organisations' dossiers

    @property
    def drawn(self) -> int:
        return sum(u.drawn for u in self.units)

    @property
    def units_drawn(self) -> int:
        """How many units had at least one dossier drawn."""
        return sum(1 for u in self.units if u.drawn)

    def warnings(self) -> list[str]:
        """A Vietnamese sentence per unit with fewer dossiers than its target."""
        kind = " của tổ chức, doanh nghiệp" if self.organisations else ""
        return [f"{u.unit.name}: chỉ có {u.dossiers} hồ sơ{kind}, ít hơn kế hoạch {u.target}; đã chọn tất cả."
                for u in self.units if u.short]


def drawable_groups(campaign: Campaign) -> list[RespondentGroup]:
    """The campaign's groups that rate their own unit at some level: a drawn dossier's person is
    invited to rate the unit that handled it."""
    cset = campaign_criteria(campaign)
    return [g for g in campaign.groups
            if g.code in cset.group_by_code and any(r.how == "own" for r in cset.group_by_code[g.code].rates)]


def for_organisations(group: RespondentGroup) -> bool:
    """Whether ``group`` is drawn from the dossiers organisations applied for (else from citizens'): its
    code is one of :data:`ORGANISATION_GROUPS` or its name begins with "Tổ chức" or "Doanh nghiệp".

    Examples
    --------
    >>> for_organisations(RespondentGroup(code="to_chuc", name="Tổ chức, doanh nghiệp"))
    True
    >>> for_organisations(RespondentGroup(code="dn", name="Doanh nghiệp")), for_organisations(
    ...     RespondentGroup(code="nguoi_dan", name="Người dân"))
    (True, False)
    """
    return group.code in ORGANISATION_GROUPS or fold(group.name).startswith(ORGANISATION_NAMES)


def _drawn_for(s: Session, campaign: Campaign) -> set[tuple[int, int]]:
    """(unit id, group id) of every unit drawn for a group: a dossier of the unit drawn with a link of the group."""
    return {(u, g) for u, g in s.execute(
        select(Dossier.unit_id, Invitation.group_id).join(Invitation, Invitation.id == Dossier.invitation_id)
        .where(Dossier.campaign_id == campaign.id, Dossier.drawn.is_(True)).distinct())}


def new_seed() -> int:
    """A fresh seed of :data:`SEED_DIGITS` digits (easy to read out and type again)."""
    return 10 ** (SEED_DIGITS - 1) + secrets.randbelow(9 * 10 ** (SEED_DIGITS - 1))


def draw_sample(s: Session, campaign: Campaign, group: RespondentGroup, seed: int | None, stratify_by_field: bool,
                actor: str, secret: str, user_id: int | None = None) -> Draw:
    """Draw the sample of ``group`` from the campaign's dossiers, unit by unit, and invite each drawn one.

    Per unit the group rates as its own with a target in the plan (:func:`.units.targets`), draw
    that many of the dossiers of the group's kind (:func:`for_organisations`) not drawn for another group
    (:func:`draw_unit`; all of them when there are fewer, said by :meth:`Draw.warnings`). A unit drawn
    before for the group (a dossier of it drawn with a link of the group) is left out, so a draw can be
    completed after more dossiers are imported without changing the first. Each drawn dossier is marked
    and gets a personal :class:`~survey_app.models.Invitation` of ``group`` for its unit, carrying the
    dossier's phone. The audit entry holds the seed, the group, whether by field and the counts.

    Raises
    ------
    DossierError
        The campaign is closed, the group does not rate its own unit, or nothing was left to draw.
    """
    _open(campaign)
    if group not in drawable_groups(campaign):
        raise DossierError(f"{group.name} không đánh giá đơn vị của mình: không chọn mẫu từ hồ sơ cho đối tượng này.")
    cset = campaign_criteria(campaign)
    rule_group = cset.group_by_code[group.code]
    seed = new_seed() if seed is None else seed
    planned = targets(s, campaign)
    organisations = for_organisations(group)
    drawn_for = _drawn_for(s, campaign)
    dossiers: dict[int, list[Dossier]] = {}
    for d in s.scalars(select(Dossier).where(Dossier.campaign_id == campaign.id,
                                             Dossier.organisation.is_(organisations)).order_by(Dossier.number)):
        dossiers.setdefault(d.unit_id, []).append(d)
    results, skipped = [], []
    for unit in sorted(campaign.units, key=lambda u: u.code):
        rule = rule_group.rule_for(unit.level)
        target = planned.get((unit.id, group.id), 0)
        if rule is None or rule.how != "own" or not target:
            continue
        if (unit.id, group.id) in drawn_for:
            skipped.append(unit.code)
            continue
        mine = [d for d in dossiers.get(unit.id, []) if not d.drawn]
        chosen = draw_unit(mine, target, seed, unit.code, stratify_by_field)
        for d in chosen:
            link = issue_link(secret)
            invitation = Invitation(campaign_id=campaign.id, group_id=group.id, unit_id=unit.id, kind="personal",
                                    token_hash=link.token_hash, token_salt=link.salt, phone=d.phone)
            s.add(invitation)
            s.flush()
            d.drawn, d.invitation_id = True, invitation.id
        results.append(UnitDraw(unit, len(mine), target, len(chosen)))
    if not any(r.drawn for r in results):
        kind = " do tổ chức, doanh nghiệp nộp (cột “Người nộp”)" if organisations else ""
        raise DossierError(f"Không chọn được hồ sơ nào: chưa có hồ sơ{kind} của đơn vị có kế hoạch mẫu cho "
                           f"{group.name}" + (", hoặc các đơn vị đã được chọn mẫu trước đây." if skipped else "."))
    s.flush()
    draw = Draw(seed, group, stratify_by_field, tuple(results), tuple(skipped), organisations)
    per_unit = "; ".join(f"{r.unit.code} {r.drawn}/{r.target} (có {r.dossiers})" for r in results)
    record(s, actor, "draw", "dossiers", campaign.id, user_id=user_id, attribute="seed", new_value=(
        f"hạt giống {seed}; đối tượng {group.code}; phân tầng theo lĩnh vực: {'có' if stratify_by_field else 'không'}; "
        f"{draw.drawn} hồ sơ được chọn ở {draw.units_drawn} đơn vị, mỗi hồ sơ một đường link cá nhân "
        f"({_phones(s, campaign)} có số điện thoại): {per_unit}"
        + (f"; bỏ qua đơn vị đã chọn mẫu trước: {', '.join(skipped)}" if skipped else "")))
    return draw


def _phones(s: Session, campaign: Campaign) -> int:
    return s.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.campaign_id == campaign.id, Dossier.drawn.is_(True), Dossier.phone.is_not(None))) or 0


def last_seed(s: Session, campaign: Campaign) -> str | None:
    """The audit text of the campaign's latest draw (it begins with its seed), or None."""
    return s.scalar(select(AuditEntry.new_value).where(
        AuditEntry.entity == "dossiers", AuditEntry.action == "draw", AuditEntry.entity_id == str(campaign.id))
        .order_by(AuditEntry.id.desc()).limit(1))


# The audit text of a draw (:func:`draw_sample`), read back to show it with names instead of codes.
DRAW_TEXT = re.compile(r"hạt giống (?P<seed>\d+); đối tượng (?P<group>\S+); phân tầng theo lĩnh vực: (?P<by>có|không); "
                       r"(?P<drawn>\d+) hồ sơ được chọn ở (?P<units>\d+) đơn vị, mỗi hồ sơ một đường link cá nhân "
                       r"\((?P<phones>\d+) có số điện thoại\): (?P<per_unit>.*?)"
                       r"(?:; bỏ qua đơn vị đã chọn mẫu trước: (?P<skipped>.*))?")
UNIT_TEXT = re.compile(r"(?P<code>\S+) (?P<drawn>\d+)/(?P<target>\d+) \(có (?P<held>\d+)\)")


def readable_draw(text: str, campaign: Campaign) -> str:
    """A draw's audit text as the page shows it: the group's and units' names instead of their codes (the
    audit keeps the codes). A text not of that shape (an older draw) is shown as it is.

    Examples
    --------
    >>> c = Campaign(groups=[RespondentGroup(code="nguoi_dan", name="Người dân")],
    ...              units=[Unit(code="ba_be", name="Huyện Ba Bể")])
    >>> readable_draw("hạt giống 31337; đối tượng nguoi_dan; phân tầng theo lĩnh vực: có; 5 hồ sơ được chọn ở "
    ...               "1 đơn vị, mỗi hồ sơ một đường link cá nhân (5 có số điện thoại): ba_be 5/5 (có 7)", c)
    'hạt giống 31337; đối tượng Người dân; phân tầng theo lĩnh vực: có; 5 hồ sơ được chọn ở 1 đơn vị (5 có số \
điện thoại): Huyện Ba Bể chọn 5 theo kế hoạch 5 trong 7 hồ sơ'
    """
    found = DRAW_TEXT.fullmatch(text)
    if found is None:
        return text
    groups = {g.code: g.name for g in campaign.groups}
    units = {u.code: u.name for u in campaign.units}
    per_unit = []
    for part in found["per_unit"].split("; "):
        unit = UNIT_TEXT.fullmatch(part)
        per_unit.append(f"{units.get(unit['code'], unit['code'])} chọn {unit['drawn']} theo kế hoạch {unit['target']} "
                        f"trong {unit['held']} hồ sơ" if unit else part)
    line = (f"hạt giống {found['seed']}; đối tượng {groups.get(found['group'], found['group'])}; phân tầng theo "
            f"lĩnh vực: {found['by']}; {found['drawn']} hồ sơ được chọn ở {found['units']} đơn vị "
            f"({found['phones']} có số điện thoại): " + ", ".join(per_unit))
    if found["skipped"]:
        line += "; giữ nguyên đơn vị đã chọn mẫu trước: " + ", ".join(
            units.get(code, code) for code in found["skipped"].split(", "))
    return line


@dataclass(frozen=True)
class UnitCount:
    """The page's row of a unit: its dossiers, those drawn, and the plan's target per group id; of its
    dossiers, ``organisations`` were an organisation's."""

    unit: Unit
    dossiers: int
    drawn: int
    targets: dict[int, int]
    organisations: int = 0


def unit_counts(s: Session, campaign: Campaign) -> list[UnitCount]:
    """Per unit of the campaign with a dossier or a target of a drawable group: counts, by unit code."""
    counts = {u: (n, int(k or 0), int(o or 0)) for u, n, k, o in s.execute(
        select(Dossier.unit_id, func.count(), func.sum(case((Dossier.drawn.is_(True), 1), else_=0)),
               func.sum(case((Dossier.organisation.is_(True), 1), else_=0)))
        .where(Dossier.campaign_id == campaign.id).group_by(Dossier.unit_id))}
    groups = {g.id for g in drawable_groups(campaign)}
    planned = {(u, g): t for (u, g), t in targets(s, campaign).items() if g in groups and t}
    rows = []
    for unit in sorted(campaign.units, key=lambda u: u.code):
        mine = {g: t for (u, g), t in planned.items() if u == unit.id}
        n, k, o = counts.get(unit.id, (0, 0, 0))
        if n or mine:
            rows.append(UnitCount(unit, n, k, mine, o))
    return rows


def drawn_dossiers(s: Session, campaign: Campaign) -> list[Dossier]:
    """The campaign's drawn dossiers with their invitations, by unit code and number."""
    return list(s.scalars(select(Dossier).join(Unit, Unit.id == Dossier.unit_id).where(
        Dossier.campaign_id == campaign.id, Dossier.drawn.is_(True)).order_by(Unit.code, Dossier.number)))


def counter_cards(s: Session, campaign: Campaign, every_drawn: bool = False) -> list[Dossier]:
    """The drawn dossiers whose link is printed on a QR card to hand over at the counter: those without a
    phone that were not texted (no SMS reaches them; a texted one's phone may be deleted since), or every
    drawn one when ``every_drawn``; never a revoked link. By unit code and number."""
    query = (select(Dossier).join(Unit, Unit.id == Dossier.unit_id)
             .join(Invitation, Invitation.id == Dossier.invitation_id)
             .where(Dossier.campaign_id == campaign.id, Dossier.drawn.is_(True), Invitation.revoked.is_(False)))
    if not every_drawn:
        query = query.where(Dossier.phone.is_(None), Invitation.sent_at.is_(None))
    return list(s.scalars(query.order_by(Unit.code, Dossier.number)))


def last_characters(number: str, count: int = 4) -> str:
    """The end of a dossier number printed on its counter card, so the clerk hands the right one.

    Examples
    --------
    >>> last_characters("000.00.12.H56-260315-0042"), last_characters("HS1")
    ('…0042', 'HS1')
    """
    return number if len(number) <= count else "…" + number[-count:]


def plain(text: str) -> str:
    """Text without Vietnamese diacritics (đ → d), for a GSM-7 text message.

    Examples
    --------
    >>> plain("Sở Tư pháp, Đồng Hới")
    'So Tu phap, Dong Hoi'
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def is_gsm7(text: str) -> bool:
    """Whether every character is of the GSM-7 basic set (so 160 of them fit one SMS segment).

    Examples
    --------
    >>> is_gsm7("Moi Ong/Ba: https://x.vn/s/abc_-9"), is_gsm7("Mời"), is_gsm7("a{b}")
    (True, False, False)
    """
    return all(c in GSM7 for c in text)


def sms_text(url: str, unit_name: str | None = None, number: str | None = None) -> str:
    """The SMS inviting a drawn dossier's person: one GSM-7 segment (at most 160 characters, no
    diacritics) ending with the link. The longest of these that fits is used: with the unit and the
    dossier number, with the unit, without either, the link alone.

    Examples
    --------
    >>> text = sms_text("https://khaosat.example.vn/s/" + "x" * 32, "UBND xã Đồng Tâm", "000.12.34.H56-260315-0001")
    >>> len(text) <= 160, is_gsm7(text), text.endswith("x" * 32)
    (True, True, True)
    """
    unit = plain(unit_name or "")
    candidates = []
    if unit and number:
        candidates.append(f"So Noi vu moi Ong/Ba danh gia su hai long ve ho so {plain(number)} tai {unit}: {url}")
    if unit:
        candidates.append(f"Moi Ong/Ba danh gia su hai long ve giai quyet ho so tai {unit}: {url}")
    candidates += [f"Moi Ong/Ba danh gia su hai long ve giai quyet thu tuc hanh chinh: {url}", url]
    return next((t for t in candidates if len(t) <= SMS_LIMIT and is_gsm7(t)), url)


def forget_phones(s: Session, campaign: Campaign, actor: str, user_id: int | None = None) -> int:
    """Delete the phone numbers of the campaign's dossiers and of their invitations (at close, in the
    caller's transaction), audited when the campaign has dossiers. Returns how many dossiers had one."""
    held = s.scalar(select(func.count()).select_from(Dossier).where(Dossier.campaign_id == campaign.id)) or 0
    if not held:
        return 0
    phones = s.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.campaign_id == campaign.id, Dossier.phone.is_not(None))) or 0
    invited = select(Dossier.invitation_id).where(Dossier.campaign_id == campaign.id,
                                                  Dossier.invitation_id.is_not(None)).scalar_subquery()
    links = s.execute(update(Invitation).where(Invitation.id.in_(invited), Invitation.phone.is_not(None))
                      .values(phone=None)).rowcount
    s.execute(update(Dossier).where(Dossier.campaign_id == campaign.id).values(phone=None))
    s.flush()
    record(s, actor, "update", "dossiers", campaign.id, user_id=user_id, attribute="phone",
           new_value=f"kết thúc đợt: xoá số điện thoại của {phones} hồ sơ và {links} đường link mời từ hồ sơ "
                     "(Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân)")
    return phones



@dataclass(frozen=True)
class PhoneCounts:
    """The campaign's dossiers holding a phone number, by what becomes of it when the admin says the
    invitations were sent (:func:`forget_sent_phones`): ``sent`` (drawn, the link listed for the SMS) and
    ``unused`` (not drawn, and no draw can still take them) are deleted; ``unsent`` (drawn, the link not
    listed yet) and ``waiting`` (not drawn, in a unit still to be drawn for a group of their kind) stay
    until they are sent or the campaign closes. ``listed``: drawn dossiers whose link was listed for the
    SMS, phone or not (the action is offered once there is one)."""

    sent: int = 0
    unused: int = 0
    unsent: int = 0
    waiting: int = 0
    listed: int = 0

    @property
    def deletable(self) -> int:
        return self.sent + self.unused

    @property
    def remaining(self) -> int:
        return self.unsent + self.waiting

    def why_remaining(self) -> str:
        """Why the numbers left are kept, in Vietnamese ("" when none is left).

        Examples
        --------
        >>> PhoneCounts(unsent=2, waiting=3).why_remaining()
        '2 số của hồ sơ đã chọn chưa tải danh sách gửi tin nhắn, 3 số của hồ sơ ở đơn vị còn chờ chọn mẫu'
        """
        parts = [f"{self.unsent} số của hồ sơ đã chọn chưa tải danh sách gửi tin nhắn" if self.unsent else "",
                 f"{self.waiting} số của hồ sơ ở đơn vị còn chờ chọn mẫu" if self.waiting else ""]
        return ", ".join(p for p in parts if p)


def _waiting(s: Session, campaign: Campaign) -> set[tuple[int, bool]]:
    """(unit id, organisations' or not) whose dossiers a draw can still take: a group of that kind rates the
    unit as its own, has a target there, and has not drawn it yet."""
    cset = campaign_criteria(campaign)
    planned = targets(s, campaign)
    drawn_for = _drawn_for(s, campaign)
    waiting = set()
    for group in drawable_groups(campaign):
        rule_group = cset.group_by_code[group.code]
        for unit in campaign.units:
            rule = rule_group.rule_for(unit.level)
            if (rule is not None and rule.how == "own" and planned.get((unit.id, group.id), 0)
                    and (unit.id, group.id) not in drawn_for):
                waiting.add((unit.id, for_organisations(group)))
    return waiting


def _phone_classes(s: Session, campaign: Campaign) -> tuple[dict[str, list[tuple[int, int | None]]], int]:
    """The dossiers with a phone as (dossier id, invitation id) by class (see :class:`PhoneCounts`), and
    how many drawn dossiers had their link listed."""
    waiting = _waiting(s, campaign)
    classes: dict[str, list[tuple[int, int | None]]] = {"sent": [], "unused": [], "unsent": [], "waiting": []}
    listed = 0
    for dossier_id, unit_id, organisation, drawn, phone, invitation_id, sent_at in s.execute(
            select(Dossier.id, Dossier.unit_id, Dossier.organisation, Dossier.drawn, Dossier.phone,
                   Dossier.invitation_id, Invitation.sent_at)
            .outerjoin(Invitation, Invitation.id == Dossier.invitation_id)
            .where(Dossier.campaign_id == campaign.id)):
        listed += bool(drawn and sent_at)
        if phone is None:
            continue
        if drawn:
            kind = "sent" if sent_at else "unsent"
        else:
            kind = "waiting" if (unit_id, bool(organisation)) in waiting else "unused"
        classes[kind].append((dossier_id, invitation_id))
    return classes, listed


def phone_counts(s: Session, campaign: Campaign) -> PhoneCounts:
    """How many phone numbers the campaign's dossiers hold, by what :func:`forget_sent_phones` does with them."""
    classes, listed = _phone_classes(s, campaign)
    return PhoneCounts(**{k: len(v) for k, v in classes.items()}, listed=listed)


def stamp_listed(s: Session, invitation_ids: list[int]) -> int:
    """Stamp as sent (now) the invitations whose link and phone were just listed for the SMS (the drawn list
    downloaded), those not stamped before; returns how many. The caller audits the download."""
    stamped = 0
    for start in range(0, len(invitation_ids), 500):
        chunk = invitation_ids[start:start + 500]
        stamped += s.execute(update(Invitation).where(Invitation.id.in_(chunk), Invitation.sent_at.is_(None),
                                                      Invitation.phone.is_not(None))
                             .values(sent_at=utcnow())).rowcount
    s.flush()
    return stamped


def forget_sent_phones(s: Session, campaign: Campaign, actor: str, user_id: int | None = None) -> PhoneCounts:
    """The admin says the SMS invitations were sent: delete the phone numbers that are no longer needed
    (:class:`PhoneCounts`: ``sent`` and ``unused``) from the dossiers and from their invitations, in the
    caller's transaction, audited with counts only (never a number). Returns the counts before.

    Raises
    ------
    DossierError
        The campaign is closed, no drawn list was downloaded yet, or no number is left to delete.
    """
    _open(campaign)
    classes, listed = _phone_classes(s, campaign)
    counts = PhoneCounts(**{k: len(v) for k, v in classes.items()}, listed=listed)
    if not listed:
        raise DossierError("Chưa tải danh sách hồ sơ đã chọn kèm tin nhắn SMS: tải danh sách, gửi tin nhắn, rồi mới "
                           "xoá số điện thoại.")
    if not counts.deletable:
        raise DossierError("Không còn số điện thoại nào để xoá: "
                           + (f"còn {counts.why_remaining()}." if counts.remaining else "các hồ sơ không còn số nào."))
    dossier_ids = [d for k in ("sent", "unused") for d, _i in classes[k]]
    invitation_ids = [i for _d, i in classes["sent"] if i is not None]
    links = 0
    for start in range(0, max(len(dossier_ids), len(invitation_ids)), 500):
        if chunk := dossier_ids[start:start + 500]:
            s.execute(update(Dossier).where(Dossier.id.in_(chunk)).values(phone=None))
        if chunk := invitation_ids[start:start + 500]:
            links += s.execute(update(Invitation).where(Invitation.id.in_(chunk), Invitation.phone.is_not(None))
                               .values(phone=None)).rowcount
    s.flush()
    left = (f"còn {counts.remaining} số ({counts.why_remaining()}), xoá khi đã gửi hay khi kết thúc đợt"
            if counts.remaining else "không còn số nào")
    record(s, actor, "update", "dossiers", campaign.id, user_id=user_id, attribute="phone",
           new_value=f"đã gửi tin nhắn mời: xoá số điện thoại của {counts.sent} hồ sơ được chọn đã tải danh sách gửi "
                     f"tin nhắn ({links} đường link mời) và {counts.unused} hồ sơ không được chọn; {left} "
                     "(Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân)")
    return counts
