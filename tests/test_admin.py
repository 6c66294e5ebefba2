"""Campaign administration and invitations, as an admin does them in the browser (test client)."""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import png
import zxingcpp
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Campaign, Invitation, SampleTarget, Unit

from .test_auth import csrf


def token_of(client, url="/quan-tri/") -> str:
    return csrf(client.get(url).get_data(as_text=True))


def flashes(client, url: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]+)</p>', client.get(url).get_data(as_text=True))


def count(app, model, *where) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def new_campaign(admin, **form):
    data = {
        "csrf_token": token_of(admin, "/quan-tri/dot/moi"),
        "name": "Điều tra XHH 2024",
        "year": "2024",
        "source": "bo:default",
    }
    data.update(form)
    return admin.post("/quan-tri/dot/moi", data=data)


def test_create_a_campaign_from_the_bundled_set(admin, app):
    result = new_campaign(admin)
    assert result.status_code == 302
    page = admin.get(result.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo đợt khảo sát" in page and "Điều tra XHH 2024" in page
    assert page.count("/xem-truoc/") == 8, "a preview link per questionnaire"
    again = new_campaign(admin)
    assert again.status_code == 400 and "Đã có đợt khảo sát tên “Điều tra XHH 2024”." in again.get_data(as_text=True)
    bad = new_campaign(admin, name="", year="20x4", source="bo:khong_co")
    html = bad.get_data(as_text=True)
    assert (
        bad.status_code == 400
        and "Xin nhập tên" in html
        and "Năm phải là" in html
        and "Xin chọn một đợt trước để sao chép, hoặc một bộ tiêu chí" in html
    )
    assert count(app, Campaign) == 1


UNITS_CSV = "code,name,level,parent\nso_tp,Sở Tư pháp,so,\nba_be,Huyện Ba Bể,huyen,\nba_be_x1,Xã Nam Mẫu,xa,ba_be\n"


def upload(client, url: str, text: str, token: str):
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(text.encode("utf-8")), "f.csv")},
                       content_type="multipart/form-data")


def test_units_csv_with_a_bad_row_imports_nothing_and_names_the_row(admin, app):
    new_campaign(admin)
    url = "/quan-tri/dot/1/don-vi"
    bad = UNITS_CSV + "x9,Xã lạ,xa,khong_co\nso_tp,Trùng mã,so,\ntinh,Tỉnh,tinh,\n"
    upload(admin, url, bad, token_of(admin, url))
    messages = flashes(admin, url)
    assert messages[0] == "Nhập đơn vị: không nhập gì vì tệp có 3 lỗi."
    assert messages[1:] == ["Dòng 5: &#39;khong_co&#39; không phải một đơn vị cấp huyện "
                            "(ghi mã hay tên đơn vị cấp huyện)",
                            "Dòng 6: mã đơn vị &#39;so_tp&#39; đã có (dòng 2)",
                            "Dòng 7: cấp &#39;tinh&#39; không hợp lệ "
                            "(dùng: Cấp sở (so), Cấp huyện (huyen), Cấp xã (xa))"]
    assert count(app, Unit) == 0
    upload(admin, url, UNITS_CSV, token_of(admin, url))
    assert flashes(admin, url) == ["Đã thêm 3 đơn vị."]
    with app.extensions[DB_KEY].session() as s:
        commune = s.scalar(select(Unit).where(Unit.code == "ba_be_x1"))
        assert commune.parent.code == "ba_be"


def test_one_unit_by_form_and_its_errors(admin, app):
    new_campaign(admin)
    url = "/quan-tri/dot/1/don-vi"
    admin.post(
        url, data={"csrf_token": token_of(admin, url), "code": "x1", "name": "Xã Một", "level": "xa", "parent": ""}
    )
    assert flashes(admin, url) == [
        "Đơn vị cấp xã phải có cột &#39;parent&#39; (thuộc huyện): mã hay tên đơn vị cấp huyện."]
    admin.post(url, data={"csrf_token": token_of(admin, url), "code": "na_ri", "name": "Huyện Na Rì", "level": "huyen"})
    assert count(app, Unit) == 1


