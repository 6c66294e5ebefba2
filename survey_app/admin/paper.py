"""Printing paper ballots, reconciling double entries, reviewing ballots, the audit log."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from .. import paper
from ..campaigns import campaign_criteria
from ..extensions import db_session
from ..links import qr_svg
from ..models import CHANNELS, AuditEntry, PaperSerial, SampleTarget, Unit
from ..review import FLAGS, STATE_LABELS, ReviewError, ballots_for_review, change_state
from ..users import current_user, roles_required
from . import bp
from .routes import READERS, actor, campaign_or_404, unit_and_group

AUDIT_PAGE = 100


@bp.get("/dot/<int:campaign_id>/phieu-giay")
@roles_required("admin")
def paper_ballots(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    s = db_session()
    cset = campaign_criteria(campaign)
    printed = s.execute(
        select(PaperSerial.unit_id, PaperSerial.group_id, PaperSerial.status, func.count(),
               func.min(PaperSerial.serial), func.max(PaperSerial.serial))
        .where(PaperSerial.campaign_id == campaign_id)
        .group_by(PaperSerial.unit_id, PaperSerial.group_id, PaperSerial.status)).all()
    targets = {(t.unit_id, t.group_id): t.target for t in s.scalars(select(SampleTarget).where(SampleTarget.campaign_id == campaign_id))}
    groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "qr", "mixed")]
    units = s.scalars(select(Unit).where(Unit.campaign_id == campaign_id, Unit.level != "xa").order_by(Unit.level, Unit.id)).all()
    printed_per_cell: dict[tuple[int, int], int] = {}
    for unit_id, group_id, _status, n, _first, _last in printed:
        printed_per_cell[(unit_id, group_id)] = printed_per_cell.get((unit_id, group_id), 0) + n
    plan = [(u, g, targets[(u.id, g.id)], printed_per_cell.get((u.id, g.id), 0))
            for u in units for g in groups if targets.get((u.id, g.id))]
    return render_template("admin/paper.html", campaign=campaign, printed=printed, plan=plan, groups=groups,
                           units=units, unit_by_id={u.id: u for u in units},
                           group_by_id={g.id: g for g in campaign.groups})


@bp.post("/dot/<int:campaign_id>/phieu-giay")
@roles_required("admin")
def print_paper_ballots(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    unit, group = unit_and_group(campaign_id, request.form.get("unit", ""), request.form.get("group", ""))
    count = request.form.get("count", "")
    questionnaire = campaign_criteria(campaign).questionnaire(unit.level, group.code) if unit and group else None
    if questionnaire is None or not count.isdigit() or not 1 <= int(count) <= 1000:
        flash("Chọn đơn vị, đối tượng có phiếu cho đơn vị đó, và số phiếu từ 1 đến 1000.", "error")
        return redirect(url_for("admin.paper_ballots", campaign_id=campaign_id))
    serials = paper.reserve_serials(db_session(), campaign, unit, group, int(count), actor())
    return redirect(url_for("admin.print_sheet", campaign_id=campaign_id, tu=serials[0].serial, den=serials[-1].serial))


@bp.get("/dot/<int:campaign_id>/phieu-giay/in")
@roles_required("admin")
def print_sheet(campaign_id: int):
    """A4 ballots, one per page, for serials ``tu``..``den`` (as reserved together)."""
    campaign = campaign_or_404(campaign_id)
    first, last = paper.clean_serial(request.args.get("tu", "")), paper.clean_serial(request.args.get("den", ""))
    if first is None or last is None:
        abort(404)
    serials = db_session().scalars(select(PaperSerial).where(
        PaperSerial.campaign_id == campaign_id, PaperSerial.serial >= first, PaperSerial.serial <= last
    ).order_by(PaperSerial.serial).limit(1000)).all()
    if not serials:
        abort(404)
    cset = campaign_criteria(campaign)
    sheets = []
    for serial in serials:
        qn = paper.questionnaire_of(cset, serial)
        items = [(n, item, cset.scale_by_code[cset.question_by_key[(serial.unit.level, item.question)].scale])
                 for n, item in enumerate(qn.items, 1)]
        svg = qr_svg(serial.serial)
        sheets.append((serial, qn, items, svg[svg.index("<svg"):]))
    return render_template("admin/paper_print.html", campaign=campaign, sheets=sheets, digit_options=paper.digit_options)


@bp.get("/dot/<int:campaign_id>/doi-chieu")
@roles_required("admin")
def conflicts(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    serials = db_session().scalars(select(PaperSerial).where(PaperSerial.campaign_id == campaign_id,
                                                             PaperSerial.status == "conflict").order_by(PaperSerial.serial)).all()
    return render_template("admin/conflicts.html", campaign=campaign, serials=serials)


@bp.route("/dot/<int:campaign_id>/doi-chieu/<serial>", methods=["GET", "POST"])
@roles_required("admin")
def reconcile(campaign_id: int, serial: str):
    campaign = campaign_or_404(campaign_id)
    s = db_session()
    paper_serial = s.scalar(select(PaperSerial).where(PaperSerial.campaign_id == campaign_id, PaperSerial.serial == serial))
    if paper_serial is None or paper_serial.status != "conflict":
        abort(404)
    entries, differing = paper.differences(s, paper_serial)
    if request.method == "POST":
        chosen = {q: request.form.get(f"q_{q}", "") for q in differing}
        try:
            paper.reconcile(s, paper_serial, chosen, current_user())
        except paper.EntryRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã đối chiếu phiếu {serial}: phiếu đã được xác minh.", "ok")
            return redirect(url_for("admin.conflicts", campaign_id=campaign_id))
    cset = campaign_criteria(campaign)
    level = paper_serial.unit.level
    rows = [(n, item, cset.scale_by_code[cset.question_by_key[(level, item.question)].scale], item.question in differing)
            for n, item in enumerate(paper.questionnaire_of(cset, paper_serial).items, 1)]
    return render_template("admin/reconcile.html", campaign=campaign, serial=paper_serial, entries=entries, rows=rows,
                           differing=differing)


@bp.route("/dot/<int:campaign_id>/duyet", methods=["GET"])
@roles_required(*READERS)
def review(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    args = request.args
    state, channel, flag = args.get("trang_thai") or None, args.get("kenh") or None, args.get("co") or None
    group_id = int(args["doi_tuong"]) if args.get("doi_tuong", "").isdigit() else None
    if state not in (None, *STATE_LABELS) or channel not in (None, *CHANNELS) or flag not in (None, *FLAGS):
        abort(404)
    rows, total = ballots_for_review(db_session(), campaign, state, channel, group_id, flag)
    return render_template("admin/review.html", campaign=campaign, rows=rows, total=total, flags=FLAGS,
                           states=STATE_LABELS, channels=CHANNELS, args=args)


@bp.post("/dot/<int:campaign_id>/duyet")
@roles_required("admin")
def review_change(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    ids = [int(x) for x in request.form.getlist("ballot") if x.isdigit()]
    if not ids:
        flash("Chưa chọn phiếu nào.", "error")
    else:
        try:
            changed = change_state(db_session(), campaign, ids, request.form.get("state", ""),
                                   request.form.get("reason"), actor(), current_user().id)
        except ReviewError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã chuyển {changed} phiếu sang “{STATE_LABELS[request.form['state']]}”.", "ok")
    return redirect(url_for("admin.review", campaign_id=campaign_id, **{k: v for k, v in request.args.items()}))


@bp.get("/nhat-ky")
@roles_required("admin")
def audit_log():
    """Who changed what and when. Read only: the database refuses edits of this table."""
    args = request.args
    query = select(AuditEntry)
    for column, key in ((AuditEntry.entity, "doi_tuong"), (AuditEntry.actor, "nguoi"), (AuditEntry.action, "thao_tac")):
        if args.get(key):
            query = query.where(column == args[key])
    if args.get("ma"):
        query = query.where(AuditEntry.entity_id == args["ma"])
    page = int(args["trang"]) if args.get("trang", "").isdigit() and int(args["trang"]) > 0 else 1
    s = db_session()
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    entries = s.scalars(query.order_by(AuditEntry.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)).all()
    choices = {key: s.scalars(select(column).distinct().order_by(column)).all()
               for column, key in ((AuditEntry.entity, "doi_tuong"), (AuditEntry.actor, "nguoi"), (AuditEntry.action, "thao_tac"))}
    return render_template("admin/audit.html", entries=entries, total=total, page=page, pages=max(1, -(-total // AUDIT_PAGE)),
                           args=args, choices=choices)
