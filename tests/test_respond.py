"""The respondent's link: who is asked to rate what, and polite pages for links that cannot be used."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, RespondentGroup, SpentLink, Unit, utcnow
from survey_app.services.invitations import hash_token
from survey_app.services.markers import spent_marker

from .conftest import CURRENT


def invite(app, group: str, unit_code: str | None, token: str, campaign_id: int = CURRENT, **extra) -> int:
    """An invitation of the demo's collecting campaign (or ``campaign_id``) whose link is ``/s/<token>``;
    ``used=True``: its ballot was sent (its spent marker is in the box's set)."""
    used = extra.pop("used", False)
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, campaign_id)
        g = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                   RespondentGroup.code == group))
        unit = s.scalar(select(Unit).where(Unit.campaign_id == campaign.id, Unit.code == unit_code)) \
            if unit_code else None
        inv = Invitation(campaign_id=campaign.id, group_id=g.id, unit_id=unit.id if unit else None,
                         token_hash=hash_token(token), name="Nguyễn Văn A", **extra)
        s.add(inv)
        if used:
            s.add(SpentLink(marker=spent_marker(app.config["SECRET_KEY"], hash_token(token)),
                            campaign_id=campaign.id, receipt="0" * 64))
        s.flush()
        return inv.id


def test_a_provincial_delegate_is_asked_about_every_department_and_district(demo_app):
    invite(demo_app, "hdnd_tinh", None, "tok-delegate-0000000000000000")
    page = demo_app.test_client().get("/s/tok-delegate-0000000000000000")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Kính gửi: <strong>Nguyễn Văn A</strong>" in html
    assert "Cấp sở: 16 câu hỏi cho mỗi đơn vị" in html and "Cấp huyện: 7 câu hỏi cho mỗi đơn vị" in html
    assert "lần lượt <strong>19 đơn vị</strong>" in html and "lần lượt <strong>8 đơn vị</strong>" in html
    assert "<li>Sở Tư pháp</li>" in html and "<li>Huyện Ba Bể</li>" in html
    assert len(html.encode()) < 30_000


def test_a_commune_leader_rates_the_district_of_the_commune(demo_app):
    invite(demo_app, "ld_xa", "ba_be_x2", "tok-commune-00000000000000000")
    html = demo_app.test_client().get("/s/tok-commune-00000000000000000").get_data(as_text=True)
    assert "Cấp huyện: 14 câu hỏi" in html
    assert "Đồng chí đánh giá: <strong>Huyện Ba Bể</strong>." in html  # a leader: greeting "đồng chí"


def test_a_department_leader_chooses_among_the_departments(demo_app):
    invite(demo_app, "ldp_huyen", "na_ri", "tok-choose-000000000000000000")
    html = demo_app.test_client().get("/s/tok-choose-000000000000000000").get_data(as_text=True)
    assert "Đồng chí chọn những đơn vị đã trực tiếp làm việc cùng trong năm (trong 19 đơn vị" in html


def test_an_unknown_link_gets_a_polite_page(demo_app):
    page = demo_app.test_client().get("/s/khong-co-link-nay")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Đường link không đúng" in html and "Traceback" not in html


def test_a_used_link_says_the_ballot_was_sent(demo_app):
    invite(demo_app, "hdnd_huyen", "cho_don", "tok-used-0000000000000000000", used=True)
    page = demo_app.test_client().get("/s/tok-used-0000000000000000000")
    assert page.status_code == 410 and "Phiếu đã được gửi" in page.get_data(as_text=True)


@pytest.mark.parametrize("change,title", [
    ({"invitation": {"expires_at": -1}}, "Đường link đã hết hạn"),
    ({"campaign": {"status": "closed"}}, "Đợt khảo sát đã kết thúc"),
    ({"campaign": {"closes_at": -1}}, "Đợt khảo sát đã kết thúc"),
    ({"campaign": {"status": "draft"}}, "Đợt khảo sát chưa bắt đầu"),
    ({"campaign": {"opens_at": +1}}, "Đợt khảo sát chưa bắt đầu"),
])
def test_links_outside_their_time_say_why(demo_app, change, title):
    inv_id = invite(demo_app, "cc_so", "so_tp", "tok-time-0000000000000000000")
    with demo_app.extensions[DB_KEY].transaction() as s:
        for target, values in change.items():
            obj = s.get(Invitation, inv_id) if target == "invitation" else s.get(Campaign, CURRENT)
            for key, value in values.items():
                setattr(obj, key, utcnow() + timedelta(days=value) if isinstance(value, int) else value)
    page = demo_app.test_client().get("/s/tok-time-0000000000000000000")
    assert page.status_code == 410 and title in page.get_data(as_text=True)


def test_errors_are_vietnamese_pages(app):
    app.add_url_rule("/form-for-test", "form_for_test", lambda: "saved", methods=["POST"])
    client = app.test_client()
    page = client.get("/khong-ton-tai")
    assert page.status_code == 404 and "Không tìm thấy trang" in page.get_data(as_text=True)
    page = client.post("/")
    assert page.status_code == 405 and "Thao tác không hợp lệ" in page.get_data(as_text=True)
    page = client.post("/form-for-test", data={"x": "1"})  # no CSRF token: refused
    assert page.status_code == 400 and "Yêu cầu không hợp lệ" in page.get_data(as_text=True)
