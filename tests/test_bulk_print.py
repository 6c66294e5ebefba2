"""Printing at scale (issue 28 item 5): one action issues every QR card and paper ballot the sample plan
still lacks, reconciled against it, and returns one print-ready page; reprints are explicit and audited.

The campaign is the card set of test_card_levels (citizens rate their own district and commune and
choose departments; businesses rate their own district) with two districts, a commune each and two
departments; here citizens are reached both ways (``mixed``), businesses on paper. Since issue 30 a
cell counts its cards and serials together (each person takes one): what it lacks goes half to cards
(the odd one a card) for citizens, all to ballots for businesses. The plan and what is issued, by hand:

    cell                    target  cards (not revoked)  serials   lacks   new cards  new serials
    Huyện An Phú, citizens      6          2                5        0 (7)      0          0
    Huyện An Phú, businesses    3          0                0        3          0          3
    Huyện Bình Sơn, citizens    4          0                0        4          2          2
    Huyện Bình Sơn, businesses  2          3 (over)         1        0          0          0
    Xã An Lạc, citizens         2          0 (1 revoked)    0        2          1          1
    Sở Tư pháp, citizens        0          -                -        -          -          -
                                                           total     9          3          6
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import zxingcpp
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Campaign, Invitation, PaperSerial, RespondentGroup, SpentLink, Unit
from survey_app.services.campaigns import create_campaign
from survey_app.services.invitations import create_qr_cards, hash_token
from survey_app.services.markers import spent_marker
from survey_app.services.serials import reserve_serials
from survey_app.services.units import set_targets
from survey_app.services.users import create_user

from .test_admin import flashes, token_of
from .test_auth import PASSWORD, login
from .test_card_levels import card_set

PLAN = {("h_a", "nguoi_dan"): 6, ("h_a", "doanh_nghiep"): 3, ("h_b", "nguoi_dan"): 4,
        ("h_b", "doanh_nghiep"): 2, ("x_a1", "nguoi_dan"): 2}


@pytest.fixture
def campaign(app) -> int:
    with app.extensions[DB_KEY].transaction() as s:
        texts = card_set()
        texts["set.yaml"] = texts["set.yaml"].replace("    name: Người dân\n    reached_by: paper",
                                                      "    name: Người dân\n    reached_by: mixed")
        assert "reached_by: mixed" in texts["set.yaml"]
        c = create_campaign(s, year=2026, name="In hàng loạt", criteria_texts=texts, actor="t", status="open")
        c.province = "Tỉnh Thái Nguyên"
        s.add_all([Unit(campaign_id=c.id, code="so_tp", name="Sở Tư pháp", level="so"),
                   Unit(campaign_id=c.id, code="so_tc", name="Sở Tài chính", level="so")])
        h_a = Unit(campaign_id=c.id, code="h_a", name="Huyện An Phú", level="huyen")
        h_b = Unit(campaign_id=c.id, code="h_b", name="Huyện Bình Sơn", level="huyen")
        s.add_all([h_a, h_b])
        s.flush()
        s.add_all([Unit(campaign_id=c.id, code="x_a1", name="Xã An Lạc", level="xa", parent_id=h_a.id),
                   Unit(campaign_id=c.id, code="x_b1", name="Xã Bình Minh", level="xa", parent_id=h_b.id)])
        s.flush()
        s.expire(c, ["units"])
        unit = {u.code: u for u in c.units}
        group = {g.code: g for g in c.groups}
        set_targets(s, c, [(unit[u], group[g], n) for (u, g), n in PLAN.items()], "t")
        secret = app.config["SECRET_KEY"]
        create_qr_cards(s, c, unit["h_a"], group["nguoi_dan"], 2, secret, "t")
        create_qr_cards(s, c, unit["h_b"], group["doanh_nghiep"], 3, secret, "t")
        (revoked, _link), = create_qr_cards(s, c, unit["x_a1"], group["nguoi_dan"], 1, secret, "t")
        revoked.revoked = True
        reserve_serials(s, c, unit["h_a"], group["nguoi_dan"], 5, "t")
        reserve_serials(s, c, unit["h_b"], group["doanh_nghiep"], 1, "t")
        return c.id


def cards_and_serials(app, campaign: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(unit code, group code) -> (QR cards not revoked, serials)."""
    found: dict[tuple[str, str], list[int]] = {}
    with app.extensions[DB_KEY].session() as s:
        for u, g, n in s.execute(select(Unit.code, RespondentGroup.code, func.count()).select_from(Invitation)
                                 .join(Unit, Unit.id == Invitation.unit_id)
                                 .join(RespondentGroup, RespondentGroup.id == Invitation.group_id)
                                 .where(Invitation.campaign_id == campaign, Invitation.kind == "qr_card",
                                        Invitation.revoked.is_(False)).group_by(Unit.code, RespondentGroup.code)):
            found.setdefault((u, g), [0, 0])[0] = n
        for u, g, n in s.execute(select(Unit.code, RespondentGroup.code, func.count()).select_from(PaperSerial)
                                 .join(Unit, Unit.id == PaperSerial.unit_id)
                                 .join(RespondentGroup, RespondentGroup.id == PaperSerial.group_id)
                                 .where(PaperSerial.campaign_id == campaign).group_by(Unit.code, RespondentGroup.code)):
            found.setdefault((u, g), [0, 0])[1] = n
    return {k: tuple(v) for k, v in found.items()}


