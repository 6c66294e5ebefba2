"""Engines and sessions: SQLite with WAL and ``BEGIN IMMEDIATE`` for writes, or PostgreSQL.

The app factory creates a :class:`Database` (no connection is opened until
first use). A request gets one session; requests that write (POST, PUT,
PATCH, DELETE) get one whose transaction starts with ``BEGIN IMMEDIATE`` on
SQLite, so two writers queue on the busy timeout instead of failing halfway
with "database is locked". Neither driver opens a transaction by itself: every
BEGIN is ours (:func:`_explicit_begin`), so a read of one statement can go
without one (:meth:`Database.connect`).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way.

    Examples
    --------
    >>> normalise_url("postgres://u@localhost/db")
    'postgresql+psycopg://u@localhost/db'
    >>> normalise_url("sqlite:///x.sqlite")
    'sqlite:///x.sqlite'
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class DatabaseUnreachable(RuntimeError):
    """The database did not answer: a one-line Vietnamese message naming where and why (never a
    password). A ``RuntimeError``, so gunicorn prints it as one line and stops."""


def unreachable_message(url: str, error: BaseException) -> str:
    """The line said when ``url``'s database cannot be reached; ``error`` is the driver's.

    Examples
    --------
    >>> class E(Exception): pass
    >>> line = unreachable_message("postgresql://parsurvey:pw@localhost/parsurvey", E(
    ...     'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
    ...     'FATAL:  password authentication failed for user "parsurvey"'))
    >>> line[:84]
    'Không kết nối được cơ sở dữ liệu PostgreSQL parsurvey tại localhost:5432 (người dùng'
    >>> line[85:].split(". ")[0]
    'parsurvey): password authentication failed for user "parsurvey"'
    """
    parsed = make_url(normalise_url(url))
    reason = _reason(getattr(error, "orig", None) or error)
    if parsed.password:
        reason = reason.replace(str(parsed.password), "***")
    if parsed.get_backend_name() == "sqlite":
        return f"Không mở được cơ sở dữ liệu SQLite {parsed.database}: {reason}. Kiểm tra DATABASE_URL và thư mục."
    socket_dir = parsed.query.get("host")
    where = f"{parsed.host}:{parsed.port or 5432}" if parsed.host else f"socket {socket_dir or 'mặc định'}"
    user = f" (người dùng {parsed.username})" if parsed.username else ""
    return (f"Không kết nối được cơ sở dữ liệu PostgreSQL {parsed.database} tại {where}{user}: {reason}. "
            "Kiểm tra DATABASE_URL (máy, cổng, tên, người dùng, mật khẩu) và máy chủ PostgreSQL (docs/operations.md).")


def _reason(error: BaseException) -> str:
    """The driver's reason on one line: the last attempt's words after 'failed:', without 'FATAL:'."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    failed = [line for line in lines if "failed:" in line]
    reason = (failed[-1].rsplit("failed:", 1)[1] if failed else (lines or [type(error).__name__])[0]).strip()
    return " ".join(reason.removeprefix("FATAL:").split()).rstrip(".")


def _private(path: str | None) -> None:
    """Only the server's own user may read the database and its WAL (they hold names and answers)."""
    if not path or path == ":memory:":
        return
    for suffix in ("", "-wal", "-shm"):
        try:
            os.chmod(path + suffix, 0o600)
        except (FileNotFoundError, PermissionError):
            pass


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    path = engine.url.database

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # The driver must not open transactions by itself: _explicit_begin emits BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA secure_delete=ON")  # a deleted draft's bytes are overwritten, not left in free pages
        cur.close()
        _private(path)


def _explicit_begin(engine: Engine, sqlite: bool) -> None:
    """Both drivers run in autocommit (pysqlite with ``isolation_level = None``, psycopg with
    ``autocommit``): the transaction SQLAlchemy begins is this BEGIN, ``BEGIN IMMEDIATE`` for a
    writer on SQLite. A connection with ``statement_reads`` emits none: each of its statements is its
    own transaction (the respondent's reads, one statement each), and PostgreSQL's driver keeps its
    prepared statements, which a ROLLBACK would clear."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("statement_reads"):
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite and options.get("sqlite_immediate") else "BEGIN")


class Database:
    """The engines and session factories of one app.

    Parameters
    ----------
    url : str
        An SQLAlchemy URL; ``postgres://`` and ``postgresql://`` use psycopg 3.
    busy_timeout_ms : int
        How long an SQLite writer waits for another before giving up.
    """

    def __init__(self, url: str, busy_timeout_ms: int = 10000):
        self.url = normalise_url(url)
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        kwargs = {"pool_pre_ping": True, "isolation_level": "AUTOCOMMIT"} if not self.is_sqlite else {}
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout_ms)
        _explicit_begin(self.engine, self.is_sqlite)
        self.write_engine = self.engine.execution_options(sqlite_immediate=True)
        self.read_engine = self.engine.execution_options(statement_reads=True)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    def session(self, write: bool = False) -> Session:
        """A new session; ``write=True`` takes the write lock at its first statement."""
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed at the end of the block, rolled back on error."""
        session = self.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def connect(self, write: bool = False) -> Connection:
        """A plain connection, no ORM session (the respondent's path: see ``services/visits.py``).

        ``write=True``: its transaction takes the write lock at its first statement, as :meth:`session`
        does. Otherwise each statement is its own transaction (no BEGIN: the path reads a statement at
        a time) until :func:`writing` opens a write transaction on it.
        """
        return (self.write_engine if write else self.read_engine).connect()

    def dispose(self) -> None:
        self.engine.dispose()

    def check_reachable(self) -> None:
        """Open and close one connection.

        Raises
        ------
        DatabaseUnreachable
            It could not be opened (server down, wrong password, no such database or folder).
        """
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError as error:
            raise DatabaseUnreachable(unreachable_message(self.url, error)) from error


@contextmanager
def writing(conn: Connection) -> Iterator[Connection]:
    """A write transaction on ``conn``, committed at the end of the block and rolled back on error.

    The connection's read transaction, if any, ends first (on SQLite the write lock must not wait
    behind our own snapshot); the write one starts with ``BEGIN IMMEDIATE`` there, so a writer
    queues on the busy timeout instead of failing halfway. One connection serves a whole request.
    """
    if conn.in_transaction():
        conn.rollback()
    options = conn.get_execution_options()
    before = {"sqlite_immediate": options.get("sqlite_immediate", False),
              "statement_reads": options.get("statement_reads", False)}
    conn.execution_options(sqlite_immediate=True, statement_reads=False)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.execution_options(**before)
