"""Respondents drawn from dossiers, after the draw (issue 29 item 3): who applied (citizen or organisation) read
from the template's optional column and each SIPAS group drawn from its own kind of dossier; the phone numbers
deleted once the SMS invitations are sent ("Đã gửi tin nhắn — xoá số điện thoại", confirmed, audited with
counts only); the drawn dossiers' QR cards to hand over at the counter; the last draw shown with names."""
from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Campaign, Dossier, Invitation
from survey_app.services import dossiers
from survey_app.services.campaigns import create_campaign
from survey_app.services.closing import close_campaign
from survey_app.services.csv_import import CsvProblems, NewUnit
from survey_app.services.units import add_units, set_targets

from .conftest import TEST_SECRET, _signed_in
from .test_admin import flashes
from .test_auth import csrf

SIPAS_DIR = DEFAULT_SET_DIR.parent / "sipas"
HEADER = "Số hồ sơ,Đơn vị,Thủ tục hành chính,Lĩnh vực,Ngày trả kết quả,Điện thoại,Người nộp (công dân/tổ chức)\n"
PAGE = "/quan-tri/dot/1/ho-so"
FORGET = "/quan-tri/dot/1/ho-so/xoa-so-dien-thoai"
CARDS = "/quan-tri/dot/1/ho-so/the-qr"


def _setup(app, plan: dict[tuple[str, str], int]) -> None:
    """Campaign 1 on the bundled SIPAS set: Sở Tư pháp (so_tp) and Xã An Phú (xa_an); ``plan`` by (unit, group)."""
    with app.extensions[DB_KEY].transaction() as s:
        campaign = create_campaign(s, year=2026, name="SIPAS 2026", criteria_texts=read_set_texts(SIPAS_DIR),
                                   actor="t")
        add_units(s, campaign, [NewUnit("so_tp", "Sở Tư pháp", "so", None), NewUnit("xa_an", "Xã An Phú", "xa", None)],
                  actor="t")
        s.flush()
        units = {u.code: u for u in campaign.units}
        groups = {g.code: g for g in campaign.groups}
        set_targets(s, campaign, [(units[u], groups[g], t) for (u, g), t in plan.items()], actor="t")


def _line(number: str, unit: str, phone: str = "", applicant: str = "") -> str:
    return f"{number},{unit},Cấp phiếu lý lịch tư pháp,Lý lịch tư pháp,15/03/2026,{phone},{applicant}\n"


def _import(app, text: str) -> None:
    with app.extensions[DB_KEY].transaction() as s:
        dossiers.import_dossiers(s, s.get(Campaign, 1), text.encode(), "qt")


def _draw(app, group: str, seed: int) -> dossiers.Draw:
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, 1)
        return dossiers.draw_sample(s, campaign, next(g for g in campaign.groups if g.code == group), seed, False,
                                    "qt", TEST_SECRET)


def _phones(app) -> dict[str, str | None]:
    with app.extensions[DB_KEY].session() as s:
        return dict(s.execute(select(Dossier.number, Dossier.phone).order_by(Dossier.number)).all())


def _audits(app, action: str) -> list[str]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "dossiers",
                                                                 AuditEntry.action == action).order_by(AuditEntry.id)))


# --- who applied ---------------------------------------------------------------------------------


def test_the_applicant_column_reads_its_words_and_blank_is_a_citizen(app):
    _setup(app, {})
    _import(app, HEADER + _line("HS-1", "so_tp", applicant="Công dân") + _line("HS-2", "so_tp", applicant="cá nhân")
            + _line("HS-3", "so_tp", applicant="Tổ chức") + _line("HS-4", "so_tp", applicant="DOANH NGHIỆP")
            + _line("HS-5", "so_tp"))
    with app.extensions[DB_KEY].session() as s:
        kinds = dict(s.execute(select(Dossier.number, Dossier.organisation).order_by(Dossier.number)).all())
    assert kinds == {"HS-1": False, "HS-2": False, "HS-3": True, "HS-4": True, "HS-5": False}
    assert _audits(app, "import") == ["5 hồ sơ của 1 đơn vị (0 có số điện thoại, 2 của tổ chức)"]


