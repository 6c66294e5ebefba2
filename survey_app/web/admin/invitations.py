"""Personal links and QR cards: import, print, export, send, remind. Admin only (links open forms).

Every way a link or card leaves the server (a download, the sheet of cards, a QR image, e-mails) writes a
``links_out`` audit row in the request's transaction (:func:`survey_app.services.audit.record_links_out`).
On a GET the links are read, and the file or page made, in a session of its own first; only then does
the request's session take the write lock, for the row alone, and it commits before the file leaves: a
failed write is an error page and nothing is sent.
"""
from __future__ import annotations

import re
import smtplib
from collections import Counter

from flask import Response, abort, flash, redirect, render_template, url_for

from ...extensions import db_session
from ...models import Campaign, Invitation
from ...outputs.exports import Column, Sheet, xlsx_file
from ...outputs.qr import qr_png, qr_svg
from ...services import bulk_print
from ...services import invitations as invitation_service
from ...services import units as unit_service
from ...services.audit import handout_text, record_links_out
from ...services.campaigns import campaign_criteria
from ...services.csv_import import Catalogue, CsvProblems, parse_invitations
from ...services.invitations import format_short_code, link_of
from ...services.mailer import SmtpSettings, send_all
from ...services.messages import card_instruction, email_text, form_url, group_greeting, zalo_text
from ...services.units import rated_pairs
from ..common import (
    actor,
    base_url,
    campaign_or_404,
    collecting_or_back,
    csv_response,
    current_user,
    first_error,
    read_session,
    readable_campaign_or_404,
    roles_required,
    secret,
    send_temporary,
    show_problems,
    unit_and_group,
)
from . import bp
from .forms import LINK_STATES, CardsPrintQuery, InvitationUploadForm, IssueCountForm, LinksQuery, SendForm
from .listing import matches, page_of
from .print_all import print_all_panel
from .revoking import revoke_after_confirmation

# For mail merge, in Excel and CSV: Vietnamese headings on row 1; phone numbers and codes are text (Excel keeps
# their leading 0).
XLSX_COLUMNS = [Column("name", "Họ tên", width=24), Column("group", "Đối tượng", width=26),
                Column("unit", "Đơn vị", width=24), Column("email", "Thư điện tử", width=24),
                Column("phone", "Điện thoại", width=13), Column("kind", "Loại"), Column("link", "Đường link", width=50),
                Column("short_code", "Mã thẻ"), Column("zalo_sms_text", "Tin nhắn Zalo/SMS", width=60),
                Column("email_subject", "Tiêu đề thư", width=30), Column("email_body", "Nội dung thư", width=60),
                Column("sent", "Đã gửi thư", "integer"), Column("opened", "Đã mở", "integer"),
                Column("answered", "Đã trả lời", "integer")]
FORMAT_WORDS = {"csv": "CSV", "xlsx": "Excel"}
EVERYTHING = "tất cả đối tượng, tất cả đơn vị"
DUPLICATE_CHOICES = {"hoi": "Hỏi lại tôi (không tạo gì)", "bo-qua": "Bỏ qua người đã được mời",
                     "van-tao": "Vẫn tạo thêm đường link"}


def _links_query() -> LinksQuery:
    query = LinksQuery()
    if not query.validate():
        abort(404)
    return query


def _state_of(inv: Invitation) -> str:
    return "thu-hoi" if inv.revoked else ("da-dung" if inv.used else "chua-dung")


def _searched(inv: Invitation, words: str) -> bool:
    """Whether the link's person, contacts, group, unit, number or link code hold every word of ``words``."""
    if not words:
        return True
    link = link_of(secret(), inv)
    return matches(words, inv.name, inv.phone, inv.email, inv.group.name, inv.group.code,
                   inv.unit.name if inv.unit else None, inv.unit.code if inv.unit else None, f"số {inv.id}",
                   link.token if link else None, format_short_code(link.short_code) if link and link.short_code
                   else None)


