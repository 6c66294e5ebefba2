"""Who has answered, as the admin sees it: read from the box's spent markers with SECRET_KEY while the
campaign collects (for reminders), and gone for everyone once it closes."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from survey_app.extensions import DB_KEY
from survey_app.models import Campaign
from survey_app.services.closing import close_campaign

from . import box
from .conftest import CURRENT
from .test_form import at_review, csrf

TOKEN = "tok-states-000000000000000000000"
SEARCH = "Nguy%E1%BB%85n+V%C4%83n+A"  # the list shows 50 links a page: found by name (issue 30 item 5)


def _rows(admin) -> list[dict]:
    text = admin.get(f"/quan-tri/dot/{CURRENT}/loi-moi.csv").get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def _status_of(html: str, name: str) -> str:
    row = re.search(rf"<th scope=\"row\">{name}</th>(.*?)</tr>", html, re.S).group(1)
    return re.findall(r"<td>([^<]*)</td>", row)[-1]


def test_the_admin_sees_who_answered_while_collecting_and_nobody_can_after_close(demo_app, demo_admin):
    inv, client, review, client_id = at_review(demo_app, "hdnd_huyen", "cho_moi", TOKEN)
    page = demo_admin.get(f"/quan-tri/dot/{CURRENT}/loi-moi?q={SEARCH}").get_data(as_text=True)
    assert _status_of(page, "Nguyễn Văn A") == "đã mở", "a draft reads as opened"
    client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    page = demo_admin.get(f"/quan-tri/dot/{CURRENT}/loi-moi?q={SEARCH}").get_data(as_text=True)
    assert _status_of(page, "Nguyễn Văn A") == "đã gửi phiếu" and box.spent(demo_app, TOKEN)
    reminders = demo_admin.get(f"/quan-tri/dot/{CURRENT}/nhac-nho.csv").get_data(as_text=True)
    assert "Nguyễn Văn A" not in reminders and "Đại biểu HĐND huyện 01" in reminders, "reminders skip who answered"
    answered = [r for r in _rows(demo_admin) if r["Họ tên"] == "Nguyễn Văn A"]
    assert answered and answered[0]["Đã trả lời"] == "1" and answered[0]["Đã mở"] == "1"

    with demo_app.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, CURRENT), "qt", secret=demo_app.config["SECRET_KEY"])
    page = demo_admin.get(f"/quan-tri/dot/{CURRENT}/loi-moi?q={SEARCH}").get_data(as_text=True)
    assert _status_of(page, "Nguyễn Văn A") == "—" and "không ai (kể cả quản trị viên) còn biết" in page
    assert "đã gửi phiếu</td>" not in page and "đã mở</td>" not in page
    rows = _rows(demo_admin)
    assert rows and all(r["Đã trả lời"] == "" and r["Đã mở"] == "" for r in rows), "the export says nothing either"
    with demo_app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Campaign.status).where(Campaign.id == CURRENT)) == "closed"
    assert box.markers(demo_app, CURRENT) == 0 and box.envelopes(demo_app, CURRENT) == 0


def test_a_changed_secret_key_takes_no_ballot_instead_of_forgetting_which_links_were_spent(demo_app, tmp_path):
    """Markers are keyed by SECRET_KEY: under another key a spent link would look unused and could send a
    second ballot. The box keeps a check value of its key: the server refuses (503) and keeps nothing."""
    from .conftest import make_app

    other = make_app(demo_app.config["DATABASE_URL"], tmp_path / "other",
                     SECRET_KEY="another-secret-of-32-bytes-000000")
    _inv, client, review, client_id = at_review(other, "nguoi_dan", "ba_be", TOKEN)
    before = box.envelopes(demo_app, CURRENT)
    sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert sent.status_code == 503 and "Tạm thời chưa nhận được phiếu" in sent.get_data(as_text=True)
    assert box.envelopes(demo_app, CURRENT) == before and not box.spent(other, TOKEN)
    assert box.link(other, TOKEN).draft is not None, "the answers are kept"
    other.extensions[DB_KEY].dispose()
