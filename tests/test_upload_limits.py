"""Uploads that cannot hurt the site (issue 24, item 3).

Every spreadsheet import (units, sample plan, people, appraisal, communes, last year, the criteria workbook of a
campaign and of a new one) refuses, with a sentence saying what and where, a sheet holding values right of
column 200, a sheet or CSV of a million rows, a zip bomb and an OpenDocument file, before anything of their
size is allocated; and reads and checks every file before the database's write lock is taken, so respondents
saving their answers meanwhile wait for nobody. The web tests run the shipped gunicorn settings on a SQLite
file: each worker's peak memory (``VmHWM``) stays under 300 MB and a respondent's save answers in under 1 s
while a large criteria workbook is being checked. Figures: ``bench/upload_limits.py``.
"""
from __future__ import annotations

import io
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
import requests

from questionnaires import load_default_set, tabular
from questionnaires.workbook import WorkbookError, export_workbook, import_workbook
from scoring import TableProblems, read_table
from survey_app.services.csv_import import CsvProblems, read_rows

from . import hostile_files as hostile
from .conftest import CURRENT, make_app
from .servers import Gunicorn
from .test_admin import flashes, new_campaign, token_of
from .test_auth import PASSWORD

WORKBOOK = export_workbook(load_default_set())
SECONDS = 10.0  # "refused within seconds": measured ~0.1-1 s each on the 2-core test VM
MEMORY_MB = 300
LATENCY = 1.0


def wide_rows(rows: int = 1):
    """A header and ``rows`` rows holding a value in column XFD (16,384)."""
    yield hostile.header_row(("Mã", "Tên", "Tên ngắn"))
    for r in range(2, rows + 2):
        yield f'<row r="{r}">'.encode() + hostile.cell(f"A{r}", f"f{r}") + hostile.cell(f"XFD{r}", 1) + b"</row>"


def long_rows(rows: int = 1_000_000):
    yield hostile.header_row(("Mã", "Tên", "Tên ngắn"))
    for _ in range(rows):
        yield b"<row><c><v>1</v></c></row>"


# name -> (bytes, file name, what the refusal says); the first are tables, the last criteria workbooks
TABLES = {
    "wide": (hostile.wide_sheet(), "rong.xlsx", "ô XFD2 có dữ liệu: trang rộng hơn 200 cột được phép"),
    "wide-header": (hostile.wide_sheet(in_header=True), "rong.xlsx", "ô XFD1 có dữ liệu"),
    "million-rows-xlsx": (hostile.long_sheet(), "dai.xlsx", "trang có dữ liệu đến dòng 1.000.001, quá 100.000 dòng"),
    "million-rows-undeclared": (hostile.long_sheet(declared=False), "dai.xlsx",
                                "(sheet1.xml) không khai báo kích thước và giải nén ra 25 MB"),
    "million-rows-csv": (hostile.long_csv(), "dai.csv", "bảng có hơn 100.000 dòng (dòng 100.002 còn dữ liệu)"),
    "bomb": (hostile.bomb(), "bom.xlsx", "tệp Excel giải nén ra quá lớn (tối đa 64 MB"),
    "ods": (hostile.ods(), "bang.ods", "đây là tệp OpenDocument (.ods)"),
}
WORKBOOKS = {
    "wide": (hostile.with_sheet(WORKBOOK, "Lĩnh vực", wide_rows(), "A1:XFD2"), "bo.xlsx",
             "trang &#39;Lĩnh vực&#39;, dòng 2: ô XFD2 có dữ liệu"),
    "million-rows": (hostile.with_sheet(WORKBOOK, "Lĩnh vực", long_rows(), "A1:C1000001"), "bo.xlsx",
                     "trang &#39;Lĩnh vực&#39;, dòng 1000001: trang có dữ liệu đến dòng 1.000.001, quá 5.000 dòng"),
    # Without a <dimension>, openpyxl parses a sheet whole on opening the workbook, keeping every row element.
    "million-rows-undeclared": (hostile.with_sheet(WORKBOOK, "Lĩnh vực", long_rows()), "bo.xlsx",
                                "(sheet2.xml) không khai báo kích thước và giải nén ra 25 MB (tối đa 4 MB)"),
    "bomb": (hostile.bomb(), "bo.xlsx", "tệp Excel giải nén ra quá lớn"),
    "ods": (hostile.ods(), "bo.ods", "đây là tệp OpenDocument (.ods)"),
}
IMPORTS = {  # import -> (where it is posted, the page that shows its messages)
    "units": ("/quan-tri/dot/1/don-vi", "/quan-tri/dot/1/don-vi"),
    "plan": ("/quan-tri/dot/1/ke-hoach", "/quan-tri/dot/1/ke-hoach"),
    "people": ("/quan-tri/dot/1/loi-moi/nhap", "/quan-tri/dot/1/loi-moi"),
    "appraisal": ("/quan-tri/dot/1/ket-qua-nhap/appraisal", "/quan-tri/dot/1/ket-qua-nhap"),
    "communes": ("/quan-tri/dot/1/ket-qua-nhap/communes", "/quan-tri/dot/1/ket-qua-nhap"),
    "previous": ("/quan-tri/dot/1/ket-qua-nhap/previous", "/quan-tri/dot/1/ket-qua-nhap"),
}


