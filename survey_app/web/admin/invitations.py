"""Personal links and QR cards: import, print, export, send, remind. Admin only (links open forms)."""
from __future__ import annotations

import smtplib
from collections import Counter

from flask import Response, abort, flash, redirect, render_template, url_for

from ...extensions import db_session
from ...models import Campaign, Invitation
from ...outputs.qr import qr_png, qr_svg
from ...services import invitations as invitation_service
from ...services.campaigns import campaign_criteria
from ...services.csv_import import CsvProblems, parse_invitations
from ...services.invitations import format_short_code, link_of
from ...services.mailer import SmtpSettings, send_all
from ...services.messages import card_instruction, email_text, form_url, zalo_text
from ...services.units import units_by_code
from ..common import (
    actor,
    base_url,
    campaign_or_404,
    collecting_or_back,
    csv_response,
    first_error,
    read_session,
    readable_campaign_or_404,
    roles_required,
    secret,
    show_problems,
    unit_and_group,
)
from . import bp
from .forms import CardsQuery, CountForm, SendForm, UploadForm

EXPORT_COLUMNS = ("name", "group", "unit", "email", "phone", "kind", "link", "short_code", "zalo_sms_text",
                  "email_subject", "email_body", "sent", "opened", "answered")


def _invitations(campaign_id: int, only_unanswered: bool = False) -> list[Invitation]:
    return invitation_service.invitations_of(db_session(), campaign_id, only_unanswered)


def _export_row(campaign: Campaign, inv: Invitation, reminder: bool = False) -> tuple:
    link = link_of(secret(), inv)
    url = form_url(base_url(), link.token) if link else ""
    subject, body = email_text(inv.name, inv.group.name, campaign.name, url, reminder) if link else ("", "")
    return (inv.name or "", inv.group.code, inv.unit.code if inv.unit else "", inv.email or "", inv.phone or "",
            inv.kind, url, format_short_code(link.short_code) if link and link.short_code else "",
            zalo_text(inv.name, inv.group.name, campaign.name, url) if link else "", subject, body,
            1 if inv.sent_at else 0, int(inv.opened), int(inv.used))


@bp.get("/dot/<int:campaign_id>/loi-moi")
@roles_required("admin")
def invitations(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    all_invitations = _invitations(campaign_id)
    counts = Counter()
    waiting = Counter()
    for inv in all_invitations:
        counts[(inv.group.name, "invited")] += 1
        counts[(inv.group.name, "opened")] += int(inv.opened)
        counts[(inv.group.name, "used")] += int(inv.used)
        counts[(inv.group.name, "email")] += int(bool(inv.email))
        if not inv.used:
            waiting[(inv.unit.name if inv.unit else "(mọi đơn vị)", inv.group.name, inv.kind)] += 1
    units = sorted((u for u in campaign.units if u.level != "xa"), key=lambda u: (u.level, u.id))
    card_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "qr", "mixed")]
    return render_template(
        "admin/invitations.html",
        campaign=campaign,
        groups=campaign.groups,
        counts=counts,
        waiting=sorted(waiting.items(), key=lambda kv: -kv[1]),
        units=units,
        card_groups=card_groups,
        smtp=SmtpSettings.from_env() is not None,
        recent=[(inv, link_of(secret(), inv)) for inv in all_invitations if inv.kind == "personal"][:50],
        base_url=base_url(),
    )


@bp.post("/dot/<int:campaign_id>/loi-moi/nhap")
@roles_required("admin")
def import_invitations(campaign_id: int):
    back = redirect(url_for("admin.invitations", campaign_id=campaign_id))
    data = UploadForm().read()
    if data is None:
        return back
    with read_session() as s:  # the whole file is checked before the write lock is taken
        read = readable_campaign_or_404(s, campaign_id)
        try:
            rows = parse_invitations(data, units_by_code(read), {g.code: g for g in read.groups},
                                     campaign_criteria(read))
        except CsvProblems as exc:
            show_problems(exc.problems, "Nhập danh sách mời")
            return back
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.invitations"):
        return closed
    made = invitation_service.create_invitations(db_session(), campaign, rows, secret(), actor())
    flash(f"Đã tạo {len(made)} đường link cá nhân. Tải tệp CSV để gửi qua Zalo, tin nhắn hoặc thư.", "ok")
    return back


