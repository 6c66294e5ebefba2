"""Reports of a SIPAS campaign (issue 29 items 4 and 6): the satisfaction index instead of PAR points.

Every request of the reports blueprint about a campaign goes through :func:`_sipas_campaign` first: on a
campaign whose set is of kind ``sipas`` the overview and the final-results page show the SIPAS results
(:mod:`survey_app.services.sipas_results`), the export of the results table (``ket-qua`` or ``sipas``) gives
the SIPAS table (also as SPSS ``.sav`` and Stata ``.dta``), the chart ``sipas-<level>`` is a level's SIPAS
with its intervals and target (:mod:`survey_app.outputs.sipas_chart`), the raw ballots are exported as for
PAR, the printable page and the Word document are the SIPAS report
(:mod:`survey_app.outputs.sipas_report_docx`, same URLs and file name as PAR's), and every other page or
file, which is made of PAR points (survey points, findings, intervals, charts), answers with a Vietnamese
message that it does not apply. A PAR campaign never reaches this module's views.
"""
from __future__ import annotations

import re

from flask import Response, abort, render_template, request

from ...extensions import db_session
from ...models import Campaign
from ...outputs.ballot_table import ballot_headline, ballot_table
from ...outputs.exports import CSV_FORM_WORD, Sheet, csv_chunks, csv_form, json_chunks, xlsx_file
from ...outputs.sipas_chart import chart_alt, chart_levels, level_chart
from ...outputs.sipas_table import (
    SLUG,
    interval_text,
    method_words,
    percent_text,
    perception_rows,
    rank_words,
    sipas_table,
    target_words,
    weighting_words,
)
from ...services.campaigns import CHANNELS, ballot_counts, campaign_criteria
from ...services.sipas_results import sipas_results
from ..common import READERS, roles_required
from . import bp
from .routes import FORMATS, _download_name, _send_temporary, _unsealed

RAW = ("phieu-dai", "phieu-rong")  # raw ballots: the same for both kinds of set
RESULTS = ("ket-qua", SLUG)  # the results table's export: the SIPAS table on a SIPAS campaign
CHART = re.compile(r"sipas-(\w+)")
NOT_APPLICABLE = {
    "reports.survey_points": "Điểm điều tra xã hội học",
    "reports.findings": "Nhận xét nội dung có ý kiến kém theo điểm",
    "reports.intervals": "Độ tin cậy và khoảng xếp hạng theo điểm",
    "reports.chart": "Biểu đồ điểm",
    "reports.export": "Bảng điểm",
}


def is_sipas(campaign: Campaign) -> bool:
    return campaign_criteria(campaign).is_sipas


COMMENT_PAGES = ("reports.comments", "reports.comments_csv")  # .comments: a question kind of both kinds of set


@bp.before_request
def _sipas_campaign():
    """On a SIPAS campaign, answer in SIPAS words before a PAR view runs (see the module's docstring)."""
    args = request.view_args or {}
    campaign_id = args.get("campaign_id")
    if campaign_id is None:
        return None
    campaign = db_session().get(Campaign, campaign_id)
    if campaign is None or not is_sipas(campaign) or request.endpoint in COMMENT_PAGES:
        return None  # the PAR view (or its 404); the comments pages serve both kinds
    if request.endpoint in ("reports.overview", "reports.final"):
        return sipas_overview(campaign_id)
    if request.endpoint == "reports.printable":
        return sipas_printable(campaign_id)
    if request.endpoint == "reports.document":
        return sipas_document(campaign_id)
    if request.endpoint == "reports.chart" and CHART.fullmatch(args.get("name", "")):
        return sipas_chart(campaign_id, CHART.fullmatch(args["name"]).group(1))
    if request.endpoint == "reports.export":
        if args.get("slug") in RAW:
            return None
        if args.get("slug") in RESULTS:
            return sipas_export(campaign_id, args.get("fmt", ""))
    return not_applicable(campaign_id, NOT_APPLICABLE.get(request.endpoint, "Trang này"))


