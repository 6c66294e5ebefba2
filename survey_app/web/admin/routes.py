"""Campaigns (new, copied, scheduled, closed, archived), their steps, the preview and the dashboard. Thin views:
parse a form, call :mod:`survey_app.services`, render; the request commits once."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from questionnaires import CriteriaSetError, load_criteria_set_from_texts, read_set_texts

from ...extensions import db_session, get_database
from ...models import Campaign, Invitation, Unit
from ...services import ballot_box, closing
from ...services import campaigns as campaign_service
from ...services import units as unit_service
from ...services.audit import disputed_links
from ...services.checklist import campaign_steps, uncovered_cells
from ...services.copying import copy_campaign
from ...services.coverage import closing_coverage
from ...services.csv_import import CsvProblems
from ...services.dashboard import POOLED_NOTE, response_dashboard
from ...services.drafts import Assignment, Page, field_blocks
from ...services.succession_copy import checked_rows, copy_across_reform
from ..common import (
    READERS,
    UPLOAD_LIMIT,
    actor,
    campaign_or_404,
    current_user,
    from_local,
    read_session,
    roles_required,
    to_local,
)
from . import bp
from .confirm import NOT_TICKED, Confirmation, render_confirmation
from .forms import ArchiveForm, CloseForm, ConfirmForm, DashboardFilter, NewCampaignForm, ScheduleForm


@bp.get("/")
@roles_required(*READERS)
def index():
    session = db_session()
    return render_template(
        "admin/index.html",
        progress=[campaign_service.campaign_progress(session, c)
                  for c in campaign_service.all_campaigns(session, archived=False)],
        archived=[campaign_service.campaign_progress(session, c)
                  for c in campaign_service.all_campaigns(session, archived=True)])


@bp.route("/dot/moi", methods=["GET", "POST"])
@roles_required("admin")
def new_campaign():
    """A new campaign from last year's, a bundled set or an uploaded workbook. Everything is read and checked
    first (the campaigns in a session that only reads, the set parsed in none), so the write lock is held
    only while the campaign is stored: a large workbook never makes respondents wait."""
    sets = campaign_service.available_sets(current_app.config.get("SETS_DIR"))
    with read_session() as s:
        campaigns = campaign_service.all_campaigns(s)
        form = NewCampaignForm([f"dot:{c.id}" for c in campaigns] + [f"bo:{name}" for name in sets] + ["tep:"])
        form.source.data = form.source.data or campaign_service.preselected_source(campaigns)
        errors: list[str] = []
        if form.is_submitted():
            form.validate()
            errors = [message for field in form for message in field.errors]
            name, province = (form.name.data or "").strip(), (form.province.data or "").strip()
            if name and campaign_service.name_taken(s, name):
                errors.append(f"Đã có đợt khảo sát tên “{name}”.")
    if form.is_submitted() and not errors:
        kind, _, key = (form.source.data or "").partition(":")
        chosen, problems = (None, []) if kind == "dot" else _chosen_set(kind, key, sets, form.workbook.data)
        errors += problems
        reform = kind == "dot" and getattr(form.succession.data, "filename", "")
        if reform:  # a copy across a reform, maybe onto another set (the first two-tier year)
            chosen, problems = _succession_rows(int(key), form.succession.data)
            errors += problems
        elif getattr(form.succession.data, "filename", ""):
            errors.append("Bảng kế thừa đơn vị chỉ dùng khi sao chép một đợt trước: chọn đợt trước, hoặc bỏ tệp.")
        new_set = None
        if form.new_set.data and not reform:
            errors.append("Đổi bộ tiêu chí khi sao chép chỉ dùng cùng bảng kế thừa đơn vị (đơn vị đã sắp xếp lại): "
                          "chọn tệp kế thừa, hoặc để “Giữ bộ tiêu chí của đợt được sao chép”.")
        elif form.new_set.data:
            new_set, problems = _chosen_set("bo", form.new_set.data, sets, None)
            errors += problems
        if not errors:
            try:
                campaign = _store_campaign(kind, key, chosen, year=form.year.data, name=name, province=province,
                                           new_set=new_set)
            except campaign_service.CampaignError as exc:  # the name was taken meanwhile
                errors.append(str(exc))
            else:
                flash("Đã tạo đợt khảo sát. Làm tiếp các bước dưới đây, theo thứ tự.", "ok")
                return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    latest = campaigns[0] if campaigns else None
    return render_template("admin/new_campaign.html", sets=campaign_service.set_names(sets), campaigns=campaigns,
                           errors=errors, form=form, default_year=(latest.year + 1) if latest else "",
                           default_province=latest.province if latest else ""), 400 if errors else 200


def _chosen_set(kind: str, key: str, sets, file) -> tuple[tuple | None, list[str]]:
    """``((texts, cset), [])`` of a bundled set or an uploaded workbook, parsed and checked, or ``(None,
    problems)``."""
    if kind == "tep":
        return _uploaded_set(file)
    texts = read_set_texts(sets[key])
    try:
        return (texts, load_criteria_set_from_texts(texts)), []
    except CriteriaSetError as exc:
        return None, [f"Bộ tiêu chí có lỗi — {p}" for p in exc.problems[:20]]


def _store_campaign(kind: str, key: str, chosen, *, year: int, name: str, province: str, new_set=None):
    """The new campaign, stored in the request's write session (the lock is taken here); ``new_set``
    ``(texts, cset)``: the set a copy across a reform moves to.

    Raises
    ------
    CampaignError
        A campaign of that name was stored since the form was checked, or a unit kept across the reform
        has a level ``new_set`` lacks.
    """
    session = db_session()
    if campaign_service.name_taken(session, name):
        raise campaign_service.CampaignError(f"Đã có đợt khảo sát tên “{name}”.")
    if kind == "dot":
        source = session.get(Campaign, int(key))
        if chosen is not None:  # the checked rows of a succession file: units as the reform left them
            campaign, done = copy_across_reform(session, source, chosen, year=year, name=name, province=province,
                                                actor=actor(), criteria=new_set)
            for sentence in done.sentences():
                flash(sentence, "ok")
            return campaign
        return copy_campaign(session, source, year=year, name=name, province=province, actor=actor())
    texts, cset = chosen
    return campaign_service.create_campaign(session, year=year, name=name, actor=actor(), province=province,
                                            criteria_texts=texts, cset=cset)


def _succession_rows(source_id: int, file) -> tuple[list | None, list[str]]:
    """``(rows, [])`` of a succession file checked against the copied campaign's units, or ``(None,
    problems)`` by row."""
    data = file.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        return None, [f"Tệp quá lớn (tối đa {UPLOAD_LIMIT // 1024 // 1024} MB)."]
    with read_session() as s:
        try:
            return checked_rows(data, s.get(Campaign, source_id)), []
        except CsvProblems as exc:
            return None, [f"Bảng kế thừa đơn vị — {f'Dòng {n}: ' if n else ''}{m}" for n, m in exc.problems[:60]]


def _uploaded_set(file) -> tuple[tuple | None, list[str]]:
    """``((texts, cset), [])`` of an uploaded criteria-set workbook, or ``(None, problems)`` (sheet, row,
    column)."""
    from questionnaires.workbook import WorkbookError, import_workbook

    if file is None or not getattr(file, "filename", ""):
        return None, ["Xin chọn tệp Excel bộ tiêu chí."]
    data = file.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        return None, [f"Tệp quá lớn (tối đa {UPLOAD_LIMIT // 1024 // 1024} MB)."]
    try:
        return import_workbook(data), []
    except WorkbookError as exc:
        return None, [f"Tệp bộ tiêu chí có lỗi — {p}" for p in exc.problems[:60]]


@bp.get("/dot/<int:campaign_id>")
@roles_required(*READERS)
def campaign(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    session = db_session()
    return render_template("admin/campaign.html", campaign=campaign, cset=campaign_service.campaign_criteria(campaign),
                           progress=campaign_service.campaign_progress(session, campaign),
                           steps=campaign_steps(session, campaign), to_local=to_local,
                           disputed=disputed_links(session, campaign.id))


@bp.post("/dot/<int:campaign_id>/luu-tru")
@roles_required("admin")
def archive(campaign_id: int):
    """Archive a campaign (out of the lists, nothing deleted), or bring it back."""
    campaign = campaign_or_404(campaign_id)
    form = ArchiveForm()
    if not form.validate():
        abort(400)
    try:
        campaign_service.set_archived(db_session(), campaign, form.archived.data == "1", actor())
    except campaign_service.CampaignError as exc:
        flash(str(exc), "error")
    else:
        flash("Đã lưu trữ đợt khảo sát." if campaign.archived else "Đã đưa đợt khảo sát trở lại danh sách.", "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.post("/dot/<int:campaign_id>/lich")
@roles_required("admin")
def schedule(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = ScheduleForm()
    if not form.validate():
        abort(400)
    opens, closes = from_local(form.opens_at.data), from_local(form.closes_at.data)
    if opens and closes and closes <= opens:
        flash("Ngày kết thúc phải sau ngày bắt đầu.", "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    double_entry = campaign.double_entry if not form.double_entry.data else form.double_entry.data == "1"
    cross = campaign.cross_district_check if not form.cross_district_check.data \
        else form.cross_district_check.data == "1"
    seconds = campaign.min_web_seconds if form.min_web_seconds.data is None else form.min_web_seconds.data
    status = form.status.data
    to_open = status == "open" and campaign.status != "open"
    if to_open:  # opening freezes the set: only through its confirmation page (the rest is saved here)
        status = campaign.status
    try:
        campaign_service.set_schedule(db_session(), campaign, status, opens, closes, actor(),
                                      double_entry=double_entry, min_web_seconds=seconds, cross_district_check=cross,
                                      province=None if form.province.data is None else form.province.data.strip())
    except campaign_service.CampaignError as exc:
        flash(str(exc), "error")
    else:
        flash("Đã lưu lịch khảo sát.", "ok")
        if to_open:
            flash("Đợt chưa mở: xem các hệ quả và xác nhận để mở khảo sát.", "warn")
            return redirect(url_for("admin.open_campaign", campaign_id=campaign_id))
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


def _uncovered_warning(session, campaign) -> list[str]:
    """Issue 30 item 3: the plan's cells still lacking links, QR cards or paper ballots (a warning, not a block)."""
    short = uncovered_cells(session, campaign)
    if not short:
        return []
    named = ", ".join(f"{c.unit.name} — {c.group.name} (thiếu {c.missing})" for c in short[:10])
    more = f" và {len(short) - 10} ô khác" if len(short) > 10 else ""
    return [f"Cảnh báo (vẫn mở được, phát hành thêm sau khi mở): {len(short)} đơn vị × đối tượng chưa có đủ đường "
            f"link, thẻ QR hay phiếu giấy theo kế hoạch mẫu: {named}{more}."]