def test_sample_plan_grid_and_csv(admin, app):
    new_campaign(admin)
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    page = admin.get("/quan-tri/dot/1/ke-hoach").get_data(as_text=True)
    fields = re.findall(r'name="(t_\d+_\d+)"', page)
    assert len(fields) == 3 + 5  # so: 3 groups rate departments; huyen: 5 groups rate districts
    data = {name: "7" for name in fields}
    data[fields[0]] = "-1"
    admin.post("/quan-tri/dot/1/ke-hoach", data={"csrf_token": csrf(page), **data})
    assert flashes(admin, "/quan-tri/dot/1/ke-hoach") == ["Không lưu gì: 1 ô không phải số nguyên không âm."]
    data[fields[0]] = "12"
    admin.post("/quan-tri/dot/1/ke-hoach", data={"csrf_token": csrf(page), **data})
    assert count(app, SampleTarget) == 8
    exported = admin.get("/quan-tri/dot/1/ke-hoach.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 8 and {"unit": "ba_be", "group": "ld_xa", "target": "7"} in rows

    bad = "unit,group,target\nba_be,cc_so,3\nso_tp,hdnd_tinh,nhiều\n"
    upload(admin, "/quan-tri/dot/1/ke-hoach", bad, token_of(admin))
    messages = flashes(admin, "/quan-tri/dot/1/ke-hoach")
    assert messages[1] == "Dòng 2: Công chức cấp sở không đánh giá Huyện Ba Bể"
    assert messages[2].startswith("Dòng 3: số phiếu kế hoạch")
    upload(admin, "/quan-tri/dot/1/ke-hoach", "unit,group,target\nba_be,nguoi_dan,60\n", token_of(admin))
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.max(SampleTarget.target))) == 60


INVITES_CSV = ("name,group,unit,email,phone\n"
               "Nguyễn Văn An,hdnd_huyen,ba_be,an@example.vn,0912 345 678\n"
               "Trần Thị Bình,hdnd_tinh,,binh@example.vn,\n"
               ",ld_xa,ba_be_x1,,\n")


def _campaign_with_units(admin):
    new_campaign(admin)
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    token = token_of(admin)
    admin.post("/quan-tri/dot/1/lich", data={"csrf_token": token, "status": "open", "opens_at": "", "closes_at": ""})
    admin.post("/quan-tri/dot/1/mo-khao-sat", data={"csrf_token": token, "xac_nhan": "y"})  # opening is confirmed


def test_invitations_csv_with_a_bad_row_imports_nothing(admin, app):
    _campaign_with_units(admin)
    url = "/quan-tri/dot/1/loi-moi"
    bad = INVITES_CSV + "Lê Văn C,hdnd_huyen,,c@,\nD,dai_bieu,,,\n"
    upload(admin, url + "/nhap", bad, token_of(admin, url))
    messages = flashes(admin, url)
    assert messages[0] == "Nhập danh sách mời: không nhập gì vì tệp có 3 lỗi."
    assert messages[1].startswith(
        "Dòng 5: Đại biểu HĐND huyện đánh giá đơn vị của mình: cần cột &#39;unit&#39;"
    )
    assert messages[2] == "Dòng 5: thư điện tử &#39;c@&#39; không hợp lệ"
    assert messages[3].startswith("Dòng 6: không có đối tượng &#39;dai_bieu&#39;")
    assert count(app, Invitation) == 0


