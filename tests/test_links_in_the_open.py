"""Links handled in the open (issue 25, item 6): whoever holds the exported links can answer in an
invitee's place, so every way links leave the server is in the audit log, and the invitee who meets
"used" can say "Tôi không gửi phiếu này", a report counted on the campaign and review pages."""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select, text

from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Envelope, Invitation, User
from survey_app.services.users import create_user

from .conftest import BACKENDS, make_app
from .test_admin import INVITES_CSV, UNITS_CSV, new_campaign, token_of, upload
from .test_auth import PASSWORD, csrf, login
from .test_form import radios

# Three personal links (INVITES_CSV) and a district department leader who chooses the departments
# he rates: his invitation names his unit, which a report must not repeat.
PEOPLE_CSV = INVITES_CSV + "Lê Văn Cường,ldp_huyen,ba_be,cuong@example.vn,\n"
CARDS = 4


@pytest.fixture(params=BACKENDS)
def site(request, tmp_path):
    """A campaign collecting, on each database: 4 personal links, 4 QR cards of Ba Bể's citizens, an
    admin ``qt`` signed in. ``(app, admin client)``."""
    url = f"sqlite:///{tmp_path / 'links.sqlite'}" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    app = make_app(url, tmp_path / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="test")
    admin = app.test_client()
    login(admin, "qt")
    new_campaign(admin)
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    admin.post("/quan-tri/dot/1/mo-khao-sat", data={"csrf_token": token_of(admin), "xac_nhan": "y"})  # confirmed
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", PEOPLE_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))
    made = admin.post("/quan-tri/dot/1/the-qr", data={"csrf_token": token_of(admin, "/quan-tri/dot/1/loi-moi"),
                                                      "pair": "ba_be|nguoi_dan", "count": str(CARDS)})
    assert made.status_code == 302
    yield app, admin
    app.extensions[DB_KEY].dispose()


def handouts(app) -> list[AuditEntry]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "links_out").order_by(AuditEntry.id)))


