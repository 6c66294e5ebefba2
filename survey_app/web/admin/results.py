"""Imports beside the ballots: appraisal points, commune results, last year's table (admin)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for

from scoring import TableProblems

from ...extensions import db_session
from ...outputs.exports import csv_chunks, xlsx_file
from ...outputs.import_templates import APPRAISAL_PREFIX, result_template_kinds, results_template_sheets
from ...services.campaigns import campaign_criteria
from ...services.replacing import stored_import
from ...services.results import KINDS, check_import, reformed_from, store_import
from ..common import actor, campaign_or_404, read_session, readable_campaign_or_404, roles_required, send_temporary
from . import bp
from .confirm import EXPIRED, NOT_TICKED, Confirmation, drop_file, keep_file, peek_file, render_confirmation
from .forms import PendingFileForm, UploadForm
from .sipas_source import sipas_source_form  # also registers its route: the setting shown when the set asks

TEMPLATES = {  # the columns of each import, in the words of its template (outputs/import_templates.py)
    "appraisal": "Đơn vị, một cột cho mỗi lĩnh vực (tên lĩnh vực), Tổng điểm thẩm định — hoặc chỉ Đơn vị và Tổng "
                 "điểm thẩm định. Đơn vị ghi bằng tên hoặc mã; dấu phẩy thập phân được.",
    "communes": "Huyện, Xã, Chỉ số và/hoặc Xếp loại (xã và huyện ghi bằng tên hoặc mã).",
    "previous": "Đơn vị, Chỉ số, Xếp hạng, Xếp loại.",
}
TEMPLATE_OF = {"appraisal": APPRAISAL_PREFIX, "communes": "ket-qua-xa", "previous": "nam-truoc"}


@bp.get("/dot/<int:campaign_id>/ket-qua-nhap")
@roles_required("admin")
def results(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if campaign_criteria(campaign).is_sipas:  # no appraisal points, communes' results or last year's PAR table
        abort(404)
    files = result_template_kinds(campaign_criteria(campaign))
    downloads = {kind: [(k, title) for k, title in files if k.startswith(TEMPLATE_OF[kind])] for kind in KINDS}
    return render_template("admin/results.html", campaign=campaign, kinds=KINDS, templates=TEMPLATES,
                           downloads=downloads, sipas_form=sipas_source_form(campaign))


@bp.get("/dot/<int:campaign_id>/ket-qua-nhap/mau/<kind>.<fmt>")
@roles_required("admin")
def results_template(campaign_id: int, kind: str, fmt: str):
    """A results file to fill in (appraisal of one level, communes' results, last year's table): Vietnamese
    headings and the campaign's units already listed."""
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    if fmt not in ("csv", "xlsx") or cset.is_sipas or kind not in dict(result_template_kinds(cset)):
        abort(404)
    last_year = reformed_from(db_session(), campaign) if kind == "nam-truoc" else None
    columns, rows, sheets = results_template_sheets(kind, campaign, cset, last_year)
    filename = f"{kind}-{campaign.year}.{fmt}"
    if fmt == "xlsx":
        return send_temporary(xlsx_file(sheets), filename)
    return Response(csv_chunks(columns, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _sipas(campaign_id: int) -> bool:
    """Whether the campaign is a SIPAS one (no such imports), read without taking the write lock: a POST's
    own session would hold it while the file is read (tests/test_robustness.py)."""
    with read_session() as s:
        return campaign_criteria(readable_campaign_or_404(s, campaign_id)).is_sipas


def _checked(campaign_id: int, kind: str, filename: str, data: bytes):
    """The file read and checked (no write lock), or None once every problem was flashed."""
    with read_session() as s:
        try:
            return check_import(s, readable_campaign_or_404(s, campaign_id), kind, filename, data)
        except TableProblems as error:
            flash(f"Không nhập {KINDS[kind]}: tệp {filename} có {len(error.problems)} lỗi, chưa thay đổi gì.",
                  "error")
            for problem in error.problems[:50]:
                flash(str(problem), "error")
            return None


def _replace_confirmation(campaign, kind: str, checked, stored, token: str, error: str = "") -> Confirmation:
    """What storing ``checked`` replaces, for its confirmation page (issue 30 item 2)."""
    what = KINDS[kind]
    lines = [f"Hiện có {what} của {stored.units} đơn vị" + (f" (lần nhập trước: {stored.last})" if stored.last else "")
             + ": bị thay hết.", f"Sau khi thay: {checked.count} dòng từ tệp {checked.filename}.",
             "Điểm số, xếp hạng và báo cáo tính lại theo tệp mới."]
    return Confirmation(
        title=f"Thay {what} đã nhập?", consequences=lines,
        irreversible=f"{what} hiện có bị xoá; muốn trở lại, nhập lại tệp trước (nếu còn giữ).",
        action=url_for("admin.confirm_import", campaign_id=campaign.id, kind=kind), hidden=[("tep", token)],
        cancel=url_for("admin.results", campaign_id=campaign.id), button=f"Thay {what}",
        confirm_label=f"Tôi xác nhận thay {what} bằng tệp {checked.filename}.", error=error)


@bp.post("/dot/<int:campaign_id>/ket-qua-nhap/<kind>")
@roles_required("admin")
def import_file(campaign_id: int, kind: str):
    if kind not in KINDS or _sipas(campaign_id):
        abort(404)
    back = redirect(url_for("admin.results", campaign_id=campaign_id))
    form = UploadForm()
    data = form.read()
    if data is None:
        return back
    filename = form.file.data.filename
    checked = _checked(campaign_id, kind, filename, data)  # every row read and checked before the write lock
    if checked is None:
        return back
    campaign = campaign_or_404(campaign_id)
    stored = stored_import(db_session(), campaign, kind, getattr(checked, "levels", ()))
    if stored.units:  # it would replace an earlier import: say what, and ask
        token = keep_file(f"import:{kind}", campaign.id, data, filename)
        return render_confirmation(campaign, _replace_confirmation(campaign, kind, checked, stored, token))
    count = store_import(db_session(), campaign, checked, actor())
    flash(f"Đã nhập {KINDS[kind]}: {count} dòng từ {filename}.", "ok")
    return back


@bp.post("/dot/<int:campaign_id>/ket-qua-nhap/<kind>/xac-nhan")
@roles_required("admin")
def confirm_import(campaign_id: int, kind: str):
    """Store the file kept by :func:`import_file` in place of the earlier import, once confirmed."""
    if kind not in KINDS or _sipas(campaign_id):
        abort(404)
    back = redirect(url_for("admin.results", campaign_id=campaign_id))
    form = PendingFileForm()
    if not form.validate():
        abort(400)
    kept = peek_file(form.tep.data, f"import:{kind}", campaign_id)
    if kept is None:
        flash(EXPIRED, "error")
        return back
    data, filename = kept
    checked = _checked(campaign_id, kind, filename, data)  # checked again: units may have changed meanwhile
    if checked is None:
        return back
    campaign = campaign_or_404(campaign_id)
    if not form.xac_nhan.data:
        stored = stored_import(db_session(), campaign, kind, getattr(checked, "levels", ()))
        return render_confirmation(campaign, _replace_confirmation(campaign, kind, checked, stored, form.tep.data,
                                                                   error=NOT_TICKED))
    count = store_import(db_session(), campaign, checked, actor())
    drop_file(form.tep.data)
    flash(f"Đã nhập {KINDS[kind]}: {count} dòng từ {filename} (thay cho lần nhập trước).", "ok")
    return back
