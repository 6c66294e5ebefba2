"""Respondents drawn from dossiers (SIPAS, issue 29 item 3): import the one-stop shop's completed dossiers,
see them per unit against the sample plan, draw the sample of a group (seed optional, by field when
asked), download the drawn list with links and SMS texts, say the messages were sent (which deletes the
phone numbers no longer needed, after a confirmation page), print the drawn dossiers' QR cards to hand
over at the counter. Admins write; analysts read the page.

The domain is :mod:`survey_app.services.dossiers`; this module only reads forms and shows results.
"""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from ...extensions import db_session
from ...models import RespondentGroup
from ...outputs.dossier_template import dossier_sheets
from ...outputs.exports import xlsx_file
from ...outputs.qr_inline import qr_inline_svg
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

PRIVACY_LAW = "Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân"
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


class ForgetPhonesForm(FlaskForm):
    """The admin says the SMS invitations were sent: the phone numbers no longer needed are deleted."""

    xac_nhan = BooleanField("Tôi xác nhận đã gửi tin nhắn mời; xoá các số điện thoại này (không hoàn tác được)",
                            validators=[DataRequired("Đánh dấu ô xác nhận để xoá số điện thoại.")])


def _back(campaign_id: int):
    return redirect(url_for("admin.dossiers", campaign_id=campaign_id))


@bp.get("/dot/<int:campaign_id>/ho-so")
@roles_required(*READERS)
def dossiers(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    s = db_session()
    counts = dossier_service.unit_counts(s, campaign)
    planned = {g for row in counts for g in row.targets}
    drawable = dossier_service.drawable_groups(campaign)
    groups = [g for g in drawable if g.id in planned]  # the plan's columns
    last_draw = dossier_service.last_seed(s, campaign)
    return render_template("admin/dossiers.html", campaign=campaign, groups=groups, counts=counts,
                           last_draw=dossier_service.readable_draw(last_draw, campaign) if last_draw else None,
                           organisations=any(map(dossier_service.for_organisations, drawable))
                           or any(row.organisations for row in counts),
                           phones=dossier_service.phone_counts(s, campaign),
                           drawn=sum(row.drawn for row in counts), applicant=dossier_service.APPLICANT_HEADING,
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
        rows, groups, texted = [], {}, []
        for d in dossier_service.drawn_dossiers(s, campaign):
            invitation = d.invitation
            link = link_of(secret(), invitation) if invitation is not None and not invitation.revoked else None
            url = form_url(base_url(), link.token) if link else ""
            rows.append((d.number, d.unit.name, d.procedure, d.field, d.phone or "", url,
                         dossier_service.sms_text(url, d.unit.name, d.number) if url else ""))
            if url:
                groups[invitation.group_id] = groups.get(invitation.group_id, 0) + 1
                if d.phone:
                    texted.append(invitation.id)
        response = csv_response(f"ho-so-da-chon-{campaign.year}.csv", CSV_HEADINGS, rows)
        names = {g.id: g.name for g in s.query(RespondentGroup).filter(RespondentGroup.campaign_id == campaign_id)}
    handed = ", ".join(f"{names[g]} {n}" for g, n in groups.items())
    session = db_session(write=True)
    dossier_service.stamp_listed(session, texted)  # listed for the SMS: their phones may go once sent
    record_links_out(session, actor(), campaign_id, "dossiers_sms_csv",
                     f"Tải tệp CSV hồ sơ được chọn: {sum(groups.values())} đường link cá nhân để gửi SMS"
                     + (f" ({handed})" if handed else ""), user_id=current_user().id)
    return response


@bp.route("/dot/<int:campaign_id>/ho-so/xoa-so-dien-thoai", methods=["GET", "POST"])
@roles_required("admin")
def forget_sent_phones(campaign_id: int):
    """"Đã gửi tin nhắn — xoá số điện thoại": a page saying what will be deleted and that it cannot be undone,
    with its confirmation box; confirmed, the numbers no longer needed are deleted (audited with counts)."""
    campaign = campaign_or_404(campaign_id)
    if campaign.status == "closed":
        flash("Đợt khảo sát đã kết thúc: mọi số điện thoại đã bị xoá khi kết thúc đợt.", "error")
        return _back(campaign_id)
    s = db_session()
    form = ForgetPhonesForm()
    if request.method == "POST" and form.validate():
        try:
            done = dossier_service.forget_sent_phones(s, campaign, actor(), current_user().id)
        except dossier_service.DossierError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã xoá số điện thoại của {done.sent} hồ sơ được chọn đã gửi tin nhắn và {done.unused} hồ sơ "
                  f"không được chọn ({PRIVACY_LAW}). "
                  + (f"Còn {done.remaining} số: {done.why_remaining()}." if done.remaining
                     else "Không còn số điện thoại nào."), "ok")
        return _back(campaign_id)
    if request.method == "POST":
        flash(first_error(form), "error")
    return render_template("admin/dossiers_forget_phones.html", campaign=campaign, form=form,
                           phones=dossier_service.phone_counts(s, campaign), law=PRIVACY_LAW), \
        400 if request.method == "POST" else 200


@bp.get("/dot/<int:campaign_id>/ho-so/the-qr")
@roles_required("admin")
def dossier_cards(campaign_id: int):
    """The drawn dossiers' QR cards to hand over at the counter (A4, cut marks): those without a phone, or
    every drawn one with ``?tat-ca=1``. A card names the unit and the group and ends the dossier number,
    never the phone. Opening the page is audited (live links leave the server)."""
    every = request.args.get("tat-ca") == "1"
    with read_session() as s:
        campaign = readable_campaign_or_404(s, campaign_id)
        if campaign.status == "closed":
            flash(f"Đợt khảo sát “{campaign.name}” đã kết thúc: không in thẻ QR nữa.", "error")
            return _back(campaign_id)
        info = {"id": campaign.id, "name": campaign.name, "province": campaign.province}
        cards, handed = [], {}
        for d in dossier_service.counter_cards(s, campaign, every):
            link = link_of(secret(), d.invitation)
            if link is None:
                continue  # issued under another SECRET_KEY: its link cannot be derived
            group = d.invitation.group.name
            handed[group] = handed.get(group, 0) + 1
            cards.append({"unit": d.unit.name, "group": group, "number": dossier_service.last_characters(d.number),
                          "svg": qr_inline_svg(form_url(base_url(), link.token), "Mã QR mở phiếu khảo sát")})
        drawn = len(dossier_service.drawn_dossiers(s, campaign))
    which = "mọi hồ sơ đã chọn" if every else "hồ sơ đã chọn không có số điện thoại"
    if cards:
        split = ", ".join(f"{group} {n}" for group, n in handed.items())
        record_links_out(db_session(write=True), actor(), campaign_id, "dossier_cards_print",
                         f"In {len(cards)} thẻ QR của hồ sơ được chọn để trao tại quầy ({which}: {split})",
                         user_id=current_user().id)
    org = ("UBND " + info["province"].upper()) if info["province"] else "UBND TỈNH"
    response = Response(render_template("admin/dossiers_cards.html", campaign=info, cards=cards, every=every,
                                        which=which, drawn=drawn, org=org))
    response.headers["Cache-Control"] = "no-store"  # live links: never kept by a cache
    return response
