"""Setting up next year's campaign in Chromium, counted (issue 30, "Done when"): a newly assigned official signs in
and, following only visible links, copies last year's campaign, edits its criteria set in Excel (downloaded,
changed, uploaded, confirmed), adds units from a file, fills the sample plan, imports the people to invite (their
personal links), adds three staff accounts at once, and prints every QR card and paper ballot the plan lacks. Every
click, choice in a list, file chosen and field typed is one interaction; the walk takes at most 40. Each page on the
way is checked with axe-core (WCAG 2.1 AA) and photographed (``tests/artifacts/setup-NN.png``).
"""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, PaperSerial, SampleTarget, User

from .a11y import violations
from .conftest import CURRENT
from .test_admin_walk_browser import (
    PEOPLE,
    UNITS,
    Walk,
    people,  # noqa: F401 - the fixture: the new admin's account
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("people")]
NAME = "Chỉ số CCHC tỉnh Bắc Kạn năm 2025"
REWORDED = "Mức độ hài lòng về việc niêm yết công khai thủ tục hành chính (viết lại năm 2025)"
STAFF = "Lý Thị Mai; nl.mai; Huyện Ba Bể\nHà Văn Tùng; nl.tung; Huyện Na Rì\nĐàm Thu Hà; nl.ha; Huyện Chợ Đồn"
LIMIT = 40


def crumb_to_campaign(walk: Walk) -> None:
    walk.click(walk.page.locator("nav.crumbs").get_by_role("link", name=NAME))


def step(walk: Walk, name: str) -> None:
    walk.click(walk.page.locator("ol.steps").get_by_role("link", name=name, exact=True))