def test_a_bad_applicant_is_refused_with_its_row_and_nothing_is_stored(app):
    _setup(app, {})
    data = HEADER + _line("HS-1", "so_tp", applicant="Tổ chức") + _line("HS-2", "so_tp", applicant="Hộ gia đình")
    with pytest.raises(CsvProblems) as caught:
        _import(app, data)
    assert caught.value.problems == [(3, "người nộp 'Hộ gia đình' không rõ (ghi Công dân, Cá nhân, Tổ chức hay "
                                         "Doanh nghiệp; để trống là công dân)")]
    assert _phones(app) == {}


def test_a_file_without_the_applicant_column_still_imports_as_citizens(app):
    _setup(app, {})
    _import(app, "Số hồ sơ,Đơn vị,Thủ tục hành chính,Lĩnh vực,Ngày trả kết quả\nHS-1,so_tp,X,Y,15/03/2026\n")
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Dossier.organisation)) is False


def test_organisations_are_drawn_only_from_organisations_dossiers_and_citizens_from_citizens(app):
    """Sở Tư pháp: 6 citizens' dossiers, 4 organisations'; plan 3 citizens, 2 organisations. Each group's draw
    samples its own kind by the documented rule; the citizens' draw does not stop the organisations'."""
    _setup(app, {("so_tp", "nguoi_dan"): 3, ("so_tp", "to_chuc"): 2, ("xa_an", "to_chuc"): 1})
    citizens = [f"CD-{i}" for i in range(1, 7)]
    organisations = [f"TC-{i}" for i in range(1, 5)]
    _import(app, HEADER + "".join(_line(n, "so_tp", applicant="Công dân") for n in citizens)
            + "".join(_line(n, "so_tp", applicant="Tổ chức") for n in organisations)
            + _line("AP-1", "xa_an"))  # Xã An Phú: a citizen's dossier only
    _draw(app, "nguoi_dan", 7)
    draw = _draw(app, "to_chuc", 7)
    with app.extensions[DB_KEY].session() as s:
        drawn = {(d.number, d.invitation.group.code) for d in s.scalars(select(Dossier).where(Dossier.drawn.is_(True)))}
    assert {n for n, g in drawn if g == "nguoi_dan"} == set(random.Random("7-so_tp").sample(citizens, 3))
    assert {n for n, g in drawn if g == "to_chuc"} == set(random.Random("7-so_tp").sample(organisations, 2))
    assert len(drawn) == 5
    assert draw.warnings() == ["Xã An Phú: chỉ có 0 hồ sơ của tổ chức, doanh nghiệp, ít hơn kế hoạch 1; "
                               "đã chọn tất cả."]
    with pytest.raises(dossiers.DossierError, match="chưa có hồ sơ do tổ chức, doanh nghiệp nộp"):
        _draw(app, "to_chuc", 8)  # Sở Tư pháp drawn for organisations; Xã An Phú still has none of theirs


# --- phone numbers deleted once the invitations are sent -------------------------------------------


@pytest.fixture
def drawn(app):
    """Sở Tư pháp: 5 citizens' dossiers with a phone (3 drawn), 1 organisation's with a phone (the organisations'
    draw still to come); Xã An Phú's 2 citizens' dossiers with a phone imported after the citizens' draw."""
    _setup(app, {("so_tp", "nguoi_dan"): 3, ("xa_an", "nguoi_dan"): 2, ("so_tp", "to_chuc"): 1})
    _import(app, HEADER + "".join(_line(f"TP-{i}", "so_tp", f"091234500{i}") for i in range(1, 6))
            + _line("TP-ORG", "so_tp", "0912345009", "Tổ chức"))
    _draw(app, "nguoi_dan", 5)
    _import(app, HEADER + _line("AP-1", "xa_an", "0912345011") + _line("AP-2", "xa_an", "0912345012"))
    return app


def test_the_numbers_are_counted_by_what_becomes_of_them(drawn):
    with drawn.extensions[DB_KEY].session() as s:
        before = dossiers.phone_counts(s, s.get(Campaign, 1))
    # 3 drawn, not listed yet; 2 citizens of Sở Tư pháp not drawn (drawn for citizens: never contacted);
    # waiting: the organisation (Sở Tư pháp not drawn for organisations) and Xã An Phú's 2.
    assert before == dossiers.PhoneCounts(sent=0, unused=2, unsent=3, waiting=3, listed=0)


