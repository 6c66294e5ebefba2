"""Imports for officials: units, the sample plan, personal links, from CSV or XLSX.

Each import reads the whole file, checks every row, and returns either the
rows to write or every problem at once, each naming its row as Excel numbers
it (the header is row 1). Nothing is written when any row is bad.

Officials type what they see on screen: a group, level or unit may be given by
its code or by its exact name (case and extra spaces do not matter), and the
columns may carry Vietnamese headings (``Họ tên``, ``Đối tượng``, ``Đơn vị``…).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from questionnaires import CriteriaSet, tabular

from ..models import Campaign, RespondentGroup, Unit

MAX_ROWS = 20_000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
XLSX_MAGIC = b"PK\x03\x04"
EXAMPLE_MARK = "xoá dòng này"  # in the example rows of the templates (outputs/import_templates.py)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Column headings accepted for each column, compared folded (see :func:`fold`).
ALIASES = {
    "code": ("code", "mã", "mã đơn vị"),
    "name": ("name", "tên", "tên đơn vị", "họ tên", "họ và tên", "người nhận"),
    "level": ("level", "cấp"),
    "parent": ("parent", "thuộc", "thuộc huyện", "huyện", "đơn vị cấp trên"),
    "group": ("group", "đối tượng"),
    "unit": ("unit", "đơn vị"),
    "email": ("email", "e-mail", "thư điện tử"),
    "phone": ("phone", "điện thoại", "số điện thoại", "sđt"),
    "target": ("target", "số phiếu", "kế hoạch", "số phiếu kế hoạch"),
    "expires": ("expires", "hạn trả lời", "hết hạn", "hạn"),
}


def fold(text: str) -> str:
    """Text as compared with what is on screen: NFC, lower case, single spaces.

    Examples
    --------
    >>> fold("  Đại biểu   HĐND tỉnh ") == fold("đại biểu hđnd TỈNH")
    True
    """
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


class CsvProblems(ValueError):
    """Every problem of a file; ``problems`` holds (row number, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("; ".join(f"dòng {n}: {m}" if n else m for n, m in problems))


def _table(data: bytes) -> tabular.Table:
    """The file's table: an XLSX's first sheet, or CSV text (UTF-8, UTF-16 or Windows-1258; comma,
    semicolon or tab), read within the upload bounds by :mod:`questionnaires.tabular`."""
    try:
        return tabular.read_any(data)
    except tabular.TableError as exc:
        raise CsvProblems([(exc.row or 0, exc.message)]) from None


def _unquoted(cell: str) -> str:
    """A cell without the apostrophe our exports put before text a spreadsheet would take for a formula."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_START else cell


def _heading(column: str) -> str:
    names = ALIASES.get(column, (column,))
    return f"'{names[0]}'" + (f" hay '{names[1]}'" if len(names) > 1 else "")


def read_rows(data: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict]]:
    """The data rows of a CSV or XLSX file as ``(row number, {column: text})``.

    Accepts CSV as Excel or a phone saves it (UTF-8 with or without BOM,
    UTF-16, Windows-1258; comma, semicolon or tab) and XLSX (first sheet), read
    by :mod:`questionnaires.tabular` within its upload bounds (columns, rows,
    unpacked size). Headings are matched without case or extra spaces, in
    English or Vietnamese (:data:`ALIASES`); every cell is NFC-normalized.
    """
    table = _table(data)
    if not table.header:
        raise CsvProblems([(0, "tệp trống")])
    known = {fold(alias): column for column in required + optional for alias in ALIASES.get(column, (column,))}
    header = [known.get(fold(h), fold(h)) for h in table.header]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h and h not in required + optional]
    needed = ", ".join(_heading(c) for c in required)
    problems = [(1, f"thiếu cột {_heading(c)} (cần: {needed})") for c in missing]
    problems += [(1, f"cột '{c}' không dùng được (dùng: {', '.join(required + optional)})") for c in unknown]
    if problems:
        raise CsvProblems(problems)
    wider = dict(table.wider)
    rows = []
    for number, cells in table.rows:
        values = [cell.strip() for cell in cells]
        if number in wider:
            problems.append((number, f"có {wider[number]} ô, nhiều hơn {len(header)} cột của tiêu đề"))
            continue
        if any(EXAMPLE_MARK in fold(v) for v in values):
            problems.append((number, "đây là dòng ví dụ của tệp mẫu: xoá dòng này rồi nhập lại"))
            continue
        rows.append((number, {h: _unquoted(values[i]) for i, h in enumerate(header) if h}))
        if len(rows) > MAX_ROWS:
            raise CsvProblems([(number, f"tệp quá {MAX_ROWS} dòng")])
    if problems:
        raise CsvProblems(problems)
    return rows


class Catalogue:
    """A campaign's groups, levels and units, found by code or by the name shown on screen.

    A name two units share (two communes of the same name in different districts) finds
    neither: the message asks for the code.
    """

    def __init__(self, campaign: Campaign, cset: CriteriaSet):
        self.cset = cset
        self.units = {u.code: u for u in campaign.units}
        self.groups = {g.code: g for g in campaign.groups}
        self._unit_names: dict[str, list[Unit]] = {}
        for unit in campaign.units:
            self._unit_names.setdefault(fold(unit.name), []).append(unit)
        self._group_names = {fold(g.name): g for g in campaign.groups}
        self._levels: dict[str, str] = {}
        for level in cset.levels:
            self._levels[level.code] = level.code
            self._levels[fold(level.name)] = level.code
            self._levels[fold(level.name).removeprefix("cấp ")] = level.code

    def level(self, text: str) -> str | None:
        """The level code of ``so``, ``Cấp sở`` or ``sở`` (the levels of the campaign's criteria set)."""
        return self._levels.get(text) or self._levels.get(fold(text))

    def level_choices(self) -> str:
        return ", ".join(f"{lv.name} ({lv.code})" for lv in self.cset.levels)

    def group(self, text: str) -> RespondentGroup | None:
        """The group of a code (``cc_so``) or a name (``Công chức cấp sở``)."""
        return self.groups.get(text) or self._group_names.get(fold(text))

    def group_choices(self) -> str:
        return "; ".join(f"{g.name} ({g.code})" for g in self.groups.values())

    def unit(self, text: str) -> tuple[Unit | None, str | None]:
        """(the unit of a code or exact name, None) or (None, why not)."""
        if text in self.units:
            return self.units[text], None
        named = self._unit_names.get(fold(text), [])
        if len(named) == 1:
            return named[0], None
        if named:
            codes = ", ".join(u.code for u in named)
            return None, f"có {len(named)} đơn vị tên '{text}': ghi mã ({codes})"
        return None, f"không có đơn vị mã hay tên '{text}'"


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    level: str
    parent_code: str | None


def parse_units(data: bytes, catalogue: Catalogue) -> list[NewUnit]:
    """Units from ``code,name,level,parent`` (level: code or name; parent: the district of a commune,
    by code or name, among the campaign's units or the file's)."""
    return check_units(read_rows(data, ("code", "name", "level"), ("parent",)), catalogue)


def check_units(rows: list[tuple[int, dict]], catalogue: Catalogue) -> list[NewUnit]:
    """Check units given as ``(row number, {code, name, level, parent})``."""
    existing = catalogue.units
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    new_levels = {r["code"]: catalogue.level(r["level"]) for _n, r in rows}
    new_by_name = {fold(r["name"]): r["code"] for _n, r in rows if r.get("name")}
    units = []
    for number, r in rows:
        code, name, level, parent = r["code"], r["name"], catalogue.level(r["level"]), r.get("parent") or None
        if not code or any(ch.isspace() for ch in code) or len(code) > 64:
            problems.append((number, f"mã đơn vị '{code}' không được rỗng, chứa khoảng trắng hay dài quá 64 ký tự"))
        elif code in existing or code in seen:
            where = f"dòng {seen[code]}" if code in seen else "đợt khảo sát"
            problems.append((number, f"mã đơn vị '{code}' đã có ({where})"))
        seen.setdefault(code, number)
        if not name:
            problems.append((number, "thiếu tên đơn vị"))
        if level is None:
            problems.append((number, f"cấp '{r['level']}' không hợp lệ (dùng: {catalogue.level_choices()})"))
        parent_code = None
        if parent is not None:
            if parent in new_levels or parent in existing:
                parent_code = parent
            elif fold(parent) in new_by_name:
                parent_code = new_by_name[fold(parent)]
            else:
                found, _why = catalogue.unit(parent)
                parent_code = found.code if found else None
        wanted = catalogue.cset.level_by_code[level].parent if level in catalogue.cset.level_by_code else None
        if wanted is not None:
            parent_level = existing[parent_code].level if parent_code in existing else new_levels.get(parent_code)
            above = fold(catalogue.cset.level_by_code[wanted].name)
            if parent is None:
                problems.append((number, f"đơn vị {fold(catalogue.cset.level_by_code[level].name)} phải có cột "
                                         f"'parent' (thuộc {above.removeprefix('cấp ')}): mã hay tên đơn vị {above}"))
            elif parent_level != wanted:
                problems.append((number, f"'{parent}' không phải một đơn vị {above} (ghi mã hay tên đơn vị {above})"))
        elif parent and level is not None:
            problems.append((number, f"đơn vị {fold(catalogue.cset.level_by_code[level].name)} không thuộc đơn vị "
                                     "nào: để trống cột 'parent'"))
        units.append(NewUnit(code, name, level or "", parent_code))
    if problems:
        raise CsvProblems(problems)
    return units


def whole_number(text: str) -> int | None:
    """A count typed or saved by Excel (``12``, ``12.0``), or None.

    Examples
    --------
    >>> whole_number("12"), whole_number("12.0"), whole_number("1,5"), whole_number("-3")
    (12, 12, None, None)
    """
    text = text.strip()
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def parse_plan(data: bytes, catalogue: Catalogue) -> list[tuple[Unit, RespondentGroup, int]]:
    """Targets from ``unit,group,target`` (unit and group by code or name): ``[(unit, group, target)]``."""
    rows = read_rows(data, ("unit", "group", "target"))
    problems, plan, seen = [], [], {}
    for number, r in rows:
        before = len(problems)
        (unit, why), group = catalogue.unit(r["unit"]), catalogue.group(r["group"])
        if unit is None:
            problems.append((number, why))
        if group is None:
            problems.append((number, f"không có đối tượng '{r['group']}' (dùng: {catalogue.group_choices()})"))
        if unit is not None and group is not None \
                and catalogue.cset.group_by_code[group.code].rule_for(unit.level) is None:
            problems.append((number, f"{group.name} không đánh giá {unit.name}"))
        target = whole_number(r["target"])
        if target is None or target > 100_000:
            problems.append((number, f"số phiếu kế hoạch '{r['target']}' phải là số nguyên không âm"))
        key = (unit.id if unit else r["unit"], group.id if group else r["group"])
        if key in seen:
            problems.append((number, f"'{r['unit']}' × '{r['group']}' đã có ở dòng {seen[key]}"))
        seen.setdefault(key, number)
        if len(problems) == before:
            plan.append((unit, group, target))
    if problems:
        raise CsvProblems(problems)
    return plan


@dataclass(frozen=True)
class NewInvitation:
    group: RespondentGroup
    unit: Unit | None
    name: str | None
    email: str | None
    phone: str | None
    row: int = 0  # the file's row, for messages
    expires_at: datetime | None = None  # the link works through that day (Vietnam time), then says "hết hạn"


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y")


def link_deadline(text: str, today: date) -> tuple[datetime | None, str | None]:
    """The moment a link given ``text`` as its last day stops working (UTC, as stored): the end of that day
    in Vietnam (UTC+7); or why the text is not a usable date.

    Examples
    --------
    >>> link_deadline("31/12/2026", date(2026, 12, 1))
    (datetime.datetime(2026, 12, 31, 17, 0), None)
    >>> link_deadline("2026-11-30", date(2026, 12, 1))[1]
    'hạn trả lời 30/11/2026 đã qua'
    >>> link_deadline("31/13/2026", date(2026, 12, 1))[1]
    "hạn trả lời '31/13/2026' không phải ngày (ghi ngày/tháng/năm, ví dụ 31/12/2026)"
    """
    for form in DATE_FORMATS:
        try:
            day = datetime.strptime(text.strip(), form).date()
            break
        except ValueError:
            continue
    else:
        return None, f"hạn trả lời '{text}' không phải ngày (ghi ngày/tháng/năm, ví dụ 31/12/2026)"
    if day < today:
        return None, f"hạn trả lời {day:%d/%m/%Y} đã qua"
    return datetime.combine(day, time(17, 0)), None  # 24:00 in Vietnam is 17:00 UTC


def phone_number(text: str) -> str | None:
    """A phone number as kept: digits (and a leading +); Excel's lost leading 0 put back. None if not one.

    Examples
    --------
    >>> phone_number("0912 345 678"), phone_number("912345678"), phone_number("+84 912.345.678"), phone_number("x")
    ('0912345678', '0912345678', '+84912345678', None)
    """
    digits = "".join(ch for ch in text if ch not in " .-()")
    if digits.endswith(".0"):
        digits = digits[:-2]
    plus = digits.startswith("+")
    digits = digits.lstrip("+")
    if not (digits.isascii() and digits.isdigit()) or not 8 <= len(digits) <= 15:
        return None
    if not plus and len(digits) == 9 and digits[0] != "0":  # a mobile number Excel read as a number
        digits = "0" + digits
    return ("+" if plus else "") + digits


def parse_invitations(data: bytes, catalogue: Catalogue) -> list[NewInvitation]:
    """Personal links from ``name,group,unit,email,phone,expires`` (only ``group`` is required; group and
    unit by code or name; ``expires``, "Hạn trả lời": the link's last day, see :func:`link_deadline`)."""
    rows = read_rows(data, ("group",), ("name", "unit", "email", "phone", "expires"))
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    problems: list[tuple[int, str]] = []
    result = []
    for number, r in rows:
        before = len(problems)
        group = catalogue.group(r["group"])
        unit, why = catalogue.unit(r["unit"]) if r.get("unit") else (None, None)
        if group is None:
            problems.append((number, f"không có đối tượng '{r['group']}' (dùng: {catalogue.group_choices()})"))
        if why:
            problems.append((number, why))
        if group is not None:
            rules = catalogue.cset.group_by_code[group.code].rates
            if any(rule.how == "own" for rule in rules) and unit is None and not r.get("unit"):
                problems.append((number, f"{group.name} đánh giá đơn vị của mình: cần cột 'unit' (đơn vị)"))
        email, phone = r.get("email") or None, r.get("phone") or None
        if email and (not EMAIL.fullmatch(email) or len(email) > 200):
            problems.append((number, f"thư điện tử '{email}' không hợp lệ"))
        if phone and phone_number(phone) is None:
            problems.append((number, f"số điện thoại '{phone}' không hợp lệ"))
        expires_at, why = link_deadline(r["expires"], today) if r.get("expires") else (None, None)
        if why:
            problems.append((number, why))
        if len(problems) == before:
            result.append(NewInvitation(group, unit, r.get("name") or None, email,
                                        phone_number(phone) if phone else None, number, expires_at))
    if problems:
        raise CsvProblems(problems)
    return result