def _open_confirmation(campaign, error: str = "") -> Confirmation:
    """What opening the campaign does, for its confirmation page."""
    session = db_session()
    links = session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False))) or 0
    cset = campaign_service.campaign_criteria(campaign)
    opens, closes = to_local(campaign.opens_at).replace("T", " "), to_local(campaign.closes_at).replace("T", " ")
    when = (f"từ {opens}" if opens else "ngay khi mở") + (f" đến {closes}" if closes else ", không hạn kết thúc")
    return Confirmation(
        title=f"Mở khảo sát “{campaign.name}”?",
        consequences=[
            f"Bộ tiêu chí “{cset.name}” được cố định: không thay được nữa trong khi đợt đang khảo sát, và không bao "
            "giờ thay được nữa khi đã có người mở đường link hay gửi phiếu.",
            f"{links} đường link và thẻ QR đã tạo bắt đầu mở được ({when}, giờ Việt Nam); người nhận trả lời được "
            "ngay.",
            "Phiếu trực tuyến gửi về được niêm phong trong hòm phiếu: không ai (kể cả quản trị viên) xem được câu "
            "trả lời hay điểm số cho đến khi kết thúc đợt.",
            "Nhân viên bắt đầu nhập được phiếu giấy.",
            *_uncovered_warning(session, campaign),
        ],
        undo="có thể chuyển đợt về “Đang chuẩn bị” trên trang đợt khảo sát để tạm dừng: đường link ngừng mở, "
             "phiếu đã gửi vẫn được giữ. Bộ tiêu chí vẫn không thay được khi đã có người mở link.",
        action=url_for("admin.open_campaign", campaign_id=campaign.id),
        cancel=url_for("admin.campaign", campaign_id=campaign.id), button="Mở khảo sát",
        confirm_label="Tôi đã xem các hệ quả trên và muốn mở khảo sát.", error=error)