@roles_required(*READERS)
def sipas_overview(campaign_id: int):
    """The SIPAS results: per level a table of units, the province's figure and target, perception shares."""
    campaign = _unsealed(campaign_id)
    results = sipas_results(db_session(), campaign)
    table = sipas_table(results)
    counts = ballot_counts(db_session(), campaign)
    return render_template("reports/sipas.html", campaign=campaign, results=results, table=table,
                           levels={lv.code: lv.name for lv in results.cset.levels},
                           perception=perception_rows(results), summary=ballot_headline(counts, CHANNELS),
                           province=percent_text(results.province.value), weighting=weighting_words(results),
                           target=target_words(results), percent=percent_text,
                           province_interval=interval_text(*results.province_interval),
                           charts={code: chart_alt(results, code) for code, _name in chart_levels(results)},
                           method=method_words(results), ranking=rank_words(results))


@roles_required(*READERS)
def sipas_chart(campaign_id: int, level: str):
    """A level's SIPAS chart (SVG): bars, 95 % intervals, the target; 404 for a level without a unit with one."""
    campaign = _unsealed(campaign_id)
    results = sipas_results(db_session(), campaign)
    if level not in dict(chart_levels(results)):
        abort(404)
    return Response(level_chart(results, level), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})


@roles_required(*READERS)
def sipas_printable(campaign_id: int):
    """The SIPAS report to print from the browser, with the Word document's sections and sentences."""
    from ...outputs import sipas_report_text as st
    from ...outputs.sipas_report_docx import element_headers, element_rows, group_rows

    campaign = _unsealed(campaign_id)
    results = sipas_results(db_session(), campaign)
    inp = st.report_input(db_session(), campaign, results)
    levels = [lv for lv in results.cset.levels if (results.units["level"] == lv.code).any()]
    return render_template("reports/sipas_print.html", campaign=campaign, results=results, st=st, inp=inp,
                           levels=levels, level_sentences=dict(st.level_sentences(results)),
                           element_headers=element_headers(results),
                           element_rows={lv.code: element_rows(results, lv.code) for lv in levels},
                           group_rows={lv.code: group_rows(inp, lv.code) for lv in levels},
                           ballots=ballot_table(inp.counts, inp.channels), perception=perception_rows(results),
                           charts={code: chart_alt(results, code) for code, _name in chart_levels(results)})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@roles_required(*READERS)
def sipas_document(campaign_id: int):
    """The SIPAS report as a Word document, to edit before signing (the PAR report's file name)."""
    from ...outputs.sipas_report_docx import campaign_sipas_report  # python-docx: loaded when first asked for

    campaign = _unsealed(campaign_id)
    data = campaign_sipas_report(db_session(), campaign)
    return Response(data, mimetype=DOCX,
                    headers={"Content-Disposition": f'attachment; filename="bao-cao-{campaign.year}.docx"'})


@roles_required(*READERS)
def sipas_export(campaign_id: int, fmt: str):
    """The SIPAS table as XLSX, CSV (Excel in Vietnamese by default, ``?dang=may`` for programs), JSON, SPSS
    ``.sav`` or Stata ``.dta`` (labelled, :func:`survey_app.outputs.sipas_table.sipas_stat_file`)."""
    form = csv_form(request.args.get(CSV_FORM_WORD))
    if fmt not in ("csv", "json", "xlsx", "sav", "dta") or form is None:
        return not_applicable(campaign_id, f"Tệp .{fmt}", 404)
    campaign = _unsealed(campaign_id)
    results = sipas_results(db_session(), campaign)
    table = sipas_table(results)
    filename = _download_name(campaign, SLUG, fmt)
    if fmt in ("sav", "dta"):
        from ...outputs.sipas_table import sipas_stat_file  # pyreadstat: loaded when first asked for

        return _send_temporary(sipas_stat_file(fmt, results, campaign.name), filename, fmt)
    if fmt == "xlsx":
        sheet = Sheet(table.sheet_name, table.columns, table.rows, note=f"{table.heading}. {table.footnote}")
        return _send_temporary(xlsx_file([sheet]), filename)
    chunks = csv_chunks(table.columns, table.rows, form=form) if fmt == "csv" else \
        json_chunks(table.columns, table.rows)
    return Response(chunks, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@roles_required(*READERS)
def not_applicable(campaign_id: int, what: str, status: int | None = None):
    """A page saying that ``what`` (made of PAR points) does not apply to a SIPAS campaign.

    Pages answer 200; files (a chart, an export) 404, since no file is sent."""
    campaign = _unsealed(campaign_id)
    if status is None:
        status = 404 if request.endpoint in ("reports.chart", "reports.export") else 200
    return render_template("reports/sipas_not_applicable.html", campaign=campaign, what=what), status