def test_imported_links_open_the_form_and_their_qr_decodes_to_the_link(admin, app):
    _campaign_with_units(admin)
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", INVITES_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))
    exported = admin.get("/quan-tri/dot/1/loi-moi.csv").get_data(as_text=True)
    assert exported.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert sorted(r["Họ tên"] for r in rows) == ["", "Nguyễn Văn An", "Trần Thị Bình"]
    an = next(r for r in rows if r["Họ tên"] == "Nguyễn Văn An")
    link = an["Đường link"]
    assert re.fullmatch(r"http://localhost/s/[A-Za-z0-9_-]{32}", link)
    assert an["Tin nhắn Zalo/SMS"].startswith("Kinh gui Nguyen Van An,") and an["Tin nhắn Zalo/SMS"].endswith(link)
    assert link in an["Nội dung thư"] and an["Tiêu đề thư"] == "Mời trả lời phiếu khảo sát Điều tra XHH 2024"
    with app.extensions[DB_KEY].session() as s:
        assert link.rsplit("/", 1)[1] not in str(s.scalars(select(Invitation.token_hash)).all()), (
            "the token is not stored"
        )
    respondent = app.test_client()
    assert "Huyện Ba Bể" in respondent.get(link.replace("http://localhost", "")).get_data(as_text=True)

    with app.extensions[DB_KEY].session() as s:
        inv_id = s.scalar(select(Invitation.id).where(Invitation.name == "Nguyễn Văn An"))
    image = admin.get(f"/quan-tri/loi-moi/{inv_id}/qr.png")
    assert image.mimetype == "image/png"
    width, height, pixels, info = png.Reader(bytes=image.data).read()
    array = np.array([list(row) for row in pixels], dtype=np.uint8) * (255 if info["bitdepth"] == 1 else 1)
    assert [r.text for r in zxingcpp.read_barcodes(array)] == [link]
    svg = admin.get(f"/quan-tri/loi-moi/{inv_id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_qr_cards_print_and_their_short_code_opens_the_form(demo_admin, demo_app):
    token = token_of(demo_admin, "/quan-tri/dot/2/loi-moi")
    result = demo_admin.post(
        "/quan-tri/dot/2/the-qr", data={"csrf_token": token, "unit": "na_ri", "group": "doanh_nghiep", "count": "3",
                                              "ly_do": "thẻ dự phòng cho quầy một cửa"}  # the demo's plan is covered
    )
    assert result.status_code == 302 and "/the-qr/in?don_vi=na_ri&doi_tuong=doanh_nghiep" in result.headers["Location"]
    sheet = demo_admin.get(result.headers["Location"]).get_data(as_text=True)
    codes = re.findall(r'<p class="qr-code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', sheet)
    assert sheet.count('<article class="qr-card">') >= 3 and len(codes) >= 3
    assert "Quét mã QR bằng điện thoại, hoặc vào localhost và nhập mã" in sheet
    respondent = demo_app.test_client()
    typed = respondent.get("/ma?ma=" + codes[-1].lower().replace("-", " "))
    assert typed.status_code == 302
    assert "Phiếu khảo sát doanh nghiệp" in respondent.get(typed.headers["Location"]).get_data(as_text=True)
    too_many = demo_admin.post(
        "/quan-tri/dot/2/the-qr", data={"csrf_token": token, "unit": "na_ri", "group": "doanh_nghiep", "count": "501"}
    )
    assert (
        too_many.status_code == 302
        and "Chọn đơn vị, đối tượng và số thẻ từ 1 đến 500." in flashes(demo_admin, "/quan-tri/dot/2/loi-moi")[0]
    )


def test_closing_the_campaign_closes_its_links_once_and_for_all(admin, app):
    _campaign_with_units(admin)
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", INVITES_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))
    rows = list(
        csv.DictReader(io.StringIO(admin.get("/quan-tri/dot/1/loi-moi.csv").get_data(as_text=True).lstrip("\ufeff")))
    )
    path = rows[0]["Đường link"].replace("http://localhost", "")
    admin.post("/quan-tri/dot/1/lich", data={"csrf_token": token_of(admin), "status": "open",
                                              "opens_at": "2020-01-02T08:00", "closes_at": "2020-01-31T17:00"})
    page = app.test_client().get(path)
    assert page.status_code == 410 and "Đợt khảo sát đã kết thúc" in page.get_data(as_text=True)
    admin.post("/quan-tri/dot/1/lich", data={"csrf_token": token_of(admin), "status": "open",
                                              "opens_at": "2030-01-02T08:00", "closes_at": "2030-01-31T17:00"})
    with app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, 1)
        assert str(campaign.opens_at) == "2030-01-02 01:00:00", "Vietnam time stored as UTC"
    assert "Đợt khảo sát chưa bắt đầu" in app.test_client().get(path).get_data(as_text=True)

    confirm = admin.get("/quan-tri/dot/1/ket-thuc").get_data(as_text=True)
    assert "không mở lại được" in confirm
    unticked = admin.post("/quan-tri/dot/1/ket-thuc", data={"csrf_token": csrf(confirm)})
    assert unticked.status_code == 400 and "Xin đánh dấu ô xác nhận" in unticked.get_data(as_text=True)
    closed = admin.post("/quan-tri/dot/1/ket-thuc", data={"csrf_token": csrf(confirm), "confirm": "yes",
                                                          "confirm_coverage": "yes"})
    assert closed.status_code == 302
    assert app.test_client().get(path).status_code == 410
    admin.post("/quan-tri/dot/1/lich", data={"csrf_token": token_of(admin), "status": "open"})
    assert flashes(admin, "/quan-tri/dot/1") == [
        "Đợt khảo sát đã kết thúc và kết quả đã mở niêm phong: không thay đổi được nữa."]
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, 1).status == "closed"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "close"))
        assert (entry.actor, entry.entity, entry.old_value) == ("qt", "campaign", "open")


