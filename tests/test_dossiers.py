"""Respondents drawn from dossiers (issue 29 item 3): the import checked whole, the draw reproducible from its
seed and sized by the plan, stratified by field by largest remainders, personal links with the phones, one
SMS segment, phones deleted at close, audit rows; the admin page and its permissions; migration 0012."""
from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from datetime import date

import openpyxl
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app import migrate
from survey_app.db import Database
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Campaign, Dossier, Invitation, RespondentGroup, Unit
from survey_app.services import dossiers
from survey_app.services.campaigns import create_campaign
from survey_app.services.closing import close_campaign
from survey_app.services.csv_import import CsvProblems, NewUnit
from survey_app.services.invitations import link_of
from survey_app.services.units import add_units, set_targets

from .conftest import BACKENDS, TEST_SECRET, _signed_in
from .test_admin import flashes
from .test_admin_walk import post_file, xlsx
from .test_auth import csrf
from .test_file_encodings import cp1258

HEADER = "Số hồ sơ,Đơn vị,Thủ tục hành chính,Lĩnh vực,Ngày trả kết quả,Điện thoại\n"
UNITS = {"ba_be": "Huyện Ba Bể", "cho_don": "Huyện Chợ Đồn", "ngan_son": "Huyện Ngân Sơn"}


def _campaign(s, name: str = "SIPAS 2026") -> Campaign:
    campaign = create_campaign(s, year=2026, name=name, criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t")
    add_units(s, campaign, [NewUnit(code, unit_name, "huyen", None) for code, unit_name in UNITS.items()], actor="t")
    return campaign


def _group(campaign: Campaign) -> RespondentGroup:
    return next(g for g in campaign.groups if g.code == "nguoi_dan")


def _plan(s, campaign: Campaign, plan: dict[str, int]) -> None:
    units = {u.code: u for u in campaign.units}
    set_targets(s, campaign, [(units[c], _group(campaign), t) for c, t in plan.items()], actor="t")


@pytest.fixture
def sipas(app):
    """The app's database with campaign 1: three districts; plan for Người dân: Ba Bể 5, Chợ Đồn 3."""
    with app.extensions[DB_KEY].transaction() as s:
        campaign = _campaign(s)
        s.flush()
        _plan(s, campaign, {"ba_be": 5, "cho_don": 3})
    return app


def _rows(unit: str, count: int, prefix: str, field: str = "Hộ tịch", phone: bool = True, start: int = 1) -> str:
    """``count`` dossiers ``prefix-001``… of ``unit`` in ``field``, with phones ``09123450NN`` (NN: their number)."""
    return "".join(f"{prefix}-{i:03d},{unit},Cấp giấy khai sinh,{field},15/03/2026,"
                   f"{f'09123450{i:02d}' if phone else ''}\n" for i in range(start, start + count))


def _import(app, data: str | bytes, campaign_id: int = 1) -> list[Dossier]:
    with app.extensions[DB_KEY].transaction() as s:
        made = dossiers.import_dossiers(s, s.get(Campaign, campaign_id), data if isinstance(data, bytes)
                                        else data.encode(), "qt")
        return [(d.number, d.unit_id, d.completed_on, d.phone) for d in made]


def _problems(app, data: str | bytes) -> list[tuple[int, str]]:
    with pytest.raises(CsvProblems) as caught:
        _import(app, data)
    return caught.value.problems


def _count(app, model) -> int:
    with app.extensions[DB_KEY].session() as s:
        return len(s.scalars(select(model)).all())


def _draw(app, seed: int | None, stratify: bool = False, campaign_id: int = 1) -> dossiers.Draw:
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, campaign_id)
        draw = dossiers.draw_sample(s, campaign, _group(campaign), seed, stratify, "qt", TEST_SECRET)
        return draw


