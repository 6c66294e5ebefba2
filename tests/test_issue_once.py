"""Issue once (issue 30 item 6): QR cards and paper ballots reconciled against the plan, both media
together; issuing past the plan needs a reason (audited); print pages show the new cards by default,
reprint a unit × group or serials typed (audited); every card names its unit and group; a Print button.

The campaign is the card set of test_card_levels (citizens and businesses reached on paper) with one
district, Huyện An Phú, planned for 60 citizens and 4 businesses.
"""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Invitation, PaperSerial, Unit
from survey_app.services.campaigns import create_campaign
from survey_app.services.invitations import create_qr_cards
from survey_app.services.serials import reserve_serials
from survey_app.services.units import set_targets

from .a11y import violations
from .test_admin import flashes, token_of
from .test_auth import PASSWORD
from .test_card_levels import card_set


@pytest.fixture
def campaign(app) -> int:
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="Phát hành một lần", criteria_texts=card_set(), actor="t",
                            status="open")
        c.province = "Tỉnh Thái Nguyên"
        s.add(Unit(campaign_id=c.id, code="h_a", name="Huyện An Phú", level="huyen"))
        s.flush()
        s.expire(c, ["units"])
        unit = {u.code: u for u in c.units}
        group = {g.code: g for g in c.groups}
        set_targets(s, c, [(unit["h_a"], group["nguoi_dan"], 60), (unit["h_a"], group["doanh_nghiep"], 4)], "t")
        create_qr_cards(s, c, unit["h_a"], group["nguoi_dan"], 61, app.config["SECRET_KEY"], "t")
        return c.id


def counts(app, campaign: int, group: str) -> tuple[int, int]:
    """(QR cards, serials) of Huyện An Phú × ``group``."""
    with app.extensions[DB_KEY].session() as s:
        def count(model):
            return s.scalar(select(func.count()).select_from(model).join(Unit, Unit.id == model.unit_id).where(
                model.campaign_id == campaign, model.group.has(code=group)))
        return count(Invitation), count(PaperSerial)


def audit_values(app, action: str) -> list[str]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry.new_value).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_cell_with_61_cards_for_a_plan_of_60_is_not_offered_more(admin, campaign):
    page = admin.get(f"/quan-tri/dot/{campaign}/phieu-giay").get_data(as_text=True)
    assert "In 60 phiếu còn thiếu" not in page
    row = re.search(r'<th scope="row">Huyện An Phú</th><td>Người dân</td>(.*?)</tr>', page, re.S).group(1)
    assert "còn thiếu" not in row and "đủ (đã phát hành 61, vượt 1)" in row
    # Businesses (plan 4, nothing issued) are offered their 4; the bulk panel lacks only those.
    assert "In 4 phiếu còn thiếu" in page
    assert "còn thiếu <strong>0 thẻ QR</strong> và <strong>4 phiếu giấy</strong> ở 1 ô" in page


def post_ballots(client, campaign: int, count: int, reason: str = ""):
    url = f"/quan-tri/dot/{campaign}/phieu-giay"
    return client.post(url, data={"csrf_token": token_of(client, url), "pair": "h_a|nguoi_dan",
                                  "count": str(count), "ly_do": reason})


def test_issuing_past_the_plan_needs_a_reason_which_is_audited(app, admin, campaign):
    refused = post_ballots(admin, campaign, 5)
    assert refused.status_code == 302 and counts(app, campaign, "nguoi_dan") == (61, 0)
    (message,) = flashes(admin, f"/quan-tri/dot/{campaign}/phieu-giay")
    assert "Kế hoạch mẫu của ô này là 60 người, đã phát hành 61" in message and "5 vượt kế hoạch" in message
    assert audit_values(app, "over_plan") == []

    made = post_ballots(admin, campaign, 5, "Thay 5 phiếu in hỏng")
    assert made.status_code == 302 and "/phieu-giay/in?" in made.headers["Location"]
    assert counts(app, campaign, "nguoi_dan") == (61, 5)
    assert audit_values(app, "over_plan") == [
        "5 phiếu giấy cho Huyện An Phú — Người dân, 5 vượt kế hoạch 60 (đã có 61). Lý do: Thay 5 phiếu in hỏng"]

    # Within the plan no reason is asked: businesses lack 4, 3 are printed without one.
    url = f"/quan-tri/dot/{campaign}/phieu-giay"
    admin.post(url, data={"csrf_token": token_of(admin, url), "pair": "h_a|doanh_nghiep", "count": "3"})
    assert counts(app, campaign, "doanh_nghiep") == (0, 3)
    # A QR card past the plan is refused the same way.
    cards_url = f"/quan-tri/dot/{campaign}/loi-moi"
    admin.post(f"/quan-tri/dot/{campaign}/the-qr", data={"csrf_token": token_of(admin, cards_url),
                                                        "pair": "h_a|doanh_nghiep", "count": "2"})
    assert counts(app, campaign, "doanh_nghiep") == (0, 3), "1 lacking, 2 asked: refused without a reason"
    assert len(audit_values(app, "over_plan")) == 1


