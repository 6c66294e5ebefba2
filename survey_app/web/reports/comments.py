"""Respondents' comments and a SIPAS campaign's expectations on the report pages (issue 29 items 2 and 4).

- ``/bao-cao/<id>/y-kien``: "Ý kiến của người trả lời", per unit, for admins and analysts, only once the
  campaign is closed (before, a page saying they open at close), under :mod:`...services.comments`' rules;
  ``/bao-cao/<id>/y-kien.csv``: the same comments as CSV (unit, question, text).
- The SIPAS overview (``reports/sipas.html``) includes ``reports/_sipas_extras.html``, which reads the
  campaign's expectations through the template global ``sipas_expectations`` set here.

Comments are a question kind of either kind of set: the SIPAS hook of :mod:`.sipas` lets these pages through
(``COMMENT_PAGES``), and the PAR overview links to them when the set asks a comment question.
"""
from __future__ import annotations

from flask import Response, render_template, request

from ...extensions import db_session
from ...outputs.exports import CSV_FORM_WORD, Column, csv_chunks, csv_form
from ...outputs.sipas_table import percent_text
from ...services.campaigns import sealed
from ...services.comments import campaign_comments, withheld_words
from ...services.sipas_extras import expectations
from ..common import READERS, campaign_or_404, roles_required
from . import bp

CSV_COLUMNS = [Column("unit", "Đơn vị"), Column("question", "Câu hỏi"), Column("text", "Ý kiến")]


@bp.app_template_global("sipas_expectations")
def _sipas_expectations(campaign):
    """The campaign's expectations (:func:`...services.sipas_extras.expectations`) for a page."""
    return expectations(db_session(), campaign)


@bp.app_template_global("share_text")
def _share_text(share) -> str:
    return percent_text(share)


def _closed_or_page(campaign_id: int):
    """``(campaign, None)`` once closed; before, ``(campaign, the page saying comments open at close)``."""
    campaign = campaign_or_404(campaign_id)
    if sealed(campaign):
        return campaign, (render_template("reports/comments_sealed.html", campaign=campaign), 409)
    return campaign, None


@bp.get("/<int:campaign_id>/y-kien")
@roles_required(*READERS)
def comments(campaign_id: int):
    """The respondents' comments per unit (see the module)."""
    campaign, refusal = _closed_or_page(campaign_id)
    if refusal:
        return refusal
    found = campaign_comments(db_session(), campaign)
    return render_template("reports/comments.html", campaign=campaign, found=found,
                           withheld=withheld_words(found.min_cell))


@bp.get("/<int:campaign_id>/y-kien.csv")
@roles_required(*READERS)
def comments_csv(campaign_id: int):
    """The comments shown on the page as CSV: unit, question, text (Excel in Vietnamese, ``?dang=may`` for
    programs); units under the small-cell rule are left out as on the page."""
    campaign, refusal = _closed_or_page(campaign_id)
    if refusal:
        return refusal
    form = csv_form(request.args.get(CSV_FORM_WORD))
    if form is None:
        return Response("Dạng tệp không hợp lệ.", status=404, mimetype="text/plain")
    rows = campaign_comments(db_session(), campaign).rows()
    return Response(csv_chunks(CSV_COLUMNS, rows, form=form), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="y-kien-{campaign.year}.csv"'})
