"""A campaign's units and its sample plan: typed in, imported (CSV or XLSX, by code or by name), deleted
while nothing hangs on them or else retired ("ngừng sử dụng"), each after a confirmation page; and the
template files to fill in."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from ...extensions import db_session
from ...models import Unit, UnitSuccession
from ...outputs.exports import csv_chunks, xlsx_file
from ...outputs.import_templates import KINDS, succession_sheets, template_sheets
from ...services import succession
from ...services import units as unit_service
from ...services.campaigns import campaign_criteria, group_total
from ...services.csv_import import Catalogue, CsvProblems, check_units, parse_plan, parse_units
from ..common import (
    READERS,
    actor,
    campaign_or_404,
    csv_response,
    first_error,
    read_session,
    readable_campaign_or_404,
    roles_required,
    send_temporary,
    show_problems,
)
from . import bp
from .confirm import NOT_TICKED, Confirmation, render_confirmation
from .forms import ConfirmForm, RemoveForm, SuccessionEditForm, SuccessionUploadForm, UnitForm, UploadForm, plan_form

HOW_NOTE = {"each": "mỗi người đánh giá mọi đơn vị: tổng là số người", "own": "mỗi người đánh giá đơn vị của mình",
            "choose": "mỗi người tự chọn đơn vị: tổng là số lượt đánh giá"}


def _catalogue(campaign) -> Catalogue:
    return Catalogue(campaign, campaign_criteria(campaign))


def checked_file(campaign_id: int, parse, what: str):
    """The rows of the uploaded file, parsed against the campaign's names and codes, or None once the
    person has been told why not. The file is read and checked in a session of its own, before the
    request takes the write lock; nothing is written."""
    data = UploadForm().read()
    if data is None:
        return None
    with read_session() as s:
        try:
            return parse(data, _catalogue(readable_campaign_or_404(s, campaign_id)))
        except CsvProblems as exc:
            show_problems(exc.problems, what)
            return None


@bp.get("/dot/<int:campaign_id>/don-vi")
@roles_required(*READERS)
def units(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    order = {lv.code: i for i, lv in enumerate(cset.levels)}
    ordered = sorted(campaign.units, key=lambda u: (order.get(u.level, 9), u.parent.name if u.parent else "", u.id))
    parent_levels = {lv.parent for lv in cset.levels if lv.parent}
    return render_template("admin/units.html", campaign=campaign, units=ordered, levels=cset.levels,
                           level_names={lv.code: lv.name for lv in cset.levels},
                           child_levels=[lv.name for lv in cset.levels if lv.parent],
                           parents=[u for u in ordered if u.level in parent_levels and not u.retired],
                           referenced=unit_service.referenced_units(db_session(), campaign),
                           succession=succession.succession_table(db_session(), campaign),
                           succession_form=SuccessionUploadForm(), kind_names=succession.KIND_NAMES)


@bp.post("/dot/<int:campaign_id>/don-vi")
@roles_required("admin")
def add_unit(campaign_id: int):
    back = redirect(url_for("admin.units", campaign_id=campaign_id))
    if request.files:
        new_units = checked_file(campaign_id, parse_units, "Nhập đơn vị")
        if new_units is None:
            return back
        campaign = campaign_or_404(campaign_id)
    else:
        campaign = campaign_or_404(campaign_id)
        form = UnitForm()
        if not form.validate():
            flash(first_error(form), "error")
            return back
        row = {k: (form[k].data or "").strip() for k in ("code", "name", "level", "parent")}
        try:
            new_units = check_units([(0, row)], _catalogue(campaign))
        except CsvProblems as exc:
            for _n, message in exc.problems:
                flash(message[:1].upper() + message[1:] + ".", "error")
            return back
    added = unit_service.add_units(db_session(), campaign, new_units, actor())
    flash(f"Đã thêm {len(added)} đơn vị.", "ok")
    return back


def _unit_or_404(campaign, unit_id: int) -> Unit:
    unit = db_session().get(Unit, unit_id)
    if unit is None or unit.campaign_id != campaign.id:
        abort(404)
    return unit


@bp.get("/dot/<int:campaign_id>/don-vi/<int:unit_id>")
@roles_required(*READERS)
def unit_page(campaign_id: int, unit_id: int):
    """One unit: what it is, what hangs on it, and (admin) delete it, retire it or bring it back."""
    campaign = campaign_or_404(campaign_id)
    unit = _unit_or_404(campaign, unit_id)
    levels = campaign_criteria(campaign).level_by_code
    return render_template("admin/unit.html", campaign=campaign, unit=unit,
                           level_name=levels[unit.level].name if unit.level in levels else unit.level,
                           references=unit_service.unit_references(db_session(), unit), form=RemoveForm())


def _delete_confirmation(campaign, unit, references: list[str], error: str = "") -> Confirmation:
    """Deleting ``unit`` when nothing hangs on it; otherwise retiring it instead (what the page offers)."""
    back = url_for("admin.unit_page", campaign_id=campaign.id, unit_id=unit.id)
    if references:
        return Confirmation(
            title=f"Ngừng sử dụng {unit.name}?",
            blocked=f"Không xoá được {unit.name}: đã có {', '.join(references)}. Xoá sẽ làm mất dữ liệu này; "
                    "thay vào đó có thể ngừng sử dụng đơn vị.",
            consequences=[f"{unit.name} không còn trong kế hoạch mẫu; chỉ tiêu của đơn vị không được tính nữa.",
                          "Không tạo được thẻ QR, phiếu giấy hay đường link mới cho đơn vị; đơn vị không còn trong "
                          "các danh sách chọn đơn vị.",
                          "Mọi dữ liệu đã có của đơn vị được giữ nguyên: " + ", ".join(references) + "."],
            undo="bấm “Dùng lại” trên trang của đơn vị: đơn vị trở lại kế hoạch mẫu với chỉ tiêu cũ.",
            action=url_for("admin.retire_unit", campaign_id=campaign.id, unit_id=unit.id), cancel=back,
            button="Ngừng sử dụng", confirm_label=f"Tôi xác nhận ngừng sử dụng {unit.name}.", error=error)
    return Confirmation(
        title=f"Xoá {unit.name}?",
        intro=f"Đơn vị {unit.name} (mã {unit.code}) chưa có đường link, phiếu, kết quả hay hồ sơ nào.",
        consequences=[f"{unit.name} bị xoá khỏi đợt khảo sát.",
                      "Chỉ tiêu của đơn vị trong kế hoạch mẫu và việc phân công nhân viên cho đơn vị bị xoá theo."],
        irreversible="muốn có lại đơn vị phải thêm lại và nhập lại chỉ tiêu. Nếu chỉ tạm thời không dùng, hãy "
                     "chọn “Ngừng sử dụng” trên trang của đơn vị.",
        action=url_for("admin.remove_unit", campaign_id=campaign.id, unit_id=unit.id), cancel=back,
        button="Xoá đơn vị", confirm_label=f"Tôi xác nhận xoá {unit.name}.", error=error)


@bp.route("/dot/<int:campaign_id>/don-vi/<int:unit_id>/xoa", methods=["GET", "POST"])
@roles_required("admin")
def remove_unit(campaign_id: int, unit_id: int):
    """Delete a unit added by mistake, after a confirmation; a unit that data hangs on is offered "Ngừng sử
    dụng" instead (its history kept)."""
    campaign = campaign_or_404(campaign_id)
    unit = _unit_or_404(campaign, unit_id)
    references = unit_service.unit_references(db_session(), unit)
    form = ConfirmForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            abort(400)
        return render_confirmation(campaign, _delete_confirmation(campaign, unit, references))
    if references:  # the page offered retiring; a POST here never deletes it
        return render_confirmation(campaign, _delete_confirmation(campaign, unit, references, error=(
            f"Chưa làm gì: {unit.name} không xoá được.")))
    if not form.xac_nhan.data:
        return render_confirmation(campaign, _delete_confirmation(campaign, unit, references, error=NOT_TICKED))
    name = unit.name
    unit_service.remove_unit(db_session(), unit, actor())
    flash(f"Đã xoá đơn vị {name}.", "ok")
    return redirect(url_for("admin.units", campaign_id=campaign_id))


