"""Campaigns, dates, units, the sample plan, the preview and the dashboard. Thin views:
parse, call :mod:`survey_app.operations`, render; the request commits once."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from questionnaires import CriteriaSetError, read_set_texts

from .. import operations as ops
from ..campaigns import available_sets, campaign_criteria, campaign_progress, create_campaign
from ..csv_import import CsvProblems, check_units, parse_plan, parse_units
from ..dashboard import response_dashboard
from ..exports import safe_text
from ..extensions import db_session
from ..models import LEVELS, Campaign, RespondentGroup, SampleTarget, Unit
from ..respondents import Assignment
from ..submission import Page, field_blocks
from ..users import current_user, roles_required
from . import bp

READERS = ("admin", "analyst")
UPLOAD_LIMIT = 2 * 1024 * 1024


def campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db_session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def unit_and_group(campaign_id: int, unit_code: str, group_code: str):
    """The unit and respondent group of a campaign named by code (``None`` where unknown)."""
    session = db_session()
    unit = session.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit_code))
    group = session.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                         RespondentGroup.code == group_code))
    return unit, group


def actor() -> str:
    return current_user().username


def uploaded(field: str = "file") -> bytes | None:
    file = request.files.get(field)
    if file is None or not file.filename:
        flash("Xin chọn một tệp CSV.", "error")
        return None
    return file.read(UPLOAD_LIMIT + 1)


def show_problems(exc: CsvProblems, what: str) -> None:
    flash(f"{what}: không nhập gì vì tệp có {len(exc.problems)} lỗi.", "error")
    for number, message in exc.problems[:50]:
        flash(f"Dòng {number}: {message}" if number else message, "error")


def csv_response(filename: str, headers, rows) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([safe_text(v) for v in row] for row in rows)  # a typed name cannot become a formula
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def to_local(value: datetime | None) -> str:
    return "" if value is None else (value + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")


def from_local(text: str) -> datetime | None:
    """A ``datetime-local`` input (Vietnam time) as naive UTC; ``None`` when empty."""
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M") - timedelta(hours=7)  # Vietnam is UTC+7 all year


@bp.get("/")
@roles_required(*READERS)
def index():
    session = db_session()
    campaigns = session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return render_template("admin/index.html", progress=[campaign_progress(session, c) for c in campaigns])


@bp.route("/dot/moi", methods=["GET", "POST"])
@roles_required("admin")
def new_campaign():
    sets = available_sets(current_app.config.get("SETS_DIR"))
    errors: list[str] = []
    form = request.form
    if request.method == "POST":
        name = form.get("name", "").strip()
        year = int(form["year"]) if form.get("year", "").isdigit() else None
        if not name or len(name) > 200:
            errors.append("Xin nhập tên đợt khảo sát (tối đa 200 ký tự).")
        if year is None or not 2000 <= year <= 2100:
            errors.append("Năm phải là một số từ 2000 đến 2100.")
        if form.get("set") not in sets:
            errors.append("Xin chọn một bộ tiêu chí.")
        session = db_session()
        if name and session.scalar(select(func.count()).select_from(Campaign).where(Campaign.name == name)):
            errors.append(f"Đã có đợt khảo sát tên “{name}”.")
        if not errors:
            try:
                campaign = create_campaign(session, year=year, name=name, actor=actor(),
                                           criteria_texts=read_set_texts(sets[form["set"]]))
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
    return render_template("admin/campaign.html", campaign=campaign, cset=campaign_criteria(campaign),
                           progress=campaign_progress(db_session(), campaign), to_local=to_local)


@bp.post("/dot/<int:campaign_id>/lich")
@roles_required("admin")
def schedule(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    try:
        opens, closes = from_local(request.form.get("opens_at", "")), from_local(request.form.get("closes_at", ""))
    except ValueError:
        abort(400)
    status = request.form.get("status", campaign.status)
    if opens and closes and closes <= opens:
        flash("Ngày kết thúc phải sau ngày bắt đầu.", "error")
    elif status not in ("draft", "open", "closed"):
        abort(400)
    else:
        seconds = request.form.get("min_web_seconds", str(campaign.min_web_seconds))
        ops.set_schedule(db_session(), campaign, status, opens, closes, actor(),
                         double_entry=request.form.get("double_entry", "1" if campaign.double_entry else "0") == "1",
                         min_web_seconds=int(seconds) if seconds.isdigit() else campaign.min_web_seconds)
        flash("Đã lưu lịch khảo sát.", "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.get("/dot/<int:campaign_id>/don-vi")
@roles_required(*READERS)
def units(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    all_units = db_session().scalars(select(Unit).where(Unit.campaign_id == campaign_id).order_by(Unit.level, Unit.id)).all()
    return render_template("admin/units.html", campaign=campaign, units=all_units, levels=LEVELS)


@bp.post("/dot/<int:campaign_id>/don-vi")
@roles_required("admin")
def add_unit(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    session = db_session()
    existing = {u.code: u for u in session.scalars(select(Unit).where(Unit.campaign_id == campaign_id))}
    if "file" in request.files:
        data = uploaded()
        if data is None:
            return redirect(url_for("admin.units", campaign_id=campaign_id))
        try:
            new_units = parse_units(data, existing)
        except CsvProblems as exc:
            show_problems(exc, "Nhập đơn vị")
            return redirect(url_for("admin.units", campaign_id=campaign_id))
    else:
        row = {k: request.form.get(k, "").strip() for k in ("code", "name", "level", "parent")}
        try:
            new_units = check_units([(0, row)], existing)
        except CsvProblems as exc:
            for _n, message in exc.problems:
                flash(message[:1].upper() + message[1:] + ".", "error")
            return redirect(url_for("admin.units", campaign_id=campaign_id))
    added = ops.add_units(session, campaign, new_units, actor())
    flash(f"Đã thêm {len(added)} đơn vị.", "ok")
    return redirect(url_for("admin.units", campaign_id=campaign_id))


def _plan_grid(campaign: Campaign):
    """[(level, [groups], [(unit, {group_id: target})])] for the levels the set surveys."""
    session = db_session()
    cset = campaign_criteria(campaign)
    targets = {(t.unit_id, t.group_id): t.target
               for t in session.scalars(select(SampleTarget).where(SampleTarget.campaign_id == campaign.id))}
    grid = []
    for level in cset.levels:
        if not level.surveyed:
            continue
        groups = [g for g in campaign.groups if cset.group_by_code[g.code].rule_for(level.code)]
        units = session.scalars(select(Unit).where(Unit.campaign_id == campaign.id, Unit.level == level.code).order_by(Unit.id)).all()
        grid.append((level, groups, [(u, {g.id: targets.get((u.id, g.id), 0) for g in groups}) for u in units]))
    return grid


@bp.get("/dot/<int:campaign_id>/ke-hoach")
@roles_required(*READERS)
def plan(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    return render_template("admin/plan.html", campaign=campaign, grid=_plan_grid(campaign))


@bp.post("/dot/<int:campaign_id>/ke-hoach")
@roles_required("admin")
def save_plan(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    session = db_session()
    if "file" in request.files:
        data = uploaded()
        if data is None:
            return redirect(url_for("admin.plan", campaign_id=campaign_id))
        units = {u.code: u for u in session.scalars(select(Unit).where(Unit.campaign_id == campaign_id))}
        try:
            rows = parse_plan(data, units, {g.code: g for g in campaign.groups}, campaign_criteria(campaign))
        except CsvProblems as exc:
            show_problems(exc, "Nhập kế hoạch mẫu")
            return redirect(url_for("admin.plan", campaign_id=campaign_id))
    else:
        rows, bad = [], 0
        for level, groups, unit_rows in _plan_grid(campaign):
            for unit, _targets in unit_rows:
                for group in groups:
                    value = request.form.get(f"t_{unit.id}_{group.id}", "").strip()
                    if value.isdigit() and int(value) <= 100_000:
                        rows.append((unit, group, int(value)))
                    elif value:
                        bad += 1
        if bad:
            flash(f"Không lưu gì: {bad} ô không phải số nguyên không âm.", "error")
            return redirect(url_for("admin.plan", campaign_id=campaign_id))
    changed = ops.set_targets(session, campaign, rows, actor())
    flash(f"Đã lưu kế hoạch mẫu ({changed} ô thay đổi).", "ok")
    return redirect(url_for("admin.plan", campaign_id=campaign_id))


@bp.get("/dot/<int:campaign_id>/ke-hoach.csv")
@roles_required(*READERS)
def plan_csv(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    rows = [(u.code, g.code, targets[g.id]) for _lv, groups, unit_rows in _plan_grid(campaign)
            for u, targets in unit_rows for g in groups]
    return csv_response(f"ke-hoach-mau-{campaign.year}.csv", ("unit", "group", "target"), rows)


@bp.get("/dot/<int:campaign_id>/xem-truoc/<level>/<group>")
@roles_required(*READERS)
def preview(campaign_id: int, level: str, group: str):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    questionnaire = cset.questionnaire(level, group)
    if questionnaire is None:
        abort(404)
    sample = db_session().scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.level == level).order_by(Unit.id))
    sample = sample or Unit(id=0, code="mau", name=f"(Đơn vị mẫu — {cset.level_by_code[level].name})", level=level)
    page = Page(1, Assignment(cset.level_by_code[level], cset.group_by_code[group].rule_for(level).how, questionnaire, [sample]), sample)
    return render_template("respond/page.html", page=page, total=1, blocks=field_blocks(cset, page), answers={},
                           errors={}, token=None, preview=questionnaire)


@bp.get("/dot/<int:campaign_id>/tien-do")
@roles_required(*READERS)
def dashboard(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    level = request.args.get("cap") or None
    group = request.args.get("doi_tuong") or None
    if level not in (None, *cset.level_by_code) or group not in (None, *cset.group_by_code):
        abort(404)
    board = response_dashboard(db_session(), campaign, level=level, group=group)
    return render_template("admin/dashboard.html", campaign=campaign, board=board, cset=cset, level=level, group=group)
