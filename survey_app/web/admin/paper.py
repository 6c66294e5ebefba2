"""Printing paper ballots and reconciling blind double entries (admin)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ...extensions import db_session
from ...outputs.qr import qr_svg
from ...services import paper, serials
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
from .forms import CountForm, SerialRangeQuery, reconcile_form
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
                           plan=serials.paper_plan(s, campaign, units, groups), pairs=pairs,
                           unit_by_id={u.id: u for u in units}, group_by_id={g.id: g for g in campaign.groups},
                           print_all=print_all_panel(campaign, "phieu-giay"))


@bp.post("/dot/<int:campaign_id>/phieu-giay")
@roles_required("admin")
def print_paper_ballots(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.paper_ballots"):
        return closed
    form = CountForm()
    valid = form.validate()
    unit, group = unit_and_group(campaign_id, *form.codes())
    questionnaire = campaign_criteria(campaign).questionnaire(unit.level, group.code) if unit and group else None
    if not valid or questionnaire is None:
        flash("Chọn đơn vị, đối tượng có phiếu cho đơn vị đó, và số phiếu từ 1 đến 1000.", "error")
        return redirect(url_for("admin.paper_ballots", campaign_id=campaign_id))
    made = serials.reserve_serials(db_session(), campaign, unit, group, form.count.data, actor())
    return redirect(url_for("admin.print_sheet", campaign_id=campaign_id, tu=made[0].serial, den=made[-1].serial))


@bp.get("/dot/<int:campaign_id>/phieu-giay/in")
@roles_required("admin")
def print_sheet(campaign_id: int):
    """A4 ballots, one per page, for serials ``tu``..``den`` (as reserved together)."""
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
    cset = campaign_criteria(campaign)
    sheets = []
    for serial in found:
        qn = paper.questionnaire_of(cset, serial)
        items = paper.ballot_items(cset, qn)
        svg = qr_svg(serial.serial)
        sheets.append((serial, qn, paper.printed_sections(items), paper.marking_help(items), svg[svg.index("<svg"):]))
    return render_template("admin/paper_print.html", campaign=campaign, sheets=sheets, lines=paper.COMMENT_LINES)


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
