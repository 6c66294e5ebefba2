"""Reviewing ballots (admins change states, analysts read) and the audit log (admin)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ...extensions import db_session
from ...models import CHANNELS
from ...services.audit import audit_page, disputed_links
from ...services.audit_words import choice_words, shown_entries
from ...services.review import FLAGS, STATE_LABELS, ReviewError, ballots_for_review, change_state
from ..common import READERS, actor, campaign_or_404, current_user, roles_required
from . import bp
from .forms import AuditFilter, ReviewChangeForm, ReviewFilter

AUDIT_PAGE = 100


def _review_filter() -> ReviewFilter:
    form = ReviewFilter()
    if not form.validate():
        abort(404)
    return form


@bp.get("/dot/<int:campaign_id>/duyet")
@roles_required(*READERS)
def review(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = _review_filter()
    rows, total = ballots_for_review(db_session(), campaign, form.trang_thai.data or None, form.kenh.data or None,
                                     form.doi_tuong.data, form.co.data or None)
    return render_template("admin/review.html", campaign=campaign, rows=rows, total=total, flags=FLAGS,
                           states=STATE_LABELS, channels=CHANNELS, args=form.filters(),
                           disputed=disputed_links(db_session(), campaign.id))


@bp.post("/dot/<int:campaign_id>/duyet")
@roles_required("admin")
def review_change(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    filters = _review_filter().filters()
    form = ReviewChangeForm()
    if not form.validate():
        flash("Trạng thái hoặc lý do không hợp lệ.", "error")
    elif not form.ballot.data:
        flash("Chưa chọn phiếu nào.", "error")
    else:
        try:
            changed = change_state(db_session(), campaign, form.ballot.data, form.state.data, form.reason.data,
                                   actor(), current_user().id)
        except ReviewError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã chuyển {changed} phiếu sang “{STATE_LABELS[form.state.data]}”.", "ok")
    return redirect(url_for("admin.review", campaign_id=campaign_id, **filters))


@bp.get("/nhat-ky")
@roles_required("admin")
def audit_log():
    """Who changed what and when. Read only: the database refuses edits of this table."""
    form = AuditFilter()
    if not form.validate():
        abort(404)
    page = audit_page(db_session(), {"entity": form.doi_tuong.data, "actor": form.nguoi.data,
                                     "action": form.thao_tac.data, "entity_id": form.ma.data},
                      form.trang.data or 1, AUDIT_PAGE)
    choices = choice_words({"doi_tuong": page.choices["entity"], "nguoi": page.choices["actor"],
                            "thao_tac": page.choices["action"]})
    return render_template("admin/audit.html", entries=page.entries,
                           shown=shown_entries(db_session(), page.entries), total=page.total, page=page.page,
                           pages=page.pages, args=form.filters(), choices=choices)