@bp.route("/dot/<int:campaign_id>/don-vi/<int:unit_id>/ngung", methods=["GET", "POST"])
@roles_required("admin")
def retire_unit(campaign_id: int, unit_id: int):
    """Retire a unit ("Ngừng sử dụng"), after a confirmation; undone by :func:`restore_unit`."""
    campaign = campaign_or_404(campaign_id)
    unit = _unit_or_404(campaign, unit_id)
    references = unit_service.unit_references(db_session(), unit) or ["không có dữ liệu nào"]
    form = ConfirmForm()
    page = _delete_confirmation(campaign, unit, references)
    page.blocked = ""
    if not form.validate_on_submit():
        if form.is_submitted():
            abort(400)
        return render_confirmation(campaign, page)
    if not form.xac_nhan.data:
        page.error = NOT_TICKED
        return render_confirmation(campaign, page)
    unit_service.set_retired(db_session(), unit, True, actor())
    flash(f"Đã ngừng sử dụng {unit.name}. Hoàn tác: bấm “Dùng lại” dưới đây.", "ok")
    return redirect(url_for("admin.unit_page", campaign_id=campaign_id, unit_id=unit_id))


@bp.post("/dot/<int:campaign_id>/don-vi/<int:unit_id>/dung-lai")
@roles_required("admin")
def restore_unit(campaign_id: int, unit_id: int):
    """Bring a retired unit back (the undo of "Ngừng sử dụng"; audited)."""
    campaign = campaign_or_404(campaign_id)
    unit = _unit_or_404(campaign, unit_id)
    if not RemoveForm().validate():
        abort(400)
    unit_service.set_retired(db_session(), unit, False, actor())
    flash(f"Đã dùng lại {unit.name}: đơn vị trở lại kế hoạch mẫu, thẻ QR, phiếu giấy và đường link.", "ok")
    return redirect(url_for("admin.unit_page", campaign_id=campaign_id, unit_id=unit_id))


