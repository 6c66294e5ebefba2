"""Releases: ``parsurvey --version``, the upgrade procedure the CLI enforces (no schema change under a
live server), downgrades refused when they would destroy data, a clear line when the database is not
reachable."""
from __future__ import annotations

import configparser
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from survey_app import migrate
from survey_app.db import Database
from survey_app.extensions import DB_KEY
from survey_app.services.release import version

from .conftest import BACKENDS, make_app
from .servers import REPO, Gunicorn

SECRET = "release-tests-secret-of-more-than-32-bytes-0123456789"
OLDER = "0008"  # a revision below head, as a database of the previous release would be


def parsurvey(database_url: str, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The ``parsurvey`` console command, as an operator runs it."""
    environ = {**os.environ, "DATABASE_URL": database_url, "PARSURVEY_INSTANCE": str(tmp_path / "instance"),
               "SECRET_KEY": SECRET, **env}
    return subprocess.run([sys.executable, "-m", "survey_app.cli", *args], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=120)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cli(database_url: str, tmp_path: Path, *args: str) -> Done:
    """A ``parsurvey`` command run in this process (the commands of ``app.cli``): quicker than
    :func:`parsurvey`, the same code."""
    app = make_app(database_url, tmp_path / "instance", SECRET_KEY=SECRET)
    result = app.test_cli_runner().invoke(args=list(args))
    app.extensions[DB_KEY].dispose()
    return Done(result.exit_code, result.stdout, result.stderr)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'r.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def revision_of(url: str) -> str | None:
    database = Database(url)
    try:
        return migrate.current_revision(database)
    finally:
        database.dispose()


# --- the version -------------------------------------------------------------------------------

def test_the_version_is_the_one_setup_cfg_gives():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    assert version() == config["metadata"]["version"] != "0.1.0"


def test_the_version_without_a_checkout_comes_from_the_installed_package(tmp_path):
    from importlib import metadata

    assert version(tmp_path / "setup.cfg") == metadata.version("parsurvey")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = something-else\nversion = 9.9\n")
    assert version(tmp_path / "setup.cfg") == metadata.version("parsurvey")


def test_parsurvey_version_prints_ours_and_the_schema_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'v.sqlite'}"
    absent = parsurvey(url, tmp_path, "--version")
    assert absent.returncode == 0, absent.stderr
    lines = absent.stdout.splitlines()
    assert lines[0] == f"parsurvey {version()}"  # not Flask's
    assert "chưa có tệp" in lines[1] and f"mới nhất mã này biết: {migrate.head_revision()}" in lines[1]
    assert not (tmp_path / "v.sqlite").exists(), "asking the version creates no database"

    database = Database(url)
    migrate.upgrade(database, OLDER)
    older = parsurvey(url, tmp_path, "--version").stdout.splitlines()
    assert older[1].startswith(f"Cấu trúc cơ sở dữ liệu: {OLDER}, mới nhất mã này biết: {migrate.head_revision()}")
    assert "cần nâng cấp: parsurvey db upgrade" in older[1]
    migrate.upgrade(database)
    database.dispose()
    current = parsurvey(url, tmp_path, "--version").stdout.splitlines()
    head = migrate.head_revision()
    assert current[1] == f"Cấu trúc cơ sở dữ liệu: {head}, mới nhất mã này biết: {head} ({url})"


# --- upgrading: never under a live server ------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_db_upgrade_refuses_while_a_server_serves_the_database_then_works_once_it_stopped(backend, tmp_path,
                                                                                          request):
    """The old server left running answered 500 to every submission after the upgrade: now the
    upgrade is refused (exit 2, nothing changed) until it stops. A database already at the target
    is left alone, server or not (every app host runs ``db upgrade`` before it starts)."""
    if backend == "sqlite":
        real = tmp_path / "data" / "r.sqlite"
        real.parent.mkdir()
        (tmp_path / "link.sqlite").symlink_to(real)
        url, served_url = f"sqlite:///{real}", f"sqlite:///{tmp_path / 'link.sqlite'}"
    else:
        url = served_url = request.getfixturevalue("pg_url")
    database = Database(url)
    migrate.upgrade(database, OLDER)
    database.dispose()
    server = Gunicorn(served_url, tmp_path / "gunicorn.log", {"SECRET_KEY": SECRET, "GUNICORN_WORKERS": "1",
                                                               "PARSURVEY_INSTANCE": str(tmp_path / "instance")})
    server.spawn()
    try:
        server.wait_ready()
        same = cli(url, tmp_path, "db", "upgrade", OLDER)
        assert same.returncode == 0, same.stderr
        refused = cli(url, tmp_path, "db", "upgrade")
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "Không nâng cấp: máy chủ đang phục vụ cơ sở dữ liệu" in refused.stderr
        assert "dừng máy chủ trước" in refused.stderr and "Traceback" not in refused.stderr
        assert revision_of(url) == OLDER
        down = cli(url, tmp_path, "db", "downgrade", "-1")
        assert down.returncode == 2 and "Không hạ cấu trúc: máy chủ đang phục vụ" in down.stderr, down.stderr
        assert revision_of(url) == OLDER
    finally:
        server.stop()
    done = cli(url, tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert revision_of(url) == migrate.head_revision()


def test_a_fresh_database_with_no_server_is_upgraded_as_before(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'new.sqlite'}"
    (tmp_path / "fresh").mkdir()
    done = parsurvey(url, tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert revision_of(url) == migrate.head_revision()
    assert (tmp_path / "fresh" / "new.sqlite.serving").stat().st_mode & 0o777 == 0o600


# --- downgrading: never at the cost of data ----------------------------------------------------

def _campaign_with_a_sealed_draft(url: str) -> None:
    """A campaign for a named province, with one invitation holding a draft (sealed, as drafts are)."""
    database = Database(url)
    with database.transaction() as s:
        for sql in (
            "INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, criteria_files, "
            "created_at, province) VALUES (1, 2025, 'c', 'open', 'x', 'd', '{}', '2025-11-01', 'Bắc Kạn')",
            "INSERT INTO respondent_groups (id, campaign_id, code, name, reached_by) "
            "VALUES (1, 1, 'nguoi_dan', 'Người dân', 'qr')",
            "INSERT INTO invitations (id, campaign_id, group_id, kind, token_hash, created_at) "
            "VALUES (1, 1, 1, 'personal', 'h', '2025-11-01')",
        ):
            s.execute(text(sql))
        s.execute(text("INSERT INTO drafts (id, campaign_id, sealed) VALUES ('keyed', 1, :sealed)"),
                  {"sealed": b"\x01sealed"})
    database.dispose()


def test_db_downgrade_refuses_when_it_would_destroy_data_and_says_to_restore_a_backup(database_url, tmp_path):
    empty = cli(database_url, tmp_path, "db", "upgrade")
    assert empty.returncode == 0, empty.stderr
    nothing_held = cli(database_url, tmp_path, "db", "downgrade", "0005")
    assert nothing_held.returncode == 0, nothing_held.stderr  # the tables and columns it drops are empty
    assert revision_of(database_url) == "0005"
    assert cli(database_url, tmp_path, "db", "upgrade").returncode == 0

    _campaign_with_a_sealed_draft(database_url)
    refused = cli(database_url, tmp_path, "db", "downgrade", "0005")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Không hạ cấu trúc về 0005: việc này sẽ xoá dữ liệu đang có" in refused.stderr
    assert "bảng drafts: 1 dòng" in refused.stderr, refused.stderr  # the drafts 0010's downgrade deletes
    assert "cột campaigns.province: giá trị (khác mặc định) của 1 dòng" in refused.stderr
    assert "khôi phục bản sao lưu" in refused.stderr
    assert revision_of(database_url) == migrate.head_revision()
    keyed = cli(database_url, tmp_path, "db", "downgrade", "0009")  # 0010 -> 0009 cannot carry the draft back
    assert keyed.returncode == 2 and "drafts" in keyed.stderr and "province" not in keyed.stderr, keyed.stderr
    database = Database(database_url)
    with database.session() as s:
        assert bytes(s.execute(text("SELECT sealed FROM drafts")).scalar()) == b"\x01sealed", "nothing changed"
    with database.transaction() as s:
        s.execute(text("DELETE FROM drafts"))
    database.dispose()
    assert cli(database_url, tmp_path, "db", "downgrade", "0009").returncode == 0  # 0011 -> 0009, nothing held
    one_step = cli(database_url, tmp_path, "db", "downgrade", "-1")  # 0009 -> 0008 drops nothing
    assert one_step.returncode == 0, one_step.stderr
    refused = cli(database_url, tmp_path, "db", "downgrade", "-1")  # 0008 -> 0007 drops the province
    assert refused.returncode == 2 and "campaigns.province" in refused.stderr
    assert "drafts" not in refused.stderr
    database = Database(database_url)
    with database.session() as s:
        assert s.execute(text("SELECT province FROM campaigns")).scalar() == "Bắc Kạn"
    database.dispose()


def test_a_downgrade_that_deletes_rows_it_keeps_no_column_for_is_refused(tmp_path):
    """0005's downgrade deletes the ballots sent through the API (and their answers)."""
    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    database = Database(url)
    migrate.upgrade(database, "0005")
    with database.transaction() as s:
        s.execute(text("INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, "
                       "criteria_files, created_at) VALUES (1, 2025, 'c', 'open', 'x', 'd', '{}', '2025-11-01')"))
        s.execute(text("INSERT INTO respondent_groups (id, campaign_id, code, name, reached_by) "
                       "VALUES (1, 1, 'g', 'G', 'link')"))
        s.execute(text("INSERT INTO ballots (id, campaign_id, client_id, group_id, channel, state, submitted_on) "
                       "VALUES (1, 1, 'a', 1, 'api', 'received', '2025-11-02')"))
    database.dispose()
    assert [loss.table for loss in migrate.data_lost_by_downgrade(Database(url), "0004")] == ["ballots"]
    refused = cli(url, tmp_path, "db", "downgrade", "0004")
    assert refused.returncode == 2 and "bảng ballots: 1 dòng có channel = 'api'" in refused.stderr
    assert revision_of(url) == "0005"


# --- a database that does not answer -----------------------------------------------------------

def _one_clear_line(done: Done | subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "s3cret-pw" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_an_unreachable_postgresql_is_one_line_naming_the_host_and_the_reason(tmp_path):
    """It was a raw traceback; the password of the URL is never printed."""
    port = closed_port()
    url = f"postgresql://parsurvey:s3cret-pw@127.0.0.1:{port}/parsurvey"
    for command in (["db", "upgrade"], ["db", "downgrade", "-1"], ["db", "current"]):
        line = _one_clear_line(cli(url, tmp_path, *command),
                               "Không kết nối được cơ sở dữ liệu PostgreSQL parsurvey",
                               f"127.0.0.1:{port}", "người dùng parsurvey", "Connection refused")
    assert line.endswith("(docs/operations.md).")
    served = parsurvey(url, tmp_path, "run", "--port", str(closed_port()), "--no-reload")
    _one_clear_line(served, f"127.0.0.1:{port}", "Connection refused")
    version_ = parsurvey(url, tmp_path, "--version")
    assert version_.returncode == 0 and version_.stdout.startswith(f"parsurvey {version()}\n")
    assert "không đọc được" in version_.stdout and "Connection refused" in version_.stdout
    assert "s3cret-pw" not in version_.stdout


def test_gunicorn_says_in_one_line_that_postgresql_does_not_answer(tmp_path):
    port = closed_port()
    server = Gunicorn(f"postgresql://parsurvey:s3cret-pw@127.0.0.1:{port}/parsurvey", tmp_path / "gunicorn.log",
                      {"SECRET_KEY": SECRET, "GUNICORN_WORKERS": "1", "PARSURVEY_INSTANCE": str(tmp_path / "i")})
    server.spawn()
    try:
        assert server.proc.wait(timeout=60) == 1
    finally:
        server.stop()
    log = server.log.read_text()
    assert f"Error: Không kết nối được cơ sở dữ liệu PostgreSQL parsurvey tại 127.0.0.1:{port}" in log
    assert "Traceback" not in log and "s3cret-pw" not in log


def test_a_missing_postgresql_database_is_named(pg_url, tmp_path):
    url = make_url(pg_url).set(database="no_such_db", password="s3cret-pw").render_as_string(hide_password=False)
    _one_clear_line(cli(url, tmp_path, "db", "upgrade"), "PostgreSQL no_such_db",
                    'database "no_such_db" does not exist')