BEFORE = {("h_a", "nguoi_dan"): (2, 5), ("h_b", "doanh_nghiep"): (3, 1)}


def bulk(client, campaign: int, page: str = "phieu-giay", **fields):
    url = f"/quan-tri/dot/{campaign}/phieu-giay"
    data = {"in-csrf_token": token_of(client, url), "in-cap": "", "in-doi_tuong": "", "in-don_vi": "",
            "in-loai": "ca-hai", "in-ve": page}
    data.update({f"in-{k}": v for k, v in fields.items()})
    return client.post(f"/quan-tri/dot/{campaign}/in-tat-ca", data=data)


def reprint(client, campaign: int, confirm: bool, **fields):
    url = f"/quan-tri/dot/{campaign}/phieu-giay"
    data = {"inlai-csrf_token": token_of(client, url), "inlai-cap": "", "inlai-doi_tuong": "", "inlai-don_vi": "",
            "inlai-loai": "ca-hai", "inlai-ve": "phieu-giay"}
    if confirm:
        data["inlai-xac_nhan"] = "y"
    data.update({f"inlai-{k}": v for k, v in fields.items()})
    return client.post(f"/quan-tri/dot/{campaign}/in-lai", data=data)


def sections(html: str) -> list[tuple[str, str]]:
    """(unit heading, section html) of each unit on the print page, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(
        r'<section class="print-unit"[^>]*>\s*<h2[^>]*>([^<]+?) <span>.*?</h2>(.*?)</section>', html, re.S)]


def card_groups(section: str, unit: str) -> list[str]:
    """The group named on each card of a section, checking that each card names the unit too."""
    cards = re.findall(r'<article class="qr-card cut">(.*?)</article>', section, re.S)
    for card in cards:
        assert f'<p class="qr-unit">Đơn vị: <strong>{unit}</strong></p>' in card
    return [re.search(r'<p class="qr-group">Đối tượng: ([^<]+)</p>', card).group(1) for card in cards]


def ballot_groups(section: str, unit: str) -> list[str]:
    ballots = re.findall(r'<article class="paper-ballot">(.*?)</article>', section, re.S)
    return [re.search(rf"Đơn vị được đánh giá: <strong>{unit}</strong> · Đối tượng: <strong>([^<]+)</strong>",
                      b).group(1) for b in ballots]


def test_bulk_issues_exactly_what_the_plan_lacks_and_a_second_click_nothing(app, admin, campaign):
    assert cards_and_serials(app, campaign) == BEFORE
    page = admin.get(f"/quan-tri/dot/{campaign}/phieu-giay").get_data(as_text=True)
    assert "còn thiếu <strong>3 thẻ QR</strong> và <strong>6 phiếu giấy</strong> ở 3 ô" in page

    result = bulk(admin, campaign)
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    assert "Vừa phát hành 3 thẻ QR và 6 phiếu giấy còn thiếu so với kế hoạch mẫu" in html
    assert cards_and_serials(app, campaign) == {
        ("h_a", "nguoi_dan"): (2, 5), ("h_a", "doanh_nghiep"): (0, 3), ("h_b", "nguoi_dan"): (2, 2),
        ("h_b", "doanh_nghiep"): (3, 1), ("x_a1", "nguoi_dan"): (1, 1)}, "cards and ballots together up to the target"
    assert html.count('<article class="qr-card cut">') == 3 and html.count('<article class="paper-ballot">') == 6

    # Grouped by unit, in the plan's order, each card and ballot naming its unit and group in words.
    found = sections(html)
    assert [unit for unit, _s in found] == ["Huyện An Phú", "Huyện Bình Sơn", "Xã An Lạc"]
    by_unit = {unit: (card_groups(s, unit), ballot_groups(s, unit)) for unit, s in found}
    assert by_unit == {
        "Huyện An Phú": ([], ["Doanh nghiệp"] * 3),
        "Huyện Bình Sơn": (["Người dân"] * 2, ["Người dân"] * 2),
        "Xã An Lạc": (["Người dân"], ["Người dân"])}
    # The new serials are the ones printed, numbered after the 6 already reserved.
    with app.extensions[DB_KEY].session() as s:
        new = s.scalars(select(PaperSerial.serial).where(PaperSerial.campaign_id == campaign)
                        .order_by(PaperSerial.serial)).all()[6:]
    assert len(new) == 6 and sorted(re.findall(r'<div class="pb-serial">.*?<span>(\d+)</span>', html)) == new

    again = bulk(admin, campaign)
    assert again.status_code == 302
    assert cards_and_serials(app, campaign)[("h_a", "nguoi_dan")] == (2, 5)
    assert sum(c for c, _s in cards_and_serials(app, campaign).values()) == 8
    (message,) = flashes(admin, f"/quan-tri/dot/{campaign}/phieu-giay")
    assert message.startswith("Không có thẻ QR hay phiếu giấy nào còn thiếu so với kế hoạch mẫu") \
        and "không phát hành thêm" in message
    page = admin.get(f"/quan-tri/dot/{campaign}/phieu-giay").get_data(as_text=True)
    assert "còn thiếu <strong>0 thẻ QR</strong> và <strong>0 phiếu giấy</strong>." in page


def _matrix_of(svg: str) -> np.ndarray:
    """The image of a card's QR code, read back from the runs of its path (4 pixels a module)."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = np.full((size, size), 255, dtype=np.uint8)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        image[int(y), int(x):int(x) + int(w)] = 0
    return np.kron(image, np.ones((4, 4), dtype=np.uint8))


