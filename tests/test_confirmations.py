"""Nothing final by one click (issue 30 item 2): deleting a unit, opening a campaign, replacing the criteria set,
revoking links and replacing an import each go through a confirmation page that says what will happen; a unit
that data hangs on is retired ("Ngừng sử dụng") instead of deleted, and comes back ("Dùng lại"); revoked links
can be restored at once."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Appraisal, AuditEntry, Campaign, Invitation, SampleTarget, Unit

from .conftest import CURRENT, LAST
from .test_admin import count, flashes, new_campaign, token_of
from .test_admin_walk import PEOPLE, post_file

UNITS = "code,name,level,parent\nba_be,Huyện Ba Bể,huyen,\nna_ri,Huyện Na Rì,huyen,\n".encode()


def _unit_id(app, code: str, campaign_id: int = 1) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(Unit.id).where(Unit.campaign_id == campaign_id, Unit.code == code))


def _draft_with_units(admin) -> None:
    new_campaign(admin)
    post_file(admin, "/quan-tri/dot/1/don-vi", UNITS, "u.csv")


def _open(admin) -> None:
    admin.post("/quan-tri/dot/1/mo-khao-sat", data={"csrf_token": token_of(admin), "xac_nhan": "y"})


# --- units -----------------------------------------------------------------------------------------------


def test_the_units_page_has_no_delete_buttons_only_links_to_each_units_page(demo_admin, demo_app):
    page = demo_admin.get(f"/quan-tri/dot/{CURRENT}/don-vi").get_data(as_text=True)
    assert "/xoa\"><input" not in page and not re.search(r"<button[^>]*>Xoá</button>", page)
    assert not re.search(r'<form method="post" action="[^"]*/don-vi/\d+/xoa"', page)
    ba_be = _unit_id(demo_app, "ba_be", CURRENT)
    assert f'href="/quan-tri/dot/{CURRENT}/don-vi/{ba_be}">Huyện Ba Bể</a>' in page
    # Ba Bể has links: the row offers retiring it, not deleting it.
    assert f'href="/quan-tri/dot/{CURRENT}/don-vi/{ba_be}/ngung" aria-label="Ngừng sử dụng Huyện Ba Bể"' in page


def test_a_one_click_post_deletes_nothing_and_the_confirmation_lists_what_happens(admin, app):
    _draft_with_units(admin)
    na_ri = _unit_id(app, "na_ri")
    one_click = admin.post(f"/quan-tri/dot/1/don-vi/{na_ri}/xoa", data={"csrf_token": token_of(admin)})
    assert one_click.status_code == 400 and count(app, Unit, Unit.code == "na_ri") == 1
    page = admin.get(f"/quan-tri/dot/1/don-vi/{na_ri}/xoa").get_data(as_text=True)
    assert "<h1>Xoá Huyện Na Rì?</h1>" in page and "Điều sẽ xảy ra" in page
    assert "<li>Huyện Na Rì bị xoá khỏi đợt khảo sát.</li>" in page and "Không hoàn tác được:" in page
    assert 'name="xac_nhan"' in page and f'href="/quan-tri/dot/1/don-vi/{na_ri}">Huỷ</a>' in page
    admin.post(f"/quan-tri/dot/1/don-vi/{na_ri}/xoa", data={"csrf_token": token_of(admin), "xac_nhan": "y"})
    assert count(app, Unit, Unit.code == "na_ri") == 0
    assert count(app, AuditEntry, AuditEntry.action == "delete", AuditEntry.entity == "unit") == 1


def test_a_referenced_unit_is_never_deleted_and_is_offered_retiring(demo_admin, demo_app):
    ba_be = _unit_id(demo_app, "ba_be", CURRENT)
    url = f"/quan-tri/dot/{CURRENT}/don-vi/{ba_be}/xoa"
    confirmed = demo_admin.post(url, data={"csrf_token": token_of(demo_admin), "xac_nhan": "y"})
    assert confirmed.status_code == 400 and count(demo_app, Unit, Unit.id == ba_be) == 1
    page = demo_admin.get(url).get_data(as_text=True)
    assert "Không xoá được Huyện Ba Bể: đã có" in page and "đường link/thẻ QR" in page
    assert "<h1>Ngừng sử dụng Huyện Ba Bể?</h1>" in page and f'action="/quan-tri/dot/{CURRENT}/don-vi/{ba_be}/ngung"' \
        in page and "Hoàn tác:" in page and "Dùng lại" in page


def test_a_retired_unit_leaves_the_plan_and_the_card_form_and_comes_back(admin, app):
    _draft_with_units(admin)
    na_ri = _unit_id(app, "na_ri")
    plan = admin.get("/quan-tri/dot/1/ke-hoach").get_data(as_text=True)
    fields = re.findall(rf'name="t_{na_ri}_(\d+)"', plan)
    assert fields, "Na Rì is in the plan before"
    admin.post("/quan-tri/dot/1/ke-hoach", data={"csrf_token": token_of(admin), f"t_{na_ri}_{fields[0]}": "7"})
    assert "Huyện Na Rì —" in admin.get("/quan-tri/dot/1/loi-moi").get_data(as_text=True)
    # One click does nothing; the box ticked retires it.
    admin.post(f"/quan-tri/dot/1/don-vi/{na_ri}/ngung", data={"csrf_token": token_of(admin)})
    with app.extensions[DB_KEY].session() as s:
        assert not s.get(Unit, na_ri).retired
    admin.post(f"/quan-tri/dot/1/don-vi/{na_ri}/ngung", data={"csrf_token": token_of(admin), "xac_nhan": "y"})
    assert flashes(admin, "/quan-tri/dot/1")[0].startswith("Đã ngừng sử dụng Huyện Na Rì.")
    plan = admin.get("/quan-tri/dot/1/ke-hoach").get_data(as_text=True)
    assert f'name="t_{na_ri}_' not in plan and "Huyện Na Rì" not in plan
    links = admin.get("/quan-tri/dot/1/loi-moi").get_data(as_text=True)
    assert 'value="na_ri|' not in links and "Huyện Na Rì —" not in links
    assert 'value="ba_be|' in links
    assert count(app, SampleTarget, SampleTarget.unit_id == na_ri) == 1, "its plan cell is kept"
    units = admin.get("/quan-tri/dot/1/don-vi").get_data(as_text=True)
    assert "Huyện Na Rì</a>" in units and "Ngừng sử dụng</span>" in units
    page = admin.get(f"/quan-tri/dot/1/don-vi/{na_ri}").get_data(as_text=True)
    assert ">Dùng lại</button>" in page
    admin.post(f"/quan-tri/dot/1/don-vi/{na_ri}/dung-lai", data={"csrf_token": token_of(admin)})
    plan = admin.get("/quan-tri/dot/1/ke-hoach").get_data(as_text=True)
    assert re.search(rf'name="t_{na_ri}_{fields[0]}"[^>]*value="7"', plan), "back with its target"
    with app.extensions[DB_KEY].session() as s:
        changes = s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "unit",
                                                               AuditEntry.attribute == "retired")).all()
    assert changes == ["True", "False"]


# --- opening ---------------------------------------------------------------------------------------------


def test_opening_needs_the_confirmation_page(admin, app):
    _draft_with_units(admin)
    campaign_page = admin.get("/quan-tri/dot/1").get_data(as_text=True)
    assert '<select name="status">' not in campaign_page and 'href="/quan-tri/dot/1/mo-khao-sat">Mở khảo sát…' \
        in campaign_page
    sent = admin.post("/quan-tri/dot/1/lich", data={"csrf_token": token_of(admin), "status": "open"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/quan-tri/dot/1/mo-khao-sat")
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, 1).status == "draft"
    page = admin.get("/quan-tri/dot/1/mo-khao-sat").get_data(as_text=True)
    assert "<h1>Mở khảo sát “Điều tra XHH 2024”?</h1>" in page and "được cố định" in page
    assert "0 đường link và thẻ QR đã tạo bắt đầu mở được" in page and "niêm phong" in page
    unticked = admin.post("/quan-tri/dot/1/mo-khao-sat", data={"csrf_token": token_of(admin)})
    assert unticked.status_code == 400 and "xin đánh dấu ô xác nhận" in unticked.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, 1).status == "draft"
    _open(admin)
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, 1).status == "open"
        assert s.scalar(select(AuditEntry.new_value).where(AuditEntry.attribute == "status")) == "open"


# --- revoking links --------------------------------------------------------------------------------------


def test_revoking_needs_confirmation_and_can_be_undone(admin, app):
    _draft_with_units(admin)
    _open(admin)
    post_file(admin, "/quan-tri/dot/1/loi-moi/nhap", PEOPLE, "m.csv")
    with app.extensions[DB_KEY].session() as s:
        ids = s.scalars(select(Invitation.id).order_by(Invitation.id)).all()
    assert len(ids) == 2
    asked = admin.post("/quan-tri/dot/1/loi-moi/thu-hoi", data={"csrf_token": token_of(admin), "invitation": ids})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<h1>Thu hồi 2 đường link?</h1>" in page
    assert "2 đường link ngừng mở được (Nguyễn Văn An, Trần Thị Bình)" in page
    assert count(app, Invitation, Invitation.revoked.is_(True)) == 0, "nothing revoked by the first click"
    done = admin.post("/quan-tri/dot/1/loi-moi/thu-hoi", data={"csrf_token": token_of(admin), "invitation": ids,
                                                               "xac_nhan": "y"}).get_data(as_text=True)
    assert count(app, Invitation, Invitation.revoked.is_(True)) == 2
    assert "Khôi phục các link vừa thu hồi</button>" in done
    admin.post("/quan-tri/dot/1/loi-moi/khoi-phuc", data={"csrf_token": token_of(admin), "invitation": ids})
    assert count(app, Invitation, Invitation.revoked.is_(True)) == 0
    assert flashes(admin, "/quan-tri/dot/1/loi-moi")[0].startswith("Đã khôi phục 2 đường link")
    with app.extensions[DB_KEY].session() as s:
        audit = s.scalars(select(AuditEntry.new_value).where(AuditEntry.attribute == "revoked")
                          .order_by(AuditEntry.id)).all()
    assert [a.split(":")[0] for a in audit] == ["2 thu hồi", "2 khôi phục"]


# --- replacing ---------------------------------------------------------------------------------------------


def _appraisal_file(app) -> bytes:
    with app.extensions[DB_KEY].session() as s:
        rows = s.execute(select(Unit.code, func.sum(Appraisal.points)).join(Unit, Appraisal.unit_id == Unit.id)
                         .where(Appraisal.campaign_id == LAST, Appraisal.field == "total")
                         .group_by(Unit.code)).all()
    return ("unit,total\n" + "".join(f"{code},{points - 1}\n" for code, points in rows)).encode()


def test_replacing_an_import_needs_confirmation(demo_admin, demo_app):
    content = _appraisal_file(demo_app)
    stored = content.count(b"\n") - 1
    assert stored > 0
    with demo_app.extensions[DB_KEY].session() as s:
        before = s.scalar(select(func.sum(Appraisal.points)).where(Appraisal.campaign_id == LAST,
                                                                   Appraisal.field == "total"))
    url = f"/quan-tri/dot/{LAST}/ket-qua-nhap/appraisal"
    asked = post_file(demo_admin, url, content, "tham-dinh-moi.csv")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<h1>Thay điểm thẩm định đã nhập?</h1>" in page
    assert f"Sau khi thay: {stored} dòng từ tệp tham-dinh-moi.csv." in page and f"của {stored} đơn vị" in page
    token = re.search(r'name="tep" value="([0-9a-f]{32})"', page).group(1)
    with demo_app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.sum(Appraisal.points)).where(Appraisal.campaign_id == LAST,
                                                                 Appraisal.field == "total")) == before
    confirm = f"{url}/xac-nhan"
    unticked = demo_admin.post(confirm, data={"csrf_token": token_of(demo_admin), "tep": token})
    assert unticked.status_code == 400
    demo_admin.post(confirm, data={"csrf_token": token_of(demo_admin), "tep": token, "xac_nhan": "y"})
    with demo_app.extensions[DB_KEY].session() as s:
        after = s.scalar(select(func.sum(Appraisal.points)).where(Appraisal.campaign_id == LAST,
                                                                  Appraisal.field == "total"))
    assert abs(after - (before - stored)) < 1e-6, "each unit's total one point lower"
    again = demo_admin.post(confirm, data={"csrf_token": token_of(demo_admin), "tep": token, "xac_nhan": "y"})
    assert again.status_code == 302, "a kept file is used once"


def test_replacing_the_criteria_set_needs_confirmation(admin, app):
    _draft_with_units(admin)
    workbook = admin.get("/quan-tri/dot/1/bo-tieu-chi.xlsx").data
    asked = post_file(admin, "/quan-tri/dot/1/bo-tieu-chi", workbook, "bo.xlsx")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<h1>Thay bộ tiêu chí?</h1>" in page
    assert "Bộ tiêu chí hiện tại “" in page and "Sau khi thay: “" in page and "0 thay đổi về cách chấm điểm." in page
    assert count(app, AuditEntry, AuditEntry.entity == "campaign", AuditEntry.attribute == "criteria") == 0
    token = re.search(r'name="tep" value="([0-9a-f]{32})"', page).group(1)
    admin.post("/quan-tri/dot/1/bo-tieu-chi/xac-nhan", data={"csrf_token": token_of(admin), "tep": token,
                                                              "xac_nhan": "y"})
    assert flashes(admin, "/quan-tri/dot/1/bo-tieu-chi")[0] == "Đã thay bộ tiêu chí."


# --- the pages pass axe ----------------------------------------------------------------------------------


def test_the_unit_page_and_the_confirmation_page_pass_axe(demo_app, live_server, browser, artifacts):
    from survey_app.services.users import create_user

    from .a11y import violations
    from .test_a11y_browser import PASSWORD, sign_in

    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt.xn", PASSWORD, "admin", actor="test")
    ba_be = _unit_id(demo_app, "ba_be", CURRENT)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        sign_in(page, live_server, "qt.xn")
        page.goto(f"{live_server}/quan-tri/dot/{CURRENT}/don-vi")
        page.get_by_role("link", name="Huyện Ba Bể", exact=True).click()
        assert violations(page) == []
        page.screenshot(path=str(artifacts / "unit-page.png"), full_page=True)
        page.get_by_role("link", name="Ngừng sử dụng…").click()
        assert page.url.endswith(f"/don-vi/{ba_be}/ngung")
        assert violations(page) == []
        page.screenshot(path=str(artifacts / "confirm-retire.png"), full_page=True)
        page.get_by_role("button", name="Ngừng sử dụng").click()  # the box not ticked: told, nothing done
        assert "xin đánh dấu ô xác nhận" in page.locator("[role=alert]").inner_text()
        assert violations(page) == []
        page.get_by_label("Tôi xác nhận ngừng sử dụng Huyện Ba Bể.").check()
        page.get_by_role("button", name="Ngừng sử dụng").click()
        page.get_by_role("button", name="Dùng lại").wait_for()
        assert violations(page) == []
    finally:
        page.close()
