"""Extensions created at module level and bound in the factory; the request's session.

A request gets one database session, committed once just before the response
leaves (so a failing commit turns into an error page, never a false success)
and closed at teardown.
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from .db import Database

DB_KEY = "parsurvey.db"
SCORES_KEY = "parsurvey.scores"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

csrf = CSRFProtect()


def get_database() -> Database:
    """The current app's :class:`~survey_app.db.Database`."""
    return current_app.extensions[DB_KEY]


def db_session(write: bool = False) -> Session:
    """The session of this request (or app context), created on first use.

    A POST's takes the write lock at its first statement; a GET's only reads, unless the GET asks
    ``write=True`` before anything else opened the session (a download of links writes its audit row
    in the request's transaction, committed before the file leaves)."""
    if "db_session" not in g:
        g.db_session_writes = write or not has_request_context() or request.method in WRITE_METHODS
        g.db_session = get_database().session(write=g.db_session_writes)
    elif write and not g.db_session_writes:
        raise RuntimeError("this request's session was opened to read: ask db_session(write=True) first")
    return g.db_session


def init_request_sessions(app: Flask) -> None:
    @app.after_request
    def _commit(response):
        session = g.get("db_session")
        if session is not None:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        return response

    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
