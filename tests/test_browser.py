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
