"""Files to fill in and import: units, the sample plan, the people to invite, each with this campaign's
real codes and names, an example, and (in XLSX) a second sheet listing what may be typed.

The headings are the Vietnamese ones the imports accept (see ``services/csv_import.ALIASES``). An
example row says "xoá dòng này" (delete this row), and the import refuses a file that still holds one.
"""
from __future__ import annotations

from collections import Counter

from questionnaires import CriteriaSet

from ..models import Campaign
from ..services.csv_import import EXAMPLE_MARK
from ..services.succession import KIND_NAMES
from .exports import Column, Sheet

HOW = {"own": "của mình", "each": "mọi đơn vị", "choose": "tự chọn"}
KINDS = ("don-vi", "ke-hoach", "danh-sach-moi")

UNIT_COLUMNS = [Column("code", "Mã", width=14), Column("name", "Tên", width=36), Column("level", "Cấp", width=12),
                Column("parent", "Thuộc", width=24)]
PLAN_COLUMNS = [Column("unit", "Đơn vị", width=36), Column("group", "Đối tượng", width=36),
                Column("target", "Số phiếu", "integer")]
INVITATION_COLUMNS = [Column("name", "Họ tên", width=26), Column("group", "Đối tượng", width=34),
                      Column("unit", "Đơn vị", width=30), Column("email", "Thư điện tử", width=26),
                      Column("phone", "Điện thoại", width=14), Column("expires", "Hạn trả lời", width=14)]
CATALOGUE_COLUMNS = [Column("what", "Loại", width=12), Column("code", "Mã", width=16), Column("name", "Tên", width=40),
                     Column("note", "Ghi chú", width=44)]


def _level_name(cset: CriteriaSet, code: str) -> str:
    level = cset.level_by_code.get(code)
    return level.name if level else code


def catalogue(campaign: Campaign, cset: CriteriaSet) -> Sheet:
    """What may be typed in a file: levels, groups (with what they rate) and the campaign's units."""
    rows = [("Cấp", lv.code, lv.name, "có khảo sát" if lv.surveyed else "không khảo sát") for lv in cset.levels]
    for group in campaign.groups:
        rule = cset.group_by_code.get(group.code)
        rates = "; ".join(f"{_level_name(cset, r.level)} ({HOW[r.how]})" for r in rule.rates) if rule else ""
        rows.append(("Đối tượng", group.code, group.name, f"đánh giá {rates}"))
    for unit in sorted(campaign.units, key=lambda u: (u.level, u.id)):
        rows.append(("Đơn vị", unit.code, unit.name, _level_name(cset, unit.level)
                     + (f", thuộc {unit.parent.name}" if unit.parent else "")))
    return Sheet("Danh mục", CATALOGUE_COLUMNS, rows,
                 note="Ghi mã hoặc đúng tên như trong danh mục này (không phân biệt chữ hoa, chữ thường).")


def units_rows(campaign: Campaign, cset: CriteriaSet) -> list[tuple]:
    """An example unit of each level of the set; a level under another names an example parent."""
    rows = []
    existing = {u.level: u for u in campaign.units}
    for level in cset.levels:
        parent = ""
        if level.parent:
            above = existing.get(level.parent)
            parent = above.name if above else f"{cset.level_by_code[level.parent].name} Ví dụ ({EXAMPLE_MARK})"
        rows.append((f"{level.code}_moi", f"{level.name} Ví dụ ({EXAMPLE_MARK})", level.name, parent))
    return rows


def plan_rows(grid) -> list[tuple]:
    """Every cell of the sample plan with its current number, by name (by code where two units share
    a name): edit the numbers, import again."""
    names = Counter(unit.name for level in grid for unit, _ in level.rows)
    return [(unit.name if names[unit.name] == 1 else unit.code, group.name, targets[group.id])
            for level in grid for unit, targets in level.rows for group in level.groups]


def invitation_rows(campaign: Campaign, cset: CriteriaSet) -> list[tuple]:
    """One example row per group reached by link, with a unit of the level it rates."""
    rows = []
    for group in campaign.groups:
        rule = cset.group_by_code.get(group.code)
        if rule is None or rule.reached_by != "link":
            continue
        own = next((r for r in rule.rates if r.how == "own"), None)
        unit = next((u for u in campaign.units if own and u.level == own.level), None) if own else None
        rows.append((f"Nguyễn Văn A (ví dụ, {EXAMPLE_MARK})", group.name, unit.name if unit else "",
                     "", "", ""))
    return rows