def filtered_links(personal: list[Invitation], query: LinksQuery, closed: bool) -> list[Invitation]:
    """The personal links the list's filters give, in the list's order.

    Parameters
    ----------
    personal : list of Invitation
        The campaign's personal links (states read).
    query : LinksQuery
        The filters: words, unit id (``khong``: no unit), group code, state.
    closed : bool
        The campaign is closed: used marks are gone, so ``chua-dung`` means only "not revoked" and
        ``da-dung`` finds nothing.

    Returns
    -------
    list of Invitation
    """
    unit, group, state = query.don_vi.data or "", query.doi_tuong.data or "", query.tinh_trang.data or ""
    return [inv for inv in personal
            if (not unit or str(inv.unit_id or "khong") == unit) and (not group or inv.group.code == group)
            and (not state or (("thu-hoi" if inv.revoked else "chua-dung") if closed else _state_of(inv)) == state)
            and _searched(inv, (query.q.data or "")[:200])]


def _filter_words(campaign: Campaign, query: LinksQuery) -> str:
    """The filters in words, for the links-out audit row of a filtered export."""
    parts = []
    if query.q.data:
        parts.append(f"tìm “{query.q.data}”")
    if query.doi_tuong.data:
        group = next((g.name for g in campaign.groups if g.code == query.doi_tuong.data), query.doi_tuong.data)
        parts.append(f"đối tượng {group}")
    if query.don_vi.data:
        unit = next((u.name for u in campaign.units if str(u.id) == query.don_vi.data), "không có đơn vị")
        parts.append(f"đơn vị {unit}")
    if query.tinh_trang.data:
        parts.append(LINK_STATES[query.tinh_trang.data].lower())
    return "đường link cá nhân đang lọc: " + ", ".join(parts)


def _invitations(campaign_id: int, only_unanswered: bool = False) -> list[Invitation]:
    return invitation_service.invitations_of(db_session(), campaign_id, secret(), only_unanswered)


def _handed_out(campaign_id: int, channel: str, text: str) -> None:
    """The audit row of links leaving now, in the request's session (taking the write lock on a GET)."""
    record_links_out(db_session(write=True), actor(), campaign_id, channel, text, user_id=current_user().id)


def _export_row(campaign: Campaign, inv: Invitation, reminder: bool = False) -> tuple:
    link = link_of(secret(), inv) if not inv.revoked else None
    url = form_url(base_url(), link.token) if link else ""
    greeting = group_greeting(campaign_criteria(campaign), inv.group.code)
    subject, body = email_text(inv.name, inv.group.name, campaign.name, url, reminder, greeting,
                               campaign.province) if link else ("", "")
    return (inv.name or "", inv.group.name, inv.unit.name if inv.unit else "", inv.email or "", inv.phone or "",
            "thu hồi" if inv.revoked else ("thẻ QR" if inv.kind == "qr_card" else "cá nhân"), url,
            format_short_code(link.short_code) if link and link.short_code else "",
            zalo_text(inv.name, url, reminder, greeting, campaign.province) if link else "", subject, body,
            1 if inv.sent_at else 0, *(("", "") if campaign.status == "closed" else (int(inv.opened), int(inv.used))))


@bp.get("/dot/<int:campaign_id>/loi-moi")
@roles_required("admin")
def invitations(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    cset = campaign_criteria(campaign)
    all_invitations = _invitations(campaign_id)
    counts = Counter()
    waiting = Counter()
    for inv in all_invitations:
        if inv.revoked:
            counts[(inv.group.name, "revoked")] += 1
            continue
        counts[(inv.group.name, "invited")] += 1
        counts[(inv.group.name, "opened")] += int(inv.opened)
        counts[(inv.group.name, "used")] += int(inv.used)
        counts[(inv.group.name, "email")] += int(bool(inv.email))
        if not inv.used:
            waiting[(inv.unit.name if inv.unit else "(mọi đơn vị)", inv.group.name, inv.kind)] += 1
    card_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "qr", "mixed")]
    query = _links_query()
    personal = [inv for inv in all_invitations if inv.kind == "personal"]
    chosen = filtered_links(personal, query, campaign.status == "closed")
    page = page_of(chosen, query.trang.data)
    selectable = [inv.id for inv in chosen if not inv.used and not inv.revoked]
    all_chosen = query.chon.data == "tat-ca"
    shown = {inv.id for inv in page.items}
    return render_template(
        "admin/invitations.html",
        campaign=campaign,
        closed=campaign.status == "closed",
        groups=campaign.groups,
        counts=counts,
        waiting=sorted(waiting.items(), key=lambda kv: -kv[1]),
        pairs=rated_pairs(campaign, card_groups),
        smtp=SmtpSettings.from_env() is not None,
        personal=personal,
        links=page,
        link_args=query.filters(),
        link_units=sorted({(inv.unit.name, str(inv.unit_id)) for inv in personal if inv.unit}),
        links_without_unit=any(inv.unit is None for inv in personal),
        link_states=LINK_STATES,
        query=query,
        selectable=selectable,
        all_chosen=all_chosen,
        hidden_chosen=[i for i in selectable if i not in shown] if all_chosen else [],
        duplicate_choices=DUPLICATE_CHOICES,
        print_all=print_all_panel(campaign, "loi-moi"),
    )


