"""Backup and restore of the app's database: ``parsurvey backup FILE``, ``parsurvey restore FILE``.

SQLite: both go through SQLite's online backup API, page by page, so a backup
can be taken while the app is serving (WAL mode: writers carry on), and a
restore writes into the live file through SQLite itself (its WAL and shared
memory stay consistent). A backup is checked (``PRAGMA integrity_check``)
before it is reported; a file is restored only if it is a sound SQLite
database at a schema revision this code knows, and the database it replaces
is first kept beside it.

PostgreSQL: the server's own tools do this better (:mod:`.pg_backup`).
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from .. import migrate
from ..db import Database
from .serving import ServerRunning, exclusive_use, hold_serving_lock, serving_lock_file

__all__ = ["hold_serving_lock", "serving_lock_file"]  # gunicorn_conf takes the serving lock from here

STEP_PAGES = 256  # 1 MB per step with 4 kB pages
SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")
RESTART_HINT = ("Nếu máy chủ (parsurvey run, gunicorn) đang chạy, hãy khởi động lại "
                "để chắc chắn mọi tiến trình dùng dữ liệu vừa khôi phục.")


class BackupError(Exception):
    """A refusal, worded for the person at the console (Vietnamese); nothing was changed."""


class RestoreFailed(Exception):
    """The restore changed the database but could not finish (the kept copy is named)."""


@dataclass(frozen=True)
class Contents:
    """What a SQLite database file holds, as far as a backup is concerned."""

    path: Path
    size_bytes: int
    ballots: int | None
    answers: int | None
    revision: str | None
    integrity: str

    @property
    def ok(self) -> bool:
        return self.integrity == "ok"


@dataclass(frozen=True)
class BackupSummary:
    """The result of :func:`backup_sqlite`: the copy and what it holds."""

    contents: Contents

    @property
    def path(self) -> Path:
        return self.contents.path

    def line(self) -> str:
        """The Vietnamese summary line printed by ``parsurvey backup``.

        Examples
        --------
        >>> BackupSummary(Contents(Path("b.sqlite"), 12_897_484, 937, 35853, "0004", "ok")).line()
        'Đã sao lưu vào b.sqlite: 12,3 MB, 937 phiếu, 35.853 câu trả lời (phiên bản 0004); kiểm tra toàn vẹn: ok'
        """
        c = self.contents
        return (f"Đã sao lưu vào {c.path}: {format_size(c.size_bytes)}, {_count_text(c)} "
                f"(phiên bản {c.revision or 'không rõ'}); kiểm tra toàn vẹn: {c.integrity}")


@dataclass(frozen=True)
class RestoreSummary:
    """The result of :func:`restore_sqlite`."""

    database: Path
    source: Path
    kept: Path | None
    from_revision: str
    contents: Contents

    def lines(self) -> list[str]:
        """The Vietnamese lines printed by ``parsurvey restore``."""
        lines = []
        if self.kept is not None:
            lines.append(f"Đã giữ cơ sở dữ liệu trước khi khôi phục tại {self.kept}.")
        revision = self.contents.revision
        if revision != self.from_revision:
            revision = f"{self.from_revision} → {revision} (đã nâng cấp cấu trúc)"
        lines.append(f"Đã khôi phục {self.source} vào {self.database}: {_count_text(self.contents)}; "
                     f"phiên bản {revision}; kiểm tra toàn vẹn: {self.contents.integrity}.")
        lines.append(RESTART_HINT)
        return lines


# --- formatting -----------------------------------------------------------


def format_count(n: int) -> str:
    """A count the Vietnamese way.

    Examples
    --------
    >>> format_count(35853)
    '35.853'
    """
    return f"{n:,}".replace(",", ".")


def format_size(size_bytes: int) -> str:
    """A file size the Vietnamese way (decimal comma; 1 MB = 1024 kB).

    Examples
    --------
    >>> format_size(12_897_484), format_size(2048), format_size(512)
    ('12,3 MB', '2,0 kB', '512 B')
    """
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("kB", 1024)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.1f} {unit}".replace(".", ",")
    return f"{size_bytes} B"


def _count_text(contents: Contents) -> str:
    ballots = "?" if contents.ballots is None else format_count(contents.ballots)
    answers = "?" if contents.answers is None else format_count(contents.answers)
    return f"{ballots} phiếu, {answers} câu trả lời"


# --- SQLite ---------------------------------------------------------------


def sqlite_file(url: str) -> Path:
    """The database file of a ``sqlite:///`` URL (a relative path is relative to the working folder).

    Examples
    --------
    >>> sqlite_file("sqlite:////srv/parsurvey.sqlite")
    PosixPath('/srv/parsurvey.sqlite')
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(f"{display_url(url)} không phải cơ sở dữ liệu SQLite.")
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        raise BackupError(f"Cơ sở dữ liệu {display_url(url)} không phải một tệp: không sao lưu hay khôi phục được.")
    return Path(parsed.database)


def _connect(path: Path, *, read_only: bool = False, busy_timeout_ms: int = 10000) -> sqlite3.Connection:
    """A plain sqlite3 connection that opens no transaction by itself."""
    if read_only:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                               timeout=busy_timeout_ms / 1000)
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return conn


