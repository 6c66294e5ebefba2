"""Imports beside the ballots: appraisal points, commune results, last year's table (admin)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from scoring import TableProblems

from ..extensions import db_session
from ..results import KINDS, import_results
from ..users import roles_required
from . import bp
from .routes import UPLOAD_LIMIT, actor, campaign_or_404

TEMPLATES = {
    "appraisal": "unit,1,2,3,4,5,6,7,total  — hoặc chỉ: unit,total (mã hoặc tên đơn vị; dấu phẩy thập phân được)",
    "communes": "commune,district,index,class  (tên hoặc mã xã, huyện; chỉ số và/hoặc xếp loại)",
    "previous": "unit,index,rank,class",
}


@bp.get("/dot/<int:campaign_id>/ket-qua-nhap")
@roles_required("admin")
def results(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    return render_template("admin/results.html", campaign=campaign, kinds=KINDS, templates=TEMPLATES)


@bp.post("/dot/<int:campaign_id>/ket-qua-nhap/<kind>")
@roles_required("admin")
def import_file(campaign_id: int, kind: str):
    if kind not in KINDS:
        abort(404)
    campaign = campaign_or_404(campaign_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Xin chọn một tệp CSV hoặc Excel (.xlsx).", "error")
        return redirect(url_for("admin.results", campaign_id=campaign.id))
    data = file.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        flash("Tệp quá lớn (tối đa 2 MB).", "error")
        return redirect(url_for("admin.results", campaign_id=campaign.id))
    session = db_session()
    try:
        stored = import_results(session, campaign, kind, file.filename, data, actor())  # checks every row before writing
    except TableProblems as error:
        flash(f"Không nhập {KINDS[kind]}: tệp {file.filename} có {len(error.problems)} lỗi, chưa thay đổi gì.", "error")
        for problem in error.problems[:50]:
            flash(str(problem), "error")
        return redirect(url_for("admin.results", campaign_id=campaign.id))
    flash(f"Đã nhập {KINDS[kind]}: {stored} dòng từ {file.filename} (thay cho lần nhập trước).", "ok")
    return redirect(url_for("admin.results", campaign_id=campaign.id))
