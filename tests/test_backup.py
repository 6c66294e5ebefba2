"""``parsurvey backup`` and ``parsurvey restore``: round trips, a backup while the app writes, refusals."""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from survey_app import migrate
from survey_app.db import Database
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, AuditEntry, Ballot, Comment
from survey_app.services.audit import record
from survey_app.services.backup import backup_sqlite, sqlite_file

from .conftest import make_app
from .servers import REPO, Gunicorn


def live_file(app) -> Path:
    return sqlite_file(app.extensions[DB_KEY].url)


def counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("ballots", "answers"))
    finally:
        conn.close()


def sample_rows(app) -> tuple[list, list]:
    """The first ballots and every answer of the first one, as plain tuples."""
    with app.extensions[DB_KEY].session() as session:
        ballots = session.execute(select(Ballot.id, Ballot.client_id, Ballot.state, Ballot.channel, Ballot.group_id)
                                  .order_by(Ballot.id).limit(5)).all()
        answers = session.execute(select(Answer.unit_id, Answer.question, Answer.option)
                                  .where(Answer.ballot_id == ballots[0].id)
                                  .order_by(Answer.unit_id, Answer.question)).all()
    return [tuple(b) for b in ballots], [tuple(a) for a in answers]


def kept_files(app) -> list[Path]:
    return kept_files_of(live_file(app))


def kept_files_of(live: Path) -> list[Path]:
    return sorted(live.parent.glob(f"{live.stem}.before-restore-*.sqlite"))