def test_the_files_are_small_and_declare_or_hold_what_they_say():
    assert all(len(data) < 2 * 2**20 for data, _n, _m in [*TABLES.values(), *WORKBOOKS.values()])
    assert len(TABLES["million-rows-xlsx"][0]) < 100_000 and TABLES["million-rows-csv"][0].count(b"\n") == 1_000_001
    book = tabular.open_workbook(TABLES["wide"][0])
    assert (book.worksheets[0].max_column, book.worksheets[0].max_row) == (16_384, 2)


@pytest.mark.parametrize("name", TABLES)
def test_every_reader_refuses_a_hostile_table_with_a_sentence(name):
    data, filename, said = TABLES[name]
    started = time.perf_counter()
    with pytest.raises(CsvProblems) as caught:
        read_rows(data, ("code", "name", "level"))
    assert said in str(caught.value)
    with pytest.raises(TableProblems) as caught:
        read_table(filename, data)
    assert said in str(caught.value)
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize("name", WORKBOOKS)
def test_the_criteria_workbook_reader_refuses_a_hostile_workbook_naming_sheet_and_row(name):
    data, _filename, said = WORKBOOKS[name]
    with pytest.raises(WorkbookError) as caught:
        import_workbook(data)
    assert said.replace("&#39;", "'") in str(caught.value)


def test_a_sheet_with_a_stray_value_right_of_its_header_is_read_within_its_header():
    """Columns right of the header (within 200) are not read: no cell of them is allocated."""
    data = hostile.xlsx({"Sheet1": [hostile.header_row(("code", "name", "level")),
                                    b'<row r="2">' + hostile.cell("A2", "so_a") + hostile.cell("B2", "Sở A")
                                    + hostile.cell("C2", "so") + hostile.cell("GR2", "ghi chú") + b"</row>"]},
                        {"Sheet1": "A1:GR2"})
    assert read_rows(data, ("code", "name", "level")) == [(2, {"code": "so_a", "name": "Sở A", "level": "so"})]
    assert tabular.xlsx_table(data).rows == [(2, ["so_a", "Sở A", "so"])]


# --- through the web ---------------------------------------------------------------------------


@pytest.fixture
def campaign(admin):
    """A draft campaign (id 1) of the bundled set, for the admin ``admin``."""
    assert new_campaign(admin).status_code == 302
    return admin


