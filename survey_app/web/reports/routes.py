"""Report pages, charts and exports (analysts and admins). Thin views over
:mod:`survey_app.outputs.report_tables`."""
from __future__ import annotations

import re

from flask import Response, abort, make_response, render_template, request, stream_with_context
from markupsafe import Markup, escape

from ...extensions import db_session, get_database
from ...models import Campaign
from ...outputs import report_text
from ...outputs.ballot_table import ballot_headline, ballot_table
from ...outputs.exports import CSV_FORM_WORD, MACHINE, CsvForm, Sheet, csv_chunks, csv_form, json_chunks, xlsx_file
from ...outputs.findings import level_paragraphs
from ...outputs.report_form import DRAFTER_PARTS, closing_sentence, report_title
from ...outputs.report_method import field_index_blocks, method_blocks, sipas_source
from ...outputs.report_tables import (
    ReportTable,
    comparison_table,
    final_report_table,
    findings_table,
    intervals_table,
    level_names,
    option_table,
    section_names,
    shown,
    survey_points_table,
)
from ...outputs.small_cells import withheld_note
from ...services.campaigns import CHANNELS, all_campaigns, ballot_counts, campaign_criteria, sealed
from ..common import READERS, campaign_or_404, intervals_of, roles_required, scores_of, send_temporary
from . import bp

