"""Imports beside the ballots: appraisal points, commune results, last year's table (admin)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from scoring import TableProblems

from ...extensions import db_session
from ...services.campaigns import campaign_criteria
from ...services.results import KINDS, check_import, store_import
from ..common import actor, campaign_or_404, read_session, readable_campaign_or_404, roles_required
from . import bp
from .forms import UploadForm
from .sipas_source import sipas_source_form  # also registers its route: the setting shown when the set asks

TEMPLATES = {
    "appraisal": "unit,1,2,3,4,5,6,7,total  — hoặc chỉ: unit,total (mã hoặc tên đơn vị; dấu phẩy thập phân được)",
    "communes": "commune,district,index,class  (tên hoặc mã xã, huyện; chỉ số và/hoặc xếp loại)",
    "previous": "unit,index,rank,class",
}


@bp.get("/dot/<int:campaign_id>/ket-qua-nhap")
@roles_required("admin")
def results(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if campaign_criteria(campaign).is_sipas:  # no appraisal points, communes' results or last year's PAR table
        abort(404)
    return render_template("admin/results.html", campaign=campaign, kinds=KINDS, templates=TEMPLATES,
                           sipas_form=sipas_source_form(campaign))


@bp.post("/dot/<int:campaign_id>/ket-qua-nhap/<kind>")
@roles_required("admin")
def import_file(campaign_id: int, kind: str):
    if kind not in KINDS or campaign_criteria(campaign_or_404(campaign_id)).is_sipas:
        abort(404)
    back = redirect(url_for("admin.results", campaign_id=campaign_id))
    form = UploadForm()
    data = form.read()
    if data is None:
        return back
    filename = form.file.data.filename
    with read_session() as s:  # every row is read and checked before anything takes the write lock
        try:
            checked = check_import(s, readable_campaign_or_404(s, campaign_id), kind, filename, data)
        except TableProblems as error:
            flash(f"Không nhập {KINDS[kind]}: tệp {filename} có {len(error.problems)} lỗi, chưa thay đổi gì.",
                  "error")
            for problem in error.problems[:50]:
                flash(str(problem), "error")
            return back
    stored = store_import(db_session(), campaign_or_404(campaign_id), checked, actor())
    flash(f"Đã nhập {KINDS[kind]}: {stored} dòng từ {filename} (thay cho lần nhập trước).", "ok")
    return back
