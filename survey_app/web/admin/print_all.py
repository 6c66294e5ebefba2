"""Printing every missing QR card and paper ballot of a campaign at once, and reprinting them (admin).

``In tất cả thẻ QR và phiếu giấy còn thiếu`` (on the paper page and the links and cards page) issues what
the sample plan lacks in the chosen filter (:mod:`survey_app.services.bulk_print`) in the request's
transaction and commits it; only then is the page made, streamed unit by unit from short read-only
sessions, so the SQLite write lock is never held while thousands of QR codes are drawn, and memory
holds one unit at a time. The page is one A4 document: each unit's cards (8 to a page, cut marks) then
its ballots (a page each), a page break between units. ``In lại`` prints again what was issued and is
still usable, only with its confirmation box ticked, audited.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask import Response, flash, get_template_attribute, redirect, stream_template, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from ...extensions import db_session
from ...outputs.qr_inline import qr_inline_svg
from ...services import bulk_print
from ...services.campaigns import campaign_criteria
from ...services.invitations import derive_short_code, derive_token, format_short_code, hash_token
from ...services.messages import card_instruction, form_url
from ...services.paper import COMMENT_LINES, ballot_items, marking_help, printed_sections
from ..common import (
    actor,
    base_url,
    campaign_or_404,
    collecting_or_back,
    current_user,
    first_error,
    read_session,
    readable_campaign_or_404,
    roles_required,
    secret,
)
from . import bp

MEDIA_CHOICES = [SelectChoice("ca-hai", "Thẻ QR và phiếu giấy"), SelectChoice("the-qr", "Chỉ thẻ QR"),
                 SelectChoice("phieu-giay", "Chỉ phiếu giấy")]
MEDIA = {"ca-hai": bulk_print.MEDIA, "the-qr": ("qr",), "phieu-giay": ("paper",)}
BACK = {"phieu-giay": "admin.paper_ballots", "loi-moi": "admin.invitations"}
BLOCK = 64 * 1024  # characters of the page sent at a time


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class PrintAllForm(FlaskForm):
    """The filter of a bulk print: level, group, unit ("" = all) and which media."""

    cap = SelectField("Cấp", choices=[])
    doi_tuong = SelectField("Đối tượng", choices=[])
    don_vi = SelectField("Đơn vị", choices=[])
    loai = SelectField("In", choices=MEDIA_CHOICES, default="ca-hai")
    ve = SelectField(choices=list(BACK), default="phieu-giay")  # the page the form is on, to go back to

    def fill(self, campaign) -> PrintAllForm:
        """Offer this campaign's levels, printed groups and units (those that can get a card or ballot)."""
        cset = campaign_criteria(campaign)
        pairs = bulk_print.pairs_in(campaign, bulk_print.PrintFilter())
        levels = list(dict.fromkeys(u.level for u, _g in pairs))
        self.cap.choices = _choices([("", "Mọi cấp")] + [(lv, cset.level_by_code[lv].name) for lv in levels])
        groups = bulk_print.printed_groups(campaign)
        self.doi_tuong.choices = _choices([("", "Mọi đối tượng")] + [(g.code, g.name) for g in groups])
        units = dict.fromkeys(u for u, _g in pairs)
        self.don_vi.choices = _choices([("", "Mọi đơn vị")] + [(u.code, u.name) for u in units])
        return self

    def print_filter(self) -> bulk_print.PrintFilter:
        return bulk_print.PrintFilter(self.cap.data or "", self.doi_tuong.data or "", self.don_vi.data or "",
                                      MEDIA[self.loai.data])


class ReprintForm(PrintAllForm):
    xac_nhan = BooleanField("Tôi xác nhận in lại các thẻ QR và phiếu giấy đã phát hành (lần in lại được ghi vào "
                            "nhật ký; thẻ và phiếu in lại trùng mã với bản đã in)",
                            validators=[DataRequired("Đánh dấu ô xác nhận để in lại thẻ và phiếu đã phát hành.")])


