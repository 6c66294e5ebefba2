"""The whole walk of a new admin in Chromium, following only what is on screen: from the home page,
sign in, start this year's campaign from last year's, import units and the people to invite by
their names, fill the sample plan, open the campaign and export the links, in fewer than 40 clicks
and typed fields. Then staff key a printed ballot and an analyst downloads the scores. Every page
on the way is checked with axe-core (WCAG 2.1 AA) and photographed."""
from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, SampleTarget, Unit
from survey_app.services.users import create_user

from .a11y import violations
from .conftest import CURRENT

pytestmark = pytest.mark.browser
PASSWORD = "mùa lúa chín vàng 2026"
UNITS = "Mã,Tên,Cấp,Thuộc huyện\nso_moi,Sở Khoa học và Công nghệ mới,Cấp sở,\nxa_moi,Xã Mới Lập,Cấp xã,Huyện Ba Bể\n"
PEOPLE = [["Họ tên", "Đối tượng", "Đơn vị", "Thư điện tử", "Điện thoại"],
          ["Hoàng Văn Thụ", "Đại biểu HĐND tỉnh", "", "thu@example.vn", 912000111],
          ["Nông Thị Lan", "Đại biểu HĐND huyện", "Huyện Ba Bể", "", "0912 000 222"],
          ["Triệu Văn Sơn", "Công chức cấp sở", "Sở Nội vụ", "son@example.vn", ""],
          ["Ma Thị Hoa", "Lãnh đạo cấp xã", "Xã Mới Lập", "", "0987000333"]]


class Walk:
    """A page and a count of what the person did: clicks (and choices in a list) and typed fields."""

    def __init__(self, page, artifacts, prefix: str):
        self.page, self.artifacts, self.prefix = page, artifacts, prefix
        self.clicks = self.typed = 0
        self.problems: dict[str, list[str]] = {}
        self.shots = 0

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()
        self.page.wait_for_load_state("networkidle")
        self.look()

    def fill(self, locator, text: str) -> None:
        self.typed += 1
        locator.fill(text)

    def choose(self, locator, value: str) -> None:
        self.clicks += 1
        locator.select_option(value)

    def upload(self, locator, path) -> None:
        self.clicks += 1
        locator.set_input_files(str(path))

    def look(self) -> None:
        """Check the page with axe-core and keep a screenshot of it."""
        self.shots += 1
        name = f"{self.prefix}-{self.shots:02d}"
        found = violations(self.page)
        if found:
            self.problems[f"{name} {self.page.url}"] = found
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)

    @property
    def interactions(self) -> int:
        return self.clicks + self.typed


