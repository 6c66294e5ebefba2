"""Revoking chosen links after a confirmation page, and the undo ("Khôi phục các link vừa thu hồi"), issue 30
item 2. The route that revokes is :func:`.invitations.revoke_invitations`, which hands over to
:func:`revoke_after_confirmation`."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for

from ...extensions import db_session
from ...services import invitations as invitation_service
from ...services.revoking import restore_invitations, revocable
from ..common import actor, campaign_or_404, roles_required, secret
from . import bp
from .confirm import NOT_TICKED, Confirmation, render_confirmation
from .forms import RevokeConfirmForm

NAMED = 10  # links named on the page; "…" for the others


def _names(links) -> str:
    named = [inv.name or f"đường link số {inv.id}" for inv in links[:NAMED]]
    return ", ".join(named) + (", …" if len(links) > NAMED else "")


def _revoke_confirmation(campaign, chosen: list[int], links, error: str = "") -> Confirmation:
    skipped = len(chosen) - len(links)
    lines = [f"{len(links)} đường link ngừng mở được ({_names(links)}): người nhận mở link sẽ thấy link đã bị thu hồi "
             "và không gửi được phiếu.",
             "Các đường link được giữ lại (không xoá) và việc thu hồi được ghi vào nhật ký thao tác."]
    if skipped:
        lines.append(f"{skipped} đường link đã chọn không bị thu hồi: đã gửi phiếu hoặc đã thu hồi từ trước.")
    return Confirmation(
        title=f"Thu hồi {len(links)} đường link?", consequences=lines,
        undo="ngay sau khi thu hồi, nút “Khôi phục các link vừa thu hồi” mở lại đúng các đường link này (cùng "
             "địa chỉ, người nhận dùng lại được).",
        action=url_for("admin.revoke_invitations", campaign_id=campaign.id),
        hidden=[("trang_xac_nhan", "1"), *[("invitation", inv_id) for inv_id in chosen]],
        cancel=url_for("admin.invitations", campaign_id=campaign.id), button=f"Thu hồi {len(links)} đường link",
        confirm_label="Tôi xác nhận thu hồi các đường link này.", error=error)


def revoke_after_confirmation(campaign_id: int):
    """The POST of "Thu hồi các link đã chọn": the confirmation page first; with its box ticked, revoke and
    offer the undo at once."""
    campaign = campaign_or_404(campaign_id)
    form = RevokeConfirmForm()
    if not form.validate() or not form.invitation.data:
        flash("Chọn ít nhất một đường link để thu hồi.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    chosen = sorted(set(form.invitation.data))
    links = revocable(db_session(), campaign, chosen, secret())
    if not links:
        flash("Không có đường link nào để thu hồi: các link đã chọn đã gửi phiếu hoặc đã thu hồi.", "error")
        return redirect(url_for("admin.invitations", campaign_id=campaign_id))
    if not form.xac_nhan.data:
        return render_confirmation(campaign, _revoke_confirmation(
            campaign, chosen, links, NOT_TICKED if form.trang_xac_nhan.data else ""))
    ids = [inv.id for inv in links]
    revoked = invitation_service.revoke_invitations(db_session(), campaign, ids, actor(), secret())
    flash(f"Đã thu hồi {revoked} đường link; người nhận mở link sẽ thấy link đã bị thu hồi.", "ok")
    return render_confirmation(campaign, Confirmation(
        title="Khôi phục các link vừa thu hồi?", tick=False,
        intro=f"Đã thu hồi {revoked} đường link: {_names(links)}. Nếu thu hồi nhầm, khôi phục ngay tại đây.",
        consequences=[f"{revoked} đường link vừa thu hồi mở được trở lại, cùng địa chỉ: người nhận dùng lại được "
                      "link đã nhận.", "Việc khôi phục được ghi vào nhật ký thao tác."],
        action=url_for("admin.restore_invitations", campaign_id=campaign.id),
        hidden=[("invitation", inv_id) for inv_id in ids], button="Khôi phục các link vừa thu hồi",
        cancel=url_for("admin.invitations", campaign_id=campaign.id), cancel_label="Giữ thu hồi, quay lại"))


@bp.post("/dot/<int:campaign_id>/loi-moi/khoi-phuc", endpoint="restore_invitations")
@roles_required("admin")
def restore_invitations_view(campaign_id: int):
    """Undo a revocation: the links just revoked open again (audited)."""
    campaign = campaign_or_404(campaign_id)
    form = RevokeConfirmForm()
    if not form.validate() or not form.invitation.data:
        abort(400)
    restored = restore_invitations(db_session(), campaign, form.invitation.data, actor())
    flash(f"Đã khôi phục {restored} đường link: người nhận dùng lại được link đã nhận." if restored else
          "Không khôi phục đường link nào (đợt đã kết thúc, hoặc các link không bị thu hồi).", "ok" if restored
          else "error")
    return redirect(url_for("admin.invitations", campaign_id=campaign_id))
