"""Lists that scale (issue 30 item 5): the links list searched, filtered, paged 50 at a time, its select-all
acting on every filtered link (not only the page shown), its filtered export; the review list paged to its
last ballot and a ballot's answers readable before it is rejected (a paper ballot at any time, a respondent's
own only after close and without its profile answers); the units list filtered by level and name; the audit
log's page links; axe on the links list at 360 and 1280 px."""
from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Answer, AuditEntry, Ballot, Campaign, Invitation, Unit
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.users import create_user

from .a11y import violations
from .conftest import CURRENT, LAST
from .test_admin import flashes, token_of
from .test_admin_walk import _open_campaign_with_units, post_file

# 80 people of the district council rating Ba Bể, 40 of the provincial council (no unit): 120 links.
PEOPLE = ("name,group,unit,email,phone\n"
          + "".join(f"Nguyễn Văn Huyện {i},hdnd_huyen,ba_be,h{i}@example.vn,\n" for i in range(80))
          + "".join(f"Trần Thị Tỉnh {i},hdnd_tinh,,t{i}@example.vn,\n" for i in range(40))).encode()


class Inputs(HTMLParser):
    """The inputs of a page's forms: (form action, name, value, type, checked)."""

    def __init__(self):
        super().__init__()
        self.action, self.found = None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input":
            self.found.append((self.action, a.get("name"), a.get("value"), a.get("type"), "checked" in a))


def inputs(html: str) -> list[tuple]:
    parser = Inputs()
    parser.feed(html)
    return parser.found


def ticked(html: str, name: str = "invitation") -> list[str]:
    """What a browser sends for ``name``: hidden inputs and ticked boxes."""
    return [v for _a, n, v, t, c in inputs(html) if n == name and (t == "hidden" or c)]


def boxes(html: str) -> list[str]:
    return [v for _a, n, v, t, _c in inputs(html) if n == "invitation" and t == "checkbox"]


def link_texts(html: str) -> dict[str, str]:
    """Each link's text (tags stripped, spaces collapsed) -> its address."""
    return {" ".join(re.sub(r"<[^>]+>", "", text).split()): href.replace("&amp;", "&")
            for href, text in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)}


def revoke(client, ids: list[str], campaign_id: int = 1):
    """Post the ids to the revoke action, through its confirmation page if it has one."""
    token = token_of(client, "/quan-tri/")
    result = client.post(f"/quan-tri/dot/{campaign_id}/loi-moi/thu-hoi", data={"csrf_token": token, "invitation": ids})
    page = result.get_data(as_text=True)
    if result.status_code == 200 and 'name="xac_nhan"' in page:  # the confirmation page of issue 30 item 2
        action = next(a for a, n, *_ in inputs(page) if n == "xac_nhan")
        fields: dict[str, list[str]] = {"xac_nhan": ["y"]}
        for form, name, value, kind, _checked in inputs(page):
            if form == action and kind == "hidden":
                fields.setdefault(name, []).append(value)
        result = client.post(action, data=fields)  # revoked; the page offers the undo
    assert result.status_code in (200, 302) and 'name="xac_nhan"' not in result.get_data(as_text=True)
    return result


def count_revoked(app, **where) -> int:
    with app.extensions[DB_KEY].session() as s:
        query = select(func.count()).select_from(Invitation).where(Invitation.revoked.is_(True))
        for key, value in where.items():
            query = query.where(getattr(Invitation, key) == value)
        return s.scalar(query)


@pytest.fixture
def links(admin, app):
    """The empty database's campaign 1, open, with the 120 links of PEOPLE; Ba Bể's unit id."""
    _open_campaign_with_units(admin)
    post_file(admin, "/quan-tri/dot/1/loi-moi/nhap", PEOPLE, "m.csv")
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(Invitation)) == 120
        return s.scalar(select(Unit.id).where(Unit.code == "ba_be"))