def _copy_pages(source: sqlite3.Connection, target: sqlite3.Connection, step_pages: int = STEP_PAGES,
                progress=None) -> None:
    """Copy every page of ``source`` into ``target`` with the online backup API, ``step_pages`` at a time.

    The source's read transaction is held from the first step to the last, so
    the copy is one snapshot. In WAL mode (the app's) writers carry on
    meanwhile; without the held snapshot every commit by another connection
    would restart the copy from page one, and a busy app would never let it end.
    """
    source.execute("BEGIN")
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts the read snapshot
        source.backup(target, pages=step_pages, progress=progress, sleep=0.05)
    finally:
        source.execute("ROLLBACK")


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def _count(conn: sqlite3.Connection, table: str, tables: list[str]) -> int | None:
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if table in tables else None


def _revision(conn: sqlite3.Connection, tables: list[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    rows = [r for (r,) in conn.execute("SELECT version_num FROM alembic_version")]
    return rows[0] if len(rows) == 1 else ",".join(rows) or None


def _integrity(conn: sqlite3.Connection) -> str:
    rows = [r for (r,) in conn.execute("PRAGMA integrity_check")]
    return "ok" if rows == ["ok"] else "; ".join(rows[:5])


def _contents(conn: sqlite3.Connection, path: Path, integrity: str) -> Contents:
    tables = _tables(conn)
    return Contents(path, path.stat().st_size, _count(conn, "ballots", tables), _count(conn, "answers", tables),
                    _revision(conn, tables), integrity)


def _remove_side_files(path: Path) -> None:
    for suffix in SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parent, each readable by the owner only (0700): backups hold
    every ballot and account."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode passes through the umask


def backup_sqlite(source: Path, target: Path, *, force: bool = False, busy_timeout_ms: int = 10000,
                  step_pages: int = STEP_PAGES, progress=None) -> BackupSummary:
    """Copy the SQLite database ``source`` into ``target`` while the app may be writing to it.

    The copy is made into a temporary file beside ``target``, switched to a
    rollback journal (one self-contained file, no ``-wal``), checked with
    ``PRAGMA integrity_check``, and only then renamed to ``target``.

    Parameters
    ----------
    source : Path
        The live database file.
    target : Path
        The backup file; refused if it exists, unless ``force``.
    force : bool
        Replace an existing ``target``.
    step_pages : int
        Pages copied per step of the backup API.
    progress : callable, optional
        Called after each step as ``progress(status, remaining, total)`` (see ``sqlite3.Connection.backup``).

    Returns
    -------
    BackupSummary
        Size, ballots and answers of the copy, its revision and the integrity check's result
        (not ``ok``: the copy is kept, the caller reports the failure).
    """
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise BackupError(f"Không tìm thấy tệp cơ sở dữ liệu {source}.")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"{target} chính là cơ sở dữ liệu đang dùng: chọn tệp khác.")
    if target.is_dir():
        raise BackupError(f"{target} là một thư mục: cho tên tệp sao lưu, ví dụ {target / 'parsurvey.sqlite'}.")
    if target.exists() and not force:
        raise BackupError(f"Tệp {target} đã có: không ghi đè (dùng --force để ghi đè).")
    if not target.parent.is_dir():
        if target.parent.exists():
            raise BackupError(f"{target.parent} không phải là thư mục.")
        private_dirs(target.parent)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    partial = Path(name)
    try:
        src = _connect(source, busy_timeout_ms=busy_timeout_ms)
        dst = _connect(partial)
        try:
            _copy_pages(src, dst, step_pages, progress)
            dst.execute("PRAGMA journal_mode=DELETE")
            integrity = _integrity(dst)
            contents = _contents(dst, partial, integrity)
        finally:
            src.close()
            dst.close()
        _remove_side_files(target)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"Không sao lưu được {source}: {exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)
        _remove_side_files(partial)
    return BackupSummary(Contents(target, target.stat().st_size, contents.ballots, contents.answers,
                                  contents.revision, contents.integrity))


def known_revisions() -> set[str]:
    """Every schema revision of ``survey_app/migrations/versions``."""
    return migrate.known_revisions()


def inspect_backup(path: Path) -> Contents:
    """Check that ``path`` is a parsurvey database that may be restored; opens it read-only.

    Raises
    ------
    BackupError
        Not a file, not SQLite, failing the integrity check, without
        ``alembic_version``, or at a revision this code does not know.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Không tìm thấy tệp {path}.")
    with open(path, "rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise BackupError(f"{path} không phải tệp cơ sở dữ liệu SQLite.")
    try:
        conn = _connect(path, read_only=True)
        try:
            integrity = _integrity(conn)
            contents = _contents(conn, path, integrity)
            tables = _tables(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} bị hỏng hoặc không đọc được như cơ sở dữ liệu SQLite ({exc}).") from exc
    if not contents.ok:
        raise BackupError(f"{path} bị hỏng (kiểm tra toàn vẹn: {integrity}).")
    if "alembic_version" not in tables or contents.revision is None:
        raise BackupError(f"{path} không có bảng alembic_version: không phải bản sao lưu của parsurvey.")
    if contents.revision not in known_revisions():
        raise BackupError(f"{path} ở phiên bản cấu trúc '{contents.revision}' mà phiên bản parsurvey này không biết "
                          f"(mới nhất: {migrate.head_revision()}); có thể bản sao lưu được tạo bởi parsurvey mới hơn.")
    return contents


def _data_rows(conn: sqlite3.Connection) -> int:
    """How many tables hold at least one row (``alembic_version`` aside)."""
    return sum(conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0]
               for t in _tables(conn) if t != "alembic_version")


def _kept_path(live: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = live.with_name(f"{live.stem}.before-restore-{stamp}.sqlite")
    n = 1
    while candidate.exists():
        n += 1
        candidate = live.with_name(f"{live.stem}.before-restore-{stamp}-{n}.sqlite")
    return candidate


def restore_sqlite(database: Database, source: Path, *, force: bool = False, busy_timeout_ms: int = 10000,
                   now: datetime | None = None, secret: str | None = None) -> RestoreSummary:
    """Replace the contents of ``database``'s file with the backup ``source``, then migrate it to head.

    Nothing is changed when ``source`` is refused (see :func:`inspect_backup`)
    or the database holds data and ``force`` is not given. Otherwise the
    current database is first copied to ``<name>.before-restore-<UTC time>.sqlite``
    beside it, and ``source`` is copied page by page into the live file through
    SQLite (a connection still open elsewhere sees the restored data at its
    next transaction).

    Raises
    ------
    BackupError
        A refusal; nothing was changed.
    RestoreFailed
        The data was restored but the migration to head failed.
    """
    live = Path(os.path.realpath(sqlite_file(database.url)))  # the kept copy goes beside the real file
    try:
        with exclusive_use(database.url):  # a server starting meanwhile waits for the restore
            return _restore_unserved(database, live, Path(source), force, busy_timeout_ms, now, secret)
    except ServerRunning as running:
        raise BackupError(f"Máy chủ đang dùng {running.where}: dừng máy chủ (sudo systemctl stop parsurvey; "
                          "Ctrl+C với parsurvey run hoặc make run; dừng gunicorn của make serve) rồi khôi phục. "
                          "Khôi phục lúc đang chạy sẽ làm mất những phiếu máy chủ vừa ghi nhận.") from None


def _restore_unserved(database: Database, live: Path, source: Path, force: bool, busy_timeout_ms: int,
                      now: datetime | None, secret: str | None = None) -> RestoreSummary:
    if live.exists() and source.exists() and live.resolve() == source.resolve():
        raise BackupError(f"{source} chính là cơ sở dữ liệu đang dùng: không có gì để khôi phục.")
    wanted = inspect_backup(source)
    kept = None
    if live.exists():
        conn = _connect(live, read_only=True, busy_timeout_ms=busy_timeout_ms)
        try:
            tables, in_use = _tables(conn), _data_rows(conn)
            current = _contents(conn, live, "?")
        finally:
            conn.close()
        if in_use and not force:
            raise BackupError(f"Cơ sở dữ liệu {live} đang có dữ liệu ({_count_text(current)}): "
                              "không thay thế (dùng --force để thay thế; bản hiện tại sẽ được giữ lại).")
        if tables:
            kept = backup_sqlite(live, _kept_path(live, now or datetime.now(UTC)),
                                 busy_timeout_ms=busy_timeout_ms).path
    elif not live.parent.is_dir():
        raise BackupError(f"Không có thư mục {live.parent} của cơ sở dữ liệu.")
    database.dispose()
    try:
        src = _connect(source, read_only=True)
        dst = _connect(live, busy_timeout_ms=busy_timeout_ms)
        try:
            src.backup(dst, pages=STEP_PAGES, sleep=0.05)
        finally:
            src.close()
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"Không khôi phục được {source} vào {live}: {exc}.") from exc
    if wanted.revision != migrate.head_revision():
        try:
            migrate.upgrade(database, secret=secret)  # SECRET_KEY: a backup from before 0010 moves into the box
        except Exception as exc:
            where = f"; bản trước khi khôi phục ở {kept}" if kept else ""
            raise RestoreFailed(f"Đã chép dữ liệu của {source} (phiên bản {wanted.revision}) nhưng nâng cấp cấu trúc "
                                f"thất bại: {exc}{where}.") from exc
        finally:
            database.dispose()
    conn = _connect(live, busy_timeout_ms=busy_timeout_ms)
    try:
        contents = _contents(conn, live, _integrity(conn))
    finally:
        conn.close()
    return RestoreSummary(live, source, kept, wanted.revision, contents)


# --- PostgreSQL -----------------------------------------------------------


def display_url(url: str) -> str:
    """``url`` with its password hidden.

    Examples
    --------
    >>> display_url("postgresql+psycopg://u:secret@db:5432/survey")
    'postgresql+psycopg://u:***@db:5432/survey'
    """
    return make_url(url).render_as_string(hide_password=True)