@bp.post("/dot/<int:campaign_id>/loi-moi/nhap")
@roles_required("admin")
def import_invitations(campaign_id: int):
    back = redirect(url_for("admin.invitations", campaign_id=campaign_id))
    form = InvitationUploadForm()
    data = form.read()
    if data is None:
        return back
    with read_session() as s:  # the whole file is checked before the write lock is taken
        read = readable_campaign_or_404(s, campaign_id)
        try:
            rows = parse_invitations(data, Catalogue(read, campaign_criteria(read)))
        except CsvProblems as exc:
            show_problems(exc.problems, "Nhập danh sách mời")
            return back
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.invitations"):
        return closed
    session = db_session()
    duplicates = invitation_service.already_invited(session, campaign, rows)
    if duplicates and form.duplicates.data == "hoi":
        return render_template("admin/duplicates.html", campaign=campaign, duplicates=duplicates, total=len(rows),
                               duplicate_choices=DUPLICATE_CHOICES), 409
    if form.duplicates.data == "bo-qua":
        skipped = {id(row) for row, _why in duplicates}
        rows = [row for row in rows if id(row) not in skipped]
    made = invitation_service.create_invitations(session, campaign, rows, secret(), actor())
    skipped_text = f" Bỏ qua {len(duplicates)} người đã được mời." if form.duplicates.data == "bo-qua" and duplicates \
        else ""
    flash(f"Đã tạo {len(made)} đường link cá nhân.{skipped_text} Tải tệp Excel để gửi qua Zalo, tin nhắn hoặc thư.",
          "ok")
    return back


@bp.post("/dot/<int:campaign_id>/loi-moi/thu-hoi")
@roles_required("admin")
def revoke_invitations(campaign_id: int):
    """Revoke the chosen links not yet answered (kept and audited; they open nothing any more), after a
    confirmation page, with an undo (issue 30 item 2: :mod:`.revoking`)."""
    return revoke_after_confirmation(campaign_id)