def delete_ballots(app, n: int) -> None:
    with app.extensions[DB_KEY].transaction() as session:
        ids = session.scalars(select(Ballot.id).order_by(Ballot.id).limit(n)).all()
        session.execute(delete(Answer).where(Answer.ballot_id.in_(ids)))
        session.execute(delete(Comment).where(Comment.ballot_id.in_(ids)))  # the demo's SIPAS ballots have some
        session.execute(delete(Ballot).where(Ballot.id.in_(ids)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- SQLite round trips ---------------------------------------------------


def test_backup_then_restore_brings_every_row_back_and_keeps_the_changed_state(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    live, copy = live_file(demo_app), tmp_path / "saved" / "backup.sqlite"
    copy.parent.mkdir()
    ballots, answers = counts(live)
    rows = sample_rows(demo_app)

    result = runner.invoke(args=["backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Đã sao lưu vào {copy}: ")
    assert f"{ballots} phiếu" in result.output.replace(".", "")
    assert result.output.rstrip().endswith("kiểm tra toàn vẹn: ok")
    assert counts(copy) == (ballots, answers)
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    assert [p.name for p in copy.parent.iterdir()] == ["backup.sqlite"]  # no partial file left

    delete_ballots(demo_app, 10)
    changed = counts(live)
    assert changed[0] == ballots - 10 and changed[1] < answers

    result = runner.invoke(args=["restore", str(copy)])
    assert result.exit_code == 2
    assert "đang có dữ liệu" in result.stderr and "--force" in result.stderr
    assert counts(live) == changed and kept_files(demo_app) == []

    result = runner.invoke(args=["restore", str(copy), "--force"])
    assert result.exit_code == 0, result.output
    assert counts(live) == (ballots, answers)
    assert sample_rows(demo_app) == rows
    [kept] = kept_files(demo_app)
    assert counts(kept) == changed
    assert str(kept) in result.output
    assert "khởi động lại" in result.output
    assert migrate.current_revision(demo_app.extensions[DB_KEY]) == migrate.head_revision()
    # the app's own engine sees the restored data and still writes (WAL still in use)
    with demo_app.extensions[DB_KEY].transaction() as session:
        record(session, "test", "create", "check")
    with demo_app.extensions[DB_KEY].session() as session:
        assert session.scalar(select(func.count()).select_from(Ballot)) == ballots
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_restore_into_an_empty_database_needs_no_force(demo_app, app, tmp_path):
    copy = tmp_path / "demo-backup.sqlite"
    assert demo_app.test_cli_runner().invoke(args=["backup", str(copy)]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["restore", str(copy)])
    assert result.exit_code == 0, result.output
    assert counts(live_file(app)) == counts(live_file(demo_app))
    assert sample_rows(app) == sample_rows(demo_app)


def test_backup_of_an_older_revision_is_upgraded_to_head_after_restore(demo_app, demo_db, tmp_path):
    old = tmp_path / "old" / "demo-0003.sqlite"
    old.parent.mkdir()
    shutil.copy(demo_db, old)
    database = Database(f"sqlite:///{old}")
    migrate.downgrade(database, "0003")
    database.dispose()
    copy = tmp_path / "backup-0003.sqlite"
    summary = backup_sqlite(old, copy)
    assert summary.contents.revision == "0003" and summary.contents.ok

    result = demo_app.test_cli_runner().invoke(args=["restore", str(copy), "--force"])
    assert result.exit_code == 0, result.output
    head = migrate.head_revision()
    assert f"0003 → {head}" in result.output
    database = demo_app.extensions[DB_KEY]
    assert migrate.current_revision(database) == head
    assert counts(live_file(demo_app)) == counts(old)
    tables = {r[0] for r in sqlite3.connect(live_file(demo_app)).execute("SELECT name FROM sqlite_master")}
    assert {"commune_results", "previous_results"} <= tables  # made by 0004


# --- a backup while the app writes ----------------------------------------


def test_backup_while_the_app_keeps_writing(demo_app, tmp_path):
    database = demo_app.extensions[DB_KEY]
    live, copy = live_file(demo_app), tmp_path / "hot.sqlite"
    stop, written, errors = threading.Event(), [], []

    def writer():
        while not stop.is_set():
            try:
                with database.transaction() as session:  # BEGIN IMMEDIATE, as a request that writes
                    record(session, "test", "create", "writer", len(written))
            except Exception as exc:  # noqa: BLE001 - any failure fails the test below
                errors.append(exc)
                return
            written.append(1)

    steps, during = [], []

    def progress(_status, remaining, total):
        # After the first step the backup holds its snapshot: the app must still commit meanwhile.
        if not steps:
            mark, deadline = len(written), time.monotonic() + 10
            while len(written) < mark + 20 and not errors and time.monotonic() < deadline:
                time.sleep(0.005)
            during.append(len(written) - mark)
        steps.append((remaining, total))

    with database.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5 and not errors:
            time.sleep(0.005)
        summary = backup_sqlite(live, copy, step_pages=16, progress=progress)
        at_end = len(written)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    assert during and during[0] >= 20, "the app could not write while the backup ran"
    assert len(steps) > 10 and steps[-1][0] == 0  # really page by page
    assert summary.contents.ok and summary.contents.integrity == "ok"
    assert counts(copy) == counts(live)  # the writer adds audit entries, not ballots
    conn = sqlite3.connect(copy)
    in_copy = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    conn.close()
    with database.session() as session:
        final = session.scalar(select(func.count()).select_from(AuditEntry))
    assert final == before + len(written)  # every insert of the writer committed
    assert before < in_copy <= before + at_end - 20  # one snapshot, taken before the writes made during the copy


# --- refusals -------------------------------------------------------------


def test_backup_refuses_to_overwrite_without_force(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    target = tmp_path / "exists.sqlite"
    target.write_bytes(b"keep me")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 2
    assert "đã có" in result.stderr and "--force" in result.stderr
    assert target.read_bytes() == b"keep me"
    result = runner.invoke(args=["backup", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert counts(target) == counts(live_file(demo_app))


def test_backup_makes_its_folder_private_as_the_readme_writes_it(demo_app, tmp_path, monkeypatch):
    """``parsurvey backup backups/2026-11-22.sqlite`` on a fresh clone: the folder is made, 0700."""
    monkeypatch.chdir(tmp_path)
    result = demo_app.test_cli_runner().invoke(args=["backup", "backups/2026-11-22.sqlite"])
    assert result.exit_code == 0, result.output
    assert counts(tmp_path / "backups" / "2026-11-22.sqlite") == counts(live_file(demo_app))
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    deep = demo_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "a" / "b" / "c.sqlite")])
    assert deep.exit_code == 0, deep.output
    assert all((tmp_path / p).stat().st_mode & 0o777 == 0o700 for p in ("a", "a/b"))
    (tmp_path / "file").write_text("x")
    blocked = demo_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "file" / "c.sqlite")])
    assert blocked.exit_code == 2 and "không phải là thư mục" in blocked.stderr


def test_every_backup_and_the_copy_kept_before_a_restore_are_owner_only(demo_app, tmp_path):
    """0600 from the start (the README says so): a backup holds every ballot and account."""
    runner = demo_app.test_cli_runner()
    target = tmp_path / "b.sqlite"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o600
    result = runner.invoke(args=["restore", str(target), "--force"])
    assert result.exit_code == 0, result.output
    [kept] = kept_files(demo_app)
    assert kept.stat().st_mode & 0o777 == 0o600


SERVER_ENV = {"SECRET_KEY": "backup-tests-secret-of-more-than-32-bytes-0123456789", "GUNICORN_WORKERS": "1"}


def _cli(database_url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "PARSURVEY_INSTANCE": str(instance), **SERVER_ENV}
    return subprocess.run([sys.executable, "-m", "survey_app.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_restore_refuses_under_a_server_whatever_path_names_the_database(demo_db, tmp_path):
    """The server reached the database through a symlink; a restore through the real path, another
    link or a relative path is refused all the same (it used to run, under the live server)."""
    real = tmp_path / "data" / "live.sqlite"
    real.parent.mkdir()
    shutil.copy(demo_db, real)
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "db.sqlite").symlink_to(real)
    (tmp_path / "other.sqlite").symlink_to(tmp_path / "served" / "db.sqlite")
    (tmp_path / "linked-folder").symlink_to(real.parent)
    backup = backup_sqlite(real, tmp_path / "backup.sqlite").path
    before = sha256(real)
    server = Gunicorn(f"sqlite:///{tmp_path / 'served' / 'db.sqlite'}", tmp_path / "gunicorn.log",
                      {**SERVER_ENV, "PARSURVEY_INSTANCE": str(tmp_path / "instance")})
    server.spawn()
    try:
        server.wait_ready()
        for url in (f"sqlite:///{real}", f"sqlite:///{tmp_path / 'other.sqlite'}",
                    f"sqlite:///{tmp_path / 'linked-folder' / 'live.sqlite'}",
                    f"sqlite:///{os.path.relpath(real, REPO)}"):
            refused = _cli(url, tmp_path / "instance", "restore", str(backup), "--force")
            assert refused.returncode == 2, (url, refused.stdout, refused.stderr)
            assert "Máy chủ đang dùng" in refused.stderr and str(real) in refused.stderr, refused.stderr
        assert sha256(real) == before and kept_files_of(real) == []
    finally:
        server.stop()
    done = _cli(f"sqlite:///{tmp_path / 'other.sqlite'}", tmp_path / "instance", "restore", str(backup), "--force")
    assert done.returncode == 0, done.stderr
    assert len(kept_files_of(real)) == 1


def _random_bytes(folder: Path) -> Path:
    path = folder / "random.sqlite"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def _no_alembic(folder: Path) -> Path:
    path = folder / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ballots (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    return path


def _unknown_revision(folder: Path, demo_db: Path) -> Path:
    path = folder / "future.sqlite"
    shutil.copy(demo_db, path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    return path


def _corrupt(folder: Path, demo_db: Path) -> Path:
    path = folder / "corrupt.sqlite"
    backup_sqlite(demo_db, path)
    data = bytearray(path.read_bytes())
    data[8192:8192 + 4096 * 20] = bytes(range(256)) * 16 * 20  # pages 3-22 overwritten
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda folder, demo_db: _random_bytes(folder), "không phải tệp cơ sở dữ liệu SQLite"),
    (lambda folder, demo_db: _no_alembic(folder), "không có bảng alembic_version"),
    (_unknown_revision, "phiên bản cấu trúc '9999'"),
    (_corrupt, "bị hỏng"),
    (lambda folder, demo_db: folder / "missing.sqlite", "Không tìm thấy tệp"),
], ids=["random-bytes", "no-alembic-version", "unknown-revision", "corrupt", "missing"])
def test_restore_refuses_a_file_it_cannot_trust_and_changes_nothing(demo_app, demo_db, tmp_path, make, message):
    folder = tmp_path / "bad"
    folder.mkdir()
    bad = make(folder, demo_db)
    live = live_file(demo_app)
    before, digest = counts(live), sha256(live)
    result = demo_app.test_cli_runner().invoke(args=["restore", str(bad), "--force"])
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "không thay đổi gì" in result.stderr
    assert counts(live) == before and sha256(live) == digest
    assert kept_files(demo_app) == []


# --- PostgreSQL -----------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_backup_prints_pg_dump_without_the_password(pg_url, tmp_path):
    url = make_url(pg_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    app = make_app(url, tmp_path / "instance")
    parsed = make_url(pg_url)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "pg.dump")])
    assert result.exit_code == 2
    command = next(line for line in result.output.splitlines() if line.strip().startswith("pg_dump "))
    assert f"--host={parsed.host}" in command and f"--port={parsed.port}" in command
    assert f"--dbname={parsed.database}" in command and f"--username={parsed.username}" in command
    assert "s3cret-pw" not in result.output
    assert "PGPASSWORD" in result.output
    assert not (tmp_path / "pg.dump").exists()

    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "pg.dump")])
    assert result.exit_code == 2
    assert "pg_restore " in result.output and f"--dbname={parsed.database}" in result.output
    assert "s3cret-pw" not in result.output


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump not installed")
@pytest.mark.postgres
def test_postgresql_backup_run_calls_pg_dump(pg_url, tmp_path):
    app = make_app(pg_url, tmp_path / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    app.extensions[DB_KEY].dispose()
    target = tmp_path / "pg.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(target), "--run"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert target.stat().st_mode & 0o777 == 0o600  # as SQLite backups; pg_dump alone writes 0644
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    assert "pg_dump" in result.output
    result = app.test_cli_runner().invoke(args=["backup", str(target), "--run"])
    assert result.exit_code == 1 and "đã có" in result.stderr
