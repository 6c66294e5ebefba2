"""The merged province's 2026 campaign in the two-tier shape, run end to end in Chromium by an admin who
clicks (addresses typed: the start page and respondent links only): copy 2024 across the 2025 reform onto
the two-tier set; on the demo's 2026 campaign print every missing QR card and paper ballot at once; a
commune official's link, a freshly printed QR card and a printed paper ballot keyed twice with the keyboard;
close, import the appraisal of all 107 units, and read the final table, the comparison with last year
through the succession table, the printable report and the Word document. axe-core checks every page.

Figures by hand (demo data, survey_app/demo/data_2026.py):

- the copy: departments kept 8 (Thanh tra, Tư pháp, Công Thương, Y tế, GD&ĐT, VHTTDL, VP UBND, BQL KCN)
  + communes kept 3 (Bằng Vân, Thượng Quan, Bằng Thành) = 11; renamed 4 (Ban Dân tộc, and the towns Vân
  Tùng, Phủ Thông, Chợ Rã); proposed 18 (5 merged departments, 11 merged communes, 2 split from Hà Hiệu);
  8 districts dropped. Units: 8 + 1 + 5 = 14 departments and 3 + 3 + 11 + 2 = 19 communes = 33.
- the plan of campaign 3, 93 communes: 4 officials (372), 15 citizens (1,395), 5 businesses (465) each.
- last year (the published 2023 table, by the 2024 units): Sở Tư pháp 93,395, rank 4; Sở Tài chính is
  new, merged from Sở Kế hoạch và Đầu tư (95,469, rank 2) and Sở Tài chính (92,286, rank 6).
"""
from __future__ import annotations

import csv
import io
import re
import time

import docx
import pytest
import zxingcpp
from sqlalchemy import func, select

from survey_app.demo import data_2026 as N
from survey_app.demo.two_tier import succession_file
from survey_app.extensions import DB_KEY
from survey_app.models import Ballot, Campaign, Invitation, RespondentGroup, SampleTarget, Unit
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.closing import closing_note
from survey_app.services.invitations import hash_token
from survey_app.services.users import create_user

from .a11y import violations
from .keying import key_ballot
from .keying import sign_in as keyer_signs_in
from .test_auth import PASSWORD
from .test_bulk_print import _matrix_of, cards_and_serials

pytestmark = pytest.mark.browser
TWO_TIER = 3  # the demo's 2026 campaign
NEW_NAME = "Chỉ số CCHC tỉnh Thái Nguyên năm 2026 (sao chép qua sắp xếp)"
KEYERS = ("nhap.xa.mot", "nhap.xa.hai")


# --- helpers ------------------------------------------------------------------------------------------------

def axe_clean(page) -> None:
    """axe-core (WCAG 2.1 A and AA) finds nothing on the page as it is now."""
    found = violations(page)
    assert found == [], f"{page.url}: {found}"


def click(page, locator) -> None:
    """Click and wait for the page it leads to."""
    locator.click()
    page.wait_for_load_state("networkidle")


def step(page, name: str) -> None:
    """Open a step of the campaign page by its link in the list of steps."""
    click(page, page.locator("ol.steps").get_by_role("link", name=name, exact=True))


def crumb(page, name: str) -> None:
    click(page, page.locator("nav.crumbs").get_by_role("link", name=name, exact=True))


def flashes(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(".flash").all_inner_texts()]