def _drawn(app, campaign_id: int = 1) -> dict[str, list[str]]:
    with app.extensions[DB_KEY].session() as s:
        out: dict[str, list[str]] = {}
        for d in s.scalars(select(Dossier).where(Dossier.campaign_id == campaign_id, Dossier.drawn.is_(True))
                           .order_by(Dossier.number)):
            out.setdefault(d.unit.code, []).append(d.number)
        return out


def _audits(app, action: str) -> list[str]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "dossiers",
                                                                 AuditEntry.action == action).order_by(AuditEntry.id)))


# --- import ---------------------------------------------------------------------------------------


def test_a_good_file_is_stored_with_units_by_code_or_name_dates_and_phones_read_and_audited(sipas):
    data = HEADER + ("HS-1,ba_be,Cấp giấy khai sinh,Hộ tịch,15/03/2026,912 345 678\n"
                     "HS-2,huyện chợ  đồn,Đăng ký kết hôn,Hộ tịch,2026-03-16,\n"
                     "HS-3,Huyện Ngân Sơn,Cấp phép xây dựng,Xây dựng,46096,+84 912.345.679\n")
    stored = _import(sipas, data)
    assert stored == [("HS-1", 1, date(2026, 3, 15), "0912345678"),  # Excel's lost leading 0 put back
                      ("HS-2", 2, date(2026, 3, 16), None),
                      ("HS-3", 3, date(2026, 3, 15), "+84912345679")]  # Excel's day 46096 is 15/03/2026
    assert _audits(sipas, "import") == ["3 hồ sơ của 3 đơn vị (2 có số điện thoại)"]


def test_an_excel_file_with_date_cells_and_number_cells_imports():
    book = [["Số hồ sơ", "Đơn vị", "Thủ tục hành chính", "Lĩnh vực", "Ngày trả kết quả", "Điện thoại"],
            [12345, "Huyện Ba Bể", "Cấp giấy khai sinh", "Hộ tịch", date(2026, 3, 15), 912345678]]
    rows = dossiers.parse_file(xlsx(book))
    assert [(r.number, r.unit, r.completed_on, r.phone) for r in rows] == [
        ("12345", "Huyện Ba Bể", date(2026, 3, 15), "0912345678")]


def test_every_bad_row_is_named_by_its_row_and_nothing_is_stored(sipas):
    data = HEADER + ("HS-1,ba_be,Cấp giấy khai sinh,Hộ tịch,15/03/2026,\n"          # row 2: good
                     ",ba_be,Cấp giấy khai sinh,Hộ tịch,15/03/2026,\n"              # row 3: no number
                     "HS-3,ba_be,Cấp giấy khai sinh,Hộ tịch,31/02/2026,\n"          # row 4: no such day
                     "HS-4,ba_be,Cấp giấy khai sinh,Hộ tịch,15/03/2026,12ab\n"      # row 5: not a phone
                     "HS-5,Huyện Bạch Thông,Cấp giấy khai sinh,Hộ tịch,15/03/2026,\n"  # row 6: unknown unit
                     "HS-1,cho_don,Đăng ký kết hôn,Hộ tịch,16/03/2026,\n"           # row 7: row 2's number
                     "HS-7,cho_don,,,15/03/2099,\n")                                # row 8: three problems
    assert _problems(sipas, data) == [
        (3, "thiếu số hồ sơ"),
        (4, "ngày trả kết quả '31/02/2026' không phải ngày (ghi ngày/tháng/năm, ví dụ 15/03/2026)"),
        (5, "số điện thoại '12ab' không hợp lệ"),
        (6, "không có đơn vị mã hay tên 'Huyện Bạch Thông'"),
        (7, "số hồ sơ 'HS-1' trùng với dòng 2"),
        (8, "thiếu thủ tục hành chính"), (8, "thiếu lĩnh vực"), (8, "ngày trả kết quả 15/03/2099 chưa đến")]
    assert _count(sipas, Dossier) == 0 and _audits(sipas, "import") == []


