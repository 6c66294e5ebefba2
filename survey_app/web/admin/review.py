"""Reviewing ballots (admins change states, analysts read; a page per ballot shows what may be read of its
answers) and the audit log (admin). Both lists are paged (:mod:`.listing`)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ...extensions import db_session
from ...models import CHANNELS
from ...services.audit import audit_page, disputed_links
from ...services.audit_words import choice_words, shown_entries
from ...services.campaigns import campaign_criteria
from ...services.review import FLAGS, STATE_LABELS, ReviewError, ballots_for_review, change_state, quality_flags
from ...services.review_answers import ballot_answers
from ..common import READERS, actor, campaign_or_404, current_user, roles_required
from . import bp
from .forms import AuditFilter, PageQuery, ReviewChangeForm, ReviewFilter
from .listing import PER_PAGE, Page, bounds

AUDIT_PAGE = 100
REVIEW_PAGE = PER_PAGE
CHANNEL_WORDS = {"web": "Trực tuyến", "qr": "Thẻ QR", "paper": "Giấy", "api": "Qua API"}


def _review_filter() -> ReviewFilter:
    form = ReviewFilter()
    if not form.validate():
        abort(404)
    return form


def _page_number() -> int | None:
    form = PageQuery()
    if not form.validate():
        abort(404)
    return form.trang.data


@bp.get("/dot/<int:campaign_id>/duyet")
@roles_required(*READERS)
def review(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = _review_filter()
    filters = (form.trang_thai.data or None, form.kenh.data or None, form.doi_tuong.data, form.co.data or None)
    wanted = _page_number() or 1
    rows, total = ballots_for_review(db_session(), campaign, *filters, limit=REVIEW_PAGE,
                                     offset=(wanted - 1) * REVIEW_PAGE)
    page, pages, offset = bounds(total, wanted, REVIEW_PAGE)
    if page != wanted:  # past the last page: the last one
        rows, total = ballots_for_review(db_session(), campaign, *filters, limit=REVIEW_PAGE, offset=offset)
    return render_template("admin/review.html", campaign=campaign, rows=rows, total=total, flags=FLAGS,
                           states=STATE_LABELS, channels=CHANNELS, args=form.filters(),
                           page=Page(rows, total, page, pages, REVIEW_PAGE), channel_words=CHANNEL_WORDS,
                           disputed=disputed_links(db_session(), campaign.id))


@bp.get("/dot/<int:campaign_id>/duyet/<ballot_id>")  # a ballot id is 63-bit: more than <int:> takes
@roles_required(*READERS)
def review_ballot(campaign_id: int, ballot_id: str):
    """One ballot's answers, read before its state is changed: a paper ballot at any time, a respondent's own
    (web, QR card) only after close and without what could point to the person
    (:mod:`survey_app.services.review_answers`)."""
    campaign = campaign_or_404(campaign_id)
    if not (ballot_id.isascii() and ballot_id.isdigit() and len(ballot_id) <= 19):
        abort(404)
    args = _review_filter().filters()
    if number := _page_number():
        args["trang"] = str(number)
    shown = ballot_answers(db_session(), campaign, campaign_criteria(campaign), int(ballot_id))
    if shown is None:
        abort(404)
    return render_template("admin/review_ballot.html", campaign=campaign, shown=shown, ballot=shown.ballot,
                           flags=FLAGS,
                           ballot_flags=sorted(quality_flags(db_session(), campaign).get(shown.ballot.id, ())),
                           states=STATE_LABELS, channel_words=CHANNEL_WORDS, args=args)


@bp.post("/dot/<int:campaign_id>/duyet")
@roles_required("admin")
def review_change(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    filters = _review_filter().filters()
    if number := _page_number():
        filters["trang"] = str(number)
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
                           pages=page.pages, args=form.filters(), choices=choices,
                           listing=Page(page.entries, page.total, page.page, page.pages, AUDIT_PAGE))