def admin_signs_in(browser, base: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/")
    axe_clean(page)
    click(page, page.get_by_role("link", name="Đăng nhập cán bộ"))
    page.get_by_label("Tên đăng nhập").fill("qt")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    click(page, page.get_by_role("button", name="Đăng nhập"))
    return page


def table_rows(page, caption: str) -> list[dict[str, str]]:
    """The rows of the table whose caption is ``caption``, as header -> cell text."""
    return page.evaluate("""caption => {
        const table = [...document.querySelectorAll('table')].find(t => t.caption &&
            t.caption.textContent.trim() === caption);
        if (!table) return null;
        const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
        return [...table.tBodies[0].rows].map(r => Object.fromEntries(
            [...r.cells].map((c, i) => [heads[i], c.textContent.replace(/\\s+/g, ' ').trim()])));
    }""", caption)


def number(text: str) -> float:
    """A number as the reports print it (comma decimal)."""
    return float(text.replace(".", "").replace(",", "."))


def answer_in_browser(browser, url: str) -> str:
    """A respondent opens ``url`` on a phone, chooses each question's first option page by page and sends the
    ballot; returns the welcome page's text."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(url)
    axe_clean(page)
    welcome = page.locator("main").inner_text()
    click(page, page.get_by_role("link", name="Bắt đầu trả lời →"))
    for _page in range(20):
        send = page.get_by_role("button", name="Gửi phiếu")
        if send.count():
            break
        for question in page.locator("fieldset.question").all():
            question.locator("label.opt").first.click()
        axe_clean(page)
        click(page, page.get_by_role("button", name=re.compile(r"^Lưu và (tiếp|xem lại) →$")))
    axe_clean(page)
    click(page, page.get_by_role("button", name="Gửi phiếu"))
    assert page.get_by_role("heading", name="Cảm ơn Ông/Bà đã gửi phiếu").is_visible()
    axe_clean(page)
    context.close()
    return welcome


def missing_by_hand(app) -> tuple[int, int, dict]:
    """What the sample plan of campaign 3 lacks, worked out from the tables: for each unit x group reached on
    paper or by QR with a target T, T minus the QR cards not revoked and the serials together (issue 30: one
    person takes one or the other), never below 0; both groups are reached both ways (``mixed``), so half goes
    to cards (the odd one a card), half to ballots. Returns (cards, serials, {(unit, group): target})."""
    have = cards_and_serials(app, TWO_TIER)
    with app.extensions[DB_KEY].session() as s:
        cset = campaign_criteria(s.get(Campaign, TWO_TIER))
        printed = {g.code for g in cset.groups if g.reached_by in ("paper", "qr", "mixed")}
        assert printed == {"nguoi_dan", "doanh_nghiep"}
        assert {g.reached_by for g in cset.groups if g.code in printed} == {"mixed"}
        plan = {(u, g): t for u, g, t in s.execute(
            select(Unit.code, RespondentGroup.code, SampleTarget.target)
            .join(Unit, Unit.id == SampleTarget.unit_id)
            .join(RespondentGroup, RespondentGroup.id == SampleTarget.group_id)
            .where(SampleTarget.campaign_id == TWO_TIER, RespondentGroup.code.in_(printed), SampleTarget.target > 0))}
    lacking = [max(0, t - sum(have.get(cell, (0, 0)))) for cell, t in plan.items()]
    return sum((n + 1) // 2 for n in lacking), sum(n // 2 for n in lacking), plan


def appraisal_file(app, path) -> dict[str, float]:
    """An appraisal CSV for every unit of campaign 3 in the import's shape (unit, fields 1..8, total): each
    field a share (0.70 to 0.89, by the unit's place) of the set's per-field maximum, field 8 = 0. Returns
    each unit's name -> total."""
    with app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, TWO_TIER)
        cset = campaign_criteria(campaign)
        fields = [f.code for f in cset.fields]
        maxima = {lv: dict(cset.level_by_code[lv].field_appraisal_max) for lv in ("so", "xa")}
        assert (cset.level_by_code["so"].appraisal_max, cset.level_by_code["xa"].appraisal_max) == (86.5, 86)
        assert (sum(maxima["so"].values()), sum(maxima["xa"].values())) == (86.5, 86)
        assert maxima["so"]["8"] == maxima["xa"]["8"] == 0
        units = sorted((u.code, u.name, u.level) for u in campaign.units)
    assert len(units) == 107
    out, totals = io.StringIO(), {}
    writer = csv.writer(out)
    writer.writerow(["unit", *fields, "total"])
    for i, (code, name, level) in enumerate(units):
        points = [round(maxima[level][f] * (0.70 + (i % 20) / 100), 2) for f in fields]
        totals[name] = round(sum(points), 2)
        writer.writerow([code, *points, totals[name]])
    path.write_text(out.getvalue(), encoding="utf-8")
    return totals


def link_from_access_file(demo_db, base: str) -> str:
    """The unanswered example link of a 2026 commune official, from the demo's access file."""
    text = (demo_db.parent / "demo-access.txt").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if "2026, cán bộ, công chức cấp xã" in ln)
    return base + re.search(r"(/s/[A-Za-z0-9_-]+)\s*$", line).group(1)


# --- the test -----------------------------------------------------------------------------------------------

