"""The attacks of issue 13, each performed and each failing, on SQLite and PostgreSQL.

Trust in the result rests on two promises: a respondent cannot be identified (civil servants
rate their own leaders), and no ranked unit can add ballots for itself unseen. Each test
below is an outsider's attempt on one of them: a curious admin with every download, a copy of
the database, district staff with an API token or the keying screen, a serial from another
campaign. docs/threat-model.md says what each protection defends and what it cannot.
"""
from __future__ import annotations

import io
import logging
import re
import shutil

import openpyxl
import pytest
from sqlalchemy import func, inspect, select, text

from survey_app import migrate
from survey_app.demo import build_demo
from survey_app.extensions import DB_KEY
from survey_app.models import (
    AuditEntry,
    Ballot,
    Campaign,
    Draft,
    Invitation,
    PaperEntry,
    PaperSerial,
    RespondentGroup,
    Unit,
)
from survey_app.services import serials as serials_service
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.users import create_api_token, create_user

from .conftest import BACKENDS, CURRENT, LAST, make_app
from .test_auth import PASSWORD, csrf, login
from .test_form import fill
from .test_respond import invite

SECRET = "adversary-secret"
TOKEN = "tok-adversary-00000000000000000"


def _new_database(request, folder, name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / name}"
    return request.getfixturevalue("pg_cluster").create_database()


def _clone(request, url: str, folder, name: str) -> str:
    if url.startswith("sqlite"):
        shutil.copy(url.removeprefix("sqlite:///"), folder / name)
        return f"sqlite:///{folder / name}"
    return request.getfixturevalue("pg_cluster").clone_database(url)


TOKENS: dict[str, str] = {}  # API tokens by user name, made once with the province


@pytest.fixture(scope="module", params=BACKENDS)
def province(request, tmp_path_factory):
    """The demo province on each database, with an admin, an analyst, staff of Ba Bể and of Na Rì
    (each with an API token), and one citizen's link of the collecting campaign: a URL to clone."""
    folder = tmp_path_factory.mktemp(f"adversary-{request.param}")
    url = _new_database(request, folder, "base.sqlite")
    app = make_app(url, folder / "instance", SECRET_KEY=SECRET)
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, secret=SECRET, seed=5)
        people = [("qt", "admin", ()), ("qt2", "admin", ()), ("pt", "analyst", ()), ("bb1", "staff", ("ba_be",)),
                  ("bb2", "staff", ("ba_be",)), ("nr1", "staff", ("na_ri",))]
        for name, role, units in people:
            user = create_user(s, name, PASSWORD, role, unit_codes=units, actor="t")
            s.flush()
            TOKENS[name] = create_api_token(s, user, "t", actor="t")
    invite(app, "nguoi_dan", "ba_be", TOKEN)
    database.dispose()
    yield request, folder, url
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster").drop_database(url)


@pytest.fixture
def world(province, tmp_path):
    """A private copy of the province, as an app."""
    request, _folder, url = province
    copy = _clone(request, url, tmp_path, "world.sqlite")
    app = make_app(copy, tmp_path / "instance", SECRET_KEY=SECRET)
    yield app
    app.extensions[DB_KEY].dispose()
    if not copy.startswith("sqlite"):
        request.getfixturevalue("pg_cluster").drop_database(copy)


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def answer_and_send(app, option_index: int) -> None:
    """The citizen of TOKEN answers every question with the option at ``option_index`` and sends."""
    client = app.test_client()
    client.get(f"/s/{TOKEN}")
    assert fill(client, TOKEN, 1, pick=lambda options: options[option_index]).status_code == 302
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn" in sent.get_data(as_text=True)


# --- 1. an admin's downloads name no respondent ------------------------------------------------

EXPORTS = ("diem-dieu-tra", "nhan-xet", "phuong-an", "ket-qua", "do-tin-cay", "phieu-dai", "phieu-rong")
FORMATS = ("csv", "json", "xlsx", "sav", "dta")