def links_in(response) -> list[str]:
    """The links a downloaded file or printed page holds."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
        cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
    elif response.mimetype == "text/csv":
        text = response.get_data(as_text=True).lstrip("\ufeff")
        cells = [row["Đường link"] for row in csv.DictReader(io.StringIO(text))]
    else:
        return re.findall(r'<p class="qr-code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', response.get_data(as_text=True))
    return sorted({cell for cell in cells if re.fullmatch(r"http://localhost/s/[\w-]{32}", cell)})


def test_every_download_and_print_of_links_writes_one_audit_row_with_who_and_how_many(site):
    app, admin = site
    with app.extensions[DB_KEY].session() as s:
        admin_id = s.scalar(select(User.id).where(User.username == "qt"))
        an = s.scalar(select(Invitation.id).where(Invitation.name == "Nguyễn Văn An"))
    assert handouts(app) == [], "making links and cards hands none out"
    everything = ("tất cả đối tượng, tất cả đơn vị: Người dân 4, Đại biểu HĐND tỉnh 1, Đại biểu HĐND huyện 1, "
                  "Lãnh đạo phòng chuyên môn cấp huyện 1, Lãnh đạo cấp xã 1)")
    ways = [
        ("/quan-tri/dot/1/loi-moi.xlsx", "export_xlsx", 8,
         f"Tải tệp Excel 4 đường link cá nhân và 4 thẻ QR ({everything}"),
        ("/quan-tri/dot/1/loi-moi.csv", "export_csv", 8, "Tải tệp CSV 4 đường link cá nhân và 4 thẻ QR"),
        ("/quan-tri/dot/1/nhac-nho.xlsx", "reminders_xlsx", 8,
         "Tải tệp Excel nhắc nhở 4 đường link cá nhân và 4 thẻ QR (tất cả đối tượng, tất cả đơn vị, chưa trả lời:"),
        ("/quan-tri/dot/1/nhac-nho.csv", "reminders_csv", 8, "Tải tệp CSV nhắc nhở"),
        ("/quan-tri/dot/1/the-qr/in?don_vi=ba_be&doi_tuong=nguoi_dan", "qr_cards_print", CARDS,
         "Mở trang in 4 thẻ QR (đối tượng Người dân, đơn vị Huyện Ba Bể)"),
        (f"/quan-tri/loi-moi/{an}/qr.png", "qr_image_png", 1,
         f"Tải mã QR (PNG) 1 đường link cá nhân (đường link số {an}, đối tượng Đại biểu HĐND huyện)"),
        (f"/quan-tri/loi-moi/{an}/qr.svg", "qr_image_svg", 1, "Tải mã QR (SVG) 1 đường link cá nhân"),
    ]
    for url, channel, how_many, words in ways:
        before = len(handouts(app))
        response = admin.get(url)
        assert response.status_code == 200, url
        if channel.startswith(("export", "reminders", "qr_cards")):
            assert len(links_in(response)) == how_many, url
        rows = handouts(app)[before:]
        assert len(rows) == 1, f"{url}: {len(rows)} audit rows"
        row = rows[0]
        assert (row.actor, row.user_id, row.entity, row.entity_id, row.attribute) == \
            ("qt", admin_id, "invitations", "1", channel), url
        assert row.new_value.startswith(words), row.new_value
    log = admin.get("/quan-tri/nhat-ky?thao_tac=links_out&doi_tuong=invitations&ma=1").get_data(as_text=True)
    assert log.count("<td>Đường link ra ngoài</td>") == len(ways) and "Mở trang in 4 thẻ QR" in log
    assert admin.get("/quan-tri/loi-moi/999/qr.png").status_code == 404
    assert len(handouts(app)) == len(ways), "an unknown invitation hands nothing out"


def test_a_download_whose_audit_row_cannot_be_written_sends_no_link(tmp_path):
    """The row is written in the request's transaction, committed before the file leaves: when the
    database refuses it, the admin gets an error page and no link."""
    app = make_app(f"sqlite:///{tmp_path / 'refuse.sqlite'}", tmp_path / "instance", PROPAGATE_EXCEPTIONS=False)
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="test")
    admin = app.test_client()
    login(admin, "qt")
    new_campaign(admin)
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", PEOPLE_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))
    assert len(links_in(admin.get("/quan-tri/dot/1/loi-moi.csv"))) == 4
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER no_handout BEFORE INSERT ON audit_log WHEN NEW.action = 'links_out' "
                          "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    for url in ("/quan-tri/dot/1/loi-moi.csv", "/quan-tri/dot/1/loi-moi.xlsx", "/quan-tri/loi-moi/1/qr.svg"):
        refused = admin.get(url)
        assert refused.status_code == 500 and b"/s/" not in refused.data, url
    assert len(handouts(app)) == 1


def test_each_sending_of_invitations_or_reminders_writes_one_audit_row(admin, app, smtp, monkeypatch):
    new_campaign(admin)
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", PEOPLE_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))

    def send(lan: str) -> list[AuditEntry]:
        before = len(handouts(app))
        admin.post("/quan-tri/dot/1/gui-thu", data={"csrf_token": token_of(admin), "lan": lan})
        return handouts(app)[before:]

    [first] = send("dau")
    assert len(smtp) == 3
    assert (first.actor, first.attribute, first.entity_id) == ("qt", "email_invitation", "1")
    assert first.new_value.startswith("Gửi thư mời 3 đường link cá nhân (tất cả đối tượng, chưa nhận thư mời:")
    assert send("dau") == [] and len(smtp) == 3, "nothing sent, nothing handed out"
    [reminder] = send("nhac")
    assert len(smtp) == 6 and reminder.attribute == "email_reminder"
    assert reminder.new_value.startswith("Gửi thư nhắc 3 đường link cá nhân")
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there: the connection fails
    [failed] = send("nhac")
    assert failed.new_value.startswith("Gửi thư nhắc (lỗi giữa chừng:") and "tối đa) 3 đường link" in failed.new_value


def test_the_demo_command_records_the_example_links_it_prints(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "links_out", AuditEntry.attribute == "demo")
                         .order_by(AuditEntry.id)).all()
    # 2 links of the 2024 campaign, 3 of the 2026 one: each campaign's log says what left of it.
    assert [(r.actor, r.entity_id) for r in rows] == [("cli", "2"), ("cli", "3")]
    assert rows[0].new_value.startswith("In 2 đường link mẫu (lệnh parsurvey demo")
    assert rows[1].new_value.startswith("In 3 đường link mẫu (lệnh parsurvey demo")


# --- "Tôi không gửi phiếu này" -------------------------------------------------------------------

def answer_everything(client, token: str) -> None:
    """Open the link, choose the first unit where asked, answer every page with the first option, send."""
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert "Phiếu đã được gửi" not in page
    choose = re.search(r'href="(/s/[^"]+/chon/\w+)"', page)
    if choose:
        html = client.get(choose.group(1)).get_data(as_text=True)
        first = re.search(r'name="unit" value="(\d+)"', html).group(1)
        client.post(choose.group(1), data={"csrf_token": csrf(html), "unit": first})
    number = 1
    while True:
        html = client.get(f"/s/{token}/p/{number}").get_data(as_text=True)
        data = {"csrf_token": csrf(html), "action": "next", **{q: opts[0] for q, opts in radios(html).items()}}
        moved = client.post(f"/s/{token}/p/{number}", data=data)
        assert moved.status_code == 302, html[-500:]
        if moved.headers["Location"].endswith("/gui"):
            break
        number += 1
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn" in sent.get_data(as_text=True)


def report(client, path: str):
    page = client.get(path)
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Phiếu đã được gửi" in html and "Tôi không gửi phiếu này" in html
    action = re.search(r'<form method="post" action="([^"]+)" class="dispute">', html).group(1)
    return client.post(action, data={"csrf_token": csrf(html)})


def reports(app) -> list[AuditEntry]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "link_disputed")))


def test_the_invitee_whose_link_the_admin_used_reports_it_once_and_admin_and_reviewers_see_the_count(site):
    """The admin exports the links, answers in Nguyễn Văn An's place; An meets "used", says "Tôi không
    gửi phiếu này": one report, counted on the campaign and review pages, never doubled."""
    app, admin = site
    exported = csv.DictReader(io.StringIO(admin.get("/quan-tri/dot/1/loi-moi.csv").get_data(as_text=True)
                                          .lstrip("\ufeff")))
    links = {row["Họ tên"]: row["Đường link"].removeprefix("http://localhost") for row in exported if row["Họ tên"]}
    for name in ("Nguyễn Văn An", "Lê Văn Cường"):
        answer_everything(admin, links[name].removeprefix("/s/"))  # the admin, in their place
    assert reports(app) == []
    an = app.test_client()
    recorded = report(an, links["Nguyễn Văn An"])
    assert recorded.status_code == 200 and "Đã ghi nhận" in recorded.get_data(as_text=True)
    [row] = reports(app)
    with app.extensions[DB_KEY].session() as s:
        invitation = s.scalar(select(Invitation).where(Invitation.name == "Nguyễn Văn An"))
        ballots = s.scalars(select(Envelope.id)).all()  # in the box until close
    assert (row.actor, row.user_id, row.entity, row.entity_id, row.attribute) == \
        ("người trả lời", None, "invitations", "1", f"invitation {invitation.id}")
    assert "(đối tượng Đại biểu HĐND huyện, đơn vị Huyện Ba Bể)" in row.new_value, "a group rating its own unit"
    assert len(ballots) == 2 and not any(str(b) in (row.new_value + row.attribute) for b in ballots), \
        "the report names the link, never its envelope"

    again = report(app.test_client(), links["Nguyễn Văn An"])
    assert again.status_code == 200 and "đã được ghi nhận trước đó" in again.get_data(as_text=True)
    assert len(reports(app)) == 1, "one report per link"
    report(app.test_client(), links["Lê Văn Cường"])
    cuong = reports(app)[-1].new_value
    assert "(đối tượng Lãnh đạo" in cuong and "Ba Bể" not in cuong, "a group choosing units: no unit named"

    counted = "2 người báo không tự gửi phiếu bằng đường link của mình"
    filtered = "/quan-tri/nhat-ky?thao_tac=link_disputed&amp;doi_tuong=invitations&amp;ma=1"
    for url in ("/quan-tri/dot/1", "/quan-tri/dot/1/duyet"):
        page = admin.get(url).get_data(as_text=True)
        assert counted in page and filtered in page, url
    log = admin.get(filtered.replace("&amp;", "&")).get_data(as_text=True)
    assert log.count("<td>Báo link bị dùng</td>") == 2 and "Người nhận đường link số" in log
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    analyst = app.test_client()
    login(analyst, "pt")
    seen = analyst.get("/quan-tri/dot/1/duyet").get_data(as_text=True)
    assert counted in seen and filtered not in seen, "reviewers see the count; the log is the admin's"


