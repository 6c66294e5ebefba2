"""A campaign's criteria set as a workbook: download it, replace a draft campaign's set with an edited one,
and see what differs from another campaign's set."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from questionnaires.diff import set_changes
from questionnaires.rules import summary_line
from questionnaires.workbook import WorkbookError, export_workbook, import_workbook

from ...extensions import db_session
from ...models import Campaign
from ...services import campaigns as campaign_service
from ...services.criteria import replace_criteria
from ..common import READERS, XLSX_TYPE, actor, campaign_or_404, roles_required
from . import bp
from .forms import CompareQuery, UploadForm


def show_workbook_problems(problems, what: str) -> None:
    """Flash every problem of a workbook (sheet, row, column)."""
    flash(f"{what}: không dùng được tệp vì có {len(problems)} lỗi.", "error")
    for problem in problems[:60]:
        text = str(problem)
        flash(text[:1].upper() + text[1:], "error")


@bp.get("/dot/<int:campaign_id>/bo-tieu-chi")
@roles_required(*READERS)
def criteria(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_service.campaign_criteria(campaign)
    others = [c for c in campaign_service.all_campaigns(db_session()) if c.id != campaign.id]
    query = CompareQuery()
    other = None
    if query.validate() and query.so_sanh.data:
        other = db_session().get(Campaign, query.so_sanh.data)
        if other is None:
            abort(404)
    changes = set_changes(campaign_service.campaign_criteria(other), cset) if other else None
    return render_template("admin/criteria.html", campaign=campaign, cset=cset, summary=summary_line(cset),
                           others=others, other=other, changes=changes)


@bp.get("/dot/<int:campaign_id>/bo-tieu-chi.xlsx")
@roles_required(*READERS)
def criteria_workbook(campaign_id: int):
    """The campaign's criteria set as a workbook, to read or edit in Excel."""
    from flask import Response

    campaign = campaign_or_404(campaign_id)
    data = export_workbook(campaign_service.campaign_criteria(campaign))
    return Response(data, mimetype=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="bo-tieu-chi-{campaign.year}.xlsx"'})


@bp.post("/dot/<int:campaign_id>/bo-tieu-chi")
@roles_required("admin")
def replace_criteria_view(campaign_id: int):
    """Replace a draft campaign's set with an edited workbook (checked whole: every problem listed). The
    workbook is read and its set checked before the request's write session takes the lock."""
    back = redirect(url_for("admin.criteria", campaign_id=campaign_id))
    data = UploadForm().read()
    if data is None:
        return back
    try:
        texts, cset = import_workbook(data)
    except WorkbookError as exc:
        show_workbook_problems(exc.problems, "Thay bộ tiêu chí")
        return back
    campaign = campaign_or_404(campaign_id)
    try:
        notes = replace_criteria(db_session(), campaign, texts, actor(), cset)
    except campaign_service.CampaignError as exc:
        flash(str(exc), "error")
        return back
    flash("Đã thay bộ tiêu chí." + (f" {'; '.join(notes).capitalize()}." if notes else ""), "ok")
    return back