def template_sheets(kind: str, campaign: Campaign, cset: CriteriaSet, grid) -> tuple[list[Column], list[tuple],
                                                                                       list[Sheet]]:
    """(columns, rows, sheets) of the template ``kind``: the columns and rows of its CSV, and the sheets
    of its XLSX (the same table, then the catalogue)."""
    if kind == "don-vi":
        columns, rows, title = UNIT_COLUMNS, units_rows(campaign, cset), "Đơn vị"
        note = "Mỗi dòng một đơn vị; đơn vị cấp dưới ghi đơn vị cấp trên ở cột Thuộc (mã hay tên). Xoá các dòng ví dụ."
    elif kind == "ke-hoach":
        columns, rows, title = PLAN_COLUMNS, plan_rows(grid), "Kế hoạch mẫu"
        note = "Sửa cột Số phiếu rồi nhập lại; dòng bị xoá giữ nguyên số cũ."
    elif kind == "danh-sach-moi":
        columns, rows, title = INVITATION_COLUMNS, invitation_rows(campaign, cset), "Danh sách mời"
        note = ("Mỗi dòng một người nhận một đường link riêng. Chỉ cột Đối tượng là bắt buộc. Hạn trả lời (tuỳ chọn, "
                "ngày/tháng/năm): sau ngày đó link báo hết hạn. Xoá các dòng ví dụ.")
    else:
        raise KeyError(kind)
    listing = catalogue(campaign, cset)
    listing = Sheet(listing.title, listing.columns, listing.rows, note=f"{title}: {note} {listing.note}")
    return columns, rows, [Sheet(title, columns, rows), listing]  # no note above the header: it is imported


SUCCESSION_COLUMNS = [Column("old_code", "Mã đơn vị cũ", width=16), Column("old_name", "Tên đơn vị cũ", width=32),
                      Column("new_code", "Mã đơn vị mới", width=16), Column("new_name", "Tên đơn vị mới", width=32),
                      Column("kind", "Loại thay đổi", width=14)]


def succession_sheets(previous: Campaign | None, campaign: Campaign | None) -> tuple[list[Column], list[tuple],
                                                                                      list[Sheet]]:
    """(columns, rows, sheets) of the unit-succession template: a row per unit of last year's campaign
    ``previous``, "giữ nguyên" already filled in where ``campaign`` has a unit of the same code (the kind
    left empty elsewhere: the import asks for it), or everywhere when ``campaign`` is None (a file for
    the copy step, which makes the new campaign); then the kinds and ``campaign``'s units."""
    if campaign is None:  # for a copy: every unit kept until the file says otherwise
        rows = [(u.code, u.name, u.code, u.name, KIND_NAMES["kept"]) for u in previous.units]
    else:
        here = {u.code: u for u in campaign.units}
        rows = [(u.code, u.name, u.code if u.code in here else "", here[u.code].name if u.code in here else "",
                 KIND_NAMES["kept"] if u.code in here else "") for u in (previous.units if previous else [])]
    meaning = {"kept": "cùng đơn vị, cùng tên", "renamed": "cùng đơn vị, tên mới (ghi Tên đơn vị mới)",
               "merged": "nhiều đơn vị cũ, mỗi đơn vị một dòng, cùng một Mã đơn vị mới",
               "split": "một đơn vị cũ, nhiều dòng, mỗi đơn vị mới một dòng",
               "abolished": "không còn đơn vị kế thừa: để trống Mã đơn vị mới"}
    listing = [("Loại thay đổi", code, name, meaning[code]) for code, name in KIND_NAMES.items()]
    listing += [("Đơn vị năm nay", u.code, u.name, "") for u in (campaign.units if campaign else [])]
    note = ("Kế thừa đơn vị: mỗi đơn vị năm trước ít nhất một dòng. Mã đơn vị mới phải là mã một đơn vị của đợt "
            "này (thêm đơn vị ở trang Đơn vị trước); khi tạo đợt mới bằng sao chép, đơn vị mới được tạo theo tệp.")
    return SUCCESSION_COLUMNS, rows, [Sheet("Kế thừa đơn vị", SUCCESSION_COLUMNS, rows),
                                      Sheet("Danh mục", CATALOGUE_COLUMNS, listing, note=note)]


# --- results beside the ballots (issue 30 item 4): appraisal per level, communes' results, last year's table --------

APPRAISAL_PREFIX = "tham-dinh-"  # + a level code: the appraisal template of that level
RESULT_KINDS = ("ket-qua-xa", "nam-truoc")


def _named(units) -> list[str]:
    """Each unit by its name, by its code where two share a name (the import takes either)."""
    names = Counter(u.name for u in units)
    return [u.name if names[u.name] == 1 else u.code for u in units]


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def result_template_kinds(cset: CriteriaSet) -> list[tuple[str, str]]:
    """(kind, title) of every results template of the set: one appraisal template per surveyed level with an
    appraisal, then the communes' results (when a level is classed by its communes) and last year's table."""
    from scoring.final import ruled_levels

    kinds = [(f"{APPRAISAL_PREFIX}{lv.code}", f"Điểm thẩm định {lv.name.lower()}") for lv in cset.levels
             if lv.surveyed and lv.appraisal_max]
    if ruled_levels(cset):
        kinds.append(("ket-qua-xa", "Kết quả xếp loại cấp xã"))
    return kinds + [("nam-truoc", "Kết quả năm trước")]


