"""No bad input stops the site: a slow upload never blocks respondents, a restore never runs under
a live server, files built to hurt get a clear message, and no route answers 500 to hostile values."""
from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import zipfile

import hypothesis
import openpyxl
import pytest
from hypothesis import strategies as st
from sqlalchemy import func, select

from scoring import TableProblems, read_table
from survey_app.extensions import DB_KEY
from survey_app.models import Ballot, Unit, User
from survey_app.services.backup import backup_sqlite, sqlite_file
from survey_app.services.csv_import import CsvProblems, read_rows
from survey_app.services.users import create_api_token, create_user

from .conftest import CURRENT, LAST, make_app
from .deploy import wait_for_port
from .servers import REPO, Gunicorn
from .test_auth import PASSWORD, csrf, login
from .test_form import fill
from .test_respond import invite


def signed_in(app, username="qt"):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def admin(site):
    """The demo province with its three users (conftest's ``site``), by the name these tests use."""
    return site


# --- uploads never block the site --------------------------------------------------------------

def test_a_slow_import_never_makes_respondents_wait(demo_db, tmp_path, monkeypatch):
    """An appraisal import that takes 3 s to read, while citizens send their ballots; SQLite's busy
    timeout is 1 s. Every submission succeeds: the file is read before any write lock is taken."""
    import shutil

    import survey_app.services.results as results

    shutil.copy(demo_db, tmp_path / "slow.sqlite")
    app = make_app(f"sqlite:///{tmp_path / 'slow.sqlite'}", tmp_path / "instance", SQLITE_BUSY_TIMEOUT_MS=1000)
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    real = results.read_table
    started = threading.Event()

    def slow_read(*args, **kwargs):
        started.set()
        time.sleep(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(results, "read_table", slow_read)
    tokens = [f"tok-slow-{i:02d}-00000000000000000000" for i in range(6)]
    respondents = []
    for token in tokens:
        invite(app, "nguoi_dan", "ba_be", token)
        client = app.test_client()
        client.get(f"/s/{token}")
        fill(client, token, 1)
        review = client.get(f"/s/{token}/gui").get_data(as_text=True)
        respondents.append((client, token, csrf(review), re.search(r'name="client_id" value="([^"]+)"', review)[1]))
    admin = signed_in(app)
    page = admin.get(f"/quan-tri/dot/{LAST}/ket-qua-nhap").get_data(as_text=True)
    upload = threading.Thread(target=lambda: admin.post(
        f"/quan-tri/dot/{LAST}/ket-qua-nhap/appraisal", content_type="multipart/form-data",
        data={"csrf_token": csrf(page), "file": (io.BytesIO(b"unit,total\nso_tp,80\n"), "a.csv")}))
    upload.start()
    assert started.wait(10)
    statuses = []
    for client, token, form_token, client_id in respondents:
        response = client.post(f"/s/{token}/gui", data={"csrf_token": form_token, "client_id": client_id})
        statuses.append((response.status_code, "Cảm ơn" in response.get_data(as_text=True)))
    upload.join(30)
    assert statuses == [(200, True)] * len(tokens)
    app.extensions[DB_KEY].dispose()


def _bomb() -> bytes:
    """A small XLSX whose sheet unpacks to far more than the import allows."""
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["unit", "total"])
    book.save(buffer)
    original = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in original.infolist():
            data = original.read(item)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"</sheetData>", b"<!--" + b" " * (80 * 2**20) + b"--></sheetData>")
            bomb.writestr(item, data)
    return out.getvalue()


def test_files_built_to_hurt_get_a_clear_message():
    bomb = _bomb()
    assert len(bomb) < 1_000_000
    with pytest.raises(TableProblems, match="giải nén ra quá lớn"):
        read_table("bomb.xlsx", bomb)
    for junk in (b"PK\x03\x04 not really a zip", b"", b"\x00" * 100, b"unit,total\n"):
        with pytest.raises(TableProblems, match="không đọc được tệp Excel"):
            read_table("junk.xlsx", junk)
    frame = read_table("mac.csv", b"unit,total\rso_tp,80\rso_tc,\"70\r5\"\r")
    assert frame["unit"].tolist() == ["so_tp", "so_tc"], "a bare CR ends a line, as old Mac files write"
    rows = read_rows("code,name,level,parent\rso_a,Sở A,so,\rso_b,Sở B,so,\r".encode(), ("code", "name", "level"),
                     ("parent",))
    assert [n for n, _row in rows] == [2, 3]
    with pytest.raises(CsvProblems, match="đã thử UTF-8, UTF-16"):  # a UTF-16 mark, then an odd number of bytes
        read_rows(b"\xff\xfe bad!", ("code",))