@pytest.fixture
def people(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt.moi", PASSWORD, "admin", full_name="Quản trị viên mới", actor="test")
        create_user(s, "nl.babe", PASSWORD, "staff", unit_codes=("ba_be",), actor="test")  # every campaign's Ba Bể
        create_user(s, "pt.moi", PASSWORD, "analyst", actor="test")


def sign_in(walk: Walk, live_server: str, username: str) -> None:
    walk.page.goto(live_server + "/")
    walk.look()
    walk.click(walk.page.get_by_role("link", name="Đăng nhập cán bộ"))
    walk.fill(walk.page.get_by_label("Tên đăng nhập"), username)
    walk.fill(walk.page.get_by_label("Mật khẩu"), PASSWORD)
    walk.click(walk.page.get_by_role("button", name="Đăng nhập"))


def test_a_new_admin_runs_a_campaign_in_the_browser_alone(browser, live_server, demo_app, people, artifacts,
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
    walk = Walk(page, artifacts, "walk-admin")
    sign_in(walk, live_server, "qt.moi")

    # A new campaign, copied from the 2024 one (the list's first choice is the merged province's 2026 campaign).
    walk.click(page.get_by_role("link", name="Tạo đợt khảo sát"))
    walk.fill(page.get_by_label("Tên đợt khảo sát"), "Chỉ số CCHC tỉnh Bắc Kạn năm 2025")
    walk.fill(page.get_by_label("Năm đánh giá"), "2025")
    walk.fill(page.get_by_label("Tỉnh, thành phố (in trên thẻ QR và phiếu giấy)"), "Tỉnh Bắc Kạn")
    walk.choose(page.get_by_label("Bắt đầu từ"), f"dot:{CURRENT}")
    walk.click(page.get_by_role("button", name="Tạo đợt khảo sát"))
    assert page.locator("h1").first.inner_text().startswith("Chỉ số CCHC tỉnh Bắc Kạn năm 2025")
    campaign_url = page.url

    # Units by name: a new department and a commune of Ba Bể.
    walk.click(page.locator("ol.steps").get_by_role("link", name="Đơn vị", exact=True))
    walk.upload(page.get_by_label("Tệp Excel (.xlsx) hoặc CSV (UTF-8)"), units_file)
    walk.click(page.get_by_role("button", name="Nhập tệp"))
    assert page.locator(".flash").first.inner_text() == "Đã thêm 2 đơn vị."

    # The sample plan: every district 50 citizens, in one field.
    walk.click(page.locator("nav.crumbs").get_by_role("link", name="Chỉ số CCHC tỉnh Bắc Kạn năm 2025"))
    walk.click(page.locator("ol.steps").get_by_role("link", name="Kế hoạch mẫu"))
    walk.fill(page.get_by_label("Điền cả cột Người dân — Cấp huyện"), "50")
    walk.click(page.get_by_role("button", name="Lưu kế hoạch"))
    assert "Đã lưu kế hoạch mẫu" in page.locator(".flash").first.inner_text()

    # The people to invite, an Excel file with names as they appear on screen.
    walk.click(page.locator("nav.crumbs").get_by_role("link", name="Chỉ số CCHC tỉnh Bắc Kạn năm 2025"))
    walk.click(page.locator("ol.steps").get_by_role("link", name="Đường link và thẻ QR"))
    assert "Đợt khảo sát chưa mở" in page.locator(".warn").first.inner_text()
    walk.upload(page.get_by_label("Tệp Excel (.xlsx) hoặc CSV (UTF-8)"), people_file)
    walk.click(page.get_by_role("button", name="Nhập tệp"))
    assert page.locator(".flash").first.inner_text().startswith("Đã tạo 4 đường link cá nhân.")

    # Open it.
    walk.click(page.locator("nav.crumbs").get_by_role("link", name="Chỉ số CCHC tỉnh Bắc Kạn năm 2025"))
    walk.click(page.get_by_role("link", name="Mở khảo sát…"))  # its confirmation page says what opening does
    walk.click(page.get_by_label("Tôi đã xem các hệ quả trên và muốn mở khảo sát."))
    walk.click(page.get_by_role("button", name="Mở khảo sát", exact=True))
    assert page.locator("h1 .tag").first.inner_text() == "Đang khảo sát"

    # Export the links for Zalo, SMS and e-mail.
    walk.click(page.locator("ol.steps").get_by_role("link", name="Đường link và thẻ QR"))
    with page.expect_download() as download:
        walk.clicks += 1
        page.get_by_role("link", name="Tải mọi đường link (Excel, kèm tin nhắn Zalo/SMS và thư)").click()
    links = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = list(links.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    exported = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert set(exported) == {row[0] for row in PEOPLE[1:]}
    assert exported["Hoàng Văn Thụ"]["Điện thoại"] == "0912000111", "the leading 0 is kept"
    assert all(len(r["Tin nhắn Zalo/SMS"]) <= 160 for r in exported.values())

    assert walk.interactions < 40, (walk.clicks, walk.typed)
    admin_counts = (walk.clicks, walk.typed)

    # A paper ballot for Ba Bể's citizens, printed with its serial.
    walk.click(page.locator("nav.crumbs").get_by_role("link", name="Chỉ số CCHC tỉnh Bắc Kạn năm 2025"))
    walk.click(page.locator("ol.steps").get_by_role("link", name="In phiếu giấy"))
    walk.choose(page.get_by_label("Đơn vị — đối tượng", exact=True), "ba_be|nguoi_dan")
    walk.fill(page.get_by_label("Số phiếu"), "1")
    walk.click(page.get_by_role("button", name="Giữ mã và in"))
    serial = page.locator(".pb-serial span").first.inner_text()
    assert "UBND TỈNH BẮC KẠN" in page.locator(".pb-org").first.inner_text()

    db = demo_app.extensions[DB_KEY]
    with db.session() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.name == "Chỉ số CCHC tỉnh Bắc Kạn năm 2025"))
        assert campaign.status == "open" and campaign.province == "Tỉnh Bắc Kạn"
        assert {u.code for u in campaign.units} >= {"so_moi", "xa_moi", "ba_be", "so_nv"}
        xa_moi = s.scalar(select(Unit).where(Unit.campaign_id == campaign.id, Unit.code == "xa_moi"))
        assert xa_moi.parent.code == "ba_be"
        assert s.scalar(select(Invitation.unit_id).where(Invitation.name == "Ma Thị Hoa")) == xa_moi.id
        citizens = next(g.id for g in campaign.groups if g.code == "nguoi_dan")
        assert set(s.scalars(select(SampleTarget.target).where(SampleTarget.campaign_id == campaign.id,
                                                               SampleTarget.group_id == citizens))) == {50}
        campaign_id = campaign.id
    assert campaign_url.endswith(f"/quan-tri/dot/{campaign_id}")
    context.close()

    # Staff of Ba Bể key it: the copy brought their district along.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = Walk(staff_context.new_page(), artifacts, "walk-staff")
    sign_in(staff, live_server, "nl.babe")
    assert "Huyện Ba Bể" in staff.page.locator("main").inner_text()
    staff.page.wait_for_function("document.activeElement && document.activeElement.id === 'serial'")
    staff.page.keyboard.type(serial)
    staff.page.keyboard.press("Enter")
    staff.page.wait_for_url("**/nhap-lieu/phieu?serial=*")
    staff.look()
    staff.page.wait_for_function("document.activeElement && document.activeElement.type === 'radio'")
    staff.page.keyboard.type("1112223334440")
    staff.page.keyboard.press("Enter")
    staff.page.wait_for_selector(".flash")
    assert "lần nhập thứ nhất" in staff.page.locator(".flash").inner_text()
    staff.look()
    staff_context.close()

    # An analyst downloads last year's scores (this year's are sealed).
    analyst_context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    analyst = Walk(analyst_context.new_page(), artifacts, "walk-analyst")
    sign_in(analyst, live_server, "pt.moi")
    analyst.click(analyst.page.get_by_role("link", name="Báo cáo", exact=True).first)
    analyst.click(analyst.page.get_by_role("link", name="Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)"))
    analyst.click(analyst.page.get_by_role("link", name="Kết quả chỉ số", exact=True).first)
    with analyst.page.expect_download() as download:
        analyst.page.get_by_role("link", name="Excel").first.click()
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    assert sheet.title == "Kết quả Chỉ số CCHC"
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Huyện Ba Bể" in values
    analyst_context.close()

    print(f"admin walk: {admin_counts[0]} clicks, {admin_counts[1]} typed fields")
    problems = {**walk.problems, **staff.problems, **analyst.problems}
    assert problems == {}, "\n".join(f"{page}: {found}" for page, found in problems.items())


def test_the_respondents_pages_on_a_360_px_phone_pass_axe(browser, live_server, demo_app, artifacts):
    """A commune leader's link on a cheap phone: home, welcome, a page with an error, review, thanks."""
    from .test_respond import invite

    token = "tok-axe-phone-00000000000000000"
    invite(demo_app, "ld_xa", "ba_be", token)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    tour = Walk(page, artifacts, "phone")
    page.goto(live_server + "/")
    tour.look()
    page.goto(f"{live_server}/s/{token}")
    tour.look()
    tour.click(page.get_by_role("link", name="Bắt đầu trả lời →"))
    tour.click(page.get_by_role("button", name="Lưu và xem lại →"))  # nothing answered: every question marked
    assert page.locator("fieldset.question.has-error").count() > 0
    other = context.browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    other.goto(f"{live_server}/s/{token}")  # another device: the resume-code page
    resume_walk = Walk(other, artifacts, "phone-resume")
    resume_walk.look()
    tour.problems.update(resume_walk.problems)
    other.context.close()
    for question in page.locator("fieldset.question").all():
        question.locator("label.opt").first.click()
    tour.click(page.get_by_role("button", name="Lưu và xem lại →"))
    tour.click(page.get_by_role("button", name="Gửi phiếu"))
    expect(page.get_by_role("heading", name="Cảm ơn Ông/Bà đã gửi phiếu")).to_be_visible()
    page.goto(f"{live_server}/s/{token}")  # the used link
    tour.look()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    assert tour.problems == {}, "\n".join(f"{p}: {found}" for p, found in tour.problems.items())


def test_the_national_set_in_the_browser(browser, live_server, demo_app, people, artifacts, tmp_path):
    """A campaign on the national set (levels cap_so, cap_huyen, cap_xa): units by level names, a QR card
    for a commune, and a citizen who types the card's code on a phone and answers on the set's own scale."""
    units_file = tmp_path / "don-vi.csv"
    units_file.write_text("Mã,Tên,Cấp,Thuộc\nso_tc,Sở Tài chính,Cấp sở,\nh_a,Huyện An Phú,Cấp huyện,\n"
                          "x_a1,Xã An Lạc,Cấp xã,Huyện An Phú\n", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    walk = Walk(page, artifacts, "national-admin")
    sign_in(walk, live_server, "qt.moi")
    walk.click(page.get_by_role("link", name="Tạo đợt khảo sát"))
    walk.fill(page.get_by_label("Tên đợt khảo sát"), "Khung quốc gia 2025")
    walk.choose(page.get_by_label("Bắt đầu từ"), "bo:quoc_gia")
    walk.click(page.get_by_role("button", name="Tạo đợt khảo sát"))
    walk.click(page.locator("ol.steps").get_by_role("link", name="Đơn vị", exact=True))
    walk.upload(page.get_by_label("Tệp Excel (.xlsx) hoặc CSV (UTF-8)"), units_file)
    walk.click(page.get_by_role("button", name="Nhập tệp"))
    assert page.locator(".flash").first.inner_text() == "Đã thêm 3 đơn vị."
    assert "Cấp xã" in page.locator("table").first.inner_text()
    walk.click(page.locator("nav.crumbs").get_by_role("link", name="Khung quốc gia 2025"))
    walk.click(page.get_by_role("link", name="Mở khảo sát…"))  # its confirmation page says what opening does
    walk.click(page.get_by_label("Tôi đã xem các hệ quả trên và muốn mở khảo sát."))
    walk.click(page.get_by_role("button", name="Mở khảo sát", exact=True))
    walk.click(page.locator("ol.steps").get_by_role("link", name="Đường link và thẻ QR"))
    walk.choose(page.get_by_label("Đơn vị — đối tượng", exact=True), "x_a1|nguoi_dan_xa")
    walk.fill(page.get_by_label("Số thẻ"), "1")
    walk.click(page.get_by_role("button", name="Tạo và in thẻ"))
    code = page.locator(".qr-code").first.inner_text()
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740})
    citizen = Walk(phone.new_page(), artifacts, "national-phone")
    citizen.page.goto(live_server + "/")
    citizen.fill(citizen.page.get_by_label("Có thẻ khảo sát nhưng không quét được mã QR? Nhập mã in trên thẻ:"), code)
    citizen.click(citizen.page.get_by_role("button", name="Mở phiếu"))
    assert "Xã An Lạc" in citizen.page.locator("main").inner_text()
    assert "Rất hài lòng" in citizen.page.locator("main").inner_text()
    citizen.click(citizen.page.get_by_role("link", name="Bắt đầu trả lời →"))
    for question in citizen.page.locator("fieldset.question").all():
        question.locator("label.opt").first.click()
    citizen.click(citizen.page.get_by_role("button", name="Lưu và xem lại →"))
    citizen.click(citizen.page.get_by_role("button", name="Gửi phiếu"))
    expect(citizen.page.get_by_role("heading", name="Cảm ơn Ông/Bà đã gửi phiếu")).to_be_visible()
    phone.close()
    problems = {**walk.problems, **citizen.problems}
    assert problems == {}, "\n".join(f"{p}: {found}" for p, found in problems.items())