def everything_fetchable(app) -> list[str]:
    """Every GET an admin or analyst can make about the collecting campaign: pages, downloads, API."""
    with app.extensions[DB_KEY].session() as s:
        invitation = s.scalar(select(Invitation.id).where(Invitation.campaign_id == CURRENT).order_by(Invitation.id))
        conflict = s.scalar(select(PaperSerial.serial).where(PaperSerial.campaign_id == CURRENT,
                                                             PaperSerial.status == "conflict"))
        first, last = s.execute(select(func.min(PaperSerial.serial), func.max(PaperSerial.serial))
                                .where(PaperSerial.campaign_id == CURRENT)).one()
    values = {"campaign_id": str(CURRENT), "level": "huyen", "group": "nguoi_dan", "invitation_id": str(invitation),
              "serial": conflict, "kind": "appraisal", "name": "nhiet-huyen", "user_id": "1"}
    query = {"admin.cards": "?don_vi=ba_be&doi_tuong=nguoi_dan", "admin.print_sheet": f"?tu={first}&den={last}",
             "admin.dashboard": "?cap=huyen", "admin.review": "?kenh=web"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith(("admin.", "reports.", "api.")):
            continue
        if rule.endpoint == "reports.export":
            urls += [f"/bao-cao/{CURRENT}/xuat/{slug}.{fmt}" for slug in EXPORTS for fmt in FORMATS]
        elif rule.endpoint == "admin.qr_image":
            urls += [f"/quan-tri/loi-moi/{invitation}/qr.{fmt}" for fmt in ("png", "svg")]
        elif rule.endpoint in ("admin.export_invitations", "admin.export_reminders"):
            urls += [re.sub(r"<(?:\w+:)?(\w+)>", lambda m, f=fmt: {**values, "fmt": f}[m.group(1)], rule.rule)
                     for fmt in ("csv", "xlsx")]
        elif rule.endpoint == "admin.import_template":
            urls += [f"/quan-tri/dot/{CURRENT}/mau/{kind}.{fmt}" for kind in ("don-vi", "ke-hoach", "danh-sach-moi")
                     for fmt in ("csv", "xlsx")]
        else:
            urls.append(
                re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule) + query.get(rule.endpoint, "")
            )
    return urls


