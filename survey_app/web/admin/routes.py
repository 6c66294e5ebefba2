"""Campaigns, dates, units, the sample plan, the preview and the dashboard. Thin views:
parse a form, call :mod:`survey_app.services`, render; the request commits once."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from questionnaires import CriteriaSetError, read_set_texts

from ...extensions import db_session
from ...models import LEVELS, Unit
from ...services import campaigns as campaign_service
from ...services import closing
from ...services import units as unit_service
from ...services.csv_import import CsvProblems, check_units, parse_plan, parse_units
from ...services.dashboard import response_dashboard
from ...services.drafts import Assignment, Page, field_blocks
from ..common import (
    READERS,
    actor,
    campaign_or_404,
    csv_response,
    current_user,
    first_error,
    from_local,
    read_session,
    readable_campaign_or_404,
    roles_required,
    show_problems,
    to_local,
)
from . import bp
from .forms import CloseForm, DashboardFilter, NewCampaignForm, ScheduleForm, UnitForm, UploadForm, plan_form


@bp.get("/")
@roles_required(*READERS)
def index():
    session = db_session()
    progress = [campaign_service.campaign_progress(session, c) for c in campaign_service.all_campaigns(session)]
    return render_template("admin/index.html", progress=progress)


@bp.route("/dot/moi", methods=["GET", "POST"])
@roles_required("admin")
def new_campaign():
    sets = campaign_service.available_sets(current_app.config.get("SETS_DIR"))
    form = NewCampaignForm(sets)
    errors: list[str] = []
    if form.is_submitted():
        form.validate()
        errors = [message for field in form for message in field.errors]
        session = db_session()
        name = (form.name.data or "").strip()
        if name and campaign_service.name_taken(session, name):
            errors.append(f"Đã có đợt khảo sát tên “{name}”.")
        if not errors:
            try:
                campaign = campaign_service.create_campaign(session, year=form.year.data, name=name, actor=actor(),
                                                            criteria_texts=read_set_texts(sets[form.set.data]))
            except CriteriaSetError as exc:
                errors += [f"Bộ tiêu chí có lỗi — {p}" for p in exc.problems[:20]]
            else:
                flash("Đã tạo đợt khảo sát. Tiếp theo: nhập đơn vị và kế hoạch mẫu.", "ok")
                return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("admin/new_campaign.html", sets=sets, errors=errors, form=form), 400 if errors else 200


@bp.get("/dot/<int:campaign_id>")
@roles_required(*READERS)
def campaign(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    return render_template("admin/campaign.html", campaign=campaign, cset=campaign_service.campaign_criteria(campaign),
                           progress=campaign_service.campaign_progress(db_session(), campaign), to_local=to_local)


@bp.post("/dot/<int:campaign_id>/lich")
@roles_required("admin")
def schedule(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = ScheduleForm()
    if not form.validate():
        abort(400)
    opens, closes = from_local(form.opens_at.data), from_local(form.closes_at.data)
    if opens and closes and closes <= opens:
        flash("Ngày kết thúc phải sau ngày bắt đầu.", "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    double_entry = campaign.double_entry if not form.double_entry.data else form.double_entry.data == "1"
    cross = campaign.cross_district_check if not form.cross_district_check.data \
        else form.cross_district_check.data == "1"
    seconds = campaign.min_web_seconds if form.min_web_seconds.data is None else form.min_web_seconds.data
    try:
        campaign_service.set_schedule(db_session(), campaign, form.status.data, opens, closes, actor(),
                                      double_entry=double_entry, min_web_seconds=seconds, cross_district_check=cross)
    except campaign_service.CampaignError as exc:
        flash(str(exc), "error")
    else:
        flash("Đã lưu lịch khảo sát.", "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.route("/dot/<int:campaign_id>/ket-thuc", methods=["GET", "POST"])
@roles_required("admin")
def close(campaign_id: int):
    """Close the campaign and unseal its results, after a confirmation (audited; cannot be undone)."""
    campaign = campaign_or_404(campaign_id)
    if campaign.status == "closed":
        flash("Đợt khảo sát đã kết thúc.", "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    form = CloseForm()
    error = None
    if form.validate_on_submit():
        if form.confirm.data:
            closing.close_campaign(db_session(), campaign, actor(), current_user().id)
            flash("Đã kết thúc đợt khảo sát và mở niêm phong kết quả.", "ok")
            return redirect(url_for("admin.campaign", campaign_id=campaign_id))
        error = "Xin đánh dấu ô xác nhận trước khi kết thúc đợt khảo sát."
    return render_template("admin/close.html", campaign=campaign, form=form, error=error,
                           note=closing.closing_note(db_session(), campaign)), 400 if error else 200


@bp.get("/dot/<int:campaign_id>/don-vi")
@roles_required(*READERS)
def units(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    ordered = sorted(campaign.units, key=lambda u: (u.level, u.id))
    return render_template("admin/units.html", campaign=campaign, units=ordered, levels=LEVELS)


@bp.post("/dot/<int:campaign_id>/don-vi")
@roles_required("admin")
def add_unit(campaign_id: int):
    back = redirect(url_for("admin.units", campaign_id=campaign_id))
    if request.files:
        data = UploadForm().read()
        if data is None:
            return back
        with read_session() as s:  # the whole file is checked before the write lock is taken
            try:
                new_units = parse_units(data, unit_service.units_by_code(readable_campaign_or_404(s, campaign_id)))
            except CsvProblems as exc:
                show_problems(exc.problems, "Nhập đơn vị")
                return back
        campaign = campaign_or_404(campaign_id)
    else:
        campaign = campaign_or_404(campaign_id)
        existing = unit_service.units_by_code(campaign)
        form = UnitForm()
        if not form.validate():
            flash(first_error(form), "error")
            return back
        row = {k: (form[k].data or "").strip() for k in ("code", "name", "level", "parent")}
        try:
            new_units = check_units([(0, row)], existing)
        except CsvProblems as exc:
            for _n, message in exc.problems:
                flash(message[:1].upper() + message[1:] + ".", "error")
            return back
    added = unit_service.add_units(db_session(), campaign, new_units, actor())
    flash(f"Đã thêm {len(added)} đơn vị.", "ok")
    return back


def _plan_cells(grid) -> list[tuple[Unit, object]]:
    return [(unit, group) for level in grid for unit, _targets in level.rows for group in level.groups]


@bp.get("/dot/<int:campaign_id>/ke-hoach")
@roles_required(*READERS)
def plan(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    grid = unit_service.plan_grid(db_session(), campaign)
    return render_template("admin/plan.html", campaign=campaign,
                           grid=[(lv.level, lv.groups, lv.rows) for lv in grid])


@bp.post("/dot/<int:campaign_id>/ke-hoach")
@roles_required("admin")
def save_plan(campaign_id: int):
    back = redirect(url_for("admin.plan", campaign_id=campaign_id))
    if request.files:
        data = UploadForm().read()
        if data is None:
            return back
        with read_session() as s:  # the whole file is checked before the write lock is taken
            read = readable_campaign_or_404(s, campaign_id)
            try:
                rows = parse_plan(data, unit_service.units_by_code(read), {g.code: g for g in read.groups},
                                  campaign_service.campaign_criteria(read))
            except CsvProblems as exc:
                show_problems(exc.problems, "Nhập kế hoạch mẫu")
                return back
    campaign = campaign_or_404(campaign_id)
    session = db_session()
    if not request.files:
        cells = _plan_cells(unit_service.plan_grid(session, campaign))
        form = plan_form([(u.id, g.id) for u, g in cells])()
        if not form.validate():
            bad = sum(1 for field in form if field.errors and field.name != "csrf_token")
            if not bad:
                abort(400)
            flash(f"Không lưu gì: {bad} ô không phải số nguyên không âm.", "error")
            return back
        rows = [(u, g, form[f"t_{u.id}_{g.id}"].data) for u, g in cells if form[f"t_{u.id}_{g.id}"].data is not None]
    changed = unit_service.set_targets(session, campaign, rows, actor())
    flash(f"Đã lưu kế hoạch mẫu ({changed} ô thay đổi).", "ok")
    return back


@bp.get("/dot/<int:campaign_id>/ke-hoach.csv")
@roles_required(*READERS)
def plan_csv(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    rows = [(u.code, g.code, targets[g.id]) for level in unit_service.plan_grid(db_session(), campaign)
            for u, targets in level.rows for g in level.groups]
    return csv_response(f"ke-hoach-mau-{campaign.year}.csv", ("unit", "group", "target"), rows)


@bp.get("/dot/<int:campaign_id>/xem-truoc/<level>/<group>")
@roles_required(*READERS)
def preview(campaign_id: int, level: str, group: str):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_service.campaign_criteria(campaign)
    questionnaire = cset.questionnaire(level, group)
    if questionnaire is None:
        abort(404)
    sample = next(iter(unit_service.units_of_level(campaign, level)), None)
    sample = sample or Unit(id=0, code="mau", name=f"(Đơn vị mẫu — {cset.level_by_code[level].name})", level=level)
    assignment = Assignment(cset.level_by_code[level], cset.group_by_code[group].rule_for(level).how, questionnaire,
                            [sample])
    page = Page(1, assignment, sample)
    return render_template("question_page.html", page=page, total=1, blocks=field_blocks(cset, page), answers={},
                           errors={}, token=None, preview=questionnaire)


@bp.get("/dot/<int:campaign_id>/tien-do")
@roles_required(*READERS)
def dashboard(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_service.campaign_criteria(campaign)
    form = DashboardFilter()
    level = form.cap.data or None if form.validate() else "?"
    group = form.doi_tuong.data or None
    if level not in (None, *cset.level_by_code) or group not in (None, *cset.group_by_code):
        abort(404)
    board = response_dashboard(db_session(), campaign, level=level, group=group)
    return render_template("admin/dashboard.html", campaign=campaign, board=board, cset=cset, level=level, group=group)
