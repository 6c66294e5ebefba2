"""Hostile uploads through gunicorn (the shipped settings, 2 workers) on a SQLite copy of the demo province:
how long each refusal takes, each worker's peak memory, and a respondent's save latency while a large
criteria workbook is checked (run by hand; results go to BENCHMARKS.md).

    .venv/bin/python bench/upload_limits.py [--extra 4900]

The files are those of tests/test_upload_limits.py (tests/hostile_files.py): a sheet with 3,000 rows holding
a value in column XFD (16,384 columns declared), a million-row sheet (65 KB) and CSV (2 MB), a zip bomb
(80 MB unpacked), posted to the units, people and appraisal imports; the criteria-workbook variants as a new
campaign. Targets (issue 24): refused within seconds, every worker under 300 MB, a save under 1 s.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_files as hostile  # noqa: E402
from tests.conftest import CURRENT, make_app  # noqa: E402
from tests.servers import Gunicorn  # noqa: E402
from tests.test_upload_limits import (  # noqa: E402
    IMPORTS,
    SECRET,
    TABLES,
    TOKEN,
    WORKBOOKS,
    respondent,
    signed_in,
    upload,
    workers_peak_mb,
)


def demo(folder: Path) -> str:
    """The demo province in ``folder``, with an admin ``qt`` and a citizen's link ``TOKEN``."""
    from survey_app import migrate
    from survey_app.extensions import DB_KEY
    from survey_app.services.users import create_user
    from tests.test_auth import PASSWORD
    from tests.test_respond import invite

    url = f"sqlite:///{folder / 'demo.sqlite'}"
    app = make_app(url, folder / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    result = app.test_cli_runner().invoke(args=["demo", "--seed", "7"])
    assert result.exit_code == 0, result.output
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="bench")
    invite(app, "nguoi_dan", "ba_be", TOKEN, CURRENT)
    app.extensions[DB_KEY].dispose()
    return url


def line(view: str, name: str, data: bytes, seconds: float, status: int) -> None:
    print(f"  {view:<12} {name:<28} {len(data) / 1024:8.0f} KB  {seconds:6.2f} s  HTTP {status}")


def refusals(base: str, master: int) -> None:
    admin = signed_in(base)
    before = workers_peak_mb(master)
    print(f"workers' peak memory before: {', '.join(f'{mb:.0f} MB' for mb in before.values())}")
    files = {"16,384 columns, 3,000 rows": (hostile.wide_sheet(rows=3000), "rong.xlsx"),
             "1,000,000-row xlsx": TABLES["million-rows-xlsx"][:2],
             "1,000,000 rows, undeclared": TABLES["million-rows-undeclared"][:2],
             "1,000,000-row csv": TABLES["million-rows-csv"][:2], "zip bomb": TABLES["bomb"][:2]}
    for view in ("units", "people", "appraisal"):
        url, page = (u.replace("/dot/1/", f"/dot/{CURRENT}/") for u in IMPORTS[view])
        for name, (data, filename) in files.items():
            seconds, answer = upload(admin, base, url, page, data, filename)
            line(view, name, data, seconds, answer.status_code)
    for name, (data, filename, _said) in WORKBOOKS.items():
        seconds, answer = upload(admin, base, "/quan-tri/dot/moi", "/quan-tri/dot/moi", data, filename,
                                 {"name": f"Từ tệp {name}", "year": "2026", "source": "tep:"}, field="workbook")
        line("new campaign", name, data, seconds, answer.status_code)
    after = workers_peak_mb(master)
    print(f"workers' peak memory after: {', '.join(f'{mb:.0f} MB' for mb in after.values())}")


def latency(base: str, extra: int) -> None:
    admin, (citizen, form) = signed_in(base), respondent(base)
    big = hostile.big_workbook(extra=extra)
    done: dict = {}

    def create():
        done["seconds"], done["answer"] = upload(admin, base, "/quan-tri/dot/moi", "/quan-tri/dot/moi", big, "bo.xlsx",
                                                 {"name": f"Bộ lớn {extra}", "year": "2026", "source": "tep:"},
                                                 "workbook")

    uploading = threading.Thread(target=create)
    uploading.start()
    time.sleep(0.5)
    saves = []
    while uploading.is_alive():
        started = time.perf_counter()
        citizen.post(f"{base}/s/{TOKEN}/p/1", data=form, timeout=60, allow_redirects=False)
        saves.append(time.perf_counter() - started)
        time.sleep(0.2)
    uploading.join()
    during = (f"{len(saves)} saves meanwhile: median {statistics.median(saves) * 1000:.0f} ms, "
              f"max {max(saves) * 1000:.0f} ms") if saves else "answered before a save was sent"
    print(f"criteria workbook with {extra} more questions ({len(big) // 1024} KB): answered in "
          f"{done['seconds']:.1f} s (HTTP {done['answer'].status_code}); {during}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extra", type=int, default=4_900,
                        help="questions added to the large workbook (4,900: the most its 5,000-row bound lets through)")
    args = parser.parse_args()
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        url = demo(Path(folder))
        server = Gunicorn(url, Path(folder) / "gunicorn.log", {"SECRET_KEY": SECRET, "GUNICORN_WORKERS": "2",
                                                               "PARSURVEY_INSTANCE": str(Path(folder) / "instance")})
        server.spawn()
        try:
            server.wait_ready()
            base = f"http://127.0.0.1:{server.port}"
            refusals(base, server.proc.pid)
            latency(base, args.extra)
            peaks = workers_peak_mb(server.proc.pid)
            print(f"workers' peak memory at the end: {', '.join(f'{mb:.0f} MB' for mb in peaks.values())}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
