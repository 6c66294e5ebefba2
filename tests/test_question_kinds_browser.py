"""A SIPAS question page with a profile, an expectation and a comment, in a browser 360 px wide (a cheap phone):
axe-core finds nothing (WCAG 2.1 AA and axe's best practices), the small script disables a fourth box once three
are ticked and counts a comment's characters; a screenshot goes to tests/artifacts/.
"""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from .a11y import TAGS, violations
from .test_question_kinds_form import WANTS, sipas  # noqa: F401 (the fixture)
from .test_respond import invite

pytestmark = pytest.mark.browser
TOKEN = "tok-kinds-browser-0000000000"


@pytest.fixture
def served(app, sipas):  # noqa: F811 (the fixture imported above)
    """The app with a citizen's QR card of Xã Một, served on a free loopback port in a thread."""
    invite(app, "nguoi_dan", "xa_1", TOKEN, campaign_id=sipas, kind="qr_card")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_the_question_kinds_on_a_phone(browser, served, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{served}/s/{TOKEN}")
    page.get_by_role("link", name="Bắt đầu trả lời").click()
    assert page.get_by_role("group", name="Thông tin về người trả lời").is_visible()
    assert not violations(page, [*TAGS, "best-practice"])

    wants = page.get_by_role("group", name="23. Ông/Bà mong muốn UBND xã cải thiện điều gì trước tiên? (chọn tối đa 3)")
    boxes = wants.get_by_role("checkbox")
    assert boxes.count() == 10
    for i in (0, 4, 7):
        boxes.nth(i).check()
    assert [boxes.nth(i).is_disabled() for i in range(10)] == [i not in (0, 4, 7) for i in range(10)]
    boxes.nth(4).uncheck()
    assert not boxes.nth(1).is_disabled(), "a box unticked frees the others"
    boxes.nth(4).check()

    comment = page.get_by_label("24. Ý kiến khác", exact=False)
    assert comment.get_attribute("maxlength") == "500"
    comment.fill("Cán bộ tận tình. Gọi 0912 345 678.")
    assert page.locator("[data-counter-for=c-XC1]").inner_text() == "Đã viết 34/500 ký tự."
    comment.fill("x" * 600)
    assert comment.input_value() == "x" * 500, "the browser stops at 500"
    comment.fill("Cán bộ tận tình.")
    page.get_by_role("radio", name="Nữ").check()
    assert not violations(page, [*TAGS, "best-practice"])

    # Saved with the scored questions unanswered: the page comes back with its messages, still clean for axe.
    page.get_by_role("button", name="Lưu và xem lại →").click()
    assert "Còn 22 câu chưa có câu trả lời hợp lệ" in page.locator("[role=alert]").inner_text()
    assert [boxes.nth(i).is_checked() for i in range(10)] == [i in (0, 4, 7) for i in range(10)]
    assert comment.input_value() == "Cán bộ tận tình." and page.get_by_role("radio", name="Nữ").is_checked()
    assert not violations(page, [*TAGS, "best-practice"])
    page.locator("#q-XE1").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "question-kinds-phone.png"), full_page=True)
    page.locator("fieldset.field-views").screenshot(path=str(artifacts / "question-kinds-phone-views.png"))
    assert len(WANTS) == 10
    context.close()