def test_the_action_waits_for_the_drawn_list_then_deletes_after_confirmation_with_counts_only(drawn):
    admin = _signed_in(drawn, "admin")
    page = admin.get(PAGE).get_data(as_text=True)
    assert FORGET not in page  # no list downloaded yet: nothing sent
    assert "Tải danh sách hồ sơ đã chọn kèm tin nhắn SMS và gửi tin nhắn trước" in page
    token = csrf(page)
    admin.post(FORGET, data={"csrf_token": token, "xac_nhan": "y"})
    assert flashes(admin, PAGE) == ["Chưa tải danh sách hồ sơ đã chọn kèm tin nhắn SMS: tải danh sách, gửi tin nhắn, "
                                    "rồi mới xoá số điện thoại."]
    assert sum(1 for p in _phones(drawn).values() if p) == 8

    assert admin.get("/quan-tri/dot/1/ho-so/da-chon.csv").status_code == 200  # listed: 3 stamped as sent
    with drawn.extensions[DB_KEY].session() as s:
        assert s.scalars(select(Invitation.sent_at.is_not(None))).all() == [True] * 3
    page = admin.get(PAGE).get_data(as_text=True)
    assert f'href="{FORGET}">Đã gửi tin nhắn — xoá số điện thoại</a>' in page
    confirm = admin.get(FORGET).get_data(as_text=True)
    assert "Sẽ xoá <strong>5</strong> số điện thoại" in confirm and "Không hoàn tác được" in confirm
    assert "3 số của hồ sơ được chọn đã tải danh sách gửi tin nhắn" in confirm
    assert "2 số của hồ sơ không được chọn" in confirm and 'name="xac_nhan"' in confirm

    refused = admin.post(FORGET, data={"csrf_token": csrf(confirm)})  # the box not ticked: asked again, nothing done
    assert refused.status_code == 400 and re.findall(r'<p class="flash flash-\w+">([^<]+)</p>', refused.get_data(
        as_text=True)) == ["Đánh dấu ô xác nhận để xoá số điện thoại."]
    assert sum(1 for p in _phones(drawn).values() if p) == 8

    assert admin.post(FORGET, data={"csrf_token": csrf(confirm), "xac_nhan": "y"}).status_code == 302
    shown = flashes(admin, PAGE)
    assert shown == ["Đã xoá số điện thoại của 3 hồ sơ được chọn đã gửi tin nhắn và 2 hồ sơ không được chọn "
                     "(Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân). Còn 3 số: 3 số của hồ sơ ở đơn vị còn "
                     "chờ chọn mẫu."]
    with drawn.extensions[DB_KEY].session() as s:
        drawn_numbers = set(s.scalars(select(Dossier.number).where(Dossier.drawn.is_(True))))
        assert s.scalars(select(Invitation.phone)).all() == [None] * 3
    phones = _phones(drawn)
    assert all(phones[n] is None for n in drawn_numbers)
    assert {n for n, p in phones.items() if p} == {"TP-ORG", "AP-1", "AP-2"}  # still to be drawn: kept
    (audit,) = [a for a in _audits(drawn, "update")]
    assert audit == ("đã gửi tin nhắn mời: xoá số điện thoại của 3 hồ sơ được chọn đã tải danh sách gửi tin nhắn "
                     "(3 đường link mời) và 2 hồ sơ không được chọn; còn 3 số (3 số của hồ sơ ở đơn vị còn chờ chọn "
                     "mẫu), xoá khi đã gửi hay khi kết thúc đợt (Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân)")
    assert "0912" not in audit and not re.search(r"\d{5,}", audit), "no phone number, nor a piece of one"
    remaining = re.search(r'<p id="so-con-lai">(.*?)</p>', admin.get(PAGE).get_data(as_text=True), re.S)[1]
    assert remaining.startswith("Hồ sơ còn giữ 3 số điện thoại, trong đó 3 số còn cần: 3 số của hồ sơ ở đơn vị "
                                "còn chờ chọn mẫu.")
    assert FORGET not in admin.get(PAGE).get_data(as_text=True)  # nothing more to delete now

    with drawn.extensions[DB_KEY].transaction() as s:  # close: the backstop deletes the rest
        close_campaign(s, s.get(Campaign, 1), "qt", secret=TEST_SECRET)
    assert set(_phones(drawn).values()) == {None}


def test_an_analyst_can_neither_delete_nor_print_cards(drawn):
    analyst = _signed_in(drawn, "analyst")
    token = csrf(analyst.get("/dang-nhap").get_data(as_text=True))
    assert analyst.get(FORGET).status_code == 403
    assert analyst.post(FORGET, data={"csrf_token": token, "xac_nhan": "y"}).status_code == 403
    assert analyst.get(CARDS).status_code == 403
    assert sum(1 for p in _phones(drawn).values() if p) == 8


