"""Keying paper ballots in Chromium as a keyer does, with the keyboard only, counting every key.

Shared by ``tests/test_keying_browser.py`` and ``bench/keying.py``. The world is the two-tier shape a
province surveys from 2026: a campaign on the bundled national-shape set (``quoc_gia``), where a
commune's citizens answer a 14-question paper ballot on a 5-point scale plus "don't know" (keys 1..5
and 0), keyed twice by two staff members of the commune's district.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, PaperEntry, PaperSerial, RespondentGroup
from survey_app.services import serials as serials_service
from survey_app.services.campaigns import available_sets, create_campaign, set_schedule
from survey_app.services.csv_import import NewUnit
from survey_app.services.units import add_units
from survey_app.services.users import create_user

PASSWORD = "mat-khau-du-dai"
KEYERS = ("nhap.mot", "nhap.hai")
GROUP = "nguoi_dan_xa"
# The key of each option of the set's 5-point scale, as the form shows it next to the option.
OPTION_OF_KEY = {"1": "rat_hai_long", "2": "hai_long", "3": "binh_thuong", "4": "khong_hai_long",
                 "5": "rat_khong_hai_long", "0": "khong_biet"}

# Every key and pointer event a page receives, kept across the page loads of one tab (sessionStorage).
# Playwright adds it to every document before the page's own scripts (the page's CSP does not apply).
COUNTERS = """
(() => {
  const bump = (name) => sessionStorage.setItem(name, String(Number(sessionStorage.getItem(name) || 0) + 1));
  window.addEventListener("keydown", () => bump("keys"), true);
  // A click from Enter or Space (on a button, or a form's implicit submission) has detail 0: not a mouse.
  for (const kind of ["mousedown", "pointerdown", "mousemove", "wheel", "click"]) {
    window.addEventListener(kind, (e) => { if (e.isTrusted && (kind !== "click" || e.detail > 0)) bump("pointer"); },
                            true);
  }
})();
"""


@dataclass(frozen=True)
class World:
    """The campaign, its keyers and the printed serials per commune code."""

    campaign_id: int
    serials: dict[str, list[str]]


def make_world(app, per_commune: dict[str, int]) -> World:
    """A collecting campaign on the ``quoc_gia`` set: one district ``h_a`` with communes ``x_a1`` and
    ``x_a2``; ``per_commune`` paper ballots printed for each commune's citizens; two staff keyers of the
    district (double entry, the default)."""
    from questionnaires import read_set_texts

    with app.extensions[DB_KEY].transaction() as s:
        campaign = create_campaign(s, year=2026, name="Chỉ số CCHC 2026 (hai cấp)", province="Tỉnh Thử",
                                   criteria_texts=read_set_texts(available_sets()["quoc_gia"]), actor="t")
        add_units(s, campaign, [NewUnit("h_a", "Huyện An Phú", "cap_huyen", None),
                                NewUnit("x_a1", "Xã An Lạc", "cap_xa", "h_a"),
                                NewUnit("x_a2", "Xã An Hoà", "cap_xa", "h_a")], actor="t")
        set_schedule(s, campaign, "open", None, None, actor="t")
        for name in KEYERS:
            create_user(s, name, PASSWORD, "staff", unit_codes=("h_a",), campaign_id=campaign.id, actor="t")
        group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                       RespondentGroup.code == GROUP))
        units = {u.code: u for u in campaign.units}
        printed = {code: [x.serial for x in serials_service.reserve_serials(s, campaign, units[code], group, n, "t")]
                   for code, n in per_commune.items()}
        return World(campaign.id, printed)


def sign_in(browser, base: str, username: str, width: int = 1280):
    """A new tab with the counters, signed in as ``username`` (on the keying start page)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(COUNTERS)
    page = context.new_page()
    page.goto(f"{base}/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/nhap-lieu/**")
    # The serial box takes the focus when the page has loaded (autofocus); a key typed before that is lost.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'serial'")
    return page


def counted(page) -> tuple[int, int]:
    """(key presses, pointer events) the tab's pages have received so far."""
    return page.evaluate("['keys', 'pointer'].map(name => Number(sessionStorage.getItem(name) || 0))")


@dataclass(frozen=True)
class Keyed:
    """One ballot keyed: every key pressed, of which the serial's characters, and the wall time."""

    keys: int
    serial_keys: int
    seconds: float
    flash: str

    @property
    def keys_after_serial(self) -> int:
        return self.keys - self.serial_keys


def key_ballot(page, base: str, serial: str, answers: str) -> Keyed:
    """From the keying start page: type ``serial``, Enter, one key per answer, Enter; wait for the saved
    message. Only ``page.keyboard`` is used; every key is counted here and by the page itself."""
    if "/nhap-lieu/" not in page.url or "/phieu" in page.url:
        page.goto(f"{base}/nhap-lieu/")
    started = time.perf_counter()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'serial'")
    presses = 0
    for char in serial:
        page.keyboard.press(char)
        presses += 1
    page.keyboard.press("Enter")
    presses += 1
    page.wait_for_url("**/nhap-lieu/phieu?serial=*")
    page.wait_for_selector("form[data-entry][data-keys=ready]")
    page.wait_for_function("document.activeElement && document.activeElement.type === 'radio'")
    for key in answers:
        page.keyboard.press(key)
        presses += 1
    page.keyboard.press("Enter")
    presses += 1
    page.wait_for_url("**/nhap-lieu/")
    flash = page.locator(".flash").inner_text()
    return Keyed(presses, len(serial), time.perf_counter() - started, flash)


def entries_of(app, serial: str) -> list[dict[str, str]]:
    """The stored keyings of ``serial``, in order."""
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(PaperEntry.answers).join(PaperSerial, PaperEntry.serial_id == PaperSerial.id)
                              .where(PaperSerial.serial == serial).order_by(PaperEntry.id)))


def campaign_questions(app, campaign_id: int) -> list[str]:
    """The question ids of the citizens' commune ballot, in printed order."""
    from survey_app.services.campaigns import campaign_criteria

    with app.extensions[DB_KEY].session() as s:
        cset = campaign_criteria(s.get(Campaign, campaign_id))
        return list(cset.questionnaire("cap_xa", GROUP).question_ids)