def fetch_all(app) -> dict[tuple[str, str], object]:
    """What each reader gets from every URL, with what legitimately differs between two copies removed."""
    seen = {}
    for role, username in (("admin", "qt"), ("analyst", "pt")):
        client = signed_in(app, username)
        for url in everything_fetchable(app):
            headers = {"Authorization": f"Bearer {TOKENS[username]}"} if url.startswith("/api/") else {}
            response = client.get(url, headers=headers)
            body = response.data
            if response.mimetype.endswith("spreadsheetml.sheet"):
                book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
                body = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
            elif response.mimetype == "text/html":
                body = re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', "", response.get_data(as_text=True))
                # the audit log's times: each copy's own downloads of links are audited, a second apart
                body = re.sub(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", "", body)
            seen[(role, url)] = (response.status_code, body)
    return seen


def _analyze(url: str) -> None:
    """Gather the planner's statistics of the database at ``url``: an order a page leaves to the plan
    (a GROUP BY without ORDER BY) then changes, as it does on PostgreSQL when autovacuum analyzes."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def _first_difference(key, one, other) -> str:
    """Where two answers to the same GET part, for the failure message."""
    a, b = (repr(x) for x in (one, other))
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{key}: …{a[max(0, at - 150):at + 150]}… ≠ …{b[max(0, at - 150):at + 150]}…"


def test_nothing_an_admin_or_analyst_can_fetch_depends_on_the_answers_while_collecting(province, tmp_path):
    """Two copies of the province; in one the citizen answers every question "Tốt", in the other
    "Kém". Every page, download (CSV, XLSX, JSON, SPSS, Stata, charts) and API answer an admin or
    an analyst can fetch is the same in both: no figure, ballot or export reveals what was said."""
    request, _folder, url = province
    results = []
    for n, option in enumerate((0, 3)):
        if n == 1:
            _analyze(url)  # the planner's statistics change between the copies, as autovacuum may do
        copy = _clone(request, url, tmp_path, f"w{n}.sqlite")
        app = make_app(copy, tmp_path / f"instance{n}", SECRET_KEY=SECRET)
        answer_and_send(app, option)
        results.append(fetch_all(app))
        app.extensions[DB_KEY].dispose()
        if not copy.startswith("sqlite"):
            request.getfixturevalue("pg_cluster").drop_database(copy)
    assert len(results[0]) > 60
    different = sorted(key for key in results[0] if results[0][key] != results[1].get(key))
    assert different == [], "\n".join(_first_difference(key, results[0][key], results[1].get(key))
                                      for key in different)
    statuses = {key: value[0] for key, value in results[0].items()}
    assert statuses[("analyst", f"/bao-cao/{CURRENT}/xuat/phieu-dai.csv")] == 409, "raw ballots are sealed"
    assert statuses[("analyst", f"/api/v1/campaigns/{CURRENT}/points")] == 409
    assert all(code < 500 for code in statuses.values())


def test_a_new_web_ballot_appears_nowhere_but_in_the_counts(world):
    """Before and after one submission: the ballot's id is in no page, download or API answer."""
    answer_and_send(world, 0)
    with world.extensions[DB_KEY].session() as s:
        newest = s.scalars(select(Ballot.id).where(Ballot.campaign_id == CURRENT, Ballot.channel == "web")).all()
    for (_role, url), (_status, body) in fetch_all(world).items():
        text_body = body if isinstance(body, str) else repr(body)
        assert not any(str(ballot_id) in text_body for ballot_id in newest), url


def test_the_sealed_box_opens_only_when_the_campaign_is_closed(world):
    admin = signed_in(world, "qt")
    sealed = admin.get(f"/bao-cao/{CURRENT}/ket-qua")
    assert sealed.status_code == 409 and "Kết quả đang được niêm phong" in sealed.get_data(as_text=True)
    review = admin.get(f"/quan-tri/dot/{CURRENT}/duyet").get_data(as_text=True)
    assert "Trực tuyến" not in review.split("<tbody>", 1)[1] and "Giấy" in review, "only keyed ballots"
    page = admin.get(f"/quan-tri/dot/{CURRENT}/ket-thuc").get_data(as_text=True)
    admin.post(f"/quan-tri/dot/{CURRENT}/ket-thuc", data={"csrf_token": csrf(page), "confirm": "yes"})
    assert admin.get(f"/bao-cao/{CURRENT}/ket-qua").status_code == 200
    assert "Trực tuyến" in admin.get(f"/quan-tri/dot/{CURRENT}/duyet").get_data(as_text=True)
    with world.extensions[DB_KEY].session() as s:
        left = s.scalar(select(func.count()).select_from(Draft).join(Invitation)
                        .where(Invitation.campaign_id == CURRENT))
    assert left == 0, "closing deleted the unfinished drafts"


# --- 2. a copy of the database links no ballot to a person -------------------------------------

def test_a_draft_in_a_backup_finds_no_ballot(province, world, tmp_path):
    """A citizen answers the page (the draft is saved), a backup is taken, the citizen sends.
    Without the secret key, nothing in the backup's draft matches anything in the ballot."""
    request, _folder, _url = province
    client = world.test_client()
    client.get(f"/s/{TOKEN}")
    fill(client, TOKEN, 1, pick=lambda options: options[1])
    database = world.extensions[DB_KEY]
    with database.session() as s:
        invitation = s.scalar(select(Invitation.id).where(Invitation.token_hash.like("%"))
                              .where(Invitation.name == "Nguyễn Văn A"))
        backup = s.execute(text("SELECT * FROM drafts WHERE invitation_id = :i"), {"i": invitation}).mappings().one()
    assert backup["client_id"] is None and backup["data"] is None, "nothing in plaintext"
    sealed = bytes(backup["sealed"])
    assert not re.search(rb"kha|tot|kem|H\d\d", sealed), "no option code or question id in the sealed bytes"
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert client_id.encode() not in sealed
    with database.session() as s:
        ballot = s.execute(text("SELECT * FROM ballots WHERE client_id = :c"), {"c": client_id}).mappings().one()
        assert set(ballot) == {"id", "campaign_id", "client_id", "group_id", "channel", "state", "state_reason",
                               "paper_serial", "duration_seconds"}
        assert all(str(v) not in (str(invitation), str(sealed)) for v in ballot.values() if v is not None)
        assert s.get(Draft, invitation) is None
        columns = {c["name"] for c in inspect(database.engine).get_columns("ballots")}
        assert not {"payload_digest", "submitted_on", "respondent_unit_id"} & columns


def test_no_hidden_row_order(world):
    """Thirty ballots sent one after another: on SQLite no rowid exists and rows lie in the order of
    their random keys; on both databases no column, sequence or default records arrival."""
    token = TOKENS["qt"]
    with world.extensions[DB_KEY].session() as s:
        questions = campaign_criteria(s.get(Campaign, CURRENT)).questionnaire("huyen", "nguoi_dan").question_ids
    client = world.test_client()
    sent = []
    for i in range(30):
        body = {"ballot_id": f"order-{i}", "group": "nguoi_dan",
                "units": [{"unit": "ba_be", "answers": {q: "tot" for q in questions}}]}
        response = client.post(f"/api/v1/campaigns/{CURRENT}/ballots", json=body,
                               headers={"Authorization": f"Bearer {token}"})
        sent.append(int(response.get_json()["ballot"]))
    database = world.extensions[DB_KEY]
    with database.engine.connect() as conn:
        if database.is_sqlite:
            for table in ("ballots", "answers"):
                with pytest.raises(Exception, match="no such column"):
                    conn.exec_driver_sql(f"SELECT rowid FROM {table}")
            stored = [i for i in conn.exec_driver_sql("SELECT id FROM ballots").scalars() if i in set(sent)]
            assert stored == sorted(sent) != sent, "rows lie in key order, not in arrival order"
        else:
            assert conn.execute(text("SELECT pg_get_serial_sequence('ballots', 'id')")).scalar() is None
            defaults = conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_name IN "
                                         "('ballots', 'answers') AND column_default IS NOT NULL")).scalars().all()
            assert defaults == []
    for table in ("ballots", "answers"):
        kinds = {str(c["type"]).upper() for c in inspect(database.engine).get_columns(table)}
        assert not any(k.startswith(("DATE", "TIME")) for k in kinds), table


