"""Issue 30 item 1: three staff accounts in one page and one POST (a table or a pasted block, all or nothing),
passwords generated and shown once on slips to print; the single-user form preselects no role and asks
for a confirmation before making an administrator."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, User
from survey_app.services.users import PASSWORD_ALPHABET, unit_codes_of

from .test_auth import PASSWORD, csrf, login

BULK = "/quan-tri/nguoi-dung/them-nhieu"
SLIPS = "/quan-tri/nguoi-dung/them-nhieu/phieu"
USERS = "/quan-tri/nguoi-dung"
THREE = [("Nguyễn Văn An", "nl.an", "ba_be"), ("Lò Thị Bình", "nl.binh", "na_ri"),
         ("Hà Văn Cường", "nl.cuong", "cho_don")]
# Four groups of four from the 27 unambiguous characters, joined by "-".
GENERATED = re.compile(rf"\b[{PASSWORD_ALPHABET}]{{4}}(?:-[{PASSWORD_ALPHABET}]{{4}}){{3}}\b")


@pytest.fixture
def office(demo_app):
    """An admin ``qt`` signed in on the demo province (which has four accounts of its own)."""
    from survey_app.services.users import create_user

    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    client = demo_app.test_client()
    assert login(client, "qt").status_code == 302
    return client


def table(rows, action="create", pasted=""):
    data = {"action": action, "pasted": pasted}
    for i, (name, username, unit) in enumerate(rows):
        data |= {f"rows-{i}-full_name": name, f"rows-{i}-username": username, f"rows-{i}-unit": unit,
                 f"rows-{i}-role": "staff"}
    return data


def post(client, url, data):
    data["csrf_token"] = csrf(client.get(url).get_data(as_text=True))
    return client.post(url, data=data)


def accounts(app) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(User))


def test_the_users_page_links_to_the_table(office):
    page = office.get(USERS).get_data(as_text=True)
    assert f'href="{BULK}"' in page and "Thêm nhiều tài khoản" in page
    form = office.get(BULK).get_data(as_text=True)
    assert form.count('name="rows-') == 5 * 4, "five empty rows of four cells"
    assert "rows-4-full_name" in form and "rows-5-full_name" not in form
    assert '<option value="staff" selected>' in form, "the role starts at staff (nhập liệu)"
    assert ">Huyện Chợ Đồn</option>" in form, "units by name"


def test_three_staff_in_one_post_with_passwords_shown_once(office, demo_app):
    before = accounts(demo_app)
    answer = post(office, BULK, table(THREE))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    passwords = GENERATED.findall(page)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    assert page.count('class="slip"') == 3 and "/dang-nhap" in page and "data-print" in page
    assert accounts(demo_app) == before + 3
    with demo_app.extensions[DB_KEY].session() as s:
        made = {u.username: u for u in s.scalars(select(User).where(User.username.like("nl.%")))}
        assert {name: (u.role, u.full_name, unit_codes_of(u)) for name, u in made.items()} == {
            "nl.an": ("staff", "Nguyễn Văn An", ["ba_be"]), "nl.binh": ("staff", "Lò Thị Bình", ["na_ri"]),
            "nl.cuong": ("staff", "Hà Văn Cường", ["cho_don"])}
        audit = [(e.action, e.new_value) for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "user"))]
        assert ("create", "nl.an (staff)") in audit and ("create", "nl.cuong (staff)") in audit
        everything = " ".join(str(v) for row in s.execute(select(AuditEntry)).all() for v in row[0].__dict__.values())
        assert not any(p in everything for p in passwords), "no password in the audit log"
        assert not any(p in u.password_hash for u in made.values() for p in passwords)
    for (_, username, _), password in zip(THREE, passwords):
        assert login(demo_app.test_client(), username, password).status_code == 302, "the slip's password works"
    again = office.get(SLIPS).get_data(as_text=True)
    assert "nl.an" in again and "nl.cuong" in again, "the slips page still lists the accounts"
    assert not GENERATED.search(again) and not any(p in again for p in passwords), "but never the passwords"
    assert "đã hiện một lần" in again


def test_a_pasted_block_creates_the_same_three(office, demo_app):
    before = accounts(demo_app)
    block = ("Nguyễn Văn An; nl.an; Huyện Ba Bể\n\nLò Thị Bình\tnl.binh\tHuyện Na Rì\n"
             "Hà Văn Cường; nl.cuong; huyen cho don\n")
    answer = post(office, BULK, table([], pasted=block))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    assert len(GENERATED.findall(answer.get_data(as_text=True))) == 3
    assert accounts(demo_app) == before + 3


def test_a_duplicate_username_refuses_the_whole_table(office, demo_app):
    before = accounts(demo_app)
    rows = [THREE[0], ("Lò Thị Bình", "NL.AN", "na_ri"), ("Hà Văn Cường", "nhaplieu1", "cho_don"),
            ("Ma Văn Dũng", "nl.dung", "")]
    answer = post(office, BULK, table(rows, pasted="Hoàng Thị Én; nl.en; Chợ Đồn"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Chưa tạo tài khoản nào" in page
    assert "Dòng 2: tên đăng nhập &#39;nl.an&#39; trùng với dòng 1" in page
    assert "Dòng 3: tên đăng nhập &#39;nhaplieu1&#39; đã có tài khoản" in page, "the demo's own staff account"
    assert "Dòng 4: nhân viên nhập liệu phải được giao một đơn vị" in page
    assert "Dòng 5: &#39;Chợ Đồn&#39; là tên của nhiều đơn vị (Huyện Chợ Đồn, Xã Chợ Đồn)" in page
    assert "Dòng 1:" not in page, "the first row is right"
    assert 'value="Ma Văn Dũng"' in page, "what was typed is kept"
    assert accounts(demo_app) == before and not GENERATED.search(page)
    with demo_app.extensions[DB_KEY].session() as s:
        assert not s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.new_value.like("nl.%")))


def test_more_rows_keep_what_was_typed(office):
    page = post(office, BULK, table(THREE[:2], action="more", pasted="Hà Văn Cường; nl.cuong; Xã Chợ Đồn")
                ).get_data(as_text=True)
    assert "rows-7-full_name" in page and "rows-8-full_name" not in page, "3 rows and 5 more"
    assert 'value="nl.binh"' in page and 'value="nl.cuong"' in page
    assert '<option value="xa_cho_don" selected>' in page, "the pasted unit found by its full name"


def test_the_single_form_preselects_no_role(office, demo_app):
    page = office.get(USERS).get_data(as_text=True)
    select_html = re.search(r'<select id="role".*?</select>', page, re.S).group(0)
    assert select_html.startswith('<select id="role" name="role"><option value="">— chọn vai trò —</option>')
    assert " selected" not in select_html
    before = accounts(demo_app)
    fields = {"username": "pt.moi", "full_name": "Phân Tích", "password": PASSWORD, "password2": PASSWORD}
    unchosen = post(office, USERS, dict(fields, role=""))
    assert unchosen.status_code == 400 and 'id="role-error">Xin chọn vai trò' in unchosen.get_data(as_text=True)
    admin = post(office, USERS, dict(fields, role="admin"))
    assert admin.status_code == 400 and 'id="confirm-admin-error"' in admin.get_data(as_text=True)
    assert accounts(demo_app) == before
    confirmed = post(office, USERS, dict(fields, role="admin", confirm_admin="y"))
    assert confirmed.status_code == 302 and accounts(demo_app) == before + 1
    with demo_app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(User.role).where(User.username == "pt.moi")) == "admin"


def test_a_local_name_is_refused_as_a_password_on_the_form(office, demo_app):
    fields = {"username": "nl.cd", "role": "staff", "units": "cho_don", "password": "chodon123456",
              "password2": "chodon123456"}
    answer = post(office, USERS, fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "tên một đơn vị trong tỉnh" in page
    assert "chodon123456" not in page, "the error does not repeat the password"


@pytest.mark.browser
def test_three_accounts_by_clicking_at_1280_pass_axe(browser, live_server, demo_app, artifacts):
    """From the campaigns list: Người dùng -> Thêm nhiều tài khoản -> three rows -> create -> print. The
    interactions are counted (clicks, choices in a list and typed fields); axe checks every new page."""
    from survey_app.services.users import create_user

    from .a11y import violations

    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("qt")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    found: dict[str, list[str]] = {}
    count = 0

    def look(name):
        found[name] = violations(page)
        page.screenshot(path=str(artifacts / f"accounts-bulk-{name}.png"), full_page=True)

    page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Người dùng").click()
    count += 1
    look("users")
    page.get_by_label("Vai trò").select_option("admin")  # not counted: the refusal's page checked too
    page.get_by_role("button", name="Tạo tài khoản").click()
    assert page.locator("#confirm-admin-error").is_visible() and page.locator("#role-error").count() == 0
    look("users-refused")
    page.get_by_role("link", name="Thêm nhiều tài khoản").click()
    count += 1
    look("table")
    page.get_by_label("Tên đăng nhập, dòng 1").fill("nl.an")  # first an error: the same name twice
    page.get_by_label("Tên đăng nhập, dòng 2").fill("nl.an")
    page.get_by_role("button", name="Tạo tài khoản và in phiếu").click()
    look("refused")
    assert "Dòng 2: tên đăng nhập 'nl.an' trùng với dòng 1" in page.content().replace("&#39;", "'")
    page.goto(live_server + BULK)  # back to an empty table (not counted)
    for n, (name, username, unit) in enumerate(THREE, start=1):
        page.get_by_label(f"Họ tên, dòng {n}").fill(name)
        page.get_by_label(f"Tên đăng nhập, dòng {n}").fill(username)
        page.get_by_label(f"Đơn vị, dòng {n}").select_option(unit)
        count += 3
    page.get_by_role("button", name="Tạo tài khoản và in phiếu").click()
    count += 1
    look("slips")
    assert len(GENERATED.findall(page.content())) == 3
    page.get_by_role("button", name="In").click()  # the browser's print dialog (none when headless)
    count += 1
    page.goto(live_server + SLIPS)
    look("slips-again")
    assert not GENERATED.search(page.content())
    context.close()
    print(f"three staff accounts: {count} interactions (clicks, choices and typed fields)")
    assert count == 2 + 3 * 3 + 1 + 1 == 13
    assert not any(found.values()), found


def test_a_tampered_role_is_refused_in_words(office, demo_app):
    before = accounts(demo_app)
    fields = {"username": "pt.moi", "password": PASSWORD, "password2": PASSWORD, "role": "root"}
    page = post(office, USERS, fields).get_data(as_text=True)
    assert "Vai trò này không có trong danh sách." in page and "Not a valid" not in page
    bulk = post(office, BULK, dict(table(THREE[:1]), **{"rows-0-role": "admin"}))
    assert bulk.status_code == 400 and "Dòng 1: vai trò phải là nhân viên nhập liệu hay phân tích" in \
        bulk.get_data(as_text=True)
    assert accounts(demo_app) == before