def test_each_cards_qr_code_opens_its_own_card(app, admin, campaign):
    html = bulk(admin, campaign, don_vi="x_a1", loai="the-qr").get_data(as_text=True)
    svgs = re.findall(r'<div class="qr">(<svg.*?</svg>)</div>', html)
    assert len(svgs) == 2
    with app.extensions[DB_KEY].session() as s:
        hashes = set(s.scalars(select(Invitation.token_hash).join(Unit, Unit.id == Invitation.unit_id)
                               .where(Unit.code == "x_a1", Invitation.revoked.is_(False))))
    read = [r.text for svg in svgs for r in zxingcpp.read_barcodes(_matrix_of(svg))]
    assert len(read) == 2 and all(re.fullmatch(r"http://localhost/s/[A-Za-z0-9_-]{32}", url) for url in read)
    assert {hash_token(url.rsplit("/", 1)[1]) for url in read} == hashes
    respondent = app.test_client()
    assert "Xã An Lạc" in respondent.get(read[0].replace("http://localhost", "")).get_data(as_text=True)


@pytest.mark.parametrize("fields,cells", [
    ({"don_vi": "h_a"}, {("h_a", "doanh_nghiep"): (0, 3)}),
    ({"doi_tuong": "doanh_nghiep"}, {("h_a", "doanh_nghiep"): (0, 3)}),
    ({"cap": "xa"}, {("x_a1", "nguoi_dan"): (1, 1)}),
    ({"cap": "huyen", "doi_tuong": "nguoi_dan", "loai": "phieu-giay"}, {("h_b", "nguoi_dan"): (0, 4)}),
    ({"cap": "huyen", "doi_tuong": "nguoi_dan", "loai": "the-qr"}, {("h_b", "nguoi_dan"): (4, 0)}),
])
def test_the_filter_issues_only_its_part(app, admin, campaign, fields, cells):
    result = bulk(admin, campaign, **fields)
    assert result.status_code == 200
    expected = {**BEFORE, **cells}
    assert {k: v for k, v in cards_and_serials(app, campaign).items() if v != (0, 0)} == expected
    names = {"h_a": "Huyện An Phú", "h_b": "Huyện Bình Sơn", "x_a1": "Xã An Lạc"}
    changed = sorted({names[u] for (u, _g), v in expected.items() if v != BEFORE.get((u, _g))})
    assert sorted(unit for unit, _s in sections(result.get_data(as_text=True))) == changed