FORMATS = {"csv": "text/csv", "json": "application/json; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "sav": "application/x-spss-sav", "dta": "application/x-stata-dta"}  # SPSS, Stata: wide raw ballots only


def _unsealed(campaign_id: int) -> Campaign:
    """The campaign, once its results are unsealed; before that, a page saying they are sealed (409)."""
    campaign = campaign_or_404(campaign_id)
    if sealed(campaign):
        abort(make_response(render_template("reports/sealed.html", campaign=campaign), 409))
    return campaign


@bp.app_template_filter("shown")
def _shown(value, kind: str = "text", places: int | None = None) -> str:
    return shown(value, kind, places)


@bp.app_template_filter("emphasis")
def _emphasis(text: str) -> Markup:
    """A report sentence with its shares of opinions in bold (:func:`report_text.emphasis`), escaped."""
    return Markup("".join(f"<strong>{escape(t)}</strong>" if bold else str(escape(t))
                          for t, bold in report_text.emphasis(str(text))))


@bp.app_template_filter("data_status")
def _data_status(sc) -> list[tuple[str, str, bool]]:
    return report_text.data_status(sc)


@bp.app_template_global("machine_csv")
def _machine_csv() -> dict[str, str]:
    """The query asking a CSV download for its machine form: ``url_for(..., **machine_csv())``."""
    return {CSV_FORM_WORD: MACHINE.name}


def _tables(campaign: Campaign) -> dict[str, ReportTable]:
    sc = scores_of(campaign)
    return {t.slug: t for t in (survey_points_table(sc), findings_table(sc), option_table(sc), final_report_table(sc),
                                comparison_table(sc))}


def _table(campaign: Campaign, slug: str) -> ReportTable:
    if slug == "do-tin-cay":
        return intervals_table(scores_of(campaign), intervals_of(campaign)[0])
    tables = _tables(campaign)
    if slug not in tables:
        abort(404)
    return tables[slug]


def _context(campaign: Campaign, **extra) -> dict:
    sc = scores_of(campaign)
    return {"campaign": campaign, "sc": sc, "levels": level_names(sc),
            "sections": section_names(sc, [lv.code for lv in sc.cset.levels]),
            "surveyed": [lv for lv in sc.cset.levels if lv.surveyed and (sc.survey_table["level"] == lv.code).any()],
            **extra}



@bp.get("/")
@roles_required(*READERS)
def index():
    return render_template("reports/index.html", campaigns=all_campaigns(db_session()))


@bp.get("/<int:campaign_id>/")
@roles_required(*READERS)
def overview(campaign_id: int):
    campaign = _unsealed(campaign_id)
    counts = ballot_counts(db_session(), campaign)
    ctx = _context(campaign)
    return render_template("reports/overview.html", ballots=ballot_table(counts, CHANNELS),
                           summary=ballot_headline(counts, CHANNELS), withheld=withheld_note(ctx["sc"]), **ctx)


@bp.get("/<int:campaign_id>/diem-dieu-tra")
@roles_required(*READERS)
def survey_points(campaign_id: int):
    campaign = _unsealed(campaign_id)
    ctx = _context(campaign)
    return render_template("reports/table.html", table=survey_points_table(ctx["sc"]), charts=["nhiet"],
                           blocks=report_text.survey_blocks(ctx["sc"]), **ctx)


@bp.get("/<int:campaign_id>/nhan-xet")
@roles_required(*READERS)
def findings(campaign_id: int):
    campaign = _unsealed(campaign_id)
    ctx = _context(campaign)
    table = findings_table(ctx["sc"])
    return render_template("reports/findings.html", table=table, paragraphs=level_paragraphs(ctx["sc"], table.rows),
                           options=option_table(ctx["sc"]), **ctx)


@bp.get("/<int:campaign_id>/ket-qua")
@roles_required(*READERS)
def final(campaign_id: int):
    campaign = _unsealed(campaign_id)
    ctx = _context(campaign)
    sc = ctx["sc"]
    blocks = report_text.index_blocks(sc, campaign.year)
    return render_template("reports/table.html", table=final_report_table(sc), charts=["chi-so"], blocks=blocks,
                           comparison=comparison_table(sc),
                           fields=field_index_blocks(sc) if sc.final is not None else [], **ctx)


@bp.get("/<int:campaign_id>/do-tin-cay")
@roles_required(*READERS)
def intervals(campaign_id: int):
    campaign = _unsealed(campaign_id)
    ctx = _context(campaign)
    rows, unsettled = intervals_of(campaign)
    return render_template("reports/intervals.html", table=intervals_table(ctx["sc"], rows), unsettled=unsettled,
                           charts=["hang"], **ctx)


@bp.get("/<int:campaign_id>/in")
@roles_required(*READERS)
def printable(campaign_id: int):
    campaign = _unsealed(campaign_id)
    ctx = _context(campaign)
    sc = ctx["sc"]
    tables = _tables(campaign)
    counts = ballot_counts(db_session(), campaign)
    return render_template("reports/print.html", tables=[tables["diem-dieu-tra"], tables["ket-qua"]],
                           comparison=tables["so-sanh"],
                           findings=tables["nhan-xet"], paragraphs=level_paragraphs(sc, tables["nhan-xet"].rows),
                           ballots=ballot_table(counts, CHANNELS), summary=ballot_headline(counts, CHANNELS),
                           survey_blocks=report_text.survey_blocks(sc), field_blocks=field_index_blocks(sc),
                           index_blocks=report_text.index_blocks(sc, campaign.year),
                           method_blocks=method_blocks(sc.cset, sipas_source(sc)),
                           title=report_title(sc.cset, campaign.year),
                           drafter_parts=DRAFTER_PARTS,
                           closing=closing_sentence(sc.cset, campaign.province or "", campaign.year), **ctx)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/<int:campaign_id>/bao-cao.docx")
@roles_required(*READERS)
def document(campaign_id: int):
    """The report as a Word document, to edit before signing."""
    from ...outputs.report_docx import campaign_report  # python-docx: loaded when first asked for

    campaign = _unsealed(campaign_id)
    rows, unsettled = intervals_of(campaign)
    data = campaign_report(db_session(), campaign, scores_of(campaign), rows, unsettled)
    return Response(data, mimetype=DOCX,
                    headers={"Content-Disposition": f'attachment; filename="bao-cao-{campaign.year}.docx"'})


CHART = re.compile(r"(chi-so|nhiet|hang)-(\w+)")


@bp.get("/<int:campaign_id>/bieu-do/<name>.svg")
@roles_required(*READERS)
def chart(campaign_id: int, name: str):
    match = CHART.fullmatch(name)
    if not match:
        abort(404)
    kind, level = match.groups()
    from ...outputs.report_charts import campaign_chart, chart_available

    campaign = _unsealed(campaign_id)
    sc = scores_of(campaign)
    if not chart_available(sc, kind, level):
        abort(404)
    svg = campaign_chart(sc, kind, level, intervals_of(campaign)[0] if kind == "hang" else None)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


def _download_name(campaign: Campaign, slug: str, fmt: str) -> str:
    return f"{slug}-{campaign.year}.{fmt}"


@bp.get("/<int:campaign_id>/xuat/<slug>.<fmt>")
@roles_required(*READERS)
def export(campaign_id: int, slug: str, fmt: str):
    """A table or the raw ballots as a file; a CSV as Excel in Vietnamese reads it, or ``?dang=may`` for programs."""
    form = csv_form(request.args.get(CSV_FORM_WORD))
    if fmt not in FORMATS or form is None:
        abort(404)
    campaign = _unsealed(campaign_id)
    if slug in ("phieu-dai", "phieu-rong"):
        if (slug, fmt) == ("phieu-dai", "xlsx"):
            abort(404)  # a row per answer is for CSV and JSON; Excel gets the wide form (see BENCHMARKS.md)
        return _raw_export(campaign, slug, fmt, form)
    if fmt in ("sav", "dta"):
        abort(404)  # SPSS and Stata: the wide raw ballots only
    table = _table(campaign, slug)
    filename = _download_name(campaign, slug, fmt)
    if fmt == "xlsx":
        path = xlsx_file([Sheet(table.sheet_name, table.columns, table.rows, note=table.heading)])
        return _send_temporary(path, filename)
    columns, rows = table.columns, table.rows
    chunks = csv_chunks(columns, rows, form=form, places=table.places) if fmt == "csv" else json_chunks(columns, rows)
    return Response(
        chunks, mimetype=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _send_temporary(path, filename: str, fmt: str = "xlsx"):
    return send_temporary(path, filename, FORMATS[fmt])


def _raw_export(campaign: Campaign, slug: str, fmt: str, form: CsvForm):
    """Raw ballots: long (one row per answer; CSV, JSON) or wide (one row per ballot × unit), read in chunks.

    The wide form also comes as SPSS ``.sav`` and Stata ``.dta``, labelled (:mod:`survey_app.statfiles`)."""
    from ...outputs.raw_ballots import LONG_COLUMNS, comments_note, long_rows, wide_columns, wide_rows

    database, campaign_id = get_database(), campaign.id
    filename = _download_name(campaign, slug, fmt)
    note = withheld_note(scores_of(campaign)) or None
    if fmt in ("sav", "dta"):
        if slug != "phieu-rong":
            abort(404)
        from ...outputs.statfiles import stat_file

        with database.session() as s:
            c = s.get(Campaign, campaign_id)
            path = stat_file(fmt, s, c, campaign_criteria(c))
        response = _send_temporary(path, filename, fmt)
        return response
    if fmt == "xlsx":
        with database.session() as s:
            c = s.get(Campaign, campaign_id)
            cset = campaign_criteria(c)
            said = " ".join(filter(None, (note, comments_note(cset)))) or None
            path = xlsx_file([Sheet("Phiếu (dạng rộng)", wide_columns(s, c, cset), wide_rows(s, c, cset), note=said)])
        return _send_temporary(path, filename)

    def generate():
        with database.session() as s:
            c = s.get(Campaign, campaign_id)
            if slug == "phieu-dai":
                columns, rows = LONG_COLUMNS, long_rows(s, c)
            else:
                cset = campaign_criteria(c)
                columns, rows = wide_columns(s, c, cset), wide_rows(s, c, cset)
            yield from (csv_chunks(columns, rows, form=form) if fmt == "csv" else json_chunks(columns, rows))
    return Response(stream_with_context(generate()), mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