@bp.route("/dot/<int:campaign_id>/mo-khao-sat", methods=["GET", "POST"])
@roles_required("admin")
def open_campaign(campaign_id: int):
    """Open the campaign (the set is frozen, links start to work) after a confirmation page (audited)."""
    campaign = campaign_or_404(campaign_id)
    if campaign.status != "draft":
        flash("Đợt khảo sát đang khảo sát." if campaign.status == "open" else "Đợt khảo sát đã kết thúc.", "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    form = ConfirmForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            abort(400)
        return render_confirmation(campaign, _open_confirmation(campaign))
    if not form.xac_nhan.data:
        return render_confirmation(campaign, _open_confirmation(campaign, NOT_TICKED))
    try:
        campaign_service.set_schedule(db_session(), campaign, "open", campaign.opens_at, campaign.closes_at, actor())
    except campaign_service.CampaignError as exc:
        return render_confirmation(campaign, _open_confirmation(campaign, str(exc)))
    flash("Đã mở khảo sát: đường link và thẻ QR mở được, bộ tiêu chí đã cố định.", "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.route("/dot/<int:campaign_id>/ket-thuc", methods=["GET", "POST"])
@roles_required("admin")
def close(campaign_id: int):
    """Close the campaign and unseal its results, after a confirmation (audited; cannot be undone)."""
    campaign = campaign_or_404(campaign_id)
    if campaign.status == "closed":
        flash("Đợt khảo sát đã kết thúc.", "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    form = CloseForm()
    error = None
    session = db_session()
    coverage = closing_coverage(session, campaign, current_app.config["SECRET_KEY"])
    sipas = campaign_service.campaign_criteria(campaign).is_sipas  # no points, ranks or classes to lose
    if form.validate_on_submit():
        if not form.confirm.data:
            error = "Xin đánh dấu ô xác nhận trước khi kết thúc đợt khảo sát."
        elif coverage.under and not form.confirm_coverage.data:
            error = (f"{len(coverage.under)} đơn vị có dưới {coverage.minimum} phiếu: xin đánh dấu ô xác nhận "
                     "rằng các đơn vị này sẽ không " + ("có chỉ số SIPAS" if sipas else "được xếp hạng, xếp loại")
                     + ", trước khi kết thúc đợt khảo sát.")
        else:
            try:
                _note, opened = closing.close_campaign(session, campaign, actor(), current_user().id,
                                                       secret=current_app.config["SECRET_KEY"],
                                                       passphrase=form.passphrase.data or None)
            except ballot_box.PassphraseError as exc:
                session.rollback()
                error = str(exc)
            except ballot_box.BoxError:  # kept under SECRET_KEY, which changed since the box was made
                session.rollback()
                error = ("Khoá hòm phiếu không mở được bằng SECRET_KEY hiện tại của máy chủ (khoá đã được đổi từ khi "
                         "đợt mở?): hòm phiếu chưa được mở, không thay đổi gì. Hãy đặt lại SECRET_KEY cũ rồi kết thúc "
                         "đợt.")
            else:
                session.commit()
                ballot_box.forget_order(get_database())
                flash(f"Đã kết thúc đợt khảo sát và mở hòm phiếu: {opened.ballots} phiếu trực tuyến.", "ok")
                return redirect(url_for("admin.campaign", campaign_id=campaign_id))
    return render_template("admin/close.html", campaign=campaign, form=form, error=error,
                           note=closing.closing_note(session, campaign), coverage=coverage,
                           box_kind=ballot_box.box_kind(session, campaign.id), sipas=sipas), 400 if error else 200


@bp.get("/dot/<int:campaign_id>/xem-truoc/<level>/<group>")
@roles_required(*READERS)
def preview(campaign_id: int, level: str, group: str):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_service.campaign_criteria(campaign)
    questionnaire = cset.questionnaire(level, group)
    if questionnaire is None:
        abort(404)
    sample = next(iter(unit_service.units_of_level(campaign, level)), None)
    sample = sample or Unit(id=0, code="mau", name=f"(Đơn vị mẫu — {cset.level_by_code[level].name})", level=level)
    assignment = Assignment(cset.level_by_code[level], cset.group_by_code[group].rule_for(level).how, questionnaire,
                            [sample])
    page = Page(1, assignment, sample)
    return render_template("question_page.html", page=page, total=1, blocks=field_blocks(cset, page), answers={},
                           errors={}, token=None, preview=questionnaire)


@bp.get("/dot/<int:campaign_id>/tien-do")
@roles_required(*READERS)
def dashboard(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_service.campaign_criteria(campaign)
    form = DashboardFilter()
    level = form.cap.data or None if form.validate() else "?"
    group = form.doi_tuong.data or None
    if level not in (None, *cset.level_by_code) or group not in (None, *cset.group_by_code):
        abort(404)
    board = response_dashboard(db_session(), campaign, current_app.config["SECRET_KEY"], level=level, group=group)
    return render_template("admin/dashboard.html", campaign=campaign, board=board, cset=cset, level=level, group=group,
                           pooled_note=POOLED_NOTE)