def _columns(cset, grid) -> list[tuple]:
    """Per level, per group: (level, group, how, total) for the plan's header and totals row."""
    out = []
    for level in grid:
        for group in level.groups:
            how = cset.group_by_code[group.code].rule_for(level.level.code).how
            out.append((level.level.code, group, how, group_total({how}, [t[group.id] for _u, t in level.rows])))
    return out


@bp.get("/dot/<int:campaign_id>/ke-hoach")
@roles_required(*READERS)
def plan(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    grid = unit_service.plan_grid(db_session(), campaign)
    totals = {(lv, g.id): (how, total) for lv, g, how, total in _columns(cset, grid)}
    small = unit_service.small_cells(grid, cset.min_cell)
    return render_template("admin/plan.html", campaign=campaign, grid=[(lv.level, lv.groups, lv.rows) for lv in grid],
                           totals=totals, how_note=HOW_NOTE, min_cell=cset.min_cell,
                           small={(u.id, g.id) for u, g, _t in small},
                           small_note=unit_service.small_cells_message(small, cset.min_cell) if small else None)


@bp.post("/dot/<int:campaign_id>/ke-hoach")
@roles_required("admin")
def save_plan(campaign_id: int):
    back = redirect(url_for("admin.plan", campaign_id=campaign_id))
    if request.files:
        rows = checked_file(campaign_id, parse_plan, "Nhập kế hoạch mẫu")
        if rows is None:
            return back
    campaign = campaign_or_404(campaign_id)
    session = db_session()
    if not request.files:
        grid = unit_service.plan_grid(session, campaign)
        cells = [(lv.level.code, u, g) for lv in grid for u, _t in lv.rows for g in lv.groups]
        columns = sorted({(lv, g.id) for lv, _u, g in cells})
        form = plan_form([(u.id, g.id) for _lv, u, g in cells], columns)()
        if not form.validate():
            bad = sum(1 for field in form if field.errors and field.name != "csrf_token")
            if not bad:
                abort(400)
            flash(f"Không lưu gì: {bad} ô không phải số nguyên không âm.", "error")
            return back
        rows = []
        for lv, u, g in cells:
            whole = form[f"c_{lv}_{g.id}"].data
            value = whole if whole is not None else form[f"t_{u.id}_{g.id}"].data
            if value is not None:
                rows.append((u, g, value))
    changed = unit_service.set_targets(session, campaign, rows, actor())
    flash(f"Đã lưu kế hoạch mẫu ({changed} ô thay đổi).", "ok")
    if request.files:  # imported: say at once which cells stay too small to be published (the page says it too)
        min_cell = campaign_criteria(campaign).min_cell
        small = unit_service.small_cells(unit_service.plan_grid(session, campaign), min_cell)
        if small:
            flash(unit_service.small_cells_message(small, min_cell), "warn")
    return back


@bp.get("/dot/<int:campaign_id>/ke-hoach.csv")
@roles_required(*READERS)
def plan_csv(campaign_id: int):
    """The sample plan by code (``unit,group,target``), for scripts; people use the template."""
    campaign = campaign_or_404(campaign_id)
    rows = [(u.code, g.code, targets[g.id]) for level in unit_service.plan_grid(db_session(), campaign)
            for u, targets in level.rows for g in level.groups]
    return csv_response(f"ke-hoach-mau-{campaign.year}.csv", ("unit", "group", "target"), rows)


@bp.get("/dot/<int:campaign_id>/mau/<kind>.<fmt>")
@roles_required(*READERS)
def import_template(campaign_id: int, kind: str, fmt: str):
    """A file to fill in and import (units, sample plan, people to invite) with this campaign's codes and names."""
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    campaign = campaign_or_404(campaign_id)
    grid = unit_service.plan_grid(db_session(), campaign) if kind == "ke-hoach" else None
    columns, rows, sheets = template_sheets(kind, campaign, campaign_criteria(campaign), grid)
    filename = f"{kind}-{campaign.year}.{fmt}"
    if fmt == "xlsx":
        return send_temporary(xlsx_file(sheets), filename)
    return Response(csv_chunks(columns, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- unit succession (Kế thừa đơn vị từ năm trước) ----------------------------------------------------


def _succession_back(campaign_id: int):
    return redirect(url_for("admin.units", campaign_id=campaign_id, _anchor="ke-thua"))


@bp.post("/dot/<int:campaign_id>/ke-thua")
@roles_required("admin")
def import_succession(campaign_id: int):
    """Replace the campaign's succession table with a file, checked whole: nothing is stored on any error."""
    data = SuccessionUploadForm().read()
    if data is None:
        return _succession_back(campaign_id)
    campaign = campaign_or_404(campaign_id)
    try:
        stored = succession.import_succession(db_session(), campaign, data, actor())
    except CsvProblems as exc:
        show_problems(exc.problems, "Nhập bảng kế thừa đơn vị")
    else:
        flash(f"Đã nhập bảng kế thừa đơn vị: {len(stored)} dòng ({succession.counts_text(stored)}).", "ok")
    return _succession_back(campaign_id)


def _entry_or_404(campaign, entry_id: int) -> UnitSuccession:
    entry = db_session().get(UnitSuccession, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    return entry


@bp.route("/dot/<int:campaign_id>/ke-thua/<int:entry_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_succession(campaign_id: int, entry_id: int):
    """Change one row's new unit and kind; refused, with the reasons, when it would break the table."""
    campaign = campaign_or_404(campaign_id)
    entry = _entry_or_404(campaign, entry_id)
    form = SuccessionEditForm(new_code=entry.new_code or "", kind=entry.kind)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            succession.edit_entry(db_session(), entry, form.new_code.data, form.kind.data, actor())
        except succession.SuccessionError as exc:
            problems = exc.problems
        else:
            flash(f"Đã sửa dòng kế thừa của {entry.old_name}.", "ok")
            return _succession_back(campaign_id)
    elif form.is_submitted():
        problems = [first_error(form)]
    return render_template("admin/succession_edit.html", campaign=campaign, entry=entry, form=form,
                           problems=problems, kind_names=succession.KIND_NAMES), 400 if problems else 200


@bp.route("/dot/<int:campaign_id>/ke-thua/<int:entry_id>/xoa", methods=["GET", "POST"])
@roles_required("admin")
def delete_succession(campaign_id: int, entry_id: int):
    """Ask, then delete one row of the succession table."""
    campaign = campaign_or_404(campaign_id)
    entry = _entry_or_404(campaign, entry_id)
    form = RemoveForm()
    if form.validate_on_submit():
        succession.delete_entry(db_session(), entry, actor())
        flash(f"Đã xoá dòng kế thừa của {entry.old_name}.", "ok")
        return _succession_back(campaign_id)
    return render_template("admin/succession_delete.html", campaign=campaign, entry=entry, form=form,
                           kind_names=succession.KIND_NAMES)


@bp.get("/dot/<int:campaign_id>/mau-ke-thua.<fmt>")
@roles_required(*READERS)
def succession_template(campaign_id: int, fmt: str):
    """The succession file to fill in: last year's units, against this campaign's (``?sao_chep=1``: this
    campaign's units, for the copy step of next year's campaign, every one kept until edited)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    campaign = campaign_or_404(campaign_id)
    if request.args.get("sao_chep") == "1":
        previous, target = campaign, None
    else:
        previous, target = succession.last_year(db_session(), campaign), campaign
    columns, rows, sheets = succession_sheets(previous, target)
    filename = f"ke-thua-don-vi-{campaign.year + (1 if target is None else 0)}.{fmt}"
    if fmt == "xlsx":
        return send_temporary(xlsx_file(sheets), filename)
    return Response(csv_chunks(columns, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
