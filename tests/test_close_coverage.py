"""The closing page states coverage against the plan and asks a second confirmation when units are known to
fall under the set's min_ballots (issue 26 item 1, docs/method.md "Coverage")."""
from __future__ import annotations

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign

from .test_admin import _campaign_with_units
from .test_auth import csrf


def test_closing_asks_a_second_confirmation_when_units_fall_under_the_minimum(admin, app):
    _campaign_with_units(admin)  # units and no ballot: every unit is known to have 0 < 5 ballots
    page = admin.get("/quan-tri/dot/1/ket-thuc").get_data(as_text=True)
    assert "Độ phủ phiếu so với kế hoạch" in page and 'name="confirm_coverage"' in page
    assert "chưa đủ phiếu (0 phiếu)" in page
    assert "chỉ biết được sau khi mở hòm phiếu" in page, "groups counted per group are said to be known later"
    once = admin.post("/quan-tri/dot/1/ket-thuc", data={"csrf_token": csrf(page), "confirm": "yes"})
    assert once.status_code == 400 and "xin đánh dấu ô xác nhận rằng các đơn vị này" in once.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, 1).status == "open"
    twice = admin.post("/quan-tri/dot/1/ket-thuc",
                       data={"csrf_token": csrf(page), "confirm": "yes", "confirm_coverage": "yes"})
    assert twice.status_code == 302
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, 1).status == "closed"
