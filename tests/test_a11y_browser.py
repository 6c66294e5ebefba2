"""Every page an admin, a staff user, an analyst and a respondent can reach, checked by axe-core
(WCAG 2.1 AA) at 360 px (a cheap phone) and 1280 px (a desk).

The crawl starts at the signed-in home and follows visible links only, the way a person does. Pages
of one kind (two invitations, two users) are checked once: the first address of each pattern, with numbers
folded; a campaign's number becomes its state and kind (a closed campaign's pages show results, a SIPAS
campaign's its own words), so two collecting PAR campaigns' pages are checked once. Downloads and sign-out
are not followed.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, PaperSerial, Unit
from survey_app.services.users import create_user

from .a11y import TAGS
from .a11y import violations as wcag_violations
from .conftest import CURRENT

pytestmark = pytest.mark.browser
PASSWORD = "mùa lúa chín vàng 2026"
WIDTHS = (360, 1280)
# WCAG 2.1 AA, and axe's best practices that the newcomer's check named: empty table headers,
# landmarks that repeat, regions a keyboard cannot scroll.
RULES = [*TAGS, "best-practice"]
FILES = re.compile(r"\.(csv|xlsx|json|sav|dta|svg|png|docx|pdf|zip|yaml)$|/xuat/|/mau/|/qr\.", re.I)
SKIP = ("/dang-xuat", "/api/")


@pytest.fixture
def accounts(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, CURRENT)
        create_user(s, "qt.a11y", PASSWORD, "admin", actor="test")
        create_user(s, "nl.a11y", PASSWORD, "staff", unit_codes=("ba_be",), campaign_id=campaign.id, actor="test")
        create_user(s, "pt.a11y", PASSWORD, "analyst", actor="test")


def violations(page) -> list[str]:
    return wcag_violations(page, RULES)


def unkeyed_serial(app) -> str:
    """A printed, not yet keyed ballot of Ba Bể in the collecting campaign."""
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(PaperSerial.serial).join(Unit, PaperSerial.unit_id == Unit.id)
                        .where(PaperSerial.campaign_id == CURRENT, Unit.code == "ba_be",
                               PaperSerial.status == "printed").order_by(PaperSerial.serial))


def campaign_kinds(app) -> dict[str, str]:
    """Campaign number -> its state and set kind (``closed-sipas``), what a campaign's pages differ by."""
    from survey_app.services.campaigns import campaign_criteria

    with app.extensions[DB_KEY].session() as s:
        return {str(c.id): f"{c.status}-{campaign_criteria(c).kind}" for c in s.scalars(select(Campaign))}


def pattern(url: str, kinds: dict[str, str] | None = None) -> str:
    """``/quan-tri/loi-moi/17/sua?trang=3`` -> ``/quan-tri/loi-moi/N/sua?trang``: one check per kind of page.
    A campaign's number becomes its state and kind (``/quan-tri/dot/closed-par/…``): a closed campaign's pages
    (results shown) differ from a collecting one's, a SIPAS campaign's from a PAR one's."""
    parts = urlsplit(url)
    query = "&".join(sorted(p.split("=", 1)[0] for p in parts.query.split("&") if p))
    path = re.sub(r"(?<=/dot/)(\d+)\b|(?<=/bao-cao/)(\d+)\b",
                  lambda m: (kinds or {}).get(m.group(0), m.group(0)), parts.path)
    path = re.sub(r"(?<!/dot/)(?<!/bao-cao/)\b\d+\b", "N", path)
    return path + ("?" + query if query else "")