def test_a_filter_not_offered_is_refused_and_issues_nothing(app, admin, campaign):
    result = bulk(admin, campaign, don_vi="khong_co")
    assert result.status_code == 302 and cards_and_serials(app, campaign) == BEFORE
    assert flashes(admin, f"/quan-tri/dot/{campaign}/phieu-giay") == [
        "Chọn cấp, đối tượng, đơn vị và loại cần in từ các danh sách của trang."]
    # A department is a unit the plan leaves at 0 here: offered, valid, and nothing to issue.
    assert bulk(admin, campaign, don_vi="so_tp").status_code == 302 and cards_and_serials(app, campaign) == BEFORE


def audit_rows(app) -> list[AuditEntry]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_reprint_needs_its_checkbox_is_audited_and_prints_only_usable_cards(app, admin, campaign):
    with app.extensions[DB_KEY].transaction() as s:  # one of An Phú's two cards was answered: not reprinted
        card = s.scalars(select(Invitation).join(Unit, Unit.id == Invitation.unit_id)
                         .where(Unit.code == "h_a").order_by(Invitation.id)).first()
        s.add(SpentLink(marker=spent_marker(app.config["SECRET_KEY"], card.token_hash), campaign_id=campaign,
                        receipt="0" * 64))
    before = len(audit_rows(app))
    refused = reprint(admin, campaign, confirm=False, don_vi="h_a")
    assert refused.status_code == 302 and len(audit_rows(app)) == before
    assert flashes(admin, f"/quan-tri/dot/{campaign}/phieu-giay") == [
        "Đánh dấu ô xác nhận để in lại thẻ và phiếu đã phát hành."]

    result = reprint(admin, campaign, confirm=True, don_vi="h_a")
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and cards_and_serials(app, campaign) == BEFORE, "a reprint issues nothing"
    assert "In lại 1 thẻ QR chưa dùng và 5 phiếu giấy chưa nhập" in html
    assert html.count('<article class="qr-card cut">') == 1 and html.count('<article class="paper-ballot">') == 5
    rows = audit_rows(app)[before:]
    assert [(r.action, r.entity, r.attribute) for r in rows] == [("reprint", "invitations", "bulk_print"),
                                                                ("links_out", "invitations", "qr_cards_reprint")]
    assert rows[0].actor == "qt" and rows[0].new_value == (
        "In lại 1 thẻ QR và 5 phiếu giấy đã phát hành (mọi cấp, mọi đối tượng, Huyện An Phú, thẻ QR và phiếu giấy)")

    # No audit row, of the reprint or of the bulk issue, holds a card's link or code.
    bulk(admin, campaign)
    codes = re.findall(r'<p class="qr-code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', html)
    page = reprint(admin, campaign, confirm=True).get_data(as_text=True)
    codes += re.findall(r'<p class="qr-code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', page)
    assert len(codes) == 1 + 7  # unused cards after the issue: An Phú 1 (one answered), Bình Sơn 2 + 3, An Lạc 1
    texts = " ".join(f"{r.old_value} {r.new_value}" for r in audit_rows(app))
    assert "In hàng loạt 3 thẻ QR" in texts and "3 thẻ QR in hàng loạt cho 2 ô" in texts
    assert not [c for c in codes if c in texts or c.replace("-", "") in texts]
    with app.extensions[DB_KEY].session() as s:
        salts = s.scalars(select(Invitation.token_salt)).all()
    assert not [salt for salt in salts if salt in texts]


