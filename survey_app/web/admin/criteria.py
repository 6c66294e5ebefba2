"""A campaign's criteria set as a workbook: download it, replace a draft campaign's set with an edited one,
and see what differs from another campaign's set."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from questionnaires.diff import set_changes
from questionnaires.rules import summary_words
from questionnaires.workbook import WorkbookError, export_workbook, import_workbook

from ...extensions import db_session
from ...models import Campaign
from ...services import campaigns as campaign_service
from ...services.criteria import replace_criteria
from ..common import READERS, XLSX_TYPE, actor, campaign_or_404, roles_required
from . import bp
from .confirm import EXPIRED, NOT_TICKED, Confirmation, drop_file, keep_file, peek_file, render_confirmation
from .forms import CompareQuery, PendingFileForm, UploadForm


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
    return render_template("admin/criteria.html", campaign=campaign, cset=cset, summary=summary_words(cset),
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


def _set_counts(cset) -> str:
    """A set's size in words: questions (scored and others), questionnaires, groups, levels."""
    others = len(cset.other_questions)
    return (f"“{cset.name}”: {len(cset.questions)} câu hỏi chấm điểm" + (f" và {others} câu hỏi khác" if others else "")
            + f", {len(cset.questionnaires)} phiếu hỏi, {len(cset.groups)} đối tượng, {len(cset.levels)} cấp")


def _criteria_confirmation(campaign, token: str, filename: str, new_set, error: str = "") -> Confirmation:
    """What replacing the campaign's set with ``new_set`` does, for its confirmation page."""
    old_set = campaign_service.campaign_criteria(campaign)
    changes = set_changes(old_set, new_set)
    old_groups, new_groups = {g.code: g.name for g in old_set.groups}, {g.code: g.name for g in new_set.groups}
    lines = [f"Bộ tiêu chí hiện tại {_set_counts(old_set)}.", f"Sau khi thay: {_set_counts(new_set)} (tệp {filename}).",
             f"{len(changes)} thay đổi về cách chấm điểm" + (": " + "; ".join(c.text for c in changes[:5])
                                                             + ("; …" if len(changes) > 5 else "") if changes else ".")]
    removed = [name for code, name in old_groups.items() if code not in new_groups]
    added = [name for code, name in new_groups.items() if code not in old_groups]
    if removed:
        lines.append(f"Bỏ đối tượng {', '.join(removed)} cùng chỉ tiêu kế hoạch mẫu của đối tượng này.")
    if added:
        lines.append(f"Thêm đối tượng {', '.join(added)} (chỉ tiêu kế hoạch mẫu bằng 0, cần nhập).")
    return Confirmation(
        title="Thay bộ tiêu chí?", consequences=lines,
        irreversible="bộ tiêu chí hiện tại bị thay hẳn. Muốn giữ để trở lại sau, hãy tải “Tải bộ tiêu chí (Excel)” "
                     "trước khi thay: tải tệp đó lên lại sẽ trở về bộ cũ (khi đợt còn đang chuẩn bị).",
        action=url_for("admin.confirm_criteria", campaign_id=campaign.id), hidden=[("tep", token)],
        cancel=url_for("admin.criteria", campaign_id=campaign.id), button="Thay bộ tiêu chí",
        confirm_label="Tôi xác nhận thay bộ tiêu chí của đợt bằng tệp này.", error=error)


@bp.post("/dot/<int:campaign_id>/bo-tieu-chi")
@roles_required("admin")
def replace_criteria_view(campaign_id: int):
    """Check an edited workbook (every problem listed) and ask, on a confirmation page, before it replaces a
    draft campaign's set. The workbook is read and its set checked without the write lock."""
    back = redirect(url_for("admin.criteria", campaign_id=campaign_id))
    form = UploadForm()
    data = form.read()
    if data is None:
        return back
    try:
        _texts, cset = import_workbook(data)
    except WorkbookError as exc:
        show_workbook_problems(exc.problems, "Thay bộ tiêu chí")
        return back
    campaign = campaign_or_404(campaign_id)
    if campaign.status != "draft":
        flash("Chỉ thay được bộ tiêu chí khi đợt khảo sát đang chuẩn bị (chưa mở).", "error")
        return back
    filename = form.file.data.filename or "bo-tieu-chi.xlsx"
    token = keep_file("criteria", campaign.id, data, filename)
    return render_confirmation(campaign, _criteria_confirmation(campaign, token, filename, cset))


@bp.post("/dot/<int:campaign_id>/bo-tieu-chi/xac-nhan")
@roles_required("admin")
def confirm_criteria(campaign_id: int):
    """Replace the set with the workbook checked and kept by :func:`replace_criteria_view`, once confirmed."""
    back = redirect(url_for("admin.criteria", campaign_id=campaign_id))
    form = PendingFileForm()
    if not form.validate():
        abort(400)
    kept = peek_file(form.tep.data, "criteria", campaign_id)
    if kept is None:
        flash(EXPIRED, "error")
        return back
    data, filename = kept
    try:
        texts, cset = import_workbook(data)
    except WorkbookError as exc:  # checked when uploaded; a changed library could still refuse it
        show_workbook_problems(exc.problems, "Thay bộ tiêu chí")
        return back
    campaign = campaign_or_404(campaign_id)
    if not form.xac_nhan.data:
        return render_confirmation(campaign, _criteria_confirmation(campaign, form.tep.data, filename, cset,
                                                                    error=NOT_TICKED))
    try:
        notes = replace_criteria(db_session(), campaign, texts, actor(), cset)
    except campaign_service.CampaignError as exc:
        flash(str(exc), "error")
        return back
    drop_file(form.tep.data)
    flash("Đã thay bộ tiêu chí." + (f" {'; '.join(notes).capitalize()}." if notes else ""), "ok")
    return back
