"""Every POST and every numeric query goes through a form: numbers too large, Unicode digits and
junk become a form error or a 404, never a 500, and nothing is written."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, PaperSerial, SampleTarget
from survey_app.services.users import create_user

from .test_auth import PASSWORD, csrf, login
from .test_respond import invite

HUGE = "99999999999999999999999"
ODD_DIGITS = ("²", "١٢", "１２", "-1", "1e3", "0x10", " ", HUGE)


@pytest.fixture
def admin(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    client = demo_app.test_client()
    assert login(client, "qt").status_code == 302
    return client


def count(app, model) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(model))


def flashes(client, path: str) -> list[str]:
    return re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get(path).get_data(as_text=True))


@pytest.mark.parametrize("path", [
    f"/quan-tri/dot/{HUGE}", f"/quan-tri/dot/{HUGE}/tien-do", f"/bao-cao/{HUGE}/", f"/quan-tri/loi-moi/{HUGE}/qr.png",
    "/quan-tri/dot/0", "/quan-tri/dot/²",
])
def test_ids_in_urls_out_of_range_are_not_found(admin, path):
    assert admin.get(path).status_code == 404


def test_the_api_answers_404_in_json_for_an_id_out_of_range(demo_app):
    response = demo_app.test_client().get(f"/api/v1/campaigns/{HUGE}/units", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_numbers_in_query_strings_are_not_found(admin, value):
    assert admin.get(f"/quan-tri/nhat-ky?trang={value}").status_code in (200, 404)  # " " is no page: page 1
    assert admin.get(f"/quan-tri/dot/1/duyet?doi_tuong={value}").status_code in (200, 404)
    assert admin.get("/quan-tri/nhat-ky?trang=2").status_code == 200


def test_a_page_past_the_last_shows_the_last(admin):
    page = admin.get("/quan-tri/nhat-ky?trang=999999999").get_data(as_text=True)
    last = re.search(r"trang (\d+)/(\d+)", page)
    assert last and last.group(1) == last.group(2) and "Không có mục nào" not in page


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_numbers_in_admin_forms_are_form_errors(demo_app, admin, value):
    token = csrf(admin.get("/quan-tri/dot/2").get_data(as_text=True))
    serials, cards, targets = count(demo_app, PaperSerial), count(demo_app, Invitation), count(demo_app, SampleTarget)
    paper = admin.post("/quan-tri/dot/2/phieu-giay", data={"csrf_token": token, "unit": "ba_be", "group": "nguoi_dan",
                                                           "count": value})
    assert paper.status_code == 302 and "số phiếu từ 1 đến 1000" in flashes(admin, "/quan-tri/dot/2/phieu-giay")[0]
    qr = admin.post("/quan-tri/dot/2/the-qr", data={"csrf_token": token, "unit": "ba_be", "group": "nguoi_dan",
                                                    "count": value})
    assert qr.status_code == 302 and "số thẻ từ 1 đến 500" in flashes(admin, "/quan-tri/dot/2/loi-moi")[0]
    with demo_app.extensions[DB_KEY].session() as s:
        cell = s.scalar(select(SampleTarget).where(SampleTarget.campaign_id == 2).limit(1))
    field = f"t_{cell.unit_id}_{cell.group_id}"
    plan = admin.post("/quan-tri/dot/2/ke-hoach", data={"csrf_token": token, field: value})
    if value.strip():
        assert plan.status_code == 302
        assert "không phải số nguyên không âm" in flashes(admin, "/quan-tri/dot/2/ke-hoach")[0]
    schedule = admin.post("/quan-tri/dot/2/lich",
                          data={"csrf_token": token, "status": "open", "min_web_seconds": value})
    assert schedule.status_code in (302, 400)
    review = admin.post("/quan-tri/dot/2/duyet", data={"csrf_token": token, "ballot": value, "state": "verified"})
    assert review.status_code == 302 and flashes(admin, "/quan-tri/dot/2/duyet") == ["Chưa chọn phiếu nào."]
    assert (count(demo_app, PaperSerial), count(demo_app, Invitation), count(demo_app, SampleTarget)) == \
        (serials, cards, targets)


def test_a_year_in_other_digits_is_a_form_error(demo_app, admin):
    token = csrf(admin.get("/quan-tri/dot/moi").get_data(as_text=True))
    for year in ("２０２４", "²⁰²⁴", HUGE):
        page = admin.post("/quan-tri/dot/moi", data={"csrf_token": token, "name": f"Đợt {year}", "year": year,
                                                      "source": "bo:default"})
        assert page.status_code == 400 and "Năm phải là một số từ 2000 đến 2100." in page.get_data(as_text=True)
    assert count(demo_app, Campaign) == 4, "the demo's four, no new one"


def test_odd_unit_ids_on_the_public_choice_page_are_ignored(demo_app):
    token = "tok-choose-odd-000000000000000000"
    invite(demo_app, "ldp_huyen", "ba_be", token)
    client = demo_app.test_client()
    client.get(f"/s/{token}")
    page = client.get(f"/s/{token}/chon/so").get_data(as_text=True)
    for value in ODD_DIGITS:
        response = client.post(f"/s/{token}/chon/so", data={"csrf_token": csrf(page), "unit": value})
        assert response.status_code == 200 and "Xin chọn ít nhất một đơn vị" in response.get_data(as_text=True)


def test_no_view_reads_the_raw_form():
    from pathlib import Path

    web = Path(__file__).parent.parent / "survey_app" / "web"
    readers = [str(p) for p in web.rglob("*.py") if "request.form" in p.read_text(encoding="utf-8")]
    assert readers == []