# --- 3. staff cannot add ballots for their own district unseen ---------------------------------

def api(app, username: str):
    token = TOKENS[username]
    client = app.test_client()
    return lambda body, campaign=CURRENT: client.post(f"/api/v1/campaigns/{campaign}/ballots", json=body,
                                                      headers={"Authorization": f"Bearer {token}"})


def citizen(app, ballot_id: str, unit: str = "ba_be", serial: str | None = None, option: str = "tot") -> dict:
    with app.extensions[DB_KEY].session() as s:
        questions = campaign_criteria(s.get(Campaign, CURRENT)).questionnaire("huyen", "nguoi_dan").question_ids
    body = {
        "ballot_id": ballot_id,
        "group": "nguoi_dan",
        "units": [{"unit": unit, "answers": {q: option for q in questions}}],
    }
    return body if serial is None else {**body, "serial": serial}


def printed(app, unit: str, count: int, campaign_id: int = CURRENT) -> list[str]:
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, campaign_id)
        u = s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit))
        g = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                   RespondentGroup.code == "nguoi_dan"))
        return [x.serial for x in serials_service.reserve_serials(s, campaign, u, g, count, "qt")]


def count_ballots(app) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == CURRENT))


def test_staff_cannot_stuff_their_district_through_the_api(world):
    send = api(world, "bb1")
    before = count_ballots(world)
    refused = [send(citizen(world, f"stuff-{i}")).status_code for i in range(50)]
    assert refused == [422] * 50 and count_ballots(world) == before, "no serial, no ballot"
    invented = send(citizen(world, "made-up", serial="0020999999" + "0"))
    assert invented.status_code == 422 and invented.get_json()["details"][0]["field"] == "serial"
    other = printed(world, "na_ri", 1)[0]
    assert send(citizen(world, "other", unit="na_ri", serial=other)).status_code == 422, "another district's serial"
    mine = printed(world, "ba_be", 2)
    first = send(citizen(world, "k1", serial=mine[0]))
    assert first.status_code == 202 and first.get_json()["state"] == "waiting_second_entry"
    assert count_ballots(world) == before, "one keying is not a ballot"
    again = send(citizen(world, "k1-again", serial=mine[0]))
    assert again.status_code == 409 and "người khác" in again.get_json()["message"]
    assert send(citizen(world, "k1", serial=mine[0])).status_code == 200, "the same keying sent again changes nothing"
    assert send(citizen(world, "k1", serial=mine[1])).status_code == 409, "an id names one keying"
    with world.extensions[DB_KEY].session() as s:
        notes = s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "paper_entry",
                                                             AuditEntry.actor == "bb1")).all()
    assert notes == [f"phiếu {mine[0]}, qua API"], "every keying names its user, serial and channel"


def test_colluding_staff_of_one_district_are_stopped_by_the_cross_district_check(world):
    with world.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).cross_district_check = True
    serial = printed(world, "ba_be", 1)[0]
    assert api(world, "bb1")(citizen(world, "a", serial=serial)).status_code == 202
    colleague = api(world, "bb2")(citizen(world, "b", serial=serial))
    assert colleague.status_code == 409 and "huyện khác" in colleague.get_json()["message"]
    before = count_ballots(world)
    outsider = api(world, "nr1")(citizen(world, "c", serial=serial))
    assert outsider.status_code == 201 and outsider.get_json()["state"] == "verified"
    assert count_ballots(world) == before + 1
    with world.extensions[DB_KEY].session() as s:
        ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serial))
        audit = s.scalar(
            select(AuditEntry).where(AuditEntry.entity == "ballot", AuditEntry.entity_id == str(ballot.id))
        )
    assert (ballot.channel, audit.actor) == ("api", "nr1") and serial in audit.new_value and "API" in audit.new_value