def test_a_number_imported_before_is_refused_and_the_first_file_stays(sipas):
    _import(sipas, HEADER + _rows("ba_be", 2, "HS"))
    assert _problems(sipas, HEADER + _rows("cho_don", 1, "X") + _rows("ba_be", 1, "HS", start=2)) == [
        (3, "số hồ sơ 'HS-002' đã được nhập trước đây")]
    assert _count(sipas, Dossier) == 2


def test_a_file_without_a_column_says_which(sipas):
    problems = _problems(sipas, "Số hồ sơ,Đơn vị,Thủ tục hành chính,Lĩnh vực\nHS-1,ba_be,X,Y\n")
    assert len(problems) == 1 and problems[0][0] == 1 and "thiếu cột 'ngày trả kết quả'" in problems[0][1]


def test_a_windows_1258_file_reads_and_a_garbage_file_is_a_clear_sentence(sipas):
    stored = _import(sipas, cp1258(HEADER + "HS-1,Huyện Chợ Đồn,Đăng ký kết hôn,Hộ tịch,15/03/2026,\n"))
    assert stored == [("HS-1", 2, date(2026, 3, 15), None)]
    problems = _problems(sipas, b"\x00\x01\x02garbage\xff\xfe\x00" * 20)
    assert len(problems) == 1 and "không đọc được tệp văn bản" in problems[0][1] and "Windows-1258" in problems[0][1]


def test_the_template_has_the_headings_and_an_example_row_the_import_refuses(sipas):
    admin = _signed_in(sipas, "admin")
    response = admin.get("/quan-tri/dot/1/ho-so/mau.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Số hồ sơ", "Đơn vị", "Thủ tục hành chính", "Lĩnh vực", "Ngày trả kết quả", "Điện thoại",
                       "Người nộp (công dân/tổ chức)"]
    assert len(rows) == 2 and "xoá dòng này" in rows[1][0] and rows[1][1] == "Huyện Ba Bể"
    assert rows[1][6] == "Công dân"
    assert _problems(sipas, response.data) == [(2, "đây là dòng ví dụ của tệp mẫu: xoá dòng này rồi nhập lại")]


# --- the draw ------------------------------------------------------------------------------------


def test_allocation_by_largest_remainders_worked_by_hand():
    assert dossiers.allocate({"A": 6, "B": 4}, 5) == {"A": 3, "B": 2}  # 3.0 and 2.0
    assert dossiers.allocate({"A": 5, "B": 3, "C": 2}, 4) == {"A": 2, "B": 1, "C": 1}  # 2.0, 1.2, 0.8
    assert dossiers.allocate({"A": 7, "B": 2, "C": 1}, 5) == {"A": 4, "B": 1, "C": 0}  # 3.5, 1.0, 0.5: A's .5 first
    assert dossiers.allocate({"A": 2, "B": 1}, 9) == {"A": 2, "B": 1}  # fewer than the target: all


def test_sizes_are_the_plans_targets_and_a_unit_short_of_dossiers_gives_all_with_a_warning(sipas):
    _import(sipas, HEADER + _rows("ba_be", 20, "BB") + _rows("cho_don", 2, "CD") + _rows("ngan_son", 4, "NS"))
    draw = _draw(sipas, 2026)
    drawn = _drawn(sipas)
    assert {k: len(v) for k, v in drawn.items()} == {"ba_be": 5, "cho_don": 2}  # Ngân Sơn has no target
    assert drawn["cho_don"] == ["CD-001", "CD-002"]
    assert [(u.unit.code, u.dossiers, u.target, u.drawn) for u in draw.units] == [("ba_be", 20, 5, 5),
                                                                                 ("cho_don", 2, 3, 2)]
    assert draw.warnings() == ["Huyện Chợ Đồn: chỉ có 2 hồ sơ, ít hơn kế hoạch 3; đã chọn tất cả."]