@bp.post("/dot/<int:campaign_id>/the-qr")
@roles_required("admin")
def make_cards(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if closed := collecting_or_back(campaign, "admin.invitations"):
        return closed
    form = IssueCountForm()
    valid = form.validate()
    unit, group = unit_and_group(campaign_id, *form.codes())
    if not valid or unit is None or group is None or form.count.data > 500:
        flash("Chọn đơn vị, đối tượng và số thẻ từ 1 đến 500.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    count = form.count.data
    cell = bulk_print.cell_of(db_session(), campaign, unit, group)  # issue 30 item 6: past the plan needs a reason
    try:
        extra = bulk_print.check_over_plan(cell, count, form.ly_do.data or "", "thẻ QR")
        made = invitation_service.create_qr_cards(db_session(), campaign, unit, group, count, secret(), actor())
    except (invitation_service.CardRefused, bulk_print.OverPlan) as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    if extra:
        bulk_print.record_over_plan(db_session(), campaign, cell, "thẻ QR", count, extra, form.ly_do.data, actor(),
                                    current_user().id)
    flash(f"Đã tạo {count} thẻ QR cho {group.name} — {unit.name}.", "ok")
    return redirect(url_for("admin.cards", campaign_id=campaign_id, don_vi=unit.code, doi_tuong=group.code,
                            tu=made[0][0].id, den=made[-1][0].id))


@bp.get("/dot/<int:campaign_id>/the-qr/in")
@roles_required("admin")
def cards(campaign_id: int):
    """An A4 sheet of QR cards of a unit × group, to print and cut: the new ones (ids ``tu``..``den``) by
    default; every unused card (``chon=tat-ca``) or the codes typed (``chon=ma``) is a reprint, audited."""
    query = CardsPrintQuery()
    with read_session() as s:
        campaign = readable_campaign_or_404(s, campaign_id)
        unit, group = (unit_service.unit_and_group(s, campaign_id, query.don_vi.data or "", query.doi_tuong.data or "")
                       if query.validate() else (None, None))
        if unit is None or group is None:
            abort(404)
        refusal = invitation_service.card_refusal(campaign_criteria(campaign), unit, group)
        if refusal:  # cards made before they were refused for a level the group does not rate open nothing
            flash(refusal, "error")
            return redirect(url_for("admin.invitations", campaign_id=campaign_id))
        choice, new_range, typed, cards = card_selection(query)
        wanted = {invitation_service.normalise_short_code(code) for code in re.split(r"[,;\n]+", typed)} - {""}
        for inv in invitation_service.unused_cards(s, campaign_id, unit, group, secret()):
            link = link_of(secret(), inv)
            if link is None or (choice == "moi" and not new_range[0] <= inv.id <= new_range[1]) \
                    or (choice == "ma" and link.short_code not in wanted):
                continue
            svg = qr_svg(form_url(base_url(), link.token))
            cards.append((svg[svg.index("<svg"):], format_short_code(link.short_code),
                          card_instruction(base_url(), link.short_code)))
    reprint = bool(query.chon.data) and choice != "moi"  # chosen on the page: a reprint, audited as one
    action = "In lại" if reprint else "Mở trang in"
    _handed_out(campaign_id, "qr_cards_reprint" if reprint else "qr_cards_print", handout_text(
        action, [("qr_card", group.name)] * len(cards), f"đối tượng {group.name}, đơn vị {unit.name}"))
    shown = {"moi": "thẻ vừa tạo", "tat-ca": "thẻ chưa dùng", "ma": "thẻ theo mã đã gõ"}[choice] + \
        (" (in lại)" if reprint else "")
    return render_template("admin/cards.html", campaign=campaign, unit=unit, group=group, cards=cards, shown=shown,
                           choice=choice, new_range=new_range if new_range[1] else None, typed=typed)


def card_selection(query) -> tuple[str, tuple[int, int], str, list]:
    """Which cards the print page shows: ``moi`` (the new range, the default when there is one), ``tat-ca``
    (every unused card) or ``ma`` (the codes typed); the range, the codes typed and an empty list to fill."""
    new_range = (query.tu.data or 0, query.den.data or 0)
    choice = query.chon.data or ("moi" if new_range[1] else "tat-ca")
    if choice == "moi" and not new_range[1]:
        choice = "tat-ca"
    return choice, new_range, (query.ma.data or "") if choice == "ma" else "", []


@bp.get("/loi-moi/<int:invitation_id>/qr.<fmt>")
@roles_required("admin")
def qr_image(invitation_id: int, fmt: str):
    with read_session() as s:
        inv = s.get(Invitation, invitation_id)
        link = link_of(secret(), inv) if inv is not None else None
        if link is None or fmt not in ("png", "svg"):
            abort(404)
        handed = handout_text(f"Tải mã QR ({fmt.upper()})", [(inv.kind, inv.group.name)],
                              f"đường link số {inv.id}, đối tượng {inv.group.name}")
    url = form_url(base_url(), link.token)
    image = Response(qr_png(url), mimetype="image/png") if fmt == "png" else \
        Response(qr_svg(url), mimetype="image/svg+xml")
    _handed_out(inv.campaign_id, f"qr_image_{fmt}", handed)
    return image


def _links_file(campaign: Campaign, rows: list[tuple], stem: str, fmt: str):
    """The links as a CSV or an Excel file for mail merge: the headings on row 1 of the first sheet; the notes
    (a draft campaign's links do not open yet; how to send) on a second sheet, "Ghi chú"."""
    if fmt == "csv":
        return csv_response(f"{stem}-{campaign.year}.csv", [c.header for c in XLSX_COLUMNS], rows)
    notes = [("Cột “Tin nhắn Zalo/SMS” viết không dấu để mỗi tin nhắn SMS là một tin (tối đa 160 ký tự); "
              "dòng 1 của trang đầu là tên cột, dùng được ngay để trộn thư (mail merge).",)]
    if campaign.status == "draft":
        notes.insert(0, ("ĐỢT KHẢO SÁT CHƯA MỞ: các đường link chưa dùng được cho đến khi quản trị viên mở "
                         "đợt khảo sát.",))
    sheet = Sheet("Đường link" if stem == "duong-link" else "Nhắc nhở", XLSX_COLUMNS, rows)
    return send_temporary(xlsx_file([sheet, Sheet("Ghi chú", [Column("note", "Ghi chú", width=100)], notes)]),
                          f"{stem}-{campaign.year}.xlsx")


@bp.get("/dot/<int:campaign_id>/loi-moi.<fmt>")
@roles_required("admin")
def export_invitations(campaign_id: int, fmt: str):
    """Every link with its texts, for mail merge (Zalo, SMS, e-mail): XLSX (phones as text) or CSV; with the
    links list's filters in the query string, only the personal links they give."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    query = _links_query()
    return _export(campaign_id, fmt, reminder=False, query=query if query.filters() else None)


@bp.get("/dot/<int:campaign_id>/nhac-nho.<fmt>")
@roles_required("admin")
def export_reminders(campaign_id: int, fmt: str):
    """The links not yet answered, with reminder texts, by unit and group."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return _export(campaign_id, fmt, reminder=True)


def _export(campaign_id: int, fmt: str, reminder: bool, query: LinksQuery | None = None):
    """The links file (every link, the reminders, or the personal links the list's filters give), made from a
    session of its own; then its audit row."""
    with read_session() as s:
        campaign = readable_campaign_or_404(s, campaign_id)
        invitations = invitation_service.invitations_of(s, campaign_id, secret(), only_unanswered=reminder)
        if query is not None:
            invitations = filtered_links([inv for inv in invitations if inv.kind == "personal"], query,
                                         campaign.status == "closed")
            selection = _filter_words(campaign, query)
        rows = [_export_row(campaign, inv, reminder) for inv in invitations]
        handed = [(inv.kind, inv.group.name) for inv, row in zip(invitations, rows) if row[6]]  # row[6]: the link
        response = _links_file(campaign, rows, "nhac-nho" if reminder else "duong-link", fmt)
    verb = f"Tải tệp {FORMAT_WORDS[fmt]}" + (" nhắc nhở" if reminder else "")
    if query is None:
        selection = EVERYTHING + (", chưa trả lời" if reminder else "")
    _handed_out(campaign_id, f"{'reminders' if reminder else 'export'}_{fmt}", handout_text(verb, handed, selection))
    return response


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
                inv.name, inv.group.name, campaign.name, form_url(base_url(), link.token), reminder,
                group_greeting(campaign_criteria(campaign), inv.group.code), campaign.province
            )
            messages.append((inv.email, subject, body))
            sent.append(inv)
    verb = "Gửi thư nhắc" if reminder else "Gửi thư mời"
    selection = "tất cả đối tượng, " + ("chưa trả lời, có thư điện tử" if reminder else "chưa nhận thư mời")
    handed = [(inv.id, inv.email, inv.kind, inv.group.name) for inv in sent]
    # The SMTP conversation may take many seconds: the request's transaction ends first, so that no
    # write lock is held meanwhile (on SQLite, every respondent's save would wait for the mail server).
    db_session().commit()
    try:
        failed = send_all(settings, messages) if messages else []
    except (OSError, smtplib.SMTPException) as exc:
        if messages:  # some may have left before the failure: the row says how many at most
            _handed_out(campaign_id, "email_reminder" if reminder else "email_invitation", handout_text(
                f"{verb} (lỗi giữa chừng: {exc}; tối đa)", [(kind, group) for _i, _e, kind, group in handed],
                selection))
        flash(f"Không gửi được thư: {exc}. Không có thư nào được đánh dấu là đã gửi.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    refused = {address for address, _ in failed}
    delivered = [(i, kind, group) for i, email, kind, group in handed if email not in refused]
    if messages:
        _handed_out(campaign_id, "email_reminder" if reminder else "email_invitation", handout_text(
            verb, [(kind, group) for _i, kind, group in delivered],
            selection + (f"; {len(refused)} địa chỉ bị từ chối" if refused else "")))
    invitation_service.mark_sent(db_session(), [db_session().get(Invitation, i) for i, _k, _g in delivered], actor(),
                                 reminder)
    flash(f"Đã gửi {len(sent) - len(refused)} thư{' nhắc' if reminder else ''}"
          + (f"; {len(refused)} địa chỉ bị từ chối: {', '.join(sorted(refused))}" if refused else "") + ".", "ok")
    return redirect(url_for("admin.invitations", campaign_id=campaign_id))