@pytest.mark.parametrize("view", IMPORTS)
def test_every_import_view_refuses_hostile_tables_with_their_sentence(campaign, view):
    url, page = IMPORTS[view]
    for name, (data, filename, said) in TABLES.items():
        response = campaign.post(url, data={"csrf_token": token_of(campaign, page),
                                            "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
        assert response.status_code == 302, (view, name)
        shown = " ".join(flashes(campaign, page))
        assert said in shown, (view, name, shown)


@pytest.mark.parametrize("name", WORKBOOKS)
def test_both_criteria_workbook_uploads_refuse_hostile_workbooks(campaign, name):
    data, filename, said = WORKBOOKS[name]
    page = "/quan-tri/dot/1/bo-tieu-chi"
    campaign.post(page, data={"csrf_token": token_of(campaign, page), "file": (io.BytesIO(data), filename)},
                  content_type="multipart/form-data")
    assert said.lower() in " ".join(flashes(campaign, page)).lower()  # the page says it with a capital
    made = campaign.post("/quan-tri/dot/moi", data={
        "csrf_token": token_of(campaign, "/quan-tri/dot/moi"), "name": "Từ tệp", "year": "2026", "source": "tep:",
        "workbook": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    assert made.status_code == 400 and said in made.get_data(as_text=True)


# --- a real server: memory, time, and a respondent's save during an upload ---------------------

SECRET = "upload-limits-secret-of-more-than-32-bytes-0123456789"
TOKEN = "tok-upload-limits-000000000000000000"


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    """gunicorn with the shipped settings (2 workers of 4 threads) on a copy of the demo province, with an
    admin ``qt`` and a citizen's link ``TOKEN``."""
    from survey_app.extensions import DB_KEY
    from survey_app.services.users import create_user

    from .test_respond import invite

    folder = tmp_path_factory.mktemp("uploads")
    shutil.copy(demo_db, folder / "demo.sqlite")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    app = make_app(url, folder / "instance")
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
    invite(app, "nguoi_dan", "ba_be", TOKEN, CURRENT)
    app.extensions[DB_KEY].dispose()
    gunicorn = Gunicorn(url, folder / "gunicorn.log", {"SECRET_KEY": SECRET, "GUNICORN_WORKERS": "2",
                                                       "PARSURVEY_INSTANCE": str(folder / "instance")})
    gunicorn.spawn()
    try:
        gunicorn.wait_ready()
        yield gunicorn
    finally:
        gunicorn.stop()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def signed_in(base: str) -> requests.Session:
    admin = requests.Session()
    page = admin.get(f"{base}/dang-nhap", timeout=30).text
    answer = admin.post(f"{base}/dang-nhap", data={"csrf_token": csrf_of(page), "username": "qt",
                                                   "password": PASSWORD}, timeout=30, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return admin


def upload(admin: requests.Session, base: str, url: str, page: str, data: bytes, filename: str,
           extra: dict | None = None, field: str = "file") -> tuple[float, requests.Response]:
    token = csrf_of(admin.get(f"{base}{page}", timeout=30).text)
    started = time.perf_counter()
    answer = admin.post(f"{base}{url}", data={"csrf_token": token, **(extra or {})},
                        files={field: (filename, data)}, timeout=120, allow_redirects=False)
    return time.perf_counter() - started, answer


def workers_peak_mb(master: int) -> dict[int, float]:
    """Each gunicorn worker's peak resident memory (``VmHWM``), in MB."""
    peaks = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            peaks[int(status.parent.name)] = int(re.search(r"^VmHWM:\s+(\d+) kB", text, re.M).group(1)) / 1024
    return peaks


def test_hostile_uploads_are_refused_in_seconds_and_no_worker_passes_300_mb(server):
    """Through gunicorn: the 16,384-column sheet (3,000 rows holding a value in column XFD: padded to full
    width as the imports did, 400 MB), the million-row sheet and CSV, and the zip bomb, posted to the units,
    people and appraisal imports and as a new campaign's criteria workbook."""
    base = f"http://127.0.0.1:{server.port}"
    admin = signed_in(base)
    files = {"wide": (hostile.wide_sheet(rows=3000), "rong.xlsx"),
             **{name: TABLES[name][:2] for name in ("million-rows-xlsx", "million-rows-undeclared", "million-rows-csv",
                                                    "bomb")}}
    timings = {}
    for view, (url, page) in {"units": IMPORTS["units"], "people": IMPORTS["people"],
                              "appraisal": IMPORTS["appraisal"]}.items():
        url, page = url.replace("/dot/1/", f"/dot/{CURRENT}/"), page.replace("/dot/1/", f"/dot/{CURRENT}/")
        for name, (data, filename) in files.items():
            seconds, answer = upload(admin, base, url, page, data, filename)
            assert answer.status_code == 302, (view, name, answer.status_code)
            timings[(view, name)] = seconds
            shown = admin.get(f"{base}{page}", timeout=30).text
            assert "không nhập" in shown.lower(), (view, name)
    peaks = workers_peak_mb(server.proc.pid)
    assert peaks and max(peaks.values()) < MEMORY_MB, peaks
    for name, (data, filename, said) in WORKBOOKS.items():
        seconds, answer = upload(admin, base, "/quan-tri/dot/moi", "/quan-tri/dot/moi", data, filename,
                                 {"name": f"Từ tệp {name}", "year": "2026", "source": "tep:"}, field="workbook")
        assert answer.status_code == 400 and said in answer.text, (name, answer.text[-2000:])
        timings[("new campaign", name)] = seconds
    slowest = max(timings, key=timings.get)
    assert timings[slowest] < SECONDS, f"{slowest} took {timings[slowest]:.1f} s"
    peaks = workers_peak_mb(server.proc.pid)
    assert peaks and max(peaks.values()) < MEMORY_MB, peaks


def respondent(base: str) -> tuple[requests.Session, dict]:
    """A citizen on page 1 of the form: the session and the answers to post (all first options)."""
    citizen = requests.Session()
    citizen.get(f"{base}/s/{TOKEN}", timeout=30)
    html = citizen.get(f"{base}/s/{TOKEN}/p/1", timeout=30).text
    answers = {}
    for field, value in re.findall(r'type="radio" name="(q_\w+)" value="(\w+)"', html):
        answers.setdefault(field, value)
    assert answers, html[:1000]
    return citizen, {"csrf_token": csrf_of(html), "action": "later", **answers}


def test_a_respondent_saves_in_under_a_second_while_a_large_criteria_workbook_is_checked(server):
    """The issue's case: "Tạo đợt khảo sát" with a large workbook (thousands of questions: seconds to read
    and check) held SQLite's write lock all along, and a respondent's save waited behind it."""
    base = f"http://127.0.0.1:{server.port}"
    admin, (citizen, form) = signed_in(base), respondent(base)
    big = hostile.big_workbook(extra=4900)  # as large as the workbook's bound lets through (5,000 rows a sheet)
    done: dict = {}

    def create():
        done["seconds"], done["answer"] = upload(admin, base, "/quan-tri/dot/moi", "/quan-tri/dot/moi", big, "bo.xlsx",
                                                 {"name": "Bộ lớn", "year": "2026", "source": "tep:"}, "workbook")

    uploading = threading.Thread(target=create)
    uploading.start()
    time.sleep(0.5)  # the workbook is being read
    latencies = []
    while uploading.is_alive() or not latencies:
        started = time.perf_counter()
        saved = citizen.post(f"{base}/s/{TOKEN}/p/1", data=form, timeout=60, allow_redirects=False)
        latencies.append(time.perf_counter() - started)
        assert saved.status_code in (200, 302, 303), saved.text[:500]
        time.sleep(0.2)
    uploading.join(120)
    answer = done["answer"]
    assert answer.status_code == 400 and "Tệp bộ tiêu chí có lỗi" in answer.text, answer.text[-1000:]
    assert done["seconds"] > 1.5, "the workbook must keep the server busy for a while, or this proves nothing"
    assert max(latencies) < LATENCY and len(latencies) >= 3, (done["seconds"], latencies)