def test_staff_cannot_stuff_through_the_keying_screen(world):
    client = signed_in(world, "bb1")
    for typed in ("0029999990", "002000000" + "1", "123456789"):
        assert client.get(f"/nhap-lieu/phieu?serial={typed}").status_code == 302, "unprinted or mistyped"
    assert client.get(f"/quan-tri/dot/{CURRENT}/phieu-giay").status_code == 403, "staff do not print serials"
    serial = printed(world, "ba_be", 1)[0]
    page = client.get(f"/nhap-lieu/phieu?serial={serial}").get_data(as_text=True)
    names = re.findall(r'class="digit" id="(q_\w+)"', page)
    client.post("/nhap-lieu/phieu", data={"csrf_token": csrf(page), "serial": serial, **{n: "1" for n in names}})
    assert client.get(f"/nhap-lieu/phieu?serial={serial}").status_code == 302, "not twice by the same person"
    with world.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(PaperEntry).join(PaperSerial)
                        .where(PaperSerial.serial == serial)) == 1
        assert s.scalar(select(func.count()).select_from(Ballot).where(Ballot.paper_serial == serial)) == 0


def test_api_ballot_ids_are_scoped_to_campaign_and_user(world):
    first = api(world, "qt")(citizen(world, "shared-id"))
    second = api(world, "qt2")(citizen(world, "shared-id", option="kha"))
    assert (first.status_code, second.status_code) == (201, 201), "no user can squat another's ids"
    with world.extensions[DB_KEY].session() as s:
        audited = s.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "ballot", AuditEntry.entity_id.in_(
            [first.get_json()["ballot"], second.get_json()["ballot"]]))).all()
    assert sorted(audited) == ["qt", "qt2"], "admins' API ballots are audited too"


# --- 4. serials belong to one campaign ---------------------------------------------------------

def test_a_serial_of_another_campaign_is_refused_with_a_clear_message(world):
    old = printed(world, "ba_be", 1, campaign_id=LAST)[0]
    new = printed(world, "ba_be", 1)[0]
    assert serials_service.serial_campaign(old) == LAST and serials_service.serial_campaign(new) == CURRENT
    assert old[-7:-1] != new[-7:-1] or old != new
    wrong = api(world, "bb1")(citizen(world, "x", serial=old))
    assert wrong.status_code == 422 and "đợt khảo sát khác" in wrong.get_json()["details"][0]["message"]
    client = signed_in(world, "bb1")
    assert client.get(f"/nhap-lieu/phieu?serial={old}").status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))
    assert flash == [f"Đợt khảo sát “{LAST_NAME}” đã kết thúc: không nhập thêm phiếu {old}."]
    with world.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).status = "draft"
    assert client.get(f"/nhap-lieu/phieu?serial={new}").status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))
    assert flash and "chưa mở" in flash[0]


LAST_NAME = "Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)"


# --- 5. no token in any log line ---------------------------------------------------------------

def test_no_log_line_carries_a_token_not_even_an_exception(world, caplog, monkeypatch):
    from survey_app.services import drafts

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"failed while opening /s/{TOKEN}/p/1")

    monkeypatch.setattr(drafts, "begin_draft", broken)
    world.config["PROPAGATE_EXCEPTIONS"] = False
    world.testing = False
    with caplog.at_level(logging.INFO):
        response = world.test_client().get(f"/s/{TOKEN}")
    assert response.status_code == 500
    assert caplog.records and "Exception on /s/…" in caplog.text
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")


def test_a_closed_campaign_takes_no_new_links_cards_or_serials(world):
    admin = signed_in(world, "qt")
    with world.extensions[DB_KEY].session() as s:
        before = (s.scalar(select(func.count()).select_from(Invitation).where(Invitation.campaign_id == LAST)),
                  s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == LAST)))
    token = csrf(admin.get(f"/quan-tri/dot/{LAST}/loi-moi").get_data(as_text=True))
    for url in (f"/quan-tri/dot/{LAST}/the-qr", f"/quan-tri/dot/{LAST}/phieu-giay"):
        response = admin.post(url, data={"csrf_token": token, "unit": "ba_be", "group": "nguoi_dan", "count": "5"})
        assert response.status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>',
                       admin.get(f"/quan-tri/dot/{LAST}/phieu-giay").get_data(as_text=True))
    assert flash and "đã kết thúc" in flash[0]
    with world.extensions[DB_KEY].session() as s:
        after = (s.scalar(select(func.count()).select_from(Invitation).where(Invitation.campaign_id == LAST)),
                 s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == LAST)))
    assert after == before