def test_only_a_used_link_can_report_and_an_unknown_one_counts_against_the_link_limit(site):
    app, admin = site
    exported = csv.DictReader(io.StringIO(admin.get("/quan-tri/dot/1/loi-moi.csv").get_data(as_text=True)
                                          .lstrip("\ufeff")))
    path = next(row["Đường link"] for row in exported if row["Họ tên"] == "Trần Thị Bình").removeprefix("http://localhost")
    client = app.test_client()
    token = csrf(client.get("/dang-nhap").get_data(as_text=True))  # this client's CSRF token
    unused = client.post(path + "/khong-phai-toi", data={"csrf_token": token})
    assert unused.status_code == 302 and unused.headers["Location"].endswith(path), "an open link has no report"
    unknown = client.post("/s/khong-co-link-nay-0000000000000/khong-phai-toi", data={"csrf_token": token})
    assert unknown.status_code == 404 and "Đường link không đúng" in unknown.get_data(as_text=True)
    assert client.post(path + "/khong-phai-toi").status_code == 400, "no CSRF token, no report"
    assert reports(app) == []
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "người trả lời")) == 0


def test_a_link_guesser_posting_reports_is_stopped_by_the_link_limit(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'limit.sqlite'}", tmp_path / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    client = app.test_client()
    token = csrf(client.get("/dang-nhap").get_data(as_text=True))
    codes = [client.post(f"/s/doan-{i:028d}/khong-phai-toi", data={"csrf_token": token}).status_code
             for i in range(32)]
    assert codes[:30] == [404] * 30 and codes[30:] == [429, 429]
