"""Personal links and QR cards: import, print, export, send, remind. Admin only (links open forms)."""
from __future__ import annotations

import smtplib
from collections import Counter

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import operations as ops
from ..campaigns import campaign_criteria
from ..csv_import import CsvProblems, parse_invitations
from ..extensions import db_session
from ..invitations import format_short_code, link_of
from ..links import card_instruction, email_text, form_url, qr_png, qr_svg, zalo_text
from ..mailer import SmtpSettings, send_all
from ..models import Campaign, Invitation, Unit
from ..users import roles_required
from . import bp
from .routes import actor, campaign_or_404, csv_response, show_problems, unit_and_group, uploaded

EXPORT_COLUMNS = ("name", "group", "unit", "email", "phone", "kind", "link", "short_code", "zalo_sms_text",
                  "email_subject", "email_body", "sent", "opened", "answered")


def base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or request.url_root


def secret() -> str:
    return current_app.config["SECRET_KEY"]


def _invitations(campaign_id: int, only_unanswered: bool = False) -> list[Invitation]:
    query = select(Invitation).where(Invitation.campaign_id == campaign_id)
    if only_unanswered:
        query = query.where(Invitation.used.is_(False))
    return db_session().scalars(query.order_by(Invitation.group_id, Invitation.unit_id, Invitation.id)).all()


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
    units = db_session().scalars(select(Unit).where(Unit.campaign_id == campaign_id, Unit.level != "xa").order_by(Unit.level, Unit.id)).all()
    card_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "qr", "mixed")]
    return render_template("admin/invitations.html", campaign=campaign, groups=campaign.groups, counts=counts,
                           waiting=sorted(waiting.items(), key=lambda kv: -kv[1]), units=units,
                           card_groups=card_groups, smtp=SmtpSettings.from_env() is not None,
                           recent=[(inv, link_of(secret(), inv)) for inv in all_invitations if inv.kind == "personal"][:50],
                           base_url=base_url())


@bp.post("/dot/<int:campaign_id>/loi-moi/nhap")
@roles_required("admin")
def import_invitations(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    data = uploaded()
    if data is not None:
        session = db_session()
        units = {u.code: u for u in session.scalars(select(Unit).where(Unit.campaign_id == campaign_id))}
        try:
            rows = parse_invitations(data, units, {g.code: g for g in campaign.groups}, campaign_criteria(campaign))
        except CsvProblems as exc:
            show_problems(exc, "Nhập danh sách mời")
        else:
            made = ops.create_invitations(session, campaign, rows, secret(), actor())
            flash(f"Đã tạo {len(made)} đường link cá nhân. Tải tệp CSV để gửi qua Zalo, tin nhắn hoặc thư.", "ok")
    return redirect(url_for("admin.invitations", campaign_id=campaign_id))


@bp.post("/dot/<int:campaign_id>/the-qr")
@roles_required("admin")
def make_cards(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    unit, group = unit_and_group(campaign_id, request.form.get("unit", ""), request.form.get("group", ""))
    count = request.form.get("count", "")
    if unit is None or group is None or not count.isdigit() or not 1 <= int(count) <= 500:
        flash("Chọn đơn vị, đối tượng và số thẻ từ 1 đến 500.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    if campaign_criteria(campaign).group_by_code[group.code].rule_for(unit.level) is None:
        flash(f"{group.name} không đánh giá {unit.name}.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    ops.create_qr_cards(db_session(), campaign, unit, group, int(count), secret(), actor())
    flash(f"Đã tạo {count} thẻ QR cho {group.name} — {unit.name}.", "ok")
    return redirect(url_for("admin.cards", campaign_id=campaign_id, don_vi=unit.code, doi_tuong=group.code))


@bp.get("/dot/<int:campaign_id>/the-qr/in")
@roles_required("admin")
def cards(campaign_id: int):
    """An A4 sheet of the unused QR cards of a unit × group, to print and cut."""
    campaign = campaign_or_404(campaign_id)
    unit, group = unit_and_group(campaign_id, request.args.get("don_vi", ""), request.args.get("doi_tuong", ""))
    if unit is None or group is None:
        abort(404)
    cards = []
    for inv in db_session().scalars(select(Invitation).where(
            Invitation.campaign_id == campaign_id, Invitation.unit_id == unit.id, Invitation.group_id == group.id,
            Invitation.kind == "qr_card", Invitation.used.is_(False)).order_by(Invitation.id)):
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
    settings = SmtpSettings.from_env()
    reminder = request.form.get("lan") == "nhac"
    if settings is None:
        flash("Chưa cấu hình máy chủ thư (SMTP_HOST): dùng tệp CSV để gửi qua Zalo hoặc thư.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    targets = [inv for inv in _invitations(campaign_id, only_unanswered=True)
               if inv.email and inv.kind == "personal" and (reminder or inv.sent_at is None)]
    messages, sent = [], []
    for inv in targets:
        link = link_of(secret(), inv)
        if link is not None:
            subject, body = email_text(inv.name, inv.group.name, campaign.name, form_url(base_url(), link.token), reminder)
            messages.append((inv.email, subject, body))
            sent.append(inv)
    try:
        failed = send_all(settings, messages) if messages else []
    except (OSError, smtplib.SMTPException) as exc:
        flash(f"Không gửi được thư: {exc}. Không có thư nào được đánh dấu là đã gửi.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    refused = {address for address, _ in failed}
    ops.mark_sent(db_session(), [inv for inv in sent if inv.email not in refused], actor(), reminder)
    flash(f"Đã gửi {len(sent) - len(refused)} thư{' nhắc' if reminder else ''}"
          + (f"; {len(refused)} địa chỉ bị từ chối: {', '.join(sorted(refused))}" if refused else "") + ".", "ok")
    return redirect(url_for("admin.invitations", campaign_id=campaign_id))