def test_the_card_page_shows_the_new_cards_naming_unit_and_group_and_reprints_on_request(app, admin, campaign):
    cards_url = f"/quan-tri/dot/{campaign}/loi-moi"
    made = admin.post(f"/quan-tri/dot/{campaign}/the-qr", data={"csrf_token": token_of(admin, cards_url),
                                                               "pair": "h_a|doanh_nghiep", "count": "3"})
    page = admin.get(made.headers["Location"]).get_data(as_text=True)
    assert page.count('<article class="qr-card">') == 3, "only the 3 new cards, not the unit's others"
    assert page.count('<p class="qr-group">Đối tượng: Doanh nghiệp</p>') == 3
    assert page.count('<p class="qr-unit">Đơn vị: <strong>Huyện An Phú</strong></p>') == 3
    assert '<button type="button" class="primary" data-print hidden>In</button>' in page and "print.js" in page

    # "Every unused card of the unit × group" is a reprint: 61 citizens' cards, audited as one.
    again = admin.get(f"/quan-tri/dot/{campaign}/the-qr/in?don_vi=h_a&doi_tuong=nguoi_dan&chon=tat-ca")
    assert again.get_data(as_text=True).count('<article class="qr-card">') == 61
    with app.extensions[DB_KEY].session() as s:
        reprints = s.scalars(select(AuditEntry.attribute).where(AuditEntry.attribute == "qr_cards_reprint")).all()
    assert reprints == ["qr_cards_reprint"]
    # Codes typed: exactly those cards.
    codes = re.findall(r'<p class="qr-code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', page)
    chosen = admin.get(f"/quan-tri/dot/{campaign}/the-qr/in", query_string={
        "don_vi": "h_a", "doi_tuong": "doanh_nghiep", "chon": "ma", "ma": f"{codes[2].lower()}\n{codes[0]}"})
    assert re.findall(r'<p class="qr-code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', chosen.get_data(as_text=True)) == [
        codes[0], codes[2]]


def test_a_reprint_of_given_serials_prints_exactly_those_and_is_audited(app, admin, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        from survey_app.models import Campaign
        c = s.get(Campaign, campaign)
        unit = next(u for u in c.units if u.code == "h_a")
        group = next(g for g in c.groups if g.code == "doanh_nghiep")
        serials = [p.serial for p in reserve_serials(s, c, unit, group, 4, "t")]
    url = f"/quan-tri/dot/{campaign}/phieu-giay"
    typed = f"{serials[3]}\n {serials[1][:3]}-{serials[1][3:]} "
    result = admin.post(f"{url}/in-lai", data={"csrf_token": token_of(admin, url), "chon": "so", "so": typed,
                                               "pair": "h_a|nguoi_dan"})
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert re.findall(r'<div class="pb-serial">.*?<span>(\d+)</span>', html, re.S) == [serials[1], serials[3]]
    assert html.count("Đối tượng: <strong>Doanh nghiệp</strong>") == 2
    assert '<button type="button" class="primary" data-print hidden>In</button>' in html
    assert audit_values(app, "reprint") == [
        f"In lại 2 phiếu giấy đã phát hành (các mã phiếu đã gõ): {serials[1]}, {serials[3]}"]
    assert counts(app, campaign, "doanh_nghiep") == (0, 4), "a reprint issues nothing"

    # A serial not of this campaign (or mistyped) refuses the whole reprint, saying which.
    bad = admin.post(f"{url}/in-lai", data={"csrf_token": token_of(admin, url), "chon": "so",
                                            "so": f"{serials[0]}, 0000000000"})
    assert bad.status_code == 302 and len(audit_values(app, "reprint")) == 1
    (message,) = flashes(admin, url)
    assert "0000000000" in message and serials[0] not in message

    # All of a unit × group: the 4 ballots.
    every = admin.post(f"{url}/in-lai", data={"csrf_token": token_of(admin, url), "chon": "o",
                                              "pair": "h_a|doanh_nghiep"}).get_data(as_text=True)
    assert re.findall(r'<div class="pb-serial">.*?<span>(\d+)</span>', every, re.S) == serials


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_the_print_button_prints_and_the_pages_pass_axe(browser, served, admin, campaign):
    page = browser.new_page()
    page.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    page.goto(served + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("qt")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{served}/quan-tri/dot/{campaign}/phieu-giay")
    assert violations(page) == []
    page.get_by_role("button", name="In 4 phiếu còn thiếu").click()
    page.wait_for_url("**/phieu-giay/in?**")
    assert page.locator("article.paper-ballot").count() == 4
    assert violations(page) == []
    page.get_by_role("button", name="In", exact=True).click()
    assert page.evaluate("window.printed") == 1
    page.goto(f"{served}/quan-tri/dot/{campaign}/the-qr/in?don_vi=h_a&doi_tuong=nguoi_dan&chon=tat-ca")
    assert violations(page) == []
    page.get_by_role("button", name="In", exact=True).click()
    assert page.evaluate("window.printed") == 1, "once on this page (the counter starts again on each page)"
    page.close()