# --- the links list ------------------------------------------------------------------------------------------


def test_the_links_list_shows_50_links_a_page_with_links_to_the_other_pages(admin, links):
    page = admin.get("/quan-tri/dot/1/loi-moi").get_data(as_text=True)
    assert len(boxes(page)) == 50, "50 of 120 links on a page"
    assert "120 link · trang 1/3" in page
    texts = link_texts(page)
    assert "trang 2/3" in texts and "trang=2" in texts["trang 2/3"] and "trang 3/3" in texts
    second = admin.get(texts["trang 2/3"]).get_data(as_text=True)
    third = admin.get(texts["trang 3/3"]).get_data(as_text=True)
    assert len(boxes(second)) == 50 and len(boxes(third)) == 20, "120 = 50 + 50 + 20"
    assert len(set(boxes(page)) | set(boxes(second)) | set(boxes(third))) == 120, "each link on one page"
    assert len(boxes(admin.get("/quan-tri/dot/1/loi-moi?trang=99").get_data(as_text=True))) == 20, "the last page"


def test_a_filter_by_unit_shows_only_that_units_links_and_page_links_keep_it(admin, app, links):
    page = admin.get(f"/quan-tri/dot/1/loi-moi?don_vi={links}").get_data(as_text=True)
    assert "80 link khớp bộ lọc" in page and "trang 1/2" in page
    with app.extensions[DB_KEY].session() as s:
        units = {s.get(Invitation, int(i)).unit_id for i in boxes(page)}
    assert units == {links} and "Trần Thị Tỉnh" not in page
    second = link_texts(page)["trang 2/2"]
    assert f"don_vi={links}" in second, "the page link keeps the filter"
    assert len(boxes(admin.get(second).get_data(as_text=True))) == 30, "80 = 50 + 30"
    no_unit = admin.get("/quan-tri/dot/1/loi-moi?don_vi=khong").get_data(as_text=True)
    assert "40 link khớp bộ lọc" in no_unit and len(boxes(no_unit)) == 40 and "Nguyễn Văn Huyện" not in no_unit


def test_search_ignores_case_and_diacritics_and_finds_a_group_by_its_name(admin, links):
    one = admin.get("/quan-tri/dot/1/loi-moi?q=tran+thi+tinh+17").get_data(as_text=True)
    assert "1 link khớp bộ lọc" in one and len(boxes(one)) == 1 and "Trần Thị Tỉnh 17" in one
    group = admin.get("/quan-tri/dot/1/loi-moi?q=HĐND+tỉnh").get_data(as_text=True)
    assert "40 link khớp bộ lọc" in group
    assert "0 link khớp bộ lọc" in admin.get("/quan-tri/dot/1/loi-moi?q=không+có+ai").get_data(as_text=True)


def test_select_all_filtered_revokes_every_filtered_link_not_only_the_50_shown(admin, app, links):
    page = admin.get(f"/quan-tri/dot/1/loi-moi?don_vi={links}").get_data(as_text=True)
    select_all = link_texts(page)["Chọn tất cả 80 link đang lọc"]
    assert "(không chỉ 50 link ở trang này)" in page
    chosen_page = admin.get(select_all).get_data(as_text=True)
    chosen = ticked(chosen_page)
    assert len(chosen) == 80 and len(set(chosen)) == 80 and len(boxes(chosen_page)) == 50
    assert "Đã chọn tất cả 80 link đang lọc" in chosen_page
    revoke(admin, chosen)
    assert count_revoked(app) == 80 and count_revoked(app, unit_id=links) == 80, "the 40 of no unit kept"
    after = admin.get("/quan-tri/dot/1/loi-moi?tinh_trang=thu-hoi").get_data(as_text=True)
    assert "80 link khớp bộ lọc" in after and boxes(after) == [], "a revoked link cannot be chosen again"
    assert "40 link khớp bộ lọc" in admin.get("/quan-tri/dot/1/loi-moi?tinh_trang=chua-dung").get_data(as_text=True)