def test_a_bulk_print_without_its_csrf_token_is_refused(app, admin, campaign):
    for url in (f"/quan-tri/dot/{campaign}/in-tat-ca", f"/quan-tri/dot/{campaign}/in-lai"):
        result = admin.post(url, data={"in-loai": "ca-hai", "inlai-loai": "ca-hai", "inlai-xac_nhan": "y"})
        assert result.status_code == 400 and "Yêu cầu không hợp lệ" in result.get_data(as_text=True)
    assert cards_and_serials(app, campaign) == BEFORE


def test_staff_and_analysts_cannot_print_in_bulk(app, campaign):
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "nl", PASSWORD, "staff", unit_codes=("h_a",), campaign_id=campaign, actor="test")
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    for username in ("nl", "pt"):
        client = app.test_client()
        login(client, username)
        token = token_of(client, "/")
        for url in (f"/quan-tri/dot/{campaign}/in-tat-ca", f"/quan-tri/dot/{campaign}/in-lai"):
            result = client.post(url, data={"in-csrf_token": token, "inlai-csrf_token": token,
                                            "inlai-xac_nhan": "y", "in-loai": "ca-hai"})
            assert result.status_code == 403, (username, url)
    assert cards_and_serials(app, campaign) == BEFORE


def test_the_action_is_reached_by_clicking_from_the_campaign_page(app, admin, campaign):
    home = admin.get(f"/quan-tri/dot/{campaign}").get_data(as_text=True)
    paper_url = re.search(r'href="(/quan-tri/dot/\d+/phieu-giay)"', home).group(1)
    page = admin.get(paper_url).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+/in-tat-ca)">(.*?)</form>', page, re.S)
    assert "In tất cả thẻ QR và phiếu giấy còn thiếu</button>" in form.group(2)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
    for name in re.findall(r'<select[^>]*name="([^"]+)"', form.group(2)):
        data.setdefault(name, re.search(rf'name="{name}".*?<option[^>]*value="([^"]*)"', form.group(2), re.S).group(1))
    assert set(data) == {"in-csrf_token", "in-ve", "in-cap", "in-doi_tuong", "in-don_vi", "in-loai"}
    result = admin.post(form.group(1), data=data)
    assert result.status_code == 200 and "Vừa phát hành 3 thẻ QR và 6 phiếu giấy" in result.get_data(as_text=True)
    # The links and cards page, linked from the campaign page too, has the same action and comes back to itself.
    cards_url = re.search(r'href="(/quan-tri/dot/\d+/loi-moi)"', home).group(1)
    cards_page = admin.get(cards_url).get_data(as_text=True)
    assert f'action="/quan-tri/dot/{campaign}/in-tat-ca"' in cards_page and 'name="in-ve" value="loi-moi"' in cards_page
    assert bulk(admin, campaign, page="loi-moi").headers["Location"].endswith(f"/quan-tri/dot/{campaign}/loi-moi")


def test_the_write_lock_is_released_before_the_page_is_drawn(app, admin, campaign):
    result = admin.post(f"/quan-tri/dot/{campaign}/in-tat-ca", buffered=False, data={
        "in-csrf_token": token_of(admin, f"/quan-tri/dot/{campaign}/phieu-giay"), "in-cap": "", "in-doi_tuong": "",
        "in-don_vi": "", "in-loai": "ca-hai", "in-ve": "phieu-giay"})
    chunks = (c if isinstance(c, bytes) else c.encode() for c in result.response)
    head = b""
    while b'<article class="qr-card cut">' not in head:  # in the middle of drawing the first unit's cards
        head += next(chunks)
    assert head.startswith(b"<!doctype html>")
    quick = type(app.extensions[DB_KEY])(app.config["DATABASE_URL"], busy_timeout_ms=200)
    with quick.transaction() as s:  # would fail with "database is locked" if the issue still held the lock
        s.get(Campaign, campaign).province = "Tỉnh Bắc Ninh"
    quick.dispose()
    rest = (head + b"".join(chunks)).decode()
    result.close()
    assert rest.count('<article class="qr-card cut">') == 3
    assert cards_and_serials(app, campaign)[("h_b", "nguoi_dan")] == (2, 2)