def test_the_two_tier_campaign_end_to_end_by_clicking(browser, live_server, site, demo_db, tmp_path):
    app = site
    db = app.extensions[DB_KEY]
    started = time.perf_counter()
    page = admin_signs_in(browser, live_server)
    page.set_default_timeout(60_000)

    # 1. Copy 2024 across the merger onto the two-tier set, with the succession file.
    with db.session() as s:
        ke_thua = tmp_path / "ke-thua-2026.csv"
        ke_thua.write_bytes(succession_file(s.get(Campaign, 2)))
    click(page, page.get_by_role("link", name="Đợt khảo sát", exact=True).first)
    click(page, page.get_by_role("link", name="Tạo đợt khảo sát"))
    axe_clean(page)
    page.get_by_label("Tên đợt khảo sát").fill(NEW_NAME)
    page.get_by_label("Năm đánh giá").fill("2026")
    page.get_by_label("Bắt đầu từ").select_option("dot:2")
    page.get_by_label(re.compile("^Bảng kế thừa đơn vị")).set_input_files(str(ke_thua))
    page.locator("#new_set").select_option("hai_cap")
    click(page, page.get_by_role("button", name="Tạo đợt khảo sát"))
    said = flashes(page)
    assert said[0] == "Giữ nguyên 11 đơn vị."
    assert said[1].startswith("Đổi tên 4 đơn vị: Ban Dân tộc tỉnh → Sở Dân tộc và Tôn giáo;")
    assert said[2].startswith("Đề xuất 18 đơn vị mới: ")
    assert "Sở Tài chính (hợp nhất từ Sở Kế hoạch và Đầu tư, Sở Tài chính)" in said[2]
    assert "Xã Phúc Lộc (chia tách từ Xã Hà Hiệu)" in said[2]
    assert said[3] == ("Bỏ 8 đơn vị giải thể: Thành phố Bắc Kạn, Huyện Ngân Sơn, Huyện Chợ Mới, Huyện Chợ Đồn, "
                       "Huyện Bạch Thông, Huyện Pác Nặm, Huyện Na Rì, Huyện Ba Bể.")
    assert said[4].startswith("Đợt mới dùng bộ tiêu chí “Bộ tiêu chí XHH Chỉ số CCHC các sở, ban, ngành và UBND "
                              "cấp xã (chính quyền địa phương hai cấp)”")
    assert said[5] == "Đã tạo đợt khảo sát. Làm tiếp các bước dưới đây, theo thứ tự."
    assert page.locator("h1").first.inner_text().startswith(NEW_NAME)
    axe_clean(page)
    step(page, "Đơn vị")
    axe_clean(page)
    assert page.locator("h1").first.inner_text() == "Đơn vị (33)"
    units = page.locator("section.card").first.locator("tbody tr")
    cells = [[c.strip() for c in row.locator("th, td").all_inner_texts()] for row in units.all()]
    assert len(cells) == 33
    assert [r[2] for r in cells].count("Cấp sở") == 14 and [r[2] for r in cells].count("Cấp xã") == 19
    assert {r[3] for r in cells} == {""}, "no unit under a district"
    names = [r[0] for r in cells]
    assert "Sở Nông nghiệp và Môi trường" in names and not [n for n in names if n.startswith("Huyện")]
    succession = page.locator("#ke-thua")
    assert succession.get_by_role("heading", name="Kế thừa đơn vị từ năm trước").is_visible()
    row = succession.locator("tbody tr", has_text="Sở Kế hoạch và Đầu tư")
    cells = [" ".join(c.split()) for c in row.locator("th, td").all_inner_texts()]
    assert cells[1:4] == ["Sở Kế hoạch và Đầu tư so_khdt", "→ Sở Tài chính so_tc", "hợp nhất"]
    assert "giải thể" in succession.locator("tbody tr", has_text="Huyện Ba Bể").inner_text()

    # 2. The demo's 2026 campaign, by its name: the plan's communes, then every missing card and ballot.
    click(page, page.get_by_role("link", name="Đợt khảo sát", exact=True).first)
    click(page, page.get_by_role("link", name=N.NAME, exact=True))
    assert page.url.endswith(f"/quan-tri/dot/{TWO_TIER}")
    axe_clean(page)
    step(page, "Kế hoạch mẫu")
    axe_clean(page)
    assert page.locator("form section.card h2").all_inner_texts() == ["Cấp sở", "Cấp xã"]
    communes = page.locator("form section.card").nth(1)
    assert communes.locator("tbody tr").count() == 93
    assert page.get_by_label("Xã Ba Bể — Người dân").input_value() == "15"
    heads = communes.locator("thead tr").first.locator("th").all_inner_texts()[1:]
    totals = [int(number(t)) for t in communes.locator("tfoot strong").all_inner_texts()]
    # 93 communes: 4 officials, 15 citizens, 5 businesses each.
    assert dict(zip(heads, totals)) == {"Cán bộ, công chức cấp xã": 372, "Người dân": 1395,
                                        "Tổ chức, doanh nghiệp": 465}
    crumb(page, N.NAME)
    step(page, "In phiếu giấy")
    axe_clean(page)
    cards, serials, plan = missing_by_hand(app)
    # By hand: the demo printed to plan for 40 communes (sorted by name, Ba Bể and Chợ Rã among them) and handed
    # out 3 citizens' and 1 business's QR cards in every commune; the other 53 communes lack 15 - 3 = 12
    # citizens (6 cards, 6 ballots) and 5 - 1 = 4 businesses (2 and 2) each.
    assert (cards, serials) == (53 * 8, 53 * 8)
    panel = page.locator("#in-tat-ca")
    assert f"còn thiếu {cards} thẻ QR và {serials} phiếu giấy" in " ".join(panel.inner_text().split())
    before = cards_and_serials(app, TWO_TIER)
    page.set_default_timeout(300_000)  # the print page holds about 1,900 cards and ballots
    click(page, panel.get_by_role("button", name="In tất cả thẻ QR và phiếu giấy còn thiếu"))
    assert page.locator("h1").inner_text() == "Thẻ QR và phiếu giấy mới phát hành"
    assert (f"Vừa phát hành {cards} thẻ QR và {serials} phiếu giấy còn thiếu so với kế hoạch mẫu (mọi cấp, mọi đối "
            "tượng, mọi đơn vị, thẻ QR và phiếu giấy).") in page.locator("main").inner_text()
    assert page.locator("article.qr-card").count() == cards
    assert page.locator("article.paper-ballot").count() == serials
    after = cards_and_serials(app, TWO_TIER)
    def filled(cell, t):
        c, s = before.get(cell, (0, 0))
        n = max(0, t - c - s)
        return c + (n + 1) // 2, s + n // 2
    assert {cell: after[cell] for cell in plan} == {cell: filled(cell, t) for cell, t in plan.items()}
    # A card to hand out and a ballot to key, from the page as printed.
    card = page.locator("section.print-unit", has=page.locator("article.qr-card")).first
    card_unit = card.locator("h2").inner_text().split(" (")[0]
    svg = card.locator("article.qr-card .qr svg").first.evaluate("e => e.outerHTML")
    (card_url,) = [r.text for r in zxingcpp.read_barcodes(_matrix_of(svg))]
    assert card_url.startswith(live_server + "/s/")
    ballot = page.locator("article.paper-ballot").first
    serial = ballot.locator(".pb-serial span").inner_text()
    ballot_unit, ballot_group = ballot.locator(".pb-unit strong").all_inner_texts()
    # axe on the whole page takes three minutes (about 1,900 QR codes): it checks the page's head and its first
    # two units' sections (every unit's section is the same template), the others taken out of the document.
    page.evaluate("[...document.querySelectorAll('section.print-unit')].slice(2).forEach(s => s.remove())")
    assert page.locator("section.print-unit article.qr-card").count() > 0
    assert page.locator("section.print-unit article.paper-ballot").count() > 0
    axe_clean(page)
    click(page, page.get_by_role("link", name="← In phiếu giấy"))
    page.set_default_timeout(60_000)
    assert "còn thiếu 0 thẻ QR và 0 phiếu giấy." in " ".join(page.locator("#in-tat-ca").inner_text().split())
    click(page, page.locator("#in-tat-ca").get_by_role("button", name="In tất cả thẻ QR và phiếu giấy còn thiếu"))
    assert flashes(page)[0].startswith("Không có thẻ QR hay phiếu giấy nào còn thiếu so với kế hoạch mẫu")
    assert cards_and_serials(app, TWO_TIER) == after, "a second issue issues nothing"
    axe_clean(page)

    # 3. A commune official's personal link and the printed QR card, answered and sent.
    with db.session() as s:
        sealed = closing_note(s, s.get(Campaign, TWO_TIER)).envelopes
        ballots = s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == TWO_TIER))
    link = link_from_access_file(demo_db, live_server)
    with db.session() as s:
        official = s.scalar(select(Unit.name).join(Invitation, Invitation.unit_id == Unit.id)
                            .where(Invitation.token_hash == hash_token(link.rsplit("/", 1)[1])))
    welcome = answer_in_browser(browser, link)
    assert "phiếu khảo sát cán bộ, công chức cấp xã" in welcome.lower() and official in welcome
    welcome = answer_in_browser(browser, card_url)
    assert card_unit in welcome
    with db.session() as s:
        assert closing_note(s, s.get(Campaign, TWO_TIER)).envelopes == sealed + 2

    # 4. The printed paper ballot keyed twice, by two staff of its commune, with the keyboard only.
    with db.transaction() as s:
        commune = s.scalar(select(Unit.code).where(Unit.campaign_id == TWO_TIER, Unit.name == ballot_unit))
        for name in KEYERS:
            create_user(s, name, PASSWORD, "staff", unit_codes=(commune,), campaign_id=TWO_TIER, actor="test")
        cset = campaign_criteria(s.get(Campaign, TWO_TIER))
        group = next(g.code for g in cset.groups if g.name == ballot_group)
        questions = len(cset.questionnaire("xa", group).items)
    runs = []
    for name in KEYERS:
        keyer = keyer_signs_in(browser, live_server, name)
        assert ballot_unit in keyer.locator("main").inner_text()
        axe_clean(keyer)
        runs.append(key_ballot(keyer, live_server, serial, "1" * questions))
        keyer.context.close()
    assert "lần nhập thứ nhất" in runs[0].flash
    assert runs[1].flash.endswith("hai lần nhập khớp nhau, phiếu đã được xác minh.")
    assert runs[1].keys_after_serial == questions + 2
    with db.session() as s:
        assert s.scalar(select(Ballot.state).where(Ballot.paper_serial == serial)) == "verified"

    # 5. Close, import the appraisal, read the reports.
    page.reload()
    crumb(page, N.NAME)
    click(page, page.get_by_role("link", name="Kết thúc đợt…"))
    axe_clean(page)
    assert f"{sealed + 2} phiếu trực tuyến đã niêm phong" in page.locator("main").inner_text()
    page.get_by_label(re.compile("Tôi đã xem độ phủ phiếu: ")).check()
    page.get_by_label("Tôi hiểu: kết thúc đợt khảo sát không hoàn tác được.").check()
    click(page, page.get_by_role("button", name="Kết thúc đợt và mở niêm phong"))
    assert page.locator("h1 .tag").first.inner_text() == "Đã kết thúc"
    with db.session() as s:  # every sealed envelope, ours too, is a ballot now; and the paper ballot keyed
        assert s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == TWO_TIER)) == \
            ballots + sealed + 2 + 1
    axe_clean(page)
    click(page, page.get_by_role("link", name="Nhập điểm thẩm định"))
    axe_clean(page)
    totals = appraisal_file(app, tmp_path / "diem-tham-dinh-2026.csv")
    form = page.locator("form", has=page.get_by_role("heading", name="Điểm thẩm định"))
    form.get_by_label("Tệp").set_input_files(str(tmp_path / "diem-tham-dinh-2026.csv"))
    click(page, form.get_by_role("button", name="Nhập"))
    if page.locator("input[name=xac_nhan]").count():  # replacing an earlier import: its confirmation page
        page.locator("input[name=xac_nhan]").check()
        click(page, page.get_by_role("button", name="Thay điểm thẩm định"))
    assert flashes(page)[0].startswith("Đã nhập điểm thẩm định: 107 dòng từ diem-tham-dinh-2026.csv")
    click(page, page.get_by_role("link", name="Xem báo cáo"))
    axe_clean(page)
    click(page, page.locator("nav.report-nav").get_by_role("link", name="Kết quả chỉ số"))
    axe_clean(page)
    text = page.locator("main").inner_text()
    assert "huyện" not in text.lower() and "2/3" not in text

    so = table_rows(page, "Kết quả Chỉ số CCHC, xếp hạng và xếp loại — I. Các sở, ban, ngành")
    xa = table_rows(page, "Kết quả Chỉ số CCHC, xếp hạng và xếp loại — II. Các xã, phường, đặc khu")
    assert len(so) == 14 and len(xa) == 93
    for row in so + xa:
        assert number(row["Điểm thẩm định"]) == pytest.approx(totals[row["Đơn vị"]], abs=0.0005), row
        if row["Xếp hạng"]:  # the index is appraisal + survey points, to the thousandth
            assert number(row["Chỉ số CCHC"]) == pytest.approx(
                number(row["Điểm thẩm định"]) + number(row["Điểm điều tra XHH"]), abs=0.0011), row
    ranked = [r for r in xa if r["Xếp hạng"]]
    short = [r for r in xa if not r["Xếp hạng"]]
    # Communes ranked across the province: 1..n in one run, by index, every one with at least 5 ballots.
    assert [int(r["Xếp hạng"]) for r in ranked] == list(range(1, len(ranked) + 1))
    indexes = [number(r["Chỉ số CCHC"]) for r in ranked]
    assert indexes == sorted(indexes, reverse=True)
    assert all(int(r["Số phiếu"]) >= 5 for r in ranked) and short
    for r in short:
        n = int(r["Số phiếu"])
        assert n < 5 and r["Xếp loại"] == f"Chưa đủ phiếu ({n} phiếu)" and r["Chỉ số CCHC"] == "", r
        assert r["Độ phủ phiếu"] == f"chưa đủ phiếu ({n} phiếu)", r
    assert {r["Đơn vị"] for r in xa} >= {ballot_unit, card_unit}

    # Year on year through the succession table.
    comparison = {r["Đơn vị"]: r for r in table_rows(
        page, "So sánh kết quả năm 2026 so với năm 2025 — I. Các sở, ban, ngành")}
    note = "Đơn vị mới (hợp nhất, chia tách) từ"
    assert comparison["Sở Tài chính"][note].startswith(
        "đơn vị mới (hợp nhất từ Sở Kế hoạch và Đầu tư: 95,469, hạng 2, Tốt; Sở Tài chính: 92,286, hạng 6, Tốt)")
    assert comparison["Sở Tài chính"]["Điểm (Năm 2025)"] == ""
    assert (comparison["Sở Tư pháp"]["Điểm (Năm 2025)"], comparison["Sở Tư pháp"]["Xếp hạng (Năm 2025)"],
            comparison["Sở Tư pháp"][note]) == ("93,395", "4", "")
    tu_phap = next(r for r in so if r["Đơn vị"] == "Sở Tư pháp")
    assert number(tu_phap["Tăng/giảm (điểm)"]) == pytest.approx(number(tu_phap["Chỉ số CCHC"]) - 93.395, abs=0.0011)
    assert int(tu_phap["Tăng/giảm (bậc)"]) == 4 - int(tu_phap["Xếp hạng"])
    tai_chinh = next(r for r in so if r["Đơn vị"] == "Sở Tài chính")
    assert tai_chinh["Xếp loại so với năm trước"] == "đơn vị mới" and tai_chinh["Tăng/giảm (điểm)"] == ""

    click(page, page.locator("nav.report-nav").get_by_role("link", name="Độ tin cậy"))
    axe_clean(page)
    text = page.locator("main").inner_text()
    assert "Sở Tài chính" in text and "huyện" not in text.lower(), "no district rule in the two-tier set"

    # The printable report and the Word document say the same.
    click(page, page.locator("nav.report-nav").get_by_role("link", name="Bản in"))
    axe_clean(page)
    printed = page.locator("main").inner_text()
    assert "đơn vị mới (hợp nhất từ Sở Kế hoạch và Đầu tư: 95,469, hạng 2, Tốt; Sở Tài chính: 92,286" in printed
    assert "huyện" not in printed.lower() and "2/3" not in printed
    with page.expect_download() as download:
        page.get_by_role("link", name="tải báo cáo (.docx)").click()
    assert download.value.suggested_filename == "bao-cao-2026.docx"
    document = docx.Document(download.value.path())
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    tai_chinh_rows = [r for r in rows if "Sở Tài chính" in r]
    assert any(r[-1].startswith("đơn vị mới (hợp nhất từ Sở Kế hoạch và Đầu tư: 95,469, hạng 2, Tốt") for r in
               tai_chinh_rows), tai_chinh_rows
    assert any("93,395" in r and r[r.index("93,395") + 1] == "4" for r in rows if "Sở Tư pháp" in r)
    words = " ".join(p.text for p in document.paragraphs)
    assert "huyện" not in words.lower() and "2/3" not in words
    page.context.close()
    print(f"two-tier walk: {time.perf_counter() - started:.0f} s")