def test_the_draw_follows_its_rule_and_is_reproducible_from_its_seed(app):
    """Two campaigns holding the same dossiers: the same seed draws the same ones; another seed others."""
    with app.extensions[DB_KEY].transaction() as s:
        for name in ("SIPAS A", "SIPAS B", "SIPAS C"):
            campaign = _campaign(s, name)
            s.flush()
            _plan(s, campaign, {"ba_be": 5})
    for campaign_id in (1, 2, 3):
        _import(app, HEADER + _rows("ba_be", 20, "BB"), campaign_id)
    _draw(app, 424242, campaign_id=1)
    _draw(app, 424242, campaign_id=2)
    _draw(app, 7, campaign_id=3)
    numbers = [f"BB-{i:03d}" for i in range(1, 21)]
    by_rule = sorted(random.Random("424242-ba_be").sample(numbers, 5))
    assert _drawn(app, 1)["ba_be"] == _drawn(app, 2)["ba_be"] == by_rule
    assert _drawn(app, 3)["ba_be"] != by_rule and len(_drawn(app, 3)["ba_be"]) == 5


def test_a_stratified_draw_takes_each_fields_share(app):
    """10 dossiers, 6 of land (Đất đai), 4 of civil status (Hộ tịch), target 5: 3 and 2."""
    with app.extensions[DB_KEY].transaction() as s:
        campaign = _campaign(s)
        s.flush()
        _plan(s, campaign, {"ba_be": 5})
    _import(app, HEADER + _rows("ba_be", 6, "DD", "Đất đai") + _rows("ba_be", 4, "HT", "Hộ tịch"))
    _draw(app, 11, stratify=True)
    with app.extensions[DB_KEY].session() as s:
        fields = Counter(d.field for d in s.scalars(select(Dossier).where(Dossier.drawn.is_(True))))
    assert fields == {"Đất đai": 3, "Hộ tịch": 2}
    assert "phân tầng theo lĩnh vực: có" in _audits(app, "draw")[0]


def test_each_drawn_dossier_gets_a_personal_link_with_its_phone_and_the_audit_keeps_the_seed(sipas):
    _import(sipas, HEADER + _rows("ba_be", 3, "BB") + _rows("cho_don", 3, "CD", phone=False))
    draw = _draw(sipas, None)  # no seed given: one is made
    assert 100_000 <= draw.seed <= 999_999
    with sipas.extensions[DB_KEY].session() as s:
        drawn = list(s.scalars(select(Dossier).where(Dossier.drawn.is_(True)).order_by(Dossier.number)))
        assert len(drawn) == 6 and _count(sipas, Invitation) == 6
        for d in drawn:
            inv = d.invitation
            assert (inv.kind, inv.group.code, inv.unit_id, inv.phone) == ("personal", "nguoi_dan", d.unit_id, d.phone)
            assert link_of(TEST_SECRET, inv) is not None  # the link can be derived for the SMS
        assert [d.phone for d in drawn[:3]] == ["0912345001", "0912345002", "0912345003"]
        assert [d.phone for d in drawn[3:]] == [None, None, None]
    audit = _audits(sipas, "draw")
    assert len(audit) == 1 and audit[0].startswith(f"hạt giống {draw.seed}; đối tượng nguoi_dan;")
    assert "6 hồ sơ được chọn ở 2 đơn vị" in audit[0] and "(3 có số điện thoại)" in audit[0]
    assert "ba_be 3/5 (có 3); cho_don 3/3 (có 3)" in audit[0]


def test_a_unit_drawn_before_is_kept_and_a_draw_with_nothing_left_is_refused(sipas):
    _import(sipas, HEADER + _rows("ba_be", 8, "BB"))
    _draw(sipas, 1)
    first = _drawn(sipas)
    with pytest.raises(dossiers.DossierError, match="Không chọn được hồ sơ nào"):
        _draw(sipas, 2)
    _import(sipas, HEADER + _rows("cho_don", 4, "CD"))
    draw = _draw(sipas, 2)
    assert draw.already_drawn == ("ba_be",) and _drawn(sipas)["ba_be"] == first["ba_be"]
    assert len(_drawn(sipas)["cho_don"]) == 3