def print_all_panel(campaign, page: str) -> dict:
    """What the panel on the paper page and the cards page shows: both forms and what the plan lacks."""
    cells = bulk_print.plan_cells(db_session(), campaign, bulk_print.PrintFilter())
    forms = {}
    for name, cls, prefix in (("issue", PrintAllForm, "in"), ("reprint", ReprintForm, "inlai")):
        form = cls(prefix=prefix, formdata=None).fill(campaign)
        form.ve.data = page
        forms[name] = form
    return {**forms, "missing": bulk_print.shortfall(cells), "cells": len(cells)}


@dataclass(frozen=True)
class Job:
    """What to print, read before the page streams: the units in order, and either the ranges of a bulk
    issue (``cells``) or, for a reprint, the groups to print again."""

    campaign_id: int
    units: tuple[int, ...]
    cells: tuple[bulk_print.IssuedCell, ...] | None
    group_ids: tuple[int, ...]
    media: tuple[str, ...]


def _checked(form_class, prefix: str, campaign_id: int):
    """The form read and checked in a read-only session (before any write lock): (form, filter) or a redirect."""
    with read_session() as s:
        campaign = readable_campaign_or_404(s, campaign_id)
        form = form_class(prefix=prefix).fill(campaign)
        valid = form.validate()
        back = redirect(url_for(BACK.get(form.ve.data, "admin.paper_ballots"), campaign_id=campaign_id))
        if not valid:
            flash(first_error(form) if set(form.errors) == {"xac_nhan"} else
                  "Chọn cấp, đối tượng, đơn vị và loại cần in từ các danh sách của trang.", "error")
            return None, back
        return form.print_filter(), back


@bp.post("/dot/<int:campaign_id>/in-tat-ca")
@roles_required("admin")
def print_all(campaign_id: int):
    """Issue every missing QR card and paper serial of the filter (one transaction), then stream the page."""
    flt, back = _checked(PrintAllForm, "in", campaign_id)
    if flt is None:
        return back
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.paper_ballots"):
        return closed
    issued = bulk_print.issue_missing(db_session(), campaign, flt, secret(), actor(), current_user().id)
    words = flt.words(campaign)
    if not issued.cards and not issued.serials:
        flash(f"Không có thẻ QR hay phiếu giấy nào còn thiếu so với kế hoạch mẫu ({words}): không phát hành thêm. "
              "Muốn in lại thẻ và phiếu đã phát hành, dùng mục “In lại”.", "ok")
        return back
    summary = (f"Vừa phát hành {issued.cards} thẻ QR và {issued.serials} phiếu giấy còn thiếu so với kế hoạch mẫu "
               f"({words}).")
    units = tuple(dict.fromkeys(c.unit_id for c in issued.cells))
    job = Job(campaign_id, units, issued.cells, (), flt.media)
    db_session().commit()  # issued for good, and the write lock released, before a single card is drawn
    return _stream(job, "Thẻ QR và phiếu giấy mới phát hành", summary)


@bp.post("/dot/<int:campaign_id>/in-lai")
@roles_required("admin")
def reprint_all(campaign_id: int):
    """Print again the issued, still usable cards and serials of the filter: confirmed, audited, nothing new."""
    flt, back = _checked(ReprintForm, "inlai", campaign_id)
    if flt is None:
        return back
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.paper_ballots"):
        return closed
    session = db_session()
    reprint = bulk_print.reprint_counts(session, campaign, flt, secret())
    words = flt.words(campaign)
    if not reprint.cards and not reprint.serials:
        flash(f"Không có thẻ QR hay phiếu giấy nào đã phát hành mà chưa dùng ({words}): không có gì để in lại.",
              "error")
        return back
    bulk_print.record_reprint(session, campaign, flt, reprint, actor(), current_user().id)
    job = Job(campaign_id, reprint.units, None, reprint.group_ids, flt.media)
    session.commit()
    return _stream(job, "In lại thẻ QR và phiếu giấy đã phát hành",
                   f"In lại {reprint.cards} thẻ QR chưa dùng và {reprint.serials} phiếu giấy chưa nhập ({words}). "
                   "Lần in lại này đã được ghi vào nhật ký.")