@bp.post("/dot/<int:campaign_id>/the-qr")
@roles_required("admin")
def make_cards(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.invitations"):
        return closed
    form = CountForm()
    valid = form.validate()
    unit, group = unit_and_group(campaign_id, form.unit.data, form.group.data)
    if not valid or unit is None or group is None or form.count.data > 500:
        flash("Chọn đơn vị, đối tượng và số thẻ từ 1 đến 500.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    count = form.count.data
    if campaign_criteria(campaign).group_by_code[group.code].rule_for(unit.level) is None:
        flash(f"{group.name} không đánh giá {unit.name}.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    invitation_service.create_qr_cards(db_session(), campaign, unit, group, count, secret(), actor())
    flash(f"Đã tạo {count} thẻ QR cho {group.name} — {unit.name}.", "ok")
    return redirect(url_for("admin.cards", campaign_id=campaign_id, don_vi=unit.code, doi_tuong=group.code))


@bp.get("/dot/<int:campaign_id>/the-qr/in")
@roles_required("admin")
def cards(campaign_id: int):
    """An A4 sheet of the unused QR cards of a unit × group, to print and cut."""
    campaign = campaign_or_404(campaign_id)
    query = CardsQuery()
    unit, group = (
        unit_and_group(campaign_id, query.don_vi.data, query.doi_tuong.data) if query.validate() else (None, None)
    )
    if unit is None or group is None:
        abort(404)
    cards = []
    for inv in invitation_service.unused_cards(db_session(), campaign_id, unit, group):
        link = link_of(secret(), inv)
        if link is not None:
            svg = qr_svg(form_url(base_url(), link.token))
            cards.append((svg[svg.index("<svg"):], format_short_code(link.short_code),
                          card_instruction(base_url(), link.short_code)))
    return render_template("admin/cards.html", campaign=campaign, unit=unit, group=group, cards=cards)


@bp.get("/loi-moi/<int:invitation_id>/qr.<fmt>")
@roles_required("admin")
def qr_image(invitation_id: int, fmt: str):
    inv = db_session().get(Invitation, invitation_id)
    link = link_of(secret(), inv) if inv is not None else None
    if link is None or fmt not in ("png", "svg"):
        abort(404)
    url = form_url(base_url(), link.token)
    if fmt == "png":
        return Response(qr_png(url), mimetype="image/png")
    return Response(qr_svg(url), mimetype="image/svg+xml")


@bp.get("/dot/<int:campaign_id>/loi-moi.csv")
@roles_required("admin")
def export_invitations(campaign_id: int):
    """Every link with its texts, for mail merge (Zalo, SMS, e-mail)."""
    campaign = campaign_or_404(campaign_id)
    rows = [_export_row(campaign, inv) for inv in _invitations(campaign_id)]
    return csv_response(f"duong-link-{campaign.year}.csv", EXPORT_COLUMNS, rows)


@bp.get("/dot/<int:campaign_id>/nhac-nho.csv")
@roles_required("admin")
def export_reminders(campaign_id: int):
    """The links not yet answered, with reminder texts, by unit and group."""
    campaign = campaign_or_404(campaign_id)
    rows = [_export_row(campaign, inv, reminder=True) for inv in _invitations(campaign_id, only_unanswered=True)]
    return csv_response(f"nhac-nho-{campaign.year}.csv", EXPORT_COLUMNS, rows)


@bp.post("/dot/<int:campaign_id>/gui-thu")
@roles_required("admin")
def send_emails(campaign_id: int):
    """E-mail the links: ``lan=dau`` to those never sent, ``lan=nhac`` a reminder to all not answered."""
    campaign = campaign_or_404(campaign_id)
    form = SendForm()
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    settings = SmtpSettings.from_env()
    reminder = form.lan.data == "nhac"
    if settings is None:
        flash("Chưa cấu hình máy chủ thư (SMTP_HOST): dùng tệp CSV để gửi qua Zalo hoặc thư.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    targets = [inv for inv in _invitations(campaign_id, only_unanswered=True)
               if inv.email and inv.kind == "personal" and (reminder or inv.sent_at is None)]
    messages, sent = [], []
    for inv in targets:
        link = link_of(secret(), inv)
        if link is not None:
            subject, body = email_text(
                inv.name, inv.group.name, campaign.name, form_url(base_url(), link.token), reminder
            )
            messages.append((inv.email, subject, body))
            sent.append(inv)
    try:
        failed = send_all(settings, messages) if messages else []
    except (OSError, smtplib.SMTPException) as exc:
        flash(f"Không gửi được thư: {exc}. Không có thư nào được đánh dấu là đã gửi.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    refused = {address for address, _ in failed}
    invitation_service.mark_sent(db_session(), [inv for inv in sent if inv.email not in refused], actor(), reminder)
    flash(f"Đã gửi {len(sent) - len(refused)} thư{' nhắc' if reminder else ''}"
          + (f"; {len(refused)} địa chỉ bị từ chối: {', '.join(sorted(refused))}" if refused else "") + ".", "ok")
    return redirect(url_for("admin.invitations", campaign_id=campaign_id))
