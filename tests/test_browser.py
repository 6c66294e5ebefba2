"""What a person sees: the home page in headless Chromium, on a 360 px phone and an office PC."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height,name", [(360, 740, "phone"), (1280, 900, "desktop")])
def test_home_page_reads_well(browser, live_server, artifacts, width, height, name):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(live_server + "/")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Điều tra xã hội học Chỉ số cải cách hành chính"
    assert page.get_by_role("heading", name="Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)").is_visible()
    assert page.locator("table.grid tbody tr").count() == 7
    # The stylesheet loaded (the header is the accent red) and nothing overflows a phone's width.
    assert page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor") == "rgb(164, 22, 26)"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"home-{name}.png"), full_page=True)
    assert errors == []
    page.close()


def test_welcome_page_of_a_delegate_link_on_a_phone(browser, live_server, demo_app, artifacts):
    from .test_respond import invite

    invite(demo_app, "hdnd_tinh", None, "tok-browser-000000000000000000")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    assert page.goto(live_server + "/s/tok-browser-000000000000000000").status == 200
    page.get_by_text("Danh sách đơn vị").first.click()
    assert page.get_by_text("Sở Tư pháp").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / "welcome-phone.png"), full_page=True)
    page.close()
