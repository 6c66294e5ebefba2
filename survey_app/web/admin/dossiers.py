"""Respondents drawn from dossiers (SIPAS, issue 29 item 3): import the one-stop shop's completed dossiers,
see them per unit against the sample plan, draw the sample of a group (seed optional, by field when
asked), download the drawn list with links and SMS texts. Admins write; analysts read the page.

The domain is :mod:`survey_app.services.dossiers`; this module only reads forms and shows results.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField
from wtforms.validators import NumberRange, Optional

from ...extensions import db_session
from ...models import RespondentGroup
from ...outputs.dossier_template import dossier_sheets
from ...outputs.exports import xlsx_file
from ...services import dossiers as dossier_service
from ...services.audit import record_links_out
from ...services.campaigns import campaign_criteria
from ...services.csv_import import CsvProblems
from ...services.invitations import link_of
from ...services.messages import form_url
from ..common import (
    READERS,
    AsciiIntegerField,
    actor,
    base_url,
    campaign_or_404,
    csv_response,
    current_user,
    first_error,
    read_session,
    readable_campaign_or_404,
    roles_required,
    secret,
    send_temporary,
    show_problems,
)
from . import bp
from .forms import UploadForm

CSV_HEADINGS = ("Số hồ sơ", "Đơn vị", "Thủ tục hành chính", "Lĩnh vực", "Điện thoại", "Đường link", "Tin nhắn SMS")


class DossierUploadForm(UploadForm):
    """The dossier file (XLSX or CSV with the template's headings)."""

    file = FileField("Tệp hồ sơ: Excel (.xlsx) hoặc CSV (UTF-8)")


class DrawForm(FlaskForm):
    """A draw: the group, the seed (empty: the app makes one), whether by field."""

    doi_tuong = SelectField("Đối tượng", choices=[])
    hat_giong = AsciiIntegerField("Hạt giống (để trống: máy tự tạo)", max_digits=9, validators=[
        Optional(), NumberRange(0, 999_999_999, "Hạt giống là một số nguyên không âm, tối đa 9 chữ số.")])
    phan_tang = BooleanField("Phân tầng theo lĩnh vực (mỗi lĩnh vực chọn theo tỉ lệ số hồ sơ)")

    def fill(self, campaign) -> DrawForm:
        """Offer the campaign's groups that rate their own unit."""
        self.doi_tuong.choices = [(g.code, g.name) for g in dossier_service.drawable_groups(campaign)]
        return self


def _back(campaign_id: int):
    return redirect(url_for("admin.dossiers", campaign_id=campaign_id))


@bp.get("/dot/<int:campaign_id>/ho-so")
@roles_required(*READERS)
def dossiers(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    s = db_session()
    counts = dossier_service.unit_counts(s, campaign)
    planned = {g for row in counts for g in row.targets}
    groups = [g for g in dossier_service.drawable_groups(campaign) if g.id in planned]  # the plan's columns
    return render_template("admin/dossiers.html", campaign=campaign, groups=groups, counts=counts,
                           last_draw=dossier_service.last_seed(s, campaign),
                           upload_form=DossierUploadForm(), draw_form=DrawForm().fill(campaign),
                           level_names={lv.code: lv.name for lv in campaign_criteria(campaign).levels})


@bp.post("/dot/<int:campaign_id>/ho-so/nhap")
@roles_required("admin")
def import_dossiers(campaign_id: int):
    """Add the file's dossiers, checked whole: nothing is stored on any error, every bad row is listed."""
    data = DossierUploadForm().read()
    if data is None:
        return _back(campaign_id)
    campaign = campaign_or_404(campaign_id)
    try:
        made = dossier_service.import_dossiers(db_session(), campaign, data, actor(), current_user().id)
    except CsvProblems as exc:
        show_problems(exc.problems, "Nhập hồ sơ")
    except dossier_service.DossierError as exc:
        flash(str(exc), "error")
    else:
        phones = sum(1 for d in made if d.phone)
        flash(f"Đã nhập {len(made)} hồ sơ ({phones} có số điện thoại).", "ok")
    return _back(campaign_id)


@bp.post("/dot/<int:campaign_id>/ho-so/chon-mau")
@roles_required("admin")
def draw_dossiers(campaign_id: int):
    """Draw the sample of the chosen group; the seed is shown (and kept in the audit log)."""
    campaign = campaign_or_404(campaign_id)
    form = DrawForm().fill(campaign)
    if not form.validate():
        flash(first_error(form), "error")
        return _back(campaign_id)
    group = next(g for g in campaign.groups if g.code == form.doi_tuong.data)
    try:
        draw = dossier_service.draw_sample(db_session(), campaign, group, form.hat_giong.data, form.phan_tang.data,
                                           actor(), secret(), current_user().id)
    except dossier_service.DossierError as exc:
        flash(str(exc), "error")
        return _back(campaign_id)
    flash(f"Đã chọn {draw.drawn} hồ sơ ở {draw.units_drawn} đơn vị cho {group.name}, mỗi hồ sơ một đường link "
          f"cá nhân. Hạt giống: {draw.seed} (ghi lại: cùng hạt giống và cùng danh sách hồ sơ cho lại đúng mẫu này).",
          "ok")
    for warning in draw.warnings():
        flash(warning, "warn")
    if draw.already_drawn:
        flash("Bỏ qua đơn vị đã chọn mẫu trước đây: " + ", ".join(draw.already_drawn) + ".", "warn")
    return _back(campaign_id)


@bp.get("/dot/<int:campaign_id>/ho-so/mau.xlsx")
@roles_required(*READERS)
def dossier_template(campaign_id: int):
    """The dossier file to fill in: the headings, one example row, the campaign's units."""
    campaign = campaign_or_404(campaign_id)
    return send_temporary(xlsx_file(dossier_sheets(campaign, campaign_criteria(campaign))),
                          f"ho-so-{campaign.year}.xlsx")


@bp.get("/dot/<int:campaign_id>/ho-so/da-chon.csv")
@roles_required("admin")
def drawn_dossiers_csv(campaign_id: int):
    """The drawn dossiers with their links and SMS texts (links leaving the server: audited)."""
    with read_session() as s:
        campaign = readable_campaign_or_404(s, campaign_id)
        rows, groups = [], {}
        for d in dossier_service.drawn_dossiers(s, campaign):
            invitation = d.invitation
            link = link_of(secret(), invitation) if invitation is not None and not invitation.revoked else None
            url = form_url(base_url(), link.token) if link else ""
            rows.append((d.number, d.unit.name, d.procedure, d.field, d.phone or "", url,
                         dossier_service.sms_text(url, d.unit.name, d.number) if url else ""))
            if url:
                groups[invitation.group_id] = groups.get(invitation.group_id, 0) + 1
        response = csv_response(f"ho-so-da-chon-{campaign.year}.csv", CSV_HEADINGS, rows)
        names = {g.id: g.name for g in s.query(RespondentGroup).filter(RespondentGroup.campaign_id == campaign_id)}
    handed = ", ".join(f"{names[g]} {n}" for g, n in groups.items())
    record_links_out(db_session(write=True), actor(), campaign_id, "dossiers_sms_csv",
                     f"Tải tệp CSV hồ sơ được chọn: {sum(groups.values())} đường link cá nhân để gửi SMS"
                     + (f" ({handed})" if handed else ""), user_id=current_user().id)
    return response
