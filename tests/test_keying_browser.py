"""Keying paper ballots at scale (issue 28 item 6): a 14-question ballot keyed in Chromium with the keyboard
only, one key per answer, counted; the keyer's progress per unit on the start page; the form without its
script. Seconds per ballot are measured and reported (``record_property`` and the output), never asserted.

The world (``tests/keying.py``): a collecting campaign on the national-shape set, a district with two
communes, 5 + 2 ballots printed for the communes' citizens, two keyers of the district, double entry.
"""
from __future__ import annotations

import re
import statistics
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot

from .a11y import TAGS, violations
from .keying import KEYERS, OPTION_OF_KEY, campaign_questions, counted, entries_of, key_ballot, make_world, sign_in

# Three ballots of 14 answers each, as printed keys: 1..5 for the options, 0 for "don't know".
ANSWERS = ("12345012345012", "55443322110012", "30303030303030")


@pytest.fixture
def served(app):
    """The (empty) app served on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def world(app):
    return make_world(app, {"x_a1": 5, "x_a2": 2})


def progress_rows(page) -> dict[str, list[str]]:
    """The start page's progress table: unit name (or 'Cộng') -> its numbers, in column order."""
    rows = {}
    for row in page.locator("table.keying-progress tr").all()[1:]:
        cells = [c.inner_text().strip() for c in row.locator("th, td").all()]
        rows[cells[0]] = cells[1:]
    return rows


