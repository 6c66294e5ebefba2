"""In a browser, on an open SIPAS campaign beside the demo's: the dossiers page after a draw, the drawn list
downloaded, "Đã gửi tin nhắn — xoá số điện thoại" confirmed on its page, and the counter cards page; axe-core
finds nothing on any of them."""
from __future__ import annotations

import random

import pytest

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.extensions import DB_KEY
from survey_app.services import dossiers
from survey_app.services.campaigns import create_campaign
from survey_app.services.csv_import import NewUnit
from survey_app.services.units import add_units, set_targets
from survey_app.services.users import create_user

from .a11y import violations
from .conftest import TEST_SECRET
from .test_auth import PASSWORD

pytestmark = pytest.mark.browser
HEADER = "Số hồ sơ,Đơn vị,Thủ tục hành chính,Lĩnh vực,Ngày trả kết quả,Điện thoại,Người nộp (công dân/tổ chức)\n"


def _axe_clean(page) -> None:
    found = violations(page)
    assert found == [], f"{page.url}: {found}"


def _click(page, locator) -> None:
    locator.click()
    page.wait_for_load_state("networkidle")


@pytest.fixture
def campaign_id(demo_app) -> int:
    """An open SIPAS campaign: Sở Tư pháp, 4 citizens' dossiers (2 with a phone) all drawn, 2 organisations'
    (1 drawn, no phone); an admin ``qt``."""
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        campaign = create_campaign(s, year=2026, name="SIPAS thử", criteria_texts=read_set_texts(
            DEFAULT_SET_DIR.parent / "sipas"), actor="t")
        add_units(s, campaign, [NewUnit("so_tp", "Sở Tư pháp", "so", None)], actor="t")
        s.flush()
        groups = {g.code: g for g in campaign.groups}
        unit = campaign.units[0]
        set_targets(s, campaign, [(unit, groups["nguoi_dan"], 4), (unit, groups["to_chuc"], 1)], actor="t")
        rows = [f"TP-{i},so_tp,Cấp phiếu lý lịch tư pháp,Lý lịch tư pháp,15/03/2026,"
                f"{f'091234500{i}' if i <= 2 else ''},\n" for i in range(1, 5)]
        rows += [f"DN-{i},so_tp,Đăng ký doanh nghiệp,Doanh nghiệp,15/03/2026,,Doanh nghiệp\n" for i in range(1, 3)]
        dossiers.import_dossiers(s, campaign, (HEADER + "".join(rows)).encode(), "t")
        for code in ("nguoi_dan", "to_chuc"):
            dossiers.draw_sample(s, campaign, groups[code], 3, False, "t", TEST_SECRET)
        return campaign.id


def test_the_dossier_pages_after_the_draw_pass_axe(browser, live_server, campaign_id):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("qt")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    _click(page, page.get_by_role("button", name="Đăng nhập"))
    page.goto(f"{live_server}/quan-tri/dot/{campaign_id}/ho-so")
    assert "đối tượng Tổ chức, doanh nghiệp" in page.locator("#hat-giong").inner_text()
    _axe_clean(page)
    with page.expect_download():
        page.get_by_role("link", name="Tải danh sách hồ sơ đã chọn, kèm đường link và tin nhắn SMS (CSV)").click()
    page.reload()
    _click(page, page.get_by_role("link", name="Đã gửi tin nhắn — xoá số điện thoại"))
    assert "Sẽ xoá 2 số điện thoại" in page.locator("#se-xoa").inner_text()
    _axe_clean(page)
    page.get_by_label("Tôi xác nhận đã gửi tin nhắn mời; xoá các số điện thoại này (không hoàn tác được)").check()
    _click(page, page.get_by_role("button", name="Xoá 2 số điện thoại"))
    assert page.locator("#so-con-lai").inner_text() == "Các hồ sơ không còn số điện thoại nào."
    _axe_clean(page)
    _click(page, page.get_by_role("link", name="In thẻ QR cho hồ sơ đã chọn không có số điện thoại"))
    # TP-3, TP-4 and the organisation's: never texted; TP-1 and TP-2 were texted (their phones deleted since)
    (organisation,) = random.Random("3-so_tp").sample(["DN-1", "DN-2"], 1)  # the documented draw, seed 3
    assert page.locator("p.qr-code").all_inner_texts() == [f"Hồ sơ {organisation}", "Hồ sơ TP-3", "Hồ sơ TP-4"]
    _axe_clean(page)
    context.close()
