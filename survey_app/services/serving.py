"""Which database a server is serving: the lock every server holds for its whole life.

A server (gunicorn's master in ``on_starting``, ``parsurvey run``) takes a *shared* lock
with :func:`hold_serving_lock` and keeps it until it exits; its forked workers share it.
The commands that must not run under a live server (``parsurvey restore``, ``parsurvey db
upgrade`` and ``downgrade``) take the same lock *exclusively* with :func:`exclusive_use`, without
waiting: they are refused while any server holds it, and a server starting meanwhile waits
until they are done.

- SQLite: ``flock`` on ``<database>.serving`` beside the database's *real* file (links
  resolved), so every path that names the database (a symlink, a relative path, a
  folder reached by another link or a bind mount) finds the same lock file.
- PostgreSQL: an advisory lock (``pg_advisory_lock_shared``) on a connection the server
  keeps open; it covers every app host of a shared database. A forked worker never closes
  its master's connection (psycopg finishes a connection only in the process that opened it).
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from ..db import DatabaseUnreachable, normalise_url, unreachable_message

# pg_advisory_lock key of "a parsurvey server serves this database" (any 64-bit number no other code uses)
PG_SERVING_KEY = 0x7061727375727679  # b"parsurvy"

_HELD: list = []  # locks a serving process keeps for its lifetime (lock files, connections)


class ServerRunning(Exception):
    """A server holds the database: ``where`` names it (the real file, or the URL without password)."""

    def __init__(self, where: str):
        super().__init__(where)
        self.where = where


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, ``None`` for another database or an in-memory one.

    Examples
    --------
    >>> sqlite_path("sqlite:////srv/p.sqlite"), sqlite_path("sqlite://"), sqlite_path("postgresql://h/db")
    (PosixPath('/srv/p.sqlite'), None, None)
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def serving_lock_file(live: Path) -> Path:
    """The lock file of the SQLite database ``live``: beside its real file, whatever path names it."""
    real = Path(os.path.realpath(live))
    return real.with_name(real.name + ".serving")


def _open_lock_file(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _pg_connection(url: str):
    """A connection of its own (no pool), in autocommit, for an advisory lock."""
    engine = create_engine(normalise_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        return engine.connect()
    except DBAPIError as error:
        raise DatabaseUnreachable(unreachable_message(url, error)) from error


def hold_serving_lock(url: str) -> None:
    """Say, for as long as this process (and the workers it forks) lives, that it serves the database
    of ``url``; waits while :func:`exclusive_use` holds it (a restore or an upgrade in progress).

    Raises
    ------
    DatabaseUnreachable
        PostgreSQL did not answer (a ``RuntimeError``: gunicorn prints its one line and exits).
    """
    live = sqlite_path(url)
    if live is not None:
        path = serving_lock_file(live)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _open_lock_file(path)
        fcntl.flock(fd, fcntl.LOCK_SH)
        _HELD.append(fd)
    elif make_url(normalise_url(url)).get_backend_name() == "postgresql":
        conn = _pg_connection(url)
        conn.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": PG_SERVING_KEY})
        _HELD.append(conn)


@contextmanager
def exclusive_use(url: str) -> Iterator[None]:
    """Hold the database of ``url`` for a command that must run with no server on it.

    Raises
    ------
    ServerRunning
        A server holds it (:func:`hold_serving_lock`); nothing was done.
    DatabaseUnreachable
        PostgreSQL did not answer.
    """
    live = sqlite_path(url)
    if live is not None:
        path = serving_lock_file(live)
        if not path.parent.is_dir():  # no folder: no server can be using it
            yield
            return
        fd = _open_lock_file(path)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ServerRunning(str(path.with_name(path.name[:-len(".serving")]))) from None
            yield
        finally:
            os.close(fd)  # releases the lock
    elif make_url(normalise_url(url)).get_backend_name() == "postgresql":
        conn = _pg_connection(url)
        try:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_SERVING_KEY}).scalar():
                raise ServerRunning(make_url(normalise_url(url)).render_as_string(hide_password=True))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_SERVING_KEY})
        finally:
            conn.close()
    else:
        yield