def test_a_drafts_length_tells_nothing_of_its_answers_or_progress(world):
    """Encryption hides what a draft says, not its length, and answer codes differ in length: 4 of 6
    half-way civil servants of one department were matched to their ballots by length alone. Every
    draft of one questionnaire and unit is now padded to one size, whatever it holds."""
    with world.extensions[DB_KEY].session() as s:
        rows = s.execute(select(Invitation.group_id, Invitation.unit_id, func.length(Draft.sealed))
                         .join(Draft, Draft.invitation_id == Invitation.id)
                         .where(Invitation.campaign_id == CURRENT, Draft.sealed.is_not(None))).all()
    by_cell: dict = {}
    for group, unit, length in rows:
        by_cell.setdefault((group, unit), set()).add(length)
    assert sum(len(v) > 0 for v in by_cell.values()) >= 5 and len(rows) >= 20, "the demo leaves drafts half-way"
    assert all(len(lengths) == 1 for lengths in by_cell.values()), {k: v for k, v in by_cell.items() if len(v) > 1}

    lengths = set()
    for n, (pick, skip) in enumerate([(lambda o: o[0], ()), (lambda o: o[-1], ()), (lambda o: o[1], ("H03",)),
                                      (lambda o: o[0], ("H03", "H05", "H10", "H11", "H12", "H13", "H14"))]):
        token = f"tok-length-{n:020d}"
        inv_id = invite(world, "nguoi_dan", "ba_be", token)
        client = world.test_client()
        client.get(f"/s/{token}")
        fill(client, token, 1, pick=pick, skip=skip)
        with world.extensions[DB_KEY].session() as s:
            lengths.add(s.scalar(select(func.length(Draft.sealed)).where(Draft.invitation_id == inv_id)))
    assert len(lengths) == 1, f"four citizens of Ba Bể answering differently left drafts of lengths {lengths}"


def test_the_admin_with_every_exported_link_reads_no_half_finished_ballot(world):
    """The admin downloads every personal link (as needed to send them) and opens those of people who
    saved and left: 55 of 60 demo respondents in progress were readable. A draft now opens only with
    the resume code its respondent holds; the link alone shows that a draft exists, nothing of it."""
    from survey_app.services.invitations import derive_token

    with world.extensions[DB_KEY].session() as s:
        halfway = s.execute(select(Invitation.token_salt).join(Draft, Draft.invitation_id == Invitation.id)
                            .where(Invitation.campaign_id == CURRENT, Invitation.token_salt.is_not(None))).all()
    assert len(halfway) >= 20, "the demo leaves respondents half-way"
    readable = 0
    for (salt,) in halfway:
        token = derive_token(SECRET, salt)
        admin_phone = world.test_client()
        welcome = admin_phone.get(f"/s/{token}").get_data(as_text=True)
        page = admin_phone.get(f"/s/{token}/p/1")
        if "đã được lưu dở trên một thiết bị khác" not in welcome or page.status_code != 302 or "checked" in welcome:
            readable += 1
    assert readable == 0, f"{readable} of {len(halfway)} drafts opened with the link alone"

    token = "tok-resume-0000000000000000000"
    invite(world, "nguoi_dan", "ba_be", token)
    respondent = world.test_client()
    respondent.get(f"/s/{token}")
    fill(respondent, token, 1, skip=("H03",))
    admin = world.test_client()
    seen = admin.get(f"/s/{token}").get_data(as_text=True)
    assert "đã được lưu dở trên một thiết bị khác" in seen and "checked" not in seen
    assert 'value="tot" checked' in respondent.get(f"/s/{token}/p/1").get_data(as_text=True), "the respondent goes on"
    for n in range(30):  # guessing the code is limited like guessing links
        admin.post(f"/s/{token}/tiep-tuc", data={"csrf_token": csrf(seen), "code": f"AAAA-BBBB-{n:04d}"})
    assert admin.post(f"/s/{token}/tiep-tuc", data={"csrf_token": csrf(seen), "code": "AAAA"}).status_code == 429