def results_template_sheets(kind: str, campaign: Campaign, cset: CriteriaSet, last_year: Campaign | None = None
                            ) -> tuple[list[Column], list[tuple], list[Sheet]]:
    """(columns, rows, sheets) of a results template (:func:`result_template_kinds`): Vietnamese headings on
    row 1 (the import reads them), the units already listed by name, the points left to fill in; a second
    sheet says how. ``last_year``: the campaign whose units last year's table names (across a reform).

    Raises
    ------
    KeyError
        ``kind`` is not a template of the set.
    """
    from scoring.final import ruled_levels
    from scoring.readers import APPRAISAL_TOTAL, APPRAISAL_UNIT

    if kind.startswith(APPRAISAL_PREFIX):
        level = cset.level_by_code.get(kind.removeprefix(APPRAISAL_PREFIX))
        if level is None or not level.surveyed or not level.appraisal_max:
            raise KeyError(kind)
        columns = [Column("unit", APPRAISAL_UNIT, width=40)]
        columns += [Column(f"field_{f.code}", f.name, "number", width=18) for f in cset.fields]
        columns.append(Column("total", APPRAISAL_TOTAL, "number", width=16))
        units = [u for u in campaign.units if u.level == level.code]
        rows = [(name, *([None] * len(cset.fields)), None) for name in _named(units)]
        most = "; ".join(f"{f.name}: {_number(level.field_appraisal_max[f.code])}" for f in cset.fields
                         if f.code in level.field_appraisal_max)
        note = [("Cách điền", f"Mỗi dòng một đơn vị {level.name.lower()} (đã có sẵn tên). Ghi điểm từng lĩnh vực, "
                              f"hoặc chỉ ghi cột “{APPRAISAL_TOTAL}”; ghi cả hai thì tổng phải bằng tổng các lĩnh "
                              "vực. Dấu phẩy thập phân được (ví dụ 12,5)."),
                ("Điểm tối đa", f"{APPRAISAL_TOTAL}: {_number(level.appraisal_max)}" + (f"; {most}" if most else "")),
                ("Khi nhập", f"Tệp thay điểm thẩm định {level.name.lower()} đã nhập trước đó; điểm các cấp khác giữ "
                             "nguyên. Không xoá hay đổi tên các cột.")]
        title = f"Thẩm định {level.name.lower()}"
    elif kind == "ket-qua-xa":
        ruled = ruled_levels(cset)
        if not ruled:
            raise KeyError(kind)
        columns = [Column("district", "Huyện", width=32), Column("commune", "Xã", width=32),
                   Column("index", "Chỉ số", "number", width=12), Column("class", "Xếp loại", width=14)]
        by_id = {u.id: u for u in campaign.units}
        rows = [(by_id[u.parent_id].name if u.parent_id in by_id else "", u.name, None, None)
                for u in campaign.units if u.level in set(ruled.values())]
        note = [("Cách điền", "Mỗi dòng một xã (đã có sẵn tên xã và huyện). Ghi Chỉ số (0–100) và/hoặc Xếp loại."),
                ("Xếp loại", ", ".join(b.name for b in cset.classes)),
                ("Khi nhập", "Tệp thay toàn bộ kết quả cấp xã đã nhập trước đó.")]
        title = "Kết quả cấp xã"
    elif kind == "nam-truoc":
        columns = [Column("unit", APPRAISAL_UNIT, width=40), Column("index", "Chỉ số", "number", width=12),
                   Column("rank", "Xếp hạng", "integer", width=10), Column("class", "Xếp loại", width=14)]
        listed = (last_year or campaign).units
        scored = [u for u in listed if (lv := cset.level_by_code.get(u.level)) is None or lv.surveyed]
        rows = [(name, None, None, None) for name in _named(scored)]
        note = [("Cách điền", "Kết quả năm trước của mỗi đơn vị: Chỉ số, Xếp hạng (1, 2, …) và Xếp loại như đã "
                              "công bố. Đơn vị năm nay không còn thì bỏ qua."),
                ("Khi nhập", "Tệp thay toàn bộ kết quả năm trước đã nhập trước đó.")]
        title = "Kết quả năm trước"
    else:
        raise KeyError(kind)
    guide = Sheet("Hướng dẫn", [Column("what", "Mục", width=16), Column("how", "Nội dung", width=90)], note)
    return columns, rows, [Sheet(title, columns, rows), guide]  # no note above the header: it is imported