def test_a_14_question_ballot_takes_one_key_per_answer_and_no_mouse(browser, served, app, world, record_property,
                                                                    artifacts):
    questions = campaign_questions(app, world.campaign_id)
    assert len(questions) == 14
    serials = world.serials["x_a1"]

    first = sign_in(browser, served, KEYERS[0])
    keys_before, _ = counted(first)
    runs = [key_ballot(first, served, serial, answers) for serial, answers in zip(serials, ANSWERS)]
    keys_after, pointer = counted(first)
    assert all("lần nhập thứ nhất" in run.flash for run in runs), [run.flash for run in runs]
    # Every key the pages received is one this test pressed, and nothing was clicked, pressed or scrolled.
    assert keys_after - keys_before == sum(run.keys for run in runs)
    assert pointer == 0, "no mouse"
    for run in runs:
        # The serial's 10 digits (typed, or typed by a scanner), then Enter, 14 answers, Enter: 16 = 14 + 2.
        assert (run.serial_keys, run.keys_after_serial) == (10, 16)
        assert run.keys_after_serial <= len(questions) + 3
    for serial, answers in zip(serials, ANSWERS):
        assert entries_of(app, serial) == [{q: OPTION_OF_KEY[k] for q, k in zip(questions, answers)}]

    # Progress: 5 ballots printed for An Lạc, 3 keyed once by this keyer; 2 for An Hoà, none keyed.
    rows = progress_rows(first)
    assert rows["Xã An Lạc"] == ["5", "3", "2", "3", "0", "0"]
    assert rows["Xã An Hoà"] == ["2", "0", "2", "0", "0", "0"]
    assert rows["Cộng"] == ["7", "3", "4", "3", "0", "0"]
    assert "Ông/Bà đã nhập 3 phiếu; đã xong 0/7 phiếu đã in (0%)." in first.locator(".keying-summary").inner_text()

    # The second keyer: the first two the same (verified), the third with question 14 keyed 5 instead of 0.
    second = sign_in(browser, served, KEYERS[1])
    again = [key_ballot(second, served, serial, answers)
             for serial, answers in zip(serials, (ANSWERS[0], ANSWERS[1], ANSWERS[2][:13] + "5"))]
    assert [run.flash.split(": ", 1)[1] for run in again] == [
        "hai lần nhập khớp nhau, phiếu đã được xác minh.", "hai lần nhập khớp nhau, phiếu đã được xác minh.",
        "hai lần nhập khác nhau, đã chuyển sang đối chiếu."]
    assert counted(second)[1] == 0, "no mouse"
    with app.extensions[DB_KEY].session() as s:
        for serial, answers in zip(serials[:2], ANSWERS[:2]):
            ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serial))
            stored = dict(s.execute(select(Answer.question, Answer.option).where(Answer.ballot_id == ballot.id)).all())
            assert ballot.state == "verified" and stored == {q: OPTION_OF_KEY[k] for q, k in zip(questions, answers)}
    # An Lạc: 5 printed, 3 keyed by this keyer, 2 not keyed, 0 once, 1 waiting for the supervisor, 2 done;
    # 2 of the 7 printed done: 28.6%, shown 29%.
    second.goto(f"{served}/nhap-lieu/")
    assert progress_rows(second)["Xã An Lạc"] == ["5", "3", "2", "0", "1", "2"]
    assert "Ông/Bà đã nhập 3 phiếu; đã xong 2/7 phiếu đã in (29%)." in second.locator(".keying-summary").inner_text()
    first.goto(f"{served}/nhap-lieu/")
    assert progress_rows(first)["Xã An Lạc"] == ["5", "3", "2", "0", "1", "2"]
    first.screenshot(path=str(artifacts / "keying-progress.png"), full_page=True)
    assert violations(first, TAGS + ["best-practice"]) == []

    every = runs + again
    seconds = statistics.mean(run.seconds for run in every)
    record_property("keys_per_ballot", runs[0].keys)
    record_property("keys_per_ballot_after_serial", runs[0].keys_after_serial)
    record_property("seconds_per_ballot", round(seconds, 3))
    print(f"keying: {len(every)} ballots of {len(questions)} questions, {runs[0].keys_after_serial} keys each "
          f"after the serial ({runs[0].keys} with its {runs[0].serial_keys} digits), no mouse; "
          f"{seconds:.2f} s a ballot on this machine (keys pressed at machine speed: page loads and saves only)")
    for page in (first, second):
        page.context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_wrong_keys_backspace_and_an_early_enter(browser, served, app, world, width, artifacts):
    questions = campaign_questions(app, world.campaign_id)
    serial = world.serials["x_a2"][0]
    page = sign_in(browser, served, KEYERS[0], width=width)
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    page.wait_for_selector("form[data-entry][data-keys=ready]")
    focused = "document.activeElement.name + '=' + document.activeElement.value"
    assert page.evaluate(focused) == f"q_{questions[0]}=1", "the cursor starts on question 1"
    labels = page.locator("fieldset.entry-q").first.locator("label").all_inner_texts()
    assert [" ".join(text.split()) for text in labels] == [
        "1 Rất hài lòng", "2 Hài lòng", "3 Bình thường", "4 Không hài lòng", "5 Rất không hài lòng",
        "0 Không biết / không ý kiến"], "each option's key is in its label"
    assert violations(page, TAGS + ["best-practice"]) == []

    page.keyboard.press("7")  # no option 7: nothing chosen, the cursor stays, the keyer is told
    status = page.locator("[data-entry-status]")
    assert status.inner_text() == "Câu 1 không có phím 7: gõ một trong các phím 1, 2, 3, 4, 5, 0."
    assert page.locator("input[type=radio]:checked").count() == 0
    page.keyboard.press("2")
    assert page.evaluate(focused) == f"q_{questions[1]}=1" and status.inner_text() == "Đã nhập 1/14 câu."
    page.keyboard.press("Backspace")  # back to question 1, on its chosen option; 4 replaces 2
    assert page.evaluate(focused) == f"q_{questions[0]}=2"
    page.keyboard.press("4")
    page.keyboard.press("Enter")  # 13 questions left: nothing is sent, the cursor goes to the first of them
    assert status.inner_text() == "Còn câu " + ", ".join(str(n) for n in range(2, 15)) + " chưa nhập."
    page.screenshot(path=str(artifacts / f"keying-{width}.png"), full_page=True)
    assert page.evaluate(focused) == f"q_{questions[1]}=1" and "/nhap-lieu/phieu" in page.url
    page.keyboard.type("1111111111111")
    assert page.evaluate("document.activeElement.textContent") == "Lưu phiếu", "after the last answer: Save"
    assert status.inner_text() == "Đã nhập đủ 14 câu: Enter để lưu phiếu."
    page.keyboard.press("Enter")
    page.wait_for_url("**/nhap-lieu/")
    assert entries_of(app, serial) == [{q: "khong_hai_long" if q == questions[0] else "rat_hai_long"
                                        for q in questions}]

    # The server's check is unchanged: a form sent with nothing chosen comes back with every question
    # marked and the cursor on question 1 (sent by script here: the keyer's Enter would not send it).
    page.goto(f"{served}/nhap-lieu/phieu?serial={world.serials['x_a2'][1]}")
    page.wait_for_selector("form[data-entry][data-keys=ready]")
    with page.expect_navigation():
        page.evaluate("document.querySelector('form[data-entry]').submit()")
    assert "Còn 14 câu chưa nhập đúng." in page.locator("p.error[role=alert]").inner_text()
    assert page.locator("fieldset.entry-q.has-error").count() == 14
    assert page.evaluate(focused) == f"q_{questions[0]}=1"
    assert violations(page, TAGS + ["best-practice"]) == []
    page.context.close()


def test_without_the_script_the_form_is_a_plain_keyboard_form(browser, served, app, world):
    """No script: Space chooses the focused option, Tab goes to the next question, Enter on Save sends the
    same fields, and the server stores the keying."""
    questions = campaign_questions(app, world.campaign_id)
    serial = world.serials["x_a1"][4]
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{served}/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(KEYERS[1])
    page.get_by_label("Mật khẩu").fill("mat-khau-du-dai")
    page.keyboard.press("Enter")
    page.wait_for_url("**/nhap-lieu/**")
    page.keyboard.type(serial)  # the serial box has the focus (autofocus)
    page.keyboard.press("Enter")
    page.wait_for_url("**/nhap-lieu/phieu?serial=*")
    assert page.locator("form[data-entry]").get_attribute("data-keys") is None, "the script did not run"
    for _question in questions:
        page.keyboard.press("Space")  # the first option of the question in focus: 1, Rất hài lòng
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # on "Lưu phiếu"
    page.wait_for_url("**/nhap-lieu/")
    assert re.search("lần nhập thứ nhất", page.locator(".flash").inner_text())
    assert entries_of(app, serial) == [{q: "rat_hai_long" for q in questions}]
    context.close()