# --- QR cards to hand over at the counter ---------------------------------------------------------------


def test_the_counter_cards_are_one_per_drawn_dossier_without_a_phone_with_the_number_ending(app):
    """Sở Tư pháp: 3 citizens' dossiers (all drawn), one with a phone; one organisation's (drawn), no phone."""
    _setup(app, {("so_tp", "nguoi_dan"): 3, ("so_tp", "to_chuc"): 1})
    _import(app, HEADER + _line("000.00.12.H56-260315-0001", "so_tp", "0912345001")
            + _line("000.00.12.H56-260315-0002", "so_tp") + _line("000.00.12.H56-260315-0003", "so_tp")
            + _line("000.00.12.H56-260315-0104", "so_tp", applicant="Doanh nghiệp"))
    _draw(app, "nguoi_dan", 1)
    _draw(app, "to_chuc", 1)
    admin = _signed_in(app, "admin")
    assert f'href="{CARDS}">In thẻ QR cho hồ sơ đã chọn không có số điện thoại</a>' in admin.get(PAGE).get_data(
        as_text=True)
    response = admin.get(CARDS)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    cards = re.findall(r'<article class="qr-card cut">(.*?)</article>', html, re.S)
    assert len(cards) == 3
    assert [re.search(r'<p class="qr-code">(.*?)</p>', c)[1] for c in cards] == ["Hồ sơ …0002", "Hồ sơ …0003",
                                                                                 "Hồ sơ …0104"]
    assert [re.search(r"Đối tượng: (.*?)</p>", c)[1] for c in cards] == ["Người dân", "Người dân",
                                                                         "Tổ chức, doanh nghiệp"]
    assert all("Đơn vị: <strong>Sở Tư pháp</strong>" in c and "<svg" in c for c in cards)
    assert "0912345001" not in html and "260315" not in html  # never the phone, never the whole number
    every = admin.get(CARDS + "?tat-ca=1").get_data(as_text=True)
    assert every.count('<article class="qr-card cut">') == 4 and "Hồ sơ …0001" in every and "0912345001" not in every
    with app.extensions[DB_KEY].session() as s:
        out = list(s.scalars(select(AuditEntry.new_value).where(AuditEntry.action == "links_out",
                                                                AuditEntry.attribute == "dossier_cards_print")
                             .order_by(AuditEntry.id)))
    assert out == ["In 3 thẻ QR của hồ sơ được chọn để trao tại quầy (hồ sơ đã chọn không có số điện thoại: "
                   "Người dân 2, Tổ chức, doanh nghiệp 1)",
                   "In 4 thẻ QR của hồ sơ được chọn để trao tại quầy (mọi hồ sơ đã chọn: Người dân 3, "
                   "Tổ chức, doanh nghiệp 1)"]


def test_the_page_shows_the_last_draw_with_names_and_keeps_codes_in_the_audit(drawn):
    _draw(drawn, "nguoi_dan", 5)  # completes Xã An Phú, keeps Sở Tư pháp
    admin = _signed_in(drawn, "admin")
    line = re.search(r'<p id="hat-giong">(.*?)</p>', admin.get(PAGE).get_data(as_text=True))[1]
    assert line == ("<strong>Lần chọn mẫu gần nhất:</strong> hạt giống 5; đối tượng Người dân; phân tầng theo lĩnh "
                    "vực: không; 2 hồ sơ được chọn ở 1 đơn vị (5 có số điện thoại): Xã An Phú chọn 2 theo kế hoạch 2 "
                    "trong 2 hồ sơ; giữ nguyên đơn vị đã chọn mẫu trước: Sở Tư pháp")
    assert "đối tượng nguoi_dan" in _audits(drawn, "draw")[-1] and "so_tp" in _audits(drawn, "draw")[-1]


def test_a_closed_campaign_prints_no_counter_cards(drawn):
    with drawn.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, 1), "qt", secret=TEST_SECRET)
    admin = _signed_in(drawn, "admin")
    assert CARDS not in admin.get(PAGE).get_data(as_text=True)
    assert admin.get(CARDS).status_code == 302
    assert flashes(admin, PAGE) == ["Đợt khảo sát “SIPAS 2026” đã kết thúc: không in thẻ QR nữa."]