def crawl(page, base: str, start: str, limit: int = 120, kinds: dict[str, str] | None = None
          ) -> tuple[dict[str, list[str]], set[str]]:
    """Visit every page reachable from ``start`` by visible links; axe-core's findings per page. The pages are
    server-rendered: once ``goto`` has seen the load event, their scripts have run."""
    queue, seen, found = [urljoin(base, start)], set(), {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if pattern(url, kinds) in seen:
            continue
        seen.add(pattern(url, kinds))
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        problems = violations(page)
        if problems:
            found[url] = problems
        for href in page.eval_on_selector_all(
                "a[href]:not([download])", "links => links.filter(a => a.offsetParent !== null).map(a => a.href)"):
            href = href.split("#", 1)[0]
            path = urlsplit(href).path
            if href.startswith(base) and not FILES.search(path) and not path.startswith(SKIP) \
                    and pattern(href, kinds) not in seen:
                queue.append(href)
    return found, seen


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)  # signed in and sent on, not the old page
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("username", ["qt.a11y", "nl.a11y", "pt.a11y"])
def test_every_page_a_signed_in_user_reaches_passes_axe(browser, live_server, demo_app, accounts, username, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, username)
    found, seen = crawl(page, live_server, page.url, kinds=campaign_kinds(demo_app))
    assert len(seen) >= (2 if username.startswith("nl") else 10), seen
    print(f"axe crawl: {username} at {width} px, {len(seen)} kinds of page")
    if username.startswith("nl"):  # staff reach the keying page by typing a printed serial, not by a link
        page.goto(live_server + "/nhap-lieu/")
        page.locator("input[name=serial]").fill(unkeyed_serial(demo_app))
        page.locator("input[name=serial]").press("Enter")
        page.wait_for_load_state("networkidle")
        assert "/nhap-lieu/phieu" in page.url
        found.update({page.url: problems} if (problems := violations(page)) else {})
        page.locator("form button.primary").first.click()  # nothing typed: every question marked
        page.wait_for_load_state("networkidle")
        found.update({page.url + " (errors)": problems} if (problems := violations(page)) else {})
    context.close()
    assert found == {}, "\n".join(f"{url}: {problem}" for url, problems in found.items() for problem in problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_a_respondent_reaches_passes_axe(browser, live_server, demo_app, width):
    """The public home, a link's welcome, a page left unanswered (errors shown), the review, the thanks,
    the used link, the short-code form and an unknown link."""
    from .test_respond import invite

    token = f"tok-a11y-{width}-000000000000000000"[:32]
    invite(demo_app, "nguoi_dan", "ba_be", token)
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check() -> None:
        page.wait_for_load_state("networkidle")
        if problems := violations(page):
            found[page.url] = problems

    for address in ("/", f"/s/{token}", "/s/khong-co-link-nay"):
        page.goto(live_server + address)
        check()
    page.goto(f"{live_server}/s/{token}")
    page.get_by_role("link", name="Bắt đầu trả lời →").click()
    check()
    while page.get_by_role("button", name="Gửi phiếu").count() == 0:
        page.locator("button.primary").first.click()  # unanswered: the page shows its errors
        check()
        for question in page.locator("fieldset.question").all():
            question.locator("label.opt").first.click()
        page.locator("button.primary").first.click()
        check()
    page.get_by_role("button", name="Gửi phiếu").click()
    check()
    page.goto(f"{live_server}/s/{token}")  # the used link
    check()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
    assert found == {}, "\n".join(f"{url}: {problem}" for url, problems in found.items() for problem in problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_ballot_box_page_its_errors_and_the_key_sheet_pass_axe(browser, live_server, demo_app, accounts,
                                                                   artifacts, width):
    """The crawl reaches the demo campaigns' box pages (one holds envelopes, one is closed); the form
    shows only on an empty box, and the key sheet only as the answer to its POST: both are checked here,
    on a new campaign, the sheet on screen and as printed."""
    from questionnaires import DEFAULT_SET_DIR, read_set_texts
    from survey_app.services.campaigns import create_campaign

    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = create_campaign(s, year=2027, name="Khảo sát CCHC năm 2027", province="Bắc Kạn",
                                   criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="test")
        s.flush()
        campaign_id = campaign.id
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "qt.a11y")
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        if problems := violations(page):
            found[name] = problems

    page.goto(f"{live_server}/quan-tri/dot/{campaign_id}")
    page.get_by_role("link", name="Hòm phiếu", exact=True).click()
    check("box page")
    page.get_by_label("Mật khẩu hòm phiếu", exact=True).fill("123456789012")
    page.get_by_label("Nhập lại mật khẩu hòm phiếu").fill("123456789012")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Giữ khoá bằng mật khẩu này và in phiếu khoá").click()
    assert "quá dễ đoán" in page.locator("[role=alert]").inner_text()
    check("box page, passphrase refused")
    page.screenshot(path=str(artifacts / f"box-page-{'phone' if width < 600 else 'desktop'}.png"), full_page=True)
    passphrase = "trâu cày ruộng bậc thang ở Pác Nặm"
    page.get_by_label("Mật khẩu hòm phiếu", exact=True).fill(passphrase)
    page.get_by_label("Nhập lại mật khẩu hòm phiếu").fill(passphrase)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Giữ khoá bằng mật khẩu này và in phiếu khoá").click()
    assert page.locator(".ks-passphrase").inner_text() == passphrase
    check("key sheet")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    suffix = "phone" if width < 600 else "desktop"
    page.screenshot(path=str(artifacts / f"key-sheet-{suffix}.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".no-print").first.is_visible() and page.locator(".ks-passphrase").is_visible()
    page.screenshot(path=str(artifacts / f"key-sheet-print-{suffix}.png"), full_page=True)
    if width > 600:
        page.pdf(path=str(artifacts / "key-sheet.pdf"), format="A4")
    context.close()
    assert found == {}, "\n".join(f"{name}: {problem}" for name, problems in found.items() for problem in problems)