def _stream(job: Job, heading: str, summary: str) -> Response:
    """The print page, streamed (nothing here touches the request's session again)."""
    with read_session() as s:
        campaign = readable_campaign_or_404(s, job.campaign_id)
        info = {"id": campaign.id, "name": campaign.name, "province": campaign.province}
        cset = campaign_criteria(campaign)
        units = {u.id: (u.name, cset.level_by_code[u.level].name if u.level in cset.level_by_code else u.level,
                        u.level) for u in campaign.units if u.id in set(job.units)}
        groups = {g.id: (g.name, g.code) for g in campaign.groups}
    sheets = _sheets(job, cset, units, groups, base_url(), secret())
    org = ("UBND " + info["province"].upper()) if info["province"] else "UBND TỈNH"
    page = stream_template("admin/print_all.html", campaign=info, heading=heading, summary=summary, org=org,
                           sheets=sheets)
    response = Response(_in_blocks(page), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # live links: never kept by a cache
    return response


def _in_blocks(chunks: Iterator[str], size: int = BLOCK) -> Iterator[str]:
    """Jinja's many small pieces joined into blocks of about ``size`` characters (fewer writes to the client)."""
    block, length = [], 0
    for chunk in chunks:
        block.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(block)
            block, length = [], 0
    if block:
        yield "".join(block)


@dataclass
class UnitSheet:
    """One unit's part of the page: its name and level in words, how many of each, and the items (lazy)."""

    name: str
    level: str
    cards: int
    ballots: int
    card_items: Iterator[dict]
    ballot_items: Iterator[dict]


def _sheets(job: Job, cset, units: dict, groups: dict, base: str, key: str) -> Iterator[UnitSheet]:
    """Each unit's cards and ballots, read in a short session of its own, drawn one at a time."""
    spent: set[str] | None = None
    questionnaires: dict[tuple[str, str], tuple] = {}
    for unit_id in job.units:
        if unit_id not in units:
            continue
        with read_session() as s:
            if job.cells is None and spent is None and "qr" in job.media:
                spent = bulk_print.spent_markers(s, job.campaign_id)
            cells = list(job.cells) if job.cells is not None else None
            cards = bulk_print.cards_of(s, job.campaign_id, unit_id, cells, job.group_ids, spent, key) \
                if "qr" in job.media else []
            serials = bulk_print.serials_of(s, job.campaign_id, unit_id, cells, job.group_ids) \
                if "paper" in job.media else []
        if not cards and not serials:
            continue
        name, level_name, level = units[unit_id]
        yield UnitSheet(name, level_name, len(cards), len(serials), _cards(cards, groups, base, key),
                        _ballots(serials, level, groups, cset, questionnaires))


def _cards(rows, groups: dict, base: str, key: str) -> Iterator[dict]:
    for row in rows:
        token = derive_token(key, row.token_salt or "")
        if not row.token_salt or hash_token(token) != row.token_hash:
            continue  # issued under another SECRET_KEY: its link cannot be derived, so it is not printed
        code = derive_short_code(key, row.token_salt)
        yield {"group": groups[row.group_id][0], "code": format_short_code(code),
               "svg": qr_inline_svg(form_url(base, token), "Mã QR mở phiếu khảo sát"),
               "instruction": card_instruction(base, code)}


def _questions(cset, level: str, group_code: str) -> tuple[str, str, Markup, Markup]:
    """A questionnaire's title, introduction, marking help and its questions with their boxes
    (``admin/_ballot_questions.html``, as on a single print), as HTML made once: every ballot of the
    questionnaire prints the same."""
    qn = cset.questionnaire(level, group_code)
    items = ballot_items(cset, qn)
    questions = get_template_attribute("admin/_ballot_questions.html", "questions")
    return qn.title, qn.intro, Markup(marking_help(items)), questions(printed_sections(items), 4, COMMENT_LINES)


def _ballots(rows, level: str, groups: dict, cset, questionnaires: dict) -> Iterator[dict]:
    for serial, group_id in rows:
        group_name, group_code = groups[group_id]
        if (level, group_code) not in questionnaires:
            questionnaires[(level, group_code)] = _questions(cset, level, group_code)
        title, intro, how, questions = questionnaires[(level, group_code)]
        yield {"serial": serial, "group": group_name, "title": title, "intro": intro, "how": how,
               "questions": questions,
               "svg": qr_inline_svg(serial, f"Mã QR của phiếu {serial}")}