def test_a_harmful_xlsx_upload_is_a_message_not_a_500(admin):
    client = signed_in(admin)
    page = client.get(f"/quan-tri/dot/{LAST}/ket-qua-nhap").get_data(as_text=True)
    for name, body in (("bomb.xlsx", _bomb()), ("junk.xlsx", b"PK\x03\x04 junk")):
        response = client.post(f"/quan-tri/dot/{LAST}/ket-qua-nhap/appraisal", content_type="multipart/form-data",
                               data={"csrf_token": csrf(page), "file": (io.BytesIO(body), name)})
        assert response.status_code == 302, name
        flashed = client.get(f"/quan-tri/dot/{LAST}/ket-qua-nhap").get_data(as_text=True)
        assert "chưa thay đổi gì" in flashed, name


def test_deeply_nested_json_is_a_bad_request(admin):
    body = "[" * 100_000 + "]" * 100_000
    response = admin.test_client().post(f"/api/v1/campaigns/{CURRENT}/ballots", data=body,
                                        content_type="application/json", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401, "checked after the token: an unknown caller's body is never read"
    with admin.extensions[DB_KEY].transaction() as s:
        token = create_api_token(s, s.scalar(select(User).where(User.username == "qt")), "test", actor="test")
    response = admin.test_client().post(f"/api/v1/campaigns/{CURRENT}/ballots", data=body,
                                        content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_input"
    assert "lồng nhau quá sâu" in response.get_json()["message"]
    shallow = admin.test_client().post(f"/api/v1/campaigns/{CURRENT}/ballots", data=json.dumps({"a": [[1]]}),
                                       content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert shallow.status_code == 422, "an ordinary body reaches the view"


# --- files only the server's user can read -----------------------------------------------------

def test_database_files_and_backups_are_private(app, tmp_path):
    database = app.extensions[DB_KEY]
    with database.transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    live = sqlite_file(database.url)
    for path in (live, live.with_name(live.name + "-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    summary = backup_sqlite(live, tmp_path / "copy.sqlite")
    assert stat.S_IMODE(summary.path.stat().st_mode) == 0o600


def test_hsts_over_https_only(app):
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/dang-nhap").headers
    secure = client.get("/dang-nhap", base_url="https://khaosat.example.vn")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_proxy_https_and_the_client_address_come_from_it(tmp_path, sqlite_url):
    app = make_app(sqlite_url, tmp_path / "instance", TRUSTED_PROXIES=1)
    response = app.test_client().get("/dang-nhap", headers={"X-Forwarded-Proto": "https",
                                                            "X-Forwarded-For": "203.0.113.9"})
    assert "Strict-Transport-Security" in response.headers
    untrusted = make_app(sqlite_url, tmp_path / "instance2")
    headers = untrusted.test_client().get("/dang-nhap", headers={"X-Forwarded-Proto": "https"}).headers
    assert "Strict-Transport-Security" not in headers, "without TRUSTED_PROXIES the proxy's word is not taken"


# --- restore refuses while the app is serving ---------------------------------------------------

def _restore(database_url: str, backup, instance) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "PARSURVEY_INSTANCE": str(instance),
           "SECRET_KEY": "robustness-secret-of-more-than-32-bytes-xyz"}
    return subprocess.run([sys.executable, "-m", "survey_app.cli", "restore", str(backup), "--force"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60)


def test_restore_refuses_while_a_server_runs_and_works_once_it_stopped(demo_db, tmp_path):
    import shutil

    live = tmp_path / "live.sqlite"
    shutil.copy(demo_db, live)
    url = f"sqlite:///{live}"
    backup = backup_sqlite(live, tmp_path / "backup.sqlite").path
    server = Gunicorn(url, tmp_path / "gunicorn.log", {"SECRET_KEY": "robustness-secret-of-more-than-32-bytes-xyz",
                                                      "PARSURVEY_INSTANCE": str(tmp_path / "instance"),
                                                      "GUNICORN_WORKERS": "2"})
    server.spawn()
    try:
        server.wait_ready()
        refused = _restore(url, backup, tmp_path / "instance")
        assert refused.returncode == 2 and "Máy chủ đang dùng" in refused.stderr, refused.stderr
        assert "dừng máy chủ" in refused.stderr
    finally:
        server.stop()
    done = _restore(url, backup, tmp_path / "instance")
    assert done.returncode == 0, done.stderr


def test_restore_refuses_while_parsurvey_run_serves(demo_db, tmp_path):
    import shutil
    import socket

    live = tmp_path / "live.sqlite"
    shutil.copy(demo_db, live)
    url = f"sqlite:///{live}"
    backup = backup_sqlite(live, tmp_path / "backup.sqlite").path
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "PARSURVEY_INSTANCE": str(tmp_path / "instance")}
    proc = subprocess.Popen([sys.executable, "-m", "survey_app.cli", "run", "--port", str(port), "--no-reload"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 30)
        refused = _restore(url, backup, tmp_path / "instance")
        assert refused.returncode == 2 and "Máy chủ đang dùng" in refused.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# --- no route answers 500 -----------------------------------------------------------------------

HOSTILE = st.one_of(
    st.sampled_from(["99999999999999999999999", "-1", "0", "²", "١٢", "１２", "", " ", "1e9", "NaN", "../..", "%00",
                     "a" * 5000, "<script>", "1;DROP TABLE ballots", "9" * 40]),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def _routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


@pytest.mark.parametrize("role", [None, "qt", "pt", "nl"])
def test_every_route_with_hostile_values_never_answers_500(admin, role):
    """Every rule of the URL map, for each role, with hostile path parts, query strings and form fields."""
    client = signed_in(admin, role) if role else admin.test_client()
    token = csrf(client.get("/dang-nhap").get_data(as_text=True))
    rules = _routes(admin)
    assert len(rules) > 50
    seen: list[tuple[str, int]] = []

    @hypothesis.settings(max_examples=120, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(rule_index=st.integers(0, len(rules) - 1), values=st.lists(HOSTILE, min_size=6, max_size=6))
    def crawl(rule_index, values):
        rule = rules[rule_index]
        parts = iter(values)
        path = re.sub(r"<(?:[^:>]+:)?\w+>", lambda _m: _quote(next(parts, "1")), rule.rule)
        query = {"trang": values[0], "doi_tuong": values[1], "cap": values[2], "serial": values[3],
                 "tu": values[4], "den": values[5], "ma": values[0], "kenh": values[1], "co": values[2]}
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = client.get(path, query_string=query)
            else:
                form = {"csrf_token": token, "count": values[0], "unit": values[1], "group": values[2],
                        "state": values[3], "ballot": values[4], "year": values[5], "name": values[1],
                        "min_web_seconds": values[2], "status": values[3], "confirm": values[4],
                        "client_id": values[5], "q_H03": values[0], "action": values[1], "serial": values[3]}
                response = client.post(path, data=form)
            seen.append((path, response.status_code))
            assert response.status_code < 500, (method, path, query, response.status_code)

    crawl()
    assert len(seen) >= 100
    with admin.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == LAST)) > 0
        assert s.scalar(select(func.count()).select_from(Unit)) > 0


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="") or "x"


def test_a_semicolon_file_with_commas_in_names_and_numbers_keeps_its_columns():
    """Excel in a Vietnamese locale writes ';' between cells and ',' in numbers; unit names hold commas
    too. The header line alone tells the separator, for the scoring tables and the web imports alike."""
    lines = ["Mã;Tên đơn vị;Chỉ đạo;Thể chế;TTHC"] + \
        [f"u{i};Sở Lao động, Thương binh, Xã hội;1,5;2,25;3,75" for i in range(5)]
    frame = read_table("diem.csv", "\n".join(lines).encode())
    assert frame.columns.tolist() == ["mã", "tên đơn vị", "chỉ đạo", "thể chế", "tthc"]
    assert frame["thể chế"].tolist() == ["2,25"] * 5
    name = "Sở Lao động, Thương binh, Xã hội, tỉnh Bắc Kạn"
    plan = "Đơn vị;Đối tượng;Số phiếu\n" + f"{name};Công chức;12\n" * 5
    rows = read_rows(plan.encode(), ("unit", "group", "target"))
    assert [row["unit"] for _n, row in rows] == [name] * 5
    tabbed = read_rows("code\tname\tlevel\nso_a\tSở A, B\tso\n".encode(), ("code", "name", "level"))
    assert [row["name"] for _n, row in tabbed] == ["Sở A, B"]
