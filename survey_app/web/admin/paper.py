"""Printing paper ballots and reconciling blind double entries (admin)."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ...extensions import db_session
from ...models import PaperSerial
from ...outputs.qr import qr_svg
from ...services import bulk_print, paper, serials
from ...services.campaigns import campaign_criteria
from ...services.units import rated_pairs
from ..common import (
    actor,
    campaign_or_404,
    collecting_or_back,
    current_user,
    first_error,
    roles_required,
    unit_and_group,
)
from . import bp
from .forms import IssueCountForm, PaperReprintForm, SerialRangeQuery, reconcile_form
from .print_all import print_all_panel


def _paper_groups(campaign):
    cset = campaign_criteria(campaign)
    return [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "qr", "mixed")]


@bp.get("/dot/<int:campaign_id>/phieu-giay")
@roles_required("admin")
def paper_ballots(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    s = db_session()
    groups = _paper_groups(campaign)
    pairs = rated_pairs(campaign, groups)
    units = list(dict.fromkeys(u for u, _g in pairs))
    return render_template("admin/paper.html", campaign=campaign, printed=serials.printed_batches(s, campaign_id),
                           plan=bulk_print.plan_cells(s, campaign, bulk_print.PrintFilter()), pairs=pairs,
                           unit_by_id={u.id: u for u in units}, group_by_id={g.id: g for g in campaign.groups},
                           print_all=print_all_panel(campaign, "phieu-giay"), reprint=PaperReprintForm(formdata=None))


@bp.post("/dot/<int:campaign_id>/phieu-giay")
@roles_required("admin")
def print_paper_ballots(campaign_id: int):
    """Reserve serials for a unit × group and print them; past what the plan lacks only with a reason."""
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.paper_ballots"):
        return closed
    form = IssueCountForm()
    valid = form.validate()
    unit, group = unit_and_group(campaign_id, *form.codes())
    questionnaire = campaign_criteria(campaign).questionnaire(unit.level, group.code) if unit and group else None
    back = redirect(url_for("admin.paper_ballots", campaign_id=campaign_id))
    if not valid or questionnaire is None:
        flash("Chọn đơn vị, đối tượng có phiếu cho đơn vị đó, và số phiếu từ 1 đến 1000.", "error")
        return back
    s = db_session()
    cell = bulk_print.cell_of(s, campaign, unit, group)
    reason = form.ly_do.data or ""
    try:
        extra = bulk_print.check_over_plan(cell, form.count.data, reason, "phiếu giấy")
    except bulk_print.OverPlan as refused:
        flash(str(refused), "error")
        return back
    made = serials.reserve_serials(s, campaign, unit, group, form.count.data, actor())
    if extra:
        bulk_print.record_over_plan(s, campaign, cell, "phiếu giấy", form.count.data, extra, reason, actor(),
                                    current_user().id)
    return redirect(url_for("admin.print_sheet", campaign_id=campaign_id, tu=made[0].serial, den=made[-1].serial))


def _sheets(cset, found) -> list[tuple]:
    sheets = []
    for serial in found:
        qn = paper.questionnaire_of(cset, serial)
        items = paper.ballot_items(cset, qn)
        svg = qr_svg(serial.serial)
        sheets.append((serial, qn, paper.printed_sections(items), paper.marking_help(items), svg[svg.index("<svg"):]))
    return sheets


def _print_page(campaign, found, heading: str) -> str:
    """The print page of ``found`` ballots, with the reprint choices above them (not printed)."""
    return render_template("admin/paper_print.html", campaign=campaign, lines=paper.COMMENT_LINES,
                           sheets=_sheets(campaign_criteria(campaign), found), heading=heading,
                           reprint=PaperReprintForm(formdata=None),
                           pairs=rated_pairs(campaign, _paper_groups(campaign)))


@bp.get("/dot/<int:campaign_id>/phieu-giay/in")
@roles_required("admin")
def print_sheet(campaign_id: int):
    """A4 ballots, one per page, for serials ``tu``..``den`` (as reserved together: the new ones)."""
    campaign = campaign_or_404(campaign_id)
    query = SerialRangeQuery()
    if not query.validate():
        abort(404)
    first, last = serials.clean_serial(query.tu.data or ""), serials.clean_serial(query.den.data or "")
    if first is None or last is None:
        abort(404)
    found = serials.serials_between(db_session(), campaign_id, first, last)
    if not found:
        abort(404)
    return _print_page(campaign, found, "Phiếu giấy mới phát hành")


def _typed_serials(text: str) -> tuple[list[str], list[str]]:
    """The serials typed (one a line, or separated by commas or semicolons), cleaned, and those not valid."""
    good, bad = [], []
    for part in re.split(r"[,;\n]+", text):
        if part.strip():
            clean = serials.clean_serial(part)
            (good if clean else bad).append(clean or part.strip())
    return list(dict.fromkeys(good)), bad


@bp.post("/dot/<int:campaign_id>/phieu-giay/in-lai")
@roles_required("admin")
def reprint_paper(campaign_id: int):
    """Print again paper ballots already issued: every one of a unit × group, or the serials typed. Audited;
    nothing new is issued (a reprint carries the same serials)."""
    campaign = campaign_or_404(campaign_id)
    back = redirect(url_for("admin.paper_ballots", campaign_id=campaign_id))
    form = PaperReprintForm()
    if not form.validate():
        flash(first_error(form), "error")
        return back
    s = db_session()
    if form.chon.data == "o":
        unit_code, _, group_code = (form.pair.data or "").partition("|")
        unit, group = unit_and_group(campaign_id, unit_code, group_code)
        if unit is None or group is None:
            flash("Chọn đơn vị — đối tượng cần in lại từ danh sách.", "error")
            return back
        found = list(s.scalars(select(PaperSerial).where(
            PaperSerial.campaign_id == campaign_id, PaperSerial.unit_id == unit.id,
            PaperSerial.group_id == group.id).order_by(PaperSerial.serial)))
        words = f"mọi phiếu của {unit.name} — {group.name}"
    else:
        typed, bad = _typed_serials(form.so.data or "")
        found = list(s.scalars(select(PaperSerial).where(PaperSerial.campaign_id == campaign_id,
                                                         PaperSerial.serial.in_(typed or [""]))
                               .order_by(PaperSerial.serial)))
        unknown = bad + sorted(set(typed) - {p.serial for p in found})
        if unknown or not typed:
            flash("Không in lại: " + (f"mã phiếu không có trong đợt này hoặc sai chữ số kiểm tra: {', '.join(unknown)}."
                                      if unknown else "chưa gõ mã phiếu nào (mỗi dòng một mã)."), "error")
            return back
        words = "các mã phiếu đã gõ"
    if not found:
        flash("Ô đơn vị × đối tượng này chưa có phiếu giấy nào để in lại.", "error")
        return back
    bulk_print.record_paper_reprint(s, campaign, [p.serial for p in found], words, actor(), current_user().id)
    return _print_page(campaign, found, f"In lại {len(found)} phiếu giấy đã phát hành ({words}); "
                                        "lần in lại đã ghi vào nhật ký")


@bp.get("/dot/<int:campaign_id>/doi-chieu")
@roles_required("admin")
def conflicts(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    return render_template("admin/conflicts.html", campaign=campaign,
                           serials=serials.conflicting_serials(db_session(), campaign_id))


@bp.route("/dot/<int:campaign_id>/doi-chieu/<serial>", methods=["GET", "POST"])
@roles_required("admin")
def reconcile(campaign_id: int, serial: str):
    campaign = campaign_or_404(campaign_id)
    s = db_session()
    paper_serial = serials.serial_of(s, campaign_id, serial[:40])
    if paper_serial is None or paper_serial.status != "conflict":
        abort(404)
    entries, differing = paper.differences(s, paper_serial)
    form = reconcile_form(differing)()
    if form.is_submitted():
        if not form.validate():
            flash(first_error(form), "error")
        else:
            chosen = {q: form[f"q_{q}"].data or "" for q in differing}
            try:
                paper.reconcile(s, paper_serial, chosen, current_user())
            except paper.EntryRefused as exc:
                flash(str(exc), "error")
            else:
                flash(f"Đã đối chiếu phiếu {serial}: phiếu đã được xác minh.", "ok")
                return redirect(url_for("admin.conflicts", campaign_id=campaign_id))
    cset = campaign_criteria(campaign)
    items = paper.ballot_items(cset, paper.questionnaire_of(cset, paper_serial))
    rows = [(item, {code: label for _key, code, label in item.options}, item.question in differing) for item in items]
    return render_template("admin/reconcile.html", campaign=campaign, serial=paper_serial, entries=entries, rows=rows,
                           differing=differing, skip_key=paper.SKIP_KEY)