def test_the_sms_is_one_gsm_segment_without_diacritics_ending_with_the_link():
    url = "https://khaosat.sonoivu.backan.gov.vn/s/" + "A" * 30 + "_-"
    text = dossiers.sms_text(url, "Ủy ban nhân dân xã Đồng Tâm, huyện Chợ Đồn", "000.00.12.H56-260315-0001")
    assert len(text) <= 160 and dossiers.is_gsm7(text) and text.endswith(url)
    assert "Uy ban nhan dan xa Dong Tam" in text or "Moi Ong/Ba" in text
    long_unit = "Trung tâm Phục vụ hành chính công tỉnh " * 3
    fallback = dossiers.sms_text(url, long_unit, "X")
    assert fallback == f"Moi Ong/Ba danh gia su hai long ve giai quyet thu tuc hanh chinh: {url}"
    assert not dossiers.is_gsm7("Sở") and dossiers.plain("Sở Đồng") == "So Dong"


# --- close ---------------------------------------------------------------------------------------


def test_phones_are_deleted_at_close_from_dossiers_and_their_invitations_and_the_audit_says_so(sipas):
    _import(sipas, HEADER + _rows("ba_be", 6, "BB") + _rows("ngan_son", 2, "NS"))
    _draw(sipas, 5)
    with sipas.extensions[DB_KEY].transaction() as s:  # a link issued otherwise keeps its phone
        s.add(Invitation(campaign_id=1, group_id=_group(s.get(Campaign, 1)).id, kind="personal", token_hash="x",
                         phone="0987654321"))
    with sipas.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, 1), "qt", secret=TEST_SECRET)
    with sipas.extensions[DB_KEY].session() as s:
        assert s.scalars(select(Dossier.phone)).all() == [None] * 8
        assert s.scalars(select(Invitation.phone).order_by(Invitation.id)).all() == [None] * 5 + ["0987654321"]
    assert _audits(sipas, "update") == ["kết thúc đợt: xoá số điện thoại của 8 hồ sơ và 5 đường link mời từ hồ sơ "
                                        "(Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân)"]
    with pytest.raises(dossiers.DossierError, match="đã kết thúc"):
        _import(sipas, HEADER + _rows("cho_don", 1, "CD"))


def test_closing_a_campaign_without_dossiers_writes_no_dossier_audit(sipas):
    with sipas.extensions[DB_KEY].transaction() as s:
        close_campaign(s, s.get(Campaign, 1), "qt", secret=TEST_SECRET)
    assert _audits(sipas, "update") == []


# --- the page ------------------------------------------------------------------------------------


def test_the_campaign_page_links_to_the_dossier_page_which_shows_counts_and_forms(sipas):
    admin = _signed_in(sipas, "admin")
    assert 'href="/quan-tri/dot/1/ho-so"' in admin.get("/quan-tri/dot/1").get_data(as_text=True)
    post_file(admin, "/quan-tri/dot/1/ho-so/nhap", (HEADER + _rows("ba_be", 7, "BB")).encode(), "ho-so.csv")
    assert flashes(admin, "/quan-tri/dot/1/ho-so") == ["Đã nhập 7 hồ sơ (7 có số điện thoại)."]
    page = admin.get("/quan-tri/dot/1/ho-so")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="file"' in html and 'name="hat_giong"' in html and 'name="phan_tang"' in html
    assert '<option value="nguoi_dan">' in html
    cells = re.findall(r"<tr><th scope=\"row\">([^<]+) <code>\w+</code></th>((?:<td[^>]*>[^<]*</td>)+)", html)
    table = {name.strip(): re.findall(r">([^<]*)</td>", tds) for name, tds in cells}
    # dossiers, of which organisations' (the set's Doanh nghiệp draws from them), drawn, plan of Người dân
    assert table == {"Huyện Ba Bể": ["7", "0", "0", "5"], "Huyện Chợ Đồn": ["0", "0", "0", "3"]}


