"""Where a signed-in person is and how to get back: the breadcrumb trail of every page, from its endpoint.

Each page names its parent page; a page under a campaign has the campaign's home (admin or report)
above it. ``base.html`` shows the trail, so no page is a dead end.
"""
from __future__ import annotations

from flask import g, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db_session
from ..models import Campaign

# endpoint: (label, parent endpoint). A label of None is the campaign's name.
PAGES: dict[str, tuple[str | None, str | None]] = {
    "admin.index": ("Đợt khảo sát", None),
    "admin.new_campaign": ("Tạo đợt khảo sát", "admin.index"),
    "admin.users": ("Người dùng", "admin.index"),
    "admin.user": ("Tài khoản", "admin.users"),
    "admin.users_bulk": ("Thêm nhiều tài khoản", "admin.users"),
    "admin.users_slips": ("Phiếu tài khoản", "admin.users_bulk"),
    "admin.audit_log": ("Nhật ký thao tác", "admin.index"),
    "admin.campaign": (None, "admin.index"),
    "admin.units": ("Đơn vị", "admin.campaign"),
    "admin.plan": ("Kế hoạch mẫu", "admin.campaign"),
    "admin.invitations": ("Đường link và thẻ QR", "admin.campaign"),
    "admin.dossiers": ("Hồ sơ và chọn mẫu", "admin.campaign"),
    "admin.import_invitations": ("Nhập danh sách mời", "admin.invitations"),
    "admin.cards": ("In thẻ QR", "admin.invitations"),
    "admin.paper_ballots": ("In phiếu giấy", "admin.campaign"),
    "admin.print_sheet": ("Bản in phiếu", "admin.paper_ballots"),
    "admin.conflicts": ("Đối chiếu nhập liệu", "admin.campaign"),
    "admin.reconcile": ("Đối chiếu một phiếu", "admin.conflicts"),
    "admin.review": ("Duyệt phiếu", "admin.campaign"),
    "admin.review_ballot": ("Một phiếu", "admin.review"),  # issue 30 item 5
    "admin.dashboard": ("Tiến độ thu phiếu", "admin.campaign"),
    "admin.results": ("Điểm thẩm định", "admin.campaign"),
    "admin.close": ("Kết thúc đợt", "admin.campaign"),
    "admin.ballot_box": ("Hòm phiếu", "admin.campaign"),
    "admin.archive": ("Lưu trữ", "admin.campaign"),
    "admin.preview": ("Xem trước phiếu", "admin.campaign"),
    "admin.criteria": ("Bộ tiêu chí", "admin.campaign"),
    # issue 30 item 2: confirmation pages
    "admin.unit_page": ("Trang đơn vị", "admin.units"),
    "admin.remove_unit": ("Xoá đơn vị", "admin.units"),
    "admin.retire_unit": ("Ngừng sử dụng đơn vị", "admin.units"),
    "admin.open_campaign": ("Mở khảo sát", "admin.campaign"),
    "admin.replace_criteria_view": ("Thay bộ tiêu chí", "admin.criteria"),
    "admin.confirm_criteria": ("Thay bộ tiêu chí", "admin.criteria"),
    "admin.revoke_invitations": ("Thu hồi đường link", "admin.invitations"),
    "admin.import_file": ("Thay tệp đã nhập", "admin.results"),
    "admin.confirm_import": ("Thay tệp đã nhập", "admin.results"),
    "reports.index": ("Báo cáo", None),
    "reports.overview": (None, "reports.index"),
    "reports.survey_points": ("Điểm điều tra XHH", "reports.overview"),
    "reports.final": ("Kết quả chỉ số", "reports.overview"),
    "reports.intervals": ("Độ tin cậy", "reports.overview"),
    "reports.findings": ("Nhận xét", "reports.overview"),
    "reports.printable": ("Bản in", "reports.overview"),
    "reports.comments": ("Ý kiến của người trả lời", "reports.overview"),
    "entry.start": ("Nhập liệu phiếu giấy", None),
    "entry.ballot": ("Nhập một phiếu", "entry.start"),
}


def _campaign(campaign_id: int) -> Campaign | None:
    if "nav_campaign" not in g:
        g.nav_campaign = db_session().get(Campaign, campaign_id)
    return g.nav_campaign


def breadcrumbs() -> list[tuple[str, str | None]]:
    """The trail to this page as ``(label, url)``, the page itself last (url None); empty outside
    the signed-in pages."""
    if g.get("error_page"):
        return []
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    try:
        campaign = _campaign(args["campaign_id"]) if "campaign_id" in args else None
    except SQLAlchemyError:  # the error page of a database failure: no trail rather than a second error
        return []
    trail: list[tuple[str, str | None]] = []
    current = endpoint
    while current in PAGES:
        label, parent = PAGES[current]
        if label is None:
            if campaign is None:
                return []
            label = campaign.name
        if current == endpoint:
            url = None
        elif "campaign_id" in args and current not in ("admin.index", "reports.index", "admin.users"):
            url = url_for(current, campaign_id=args["campaign_id"])
        else:
            url = url_for(current)
        trail.append((label, url))
        current = parent
    return trail[::-1] if len(trail) > 1 else []