def test_preview_shows_a_questionnaire_as_respondents_see_it(demo_admin):
    html = demo_admin.get("/quan-tri/dot/1/xem-truoc/huyen/nguoi_dan").get_data(as_text=True)
    assert "Xem trước phiếu" in html and "Thành phố Bắc Kạn" in html
    assert html.count('type="radio"') == 13 * 5 and "Lưu và tiếp" not in html


def test_invitation_and_reminder_emails_through_smtp(admin, app, smtp):
    received = smtp
    _campaign_with_units(admin)
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", INVITES_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))
    admin.post("/quan-tri/dot/1/gui-thu", data={"csrf_token": token_of(admin), "lan": "dau"})
    assert flashes(admin, "/quan-tri/dot/1/loi-moi") == ["Đã gửi 2 thư."]
    assert sorted(m["To"] for m in received) == ["an@example.vn", "binh@example.vn"]
    from email.header import decode_header, make_header

    def subject(message) -> str:
        return str(make_header(decode_header(message["Subject"])))

    body = received[0].get_payload(decode=True).decode("utf-8")
    assert "/s/" in body and subject(received[0]) == "Mời trả lời phiếu khảo sát Điều tra XHH 2024"
    admin.post("/quan-tri/dot/1/gui-thu", data={"csrf_token": token_of(admin), "lan": "dau"})
    assert len(received) == 2, "a first invitation is sent once"
    from survey_app.models import AuditEntry, Invitation

    with app.extensions[DB_KEY].session() as s:
        stamped = s.execute(select(Invitation.id, Invitation.sent_at).order_by(Invitation.id)).all()
    admin.post("/quan-tri/dot/1/gui-thu", data={"csrf_token": token_of(admin), "lan": "nhac"})
    assert len(received) == 4 and subject(received[-1]).startswith("Nhắc: ")
    with app.extensions[DB_KEY].session() as s:
        sent = s.scalars(select(AuditEntry.new_value).where(AuditEntry.attribute == "sent_at")).all()
        assert [v.split(":")[0] for v in sent] == ["2 thư mời", "2 thư nhắc"]
        assert sent[-1] == "2 thư nhắc", "a reminder's entry names nobody: it went to those who had not answered"
        assert s.execute(select(Invitation.id, Invitation.sent_at).order_by(Invitation.id)).all() == stamped, \
            "and restamps nobody"


def test_no_write_lock_is_held_while_the_mail_server_talks(admin, app, smtp):
    """Sending held the request's SQLite write lock through the whole SMTP conversation (up to its 30 s
    timeout): every respondent's save waited for the mail server. The server here checks, while each
    message is being received, that another writer can take the lock at once."""
    import sqlite3

    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    free: list[bool] = []

    def probe(_message):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            other.close()

    smtp.on_message = probe
    _campaign_with_units(admin)
    upload(admin, "/quan-tri/dot/1/loi-moi/nhap", INVITES_CSV, token_of(admin, "/quan-tri/dot/1/loi-moi"))
    admin.post("/quan-tri/dot/1/gui-thu", data={"csrf_token": token_of(admin), "lan": "dau"})
    assert flashes(admin, "/quan-tri/dot/1/loi-moi") == ["Đã gửi 2 thư."]
    assert free == [True, True], "another writer took the lock while each message was sent"


def test_without_smtp_sending_says_how_to_configure_it(admin, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    _campaign_with_units(admin)
    admin.post("/quan-tri/dot/1/gui-thu", data={"csrf_token": token_of(admin), "lan": "dau"})
    assert "Chưa cấu hình máy chủ thư (SMTP_HOST)" in flashes(admin, "/quan-tri/dot/1/loi-moi")[0]