def test_the_admin_draws_on_the_page_sees_the_seed_and_downloads_the_links_for_sms(sipas):
    admin = _signed_in(sipas, "admin")
    post_file(admin, "/quan-tri/dot/1/ho-so/nhap", (HEADER + _rows("ba_be", 7, "BB")).encode(), "ho-so.csv")
    token = csrf(admin.get("/quan-tri/dot/1/ho-so").get_data(as_text=True))
    done = admin.post("/quan-tri/dot/1/ho-so/chon-mau", data={"csrf_token": token, "doi_tuong": "nguoi_dan",
                                                               "hat_giong": "31337", "phan_tang": "y"})
    assert done.status_code == 302
    shown = flashes(admin, "/quan-tri/dot/1/ho-so")
    assert shown[0].startswith("Đã chọn 5 hồ sơ ở 1 đơn vị cho Người dân") and "Hạt giống: 31337" in shown[0]
    line = re.search(r'<p id="hat-giong">(.*?)</p>', admin.get("/quan-tri/dot/1/ho-so").get_data(as_text=True))[1]
    assert line == ("<strong>Lần chọn mẫu gần nhất:</strong> hạt giống 31337; đối tượng Người dân; phân tầng theo "
                    "lĩnh vực: có; 5 hồ sơ được chọn ở 1 đơn vị (5 có số điện thoại): Huyện Ba Bể chọn 5 theo kế "
                    "hoạch 5 trong 7 hồ sơ, Huyện Chợ Đồn chọn 0 theo kế hoạch 3 trong 0 hồ sơ")
    assert _audits(sipas, "draw")[0].startswith("hạt giống 31337; đối tượng nguoi_dan;")  # the audit keeps codes
    download = admin.get("/quan-tri/dot/1/ho-so/da-chon.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Số hồ sơ", "Đơn vị", "Thủ tục hành chính", "Lĩnh vực", "Điện thoại", "Đường link",
                       "Tin nhắn SMS"]
    assert len(rows) == 6 and [r[0] for r in rows[1:]] == _drawn(sipas)["ba_be"]
    for row in rows[1:]:
        assert row[5].startswith("http://localhost/s/") and row[6].endswith(row[5]) and len(row[6]) <= 160
        assert row[4].startswith("091234500")
    with sipas.extensions[DB_KEY].session() as s:
        out = s.scalar(select(AuditEntry).where(AuditEntry.action == "links_out"))
        assert out.attribute == "dossiers_sms_csv" and "5 đường link cá nhân" in out.new_value


def test_a_bad_seed_and_a_bad_file_on_the_page_store_nothing(sipas):
    admin = _signed_in(sipas, "admin")
    post_file(admin, "/quan-tri/dot/1/ho-so/nhap", (HEADER + ",ba_be,X,Y,15/03/2026,\n").encode(), "ho-so.csv")
    assert flashes(admin, "/quan-tri/dot/1/ho-so") == ["Nhập hồ sơ: không nhập gì vì tệp có 1 lỗi.",
                                                       "Dòng 2: thiếu số hồ sơ"]
    token = csrf(admin.get("/quan-tri/dot/1/ho-so").get_data(as_text=True))
    admin.post("/quan-tri/dot/1/ho-so/chon-mau", data={"csrf_token": token, "doi_tuong": "nguoi_dan",
                                                       "hat_giong": "12ab"})
    assert flashes(admin, "/quan-tri/dot/1/ho-so") == ["Phải là một số nguyên không âm."]
    assert _count(sipas, Dossier) == 0 and _audits(sipas, "draw") == []