def test_the_filtered_export_holds_the_filtered_links_and_says_so_in_the_log(admin, app, links):
    page = admin.get("/quan-tri/dot/1/loi-moi?don_vi=khong").get_data(as_text=True)
    url = link_texts(page)["Tải 40 link đang lọc (CSV)"]
    rows = list(csv.reader(io.StringIO(admin.get(url).get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 40 and all("Tỉnh" in row[0] for row in rows[1:])
    with app.extensions[DB_KEY].session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "links_out")
                          .order_by(AuditEntry.id.desc())).first()
    assert "40" in entry.new_value and "không có đơn vị" in entry.new_value


def test_the_links_list_passes_axe_at_360_and_1280(browser, live_server, demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt.ds", "mùa lúa chín vàng 2026", "admin", actor="test")
    page = browser.new_page()
    try:
        page.goto(live_server + "/dang-nhap")
        page.get_by_label("Tên đăng nhập").fill("qt.ds")
        page.get_by_label("Mật khẩu").fill("mùa lúa chín vàng 2026")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(lambda url: "/dang-nhap" not in url)
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{live_server}/quan-tri/dot/{CURRENT}/loi-moi")
            assert page.locator("#danh-sach tbody tr").count() == 50, "464 links in the demo: 50 on a page"
            page.get_by_role("link", name=re.compile(r"^Chọn tất cả \d+ link đang lọc")).click()
            assert page.get_by_text("Đã chọn tất cả").count() == 1
            page.get_by_role("link", name="trang 2/").first.click()
            assert "trang=2" in page.url and "chon=tat-ca" in page.url
            assert page.locator("#danh-sach tbody tr").count() == 50
            assert violations(page) == [], width
            page.get_by_label("Tìm (tên").fill("ba bể")
            page.get_by_label("Tình trạng").select_option("chua-dung")
            page.get_by_role("button", name="Lọc", exact=True).click()
            assert "tinh_trang=chua-dung" in page.url and page.get_by_text("link khớp bộ lọc").count() == 1
            assert violations(page) == [], width
    finally:
        page.close()


# --- the review list and a ballot's answers ------------------------------------------------------------------


def test_the_review_list_reaches_every_ballot_past_the_200th(demo_admin, demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        total = s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == LAST))
    pages, rest = -(-total // 50), total % 50 or 50
    assert total > 900 and pages == 19, "the demo's closed campaign: 900 < ballots <= 950, 19 pages of 50"
    first = demo_admin.get(f"/quan-tri/dot/{LAST}/duyet").get_data(as_text=True)
    assert f"{total} phiếu; trang 1/19: phiếu 1–50" in first and "phiếu đầu" not in first
    seen = []
    for number in range(1, 20):
        page = demo_admin.get(f"/quan-tri/dot/{LAST}/duyet?trang={number}").get_data(as_text=True)
        seen += ticked_or_boxes(page)
    assert len(seen) == total and len(set(seen)) == total, "every ballot on exactly one page"
    third = demo_admin.get(link_texts(first)["trang 3/19"]).get_data(as_text=True)  # page 1 links 1, 2, 3, …, 19
    fifth = demo_admin.get(link_texts(third)["trang 5/19"]).get_data(as_text=True)
    assert "phiếu 201–250" in fifth and len(ticked_or_boxes(fifth)) == 50
    last = demo_admin.get(f"/quan-tri/dot/{LAST}/duyet?trang=19").get_data(as_text=True)
    assert f"phiếu {900 + 1}–{total}" in last and len(ticked_or_boxes(last)) == rest


def ticked_or_boxes(html: str) -> list[str]:
    return [v for _a, n, v, t, _c in inputs(html) if n == "ballot" and t == "checkbox"]


def test_page_links_of_the_review_list_keep_its_filters(demo_admin, demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        paper = s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == LAST,
                                                                        Ballot.channel == "paper"))
    pages = -(-paper // 50)
    page = demo_admin.get(f"/quan-tri/dot/{LAST}/duyet?kenh=paper").get_data(as_text=True)
    assert f"{paper} phiếu; trang 1/{pages}" in page and pages > 1
    url = link_texts(page)[f"trang {pages}/{pages}"]
    assert "kenh=paper" in url
    last = demo_admin.get(url).get_data(as_text=True)
    assert f"phiếu {(pages - 1) * 50 + 1}–{paper}" in last and "Trực tuyến" not in last


def _answers_in_words(app, ballot_id: int) -> list[tuple[str, str]]:
    """(question text, option label) of each answer of the ballot, read from the set by hand."""
    with app.extensions[DB_KEY].session() as s:
        ballot = s.get(Ballot, ballot_id)
        cset = campaign_criteria(s.get(Campaign, ballot.campaign_id))
        found = []
        for answer in s.scalars(select(Answer).where(Answer.ballot_id == ballot_id)):
            unit = s.get(Unit, answer.unit_id)
            question = cset.question_by_key[(unit.level, answer.question)]
            options = cset.scale_by_code[question.scale].by_code
            label = ("; ".join(options[code].label for code in answer.option.split()) if question.kind == "expectation"
                     else options[answer.option].label)  # an expectation: its chosen codes, one space apart
            found.append((question.kind, label))
        return found


def test_a_flagged_paper_ballot_shows_its_answers_before_it_is_rejected(demo_admin, demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        ballot_id = s.scalar(select(Ballot.id).where(Ballot.campaign_id == CURRENT, Ballot.channel == "paper")
                             .order_by(Ballot.paper_serial).limit(1))
        serial = s.get(Ballot, ballot_id).paper_serial
    token = token_of(demo_admin, f"/quan-tri/dot/{CURRENT}/duyet")
    demo_admin.post(f"/quan-tri/dot/{CURRENT}/duyet", data={"csrf_token": token, "ballot": str(ballot_id),
                                                            "state": "flagged"})
    listed = demo_admin.get(f"/quan-tri/dot/{CURRENT}/duyet?trang_thai=flagged").get_data(as_text=True)
    url = link_texts(listed)[f"Giấy {serial}"]
    assert "trang_thai=flagged" in url, "the ballot's page knows the list's filters, to go back to them"
    page = demo_admin.get(url).get_data(as_text=True)
    answers = _answers_in_words(demo_app, ballot_id)
    assert len(answers) >= 8
    rows = re.findall(r'<td class="num">\d+</td><th scope="row">[^<]*</th><td>([^<]*)</td>', page)
    assert sorted(rows) == sorted(label for _kind, label in answers), "every answer, by its option's words"
    assert f"Phiếu giấy số {serial}" in page and "Cần xem lại" in page
    # Rejected from its page, with a reason, back to the filtered list.
    action = re.search(r'<form method="post" action="([^"]*/duyet\?[^"]*)"', page).group(1).replace("&amp;", "&")
    result = demo_admin.post(action,
                             data={"csrf_token": token, "ballot": str(ballot_id), "state": "rejected",
                                   "reason": "Trùng phiếu"})
    assert "trang_thai=flagged" in result.headers["Location"]
    with demo_app.extensions[DB_KEY].session() as s:
        assert (s.get(Ballot, ballot_id).state, s.get(Ballot, ballot_id).state_reason) == ("rejected", "Trùng phiếu")


def test_a_web_ballot_is_sealed_until_close_and_then_shown_without_what_could_name_its_author(demo_admin, demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        # campaign 4, the closed SIPAS campaign: a web ballot that answered profile questions
        sealed_web = s.scalar(select(Ballot.id).where(Ballot.campaign_id == 4, Ballot.channel == "web")
                              .order_by(Ballot.id).limit(1))
        campaign = s.get(Campaign, 4)
        cset = campaign_criteria(campaign)
        profiled = next(b for (b,) in s.execute(select(Ballot.id).where(Ballot.campaign_id == 4,
                                                                        Ballot.channel == "web"))
                        if any(cset.question_by_key[(s.get(Unit, a.unit_id).level, a.question)].kind == "profile"
                               for a in s.scalars(select(Answer).where(Answer.ballot_id == b))))
        campaign.status = "open"  # while collecting, a respondent's own ballot is sealed
    assert demo_admin.get(f"/quan-tri/dot/4/duyet/{sealed_web}").status_code == 404
    assert demo_admin.get(f"/quan-tri/dot/{CURRENT}/duyet/{sealed_web}").status_code == 404, "another campaign's"
    with demo_app.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, 4).status = "closed"
    page = demo_admin.get(f"/quan-tri/dot/4/duyet/{profiled}").get_data(as_text=True)
    answers = _answers_in_words(demo_app, profiled)
    profile = [label for kind, label in answers if kind == "profile"]
    scored = [label for kind, label in answers if kind == "scored"]
    shown = re.findall(r'<td class="num">\d+</td><th scope="row">[^<]*</th><td>([^<]*)</td>', page)
    assert len(shown) == len(answers) - len(profile) and scored and set(scored) <= set(shown)
    assert f"Thông tin về người trả lời ({len(profile)} câu)" in page and "không hiện ở đây" in page
    assert demo_admin.get(f"/quan-tri/dot/4/duyet/{2**64}").status_code == 404


# --- units and audit -----------------------------------------------------------------------------------------


def _unit_rows(page: str) -> list[str]:
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    return [re.sub(r"<[^>]+>", "", name) for name in re.findall(r'<th scope="row">(.*?)</th>', table)]


def test_the_units_list_filters_by_level_and_name(demo_admin):
    page = demo_admin.get(f"/quan-tri/dot/{CURRENT}/don-vi?cap=xa").get_data(as_text=True)
    assert "29/56 đơn vị khớp bộ lọc" in page, "the demo's 19 departments, 8 districts and 29 communes"
    assert len(_unit_rows(page)) == 29 and all(n.startswith(("Xã", "Thị trấn", "Phường")) for n in _unit_rows(page))
    # "ba be", without diacritics: the district and its four communes (their parent is Ba Bể)
    named = demo_admin.get(f"/quan-tri/dot/{CURRENT}/don-vi?q=ba+be").get_data(as_text=True)
    assert sorted(_unit_rows(named)) == sorted(["Huyện Ba Bể", "Thị trấn Chợ Rã", "Xã Nam Mẫu", "Xã Khang Ninh",
                                                "Xã Hà Hiệu"])
    both = demo_admin.get(f"/quan-tri/dot/{CURRENT}/don-vi?q=ba+be&cap=huyen").get_data(as_text=True)
    assert _unit_rows(both) == ["Huyện Ba Bể"] and "1/56 đơn vị khớp bộ lọc" in both
    everything = demo_admin.get(f"/quan-tri/dot/{CURRENT}/don-vi").get_data(as_text=True)
    assert len(_unit_rows(everything)) == 56 and "khớp bộ lọc" not in everything


def test_the_audit_log_links_its_pages_keeping_its_filters(demo_admin, demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        total = s.scalar(select(func.count()).select_from(AuditEntry))
    pages = -(-total // 100)
    assert pages >= 3
    page = demo_admin.get("/quan-tri/nhat-ky").get_data(as_text=True)
    texts = link_texts(page)
    assert f"trang {pages}/{pages}" in texts and "trang 2/" + str(pages) in texts
    last = demo_admin.get(texts[f"trang {pages}/{pages}"]).get_data(as_text=True)
    assert f"{total} mục · trang {pages}/{pages}" in last
    assert flashes(demo_admin, "/quan-tri/nhat-ky") == []