def test_next_years_campaign_is_set_up_in_at_most_40_interactions(browser, live_server, demo_app, artifacts,
                                                                 tmp_path):
    units_file = tmp_path / "don-vi.csv"
    units_file.write_text(UNITS, encoding="utf-8")
    people_file = tmp_path / "danh-sach-moi.xlsx"
    book = openpyxl.Workbook()
    for row in PEOPLE:
        book.active.append(row)
    book.save(people_file)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    walk = Walk(page, artifacts, "setup")
    sign_in(walk, live_server, "qt.moi")
    path = ["đăng nhập"]

    # 1. Copy last year's campaign (criteria set, units, plan, staff).
    walk.click(page.get_by_role("link", name="Tạo đợt khảo sát"))
    walk.fill(page.get_by_label("Tên đợt khảo sát"), NAME)
    walk.fill(page.get_by_label("Năm đánh giá"), "2025")
    walk.fill(page.get_by_label("Tỉnh, thành phố (in trên thẻ QR và phiếu giấy)"), "Tỉnh Bắc Kạn")
    walk.choose(page.get_by_label("Bắt đầu từ"), f"dot:{CURRENT}")
    walk.click(page.get_by_role("button", name="Tạo đợt khảo sát"))
    assert page.locator("h1").first.inner_text().startswith(NAME)
    path.append(f"sao chép đợt trước ({walk.interactions})")

    # 2. The criteria set, edited in Excel: one question reworded, uploaded, the replacement confirmed.
    step(walk, "Bộ tiêu chí (Excel)")
    with page.expect_download() as download:
        walk.clicks += 1
        page.get_by_role("link", name="Tải bộ tiêu chí (Excel)").click()
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    questions = workbook["Câu hỏi"]
    headings = [c.value for c in questions[1]]
    text_column = headings.index("Nội dung câu hỏi") + 1
    original = questions.cell(row=2, column=text_column).value
    questions.cell(row=2, column=text_column).value = REWORDED
    edited = tmp_path / "bo-tieu-chi-2025.xlsx"
    workbook.save(edited)
    walk.upload(page.get_by_label("Tệp Excel bộ tiêu chí (.xlsx)"), edited)
    walk.click(page.get_by_role("button", name="Kiểm tra tệp…"))
    said = " ".join(page.locator("main").inner_text().split())
    assert f"“{original}” → “{REWORDED}”" in said, said  # the confirmation says what changes
    walk.click(page.get_by_label("Tôi xác nhận thay bộ tiêu chí của đợt bằng tệp này."))
    walk.click(page.get_by_role("button", name="Thay bộ tiêu chí"))
    path.append(f"bộ tiêu chí sửa trong Excel ({walk.interactions})")

    # 3. Units from a file (a new department and a commune of Ba Bể).
    crumb_to_campaign(walk)
    step(walk, "Đơn vị")
    walk.upload(page.get_by_label("Tệp Excel (.xlsx) hoặc CSV (UTF-8)"), units_file)
    walk.click(page.get_by_role("button", name="Nhập tệp"))
    assert page.locator(".flash").first.inner_text() == "Đã thêm 2 đơn vị."
    path.append(f"đơn vị ({walk.interactions})")

    # 4. The sample plan (copied): every district 50 citizens, in one field.
    crumb_to_campaign(walk)
    step(walk, "Kế hoạch mẫu")
    walk.fill(page.get_by_label("Điền cả cột Người dân — Cấp huyện"), "50")
    walk.click(page.get_by_role("button", name="Lưu kế hoạch"))
    assert "Đã lưu kế hoạch mẫu" in page.locator(".flash").first.inner_text()
    path.append(f"kế hoạch mẫu ({walk.interactions})")

    # 5. The people to invite: one personal link each.
    crumb_to_campaign(walk)
    step(walk, "Đường link và thẻ QR")
    walk.upload(page.get_by_label("Tệp Excel (.xlsx) hoặc CSV (UTF-8)"), people_file)
    walk.click(page.get_by_role("button", name="Nhập tệp"))
    assert page.locator(".flash").first.inner_text().startswith("Đã tạo 4 đường link cá nhân.")
    path.append(f"người được mời, đường link ({walk.interactions})")

    # 6. Three staff accounts at once, passwords generated and printed on slips.
    walk.click(page.get_by_role("link", name="Người dùng", exact=True).first)
    walk.click(page.get_by_role("link", name="Thêm nhiều tài khoản"))
    walk.fill(page.get_by_label("Hoặc dán danh sách, mỗi dòng một người: Họ tên; tên đăng nhập; đơn vị "
                                "(chép ba cột từ Excel cũng được)"), STAFF)
    walk.click(page.get_by_role("button", name="Tạo tài khoản và in phiếu"))
    slips = page.locator("main").inner_text()
    assert all(name in slips for name in ("nl.mai", "nl.tung", "nl.ha")), slips
    path.append(f"ba tài khoản ({walk.interactions})")

    # 7. Every QR card and paper ballot the plan lacks, in one print.
    walk.click(page.get_by_role("link", name="Đợt khảo sát", exact=True).first)
    walk.click(page.get_by_role("link", name=NAME, exact=True))
    step(walk, "In phiếu giấy")
    panel = page.locator("#in-tat-ca")
    walk.clicks += 1  # the print set is hundreds of A4 pages: checked by axe, not photographed whole
    panel.get_by_role("button", name="In tất cả thẻ QR và phiếu giấy còn thiếu").click()
    page.wait_for_load_state()
    found = violations(page)
    assert found == [], found
    printed_cards = page.locator("article.qr-card").count()
    printed_ballots = page.locator("article.paper-ballot").count()
    assert printed_cards + printed_ballots > 0
    path.append(f"thẻ QR và phiếu giấy cho mọi ô kế hoạch ({walk.interactions})")

    print(f"setup walk: {walk.interactions} interactions ({walk.clicks} clicks and choices, {walk.typed} typed "
          f"fields): " + " → ".join(path))
    assert walk.interactions <= LIMIT, (walk.clicks, walk.typed, path)
    context.close()

    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.name == NAME))
        from survey_app.services.campaigns import campaign_criteria

        assert REWORDED in {q.text for q in campaign_criteria(campaign).all_questions}
        assert {"so_moi", "xa_moi"} <= {u.code for u in campaign.units}
        assert s.scalar(select(func.count()).select_from(SampleTarget).where(
            SampleTarget.campaign_id == campaign.id, SampleTarget.target == 50)) > 0
        assert s.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.campaign_id == campaign.id, Invitation.name.is_not(None))) == 4
        assert s.scalar(select(func.count()).select_from(User).where(User.username.in_(
            ("nl.mai", "nl.tung", "nl.ha")))) == 3
        serials = s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == campaign.id))
        assert serials == printed_ballots
    assert walk.problems == {}, "\n".join(f"{p}: {found}" for p, found in walk.problems.items())