def test_an_analyst_reads_the_page_but_writes_nothing(sipas):
    _import(sipas, HEADER + _rows("ba_be", 6, "BB"))
    analyst = _signed_in(sipas, "analyst")
    page = analyst.get("/quan-tri/dot/1/ho-so")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Huyện Ba Bể" in html
    assert 'name="file"' not in html and 'name="hat_giong"' not in html and "da-chon.csv" not in html
    token = csrf(analyst.get("/dang-nhap").get_data(as_text=True))
    assert post_file(analyst, "/quan-tri/dot/1/ho-so/nhap", (HEADER + _rows("cho_don", 1, "CD")).encode(),
                     "x.csv").status_code == 403
    assert analyst.post("/quan-tri/dot/1/ho-so/chon-mau", data={"csrf_token": token, "doi_tuong": "nguoi_dan",
                                                                "hat_giong": "1"}).status_code == 403
    assert analyst.get("/quan-tri/dot/1/ho-so/da-chon.csv").status_code == 403
    assert _count(sipas, Dossier) == 6 and _count(sipas, Invitation) == 0


# --- migration 0012 ------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    yield db
    db.dispose()


INSERT = ("INSERT INTO dossiers (campaign_id, unit_id, number, procedure, field, completed_on, phone, drawn, "
          "invitation_id) VALUES ")


def test_migration_0012_creates_the_table_with_its_checks_and_goes_back(database):
    migrate.upgrade(database, "0011")
    assert "dossiers" not in inspect(database.engine).get_table_names()
    migrate.upgrade(database, "0012")
    assert migrate.current_revision(database) == "0012"
    with database.transaction() as s:
        s.execute(text("INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, "
                       "criteria_files, created_at) VALUES (1, 2026, 'c', 'draft', 'x', 'd', '{}', '2026-01-01')"))
        s.execute(text("INSERT INTO respondent_groups (id, campaign_id, code, name, reached_by) "
                       "VALUES (1, 1, 'nguoi_dan', 'Người dân', 'link')"))
        s.execute(text("INSERT INTO units (id, campaign_id, code, name, level) VALUES (1, 1, 'a', 'A', 'huyen')"))
        s.execute(text("INSERT INTO invitations (id, campaign_id, group_id, unit_id, kind, token_hash, created_at, "
                       "revoked) VALUES (1, 1, 1, 1, 'personal', 'h', '2026-01-01', false)"))
        s.execute(text(INSERT + "(1, 1, 'HS-1', 'p', 'f', '2026-03-15', '0912345678', true, 1)"))
        s.execute(text("INSERT INTO dossiers (campaign_id, unit_id, number, procedure, field, completed_on) "
                       "VALUES (1, 1, 'HS-2', 'p', 'f', '2026-03-15')"))  # drawn defaults to false
    for values in ("(1, 1, 'HS-1', 'p', 'f', '2026-03-15', NULL, false, NULL)",  # the same number twice
                   "(1, 1, 'HS-3', 'p', 'f', '2026-03-15', NULL, false, 1)",  # an invitation but not drawn
                   "(1, 1, 'HS-4', 'p', 'f', '2026-03-15', NULL, true, 99)"):  # no such invitation
        with pytest.raises(IntegrityError):
            with database.transaction() as s:
                s.execute(text(INSERT + values))
    with database.session() as s:
        assert s.execute(text("SELECT number, drawn FROM dossiers ORDER BY number")).all() == [("HS-1", True),
                                                                                                ("HS-2", False)]
    assert [loss.table for loss in migrate.data_lost_by_downgrade(database, "0011")] == ["dossiers"]
    with database.transaction() as s:
        s.execute(text("DELETE FROM dossiers"))
    migrate.downgrade(database, "0011")
    assert "dossiers" not in inspect(database.engine).get_table_names()
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision() == "0016"


def test_the_model_and_the_unit_relation(sipas):
    _import(sipas, HEADER + _rows("ngan_son", 1, "NS"))
    with sipas.extensions[DB_KEY].session() as s:
        d = s.scalar(select(Dossier))
        assert (d.unit.code, d.drawn, d.invitation, s.get(Unit, d.unit_id).name) == ("ngan_son", False, None,
                                                                                     "Huyện Ngân Sơn")
