"""What ``/healthz`` reports: the database, the rate limits' store and the disk, each honestly.

A load balancer takes a host out of service on a 503: that is the answer when the database
cannot be read or the disk holding the database or the instance folder is nearly full (a
ballot could not be stored). A rate-limit store that cannot be reached (Redis down) is reported
as ``degraded`` with 200: the site keeps serving, counting limits in each process's memory.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

MIN_FREE_BYTES = 200 * 1024 * 1024  # below this the disk is reported full: a backup or the WAL would not fit


def disk_check(paths: list[Path], min_free: int = MIN_FREE_BYTES) -> dict:
    """Free space on the file systems holding ``paths`` (the least of them).

    Examples
    --------
    >>> disk_check([Path("/")], min_free=0)["status"]
    'ok'
    """
    free = min(shutil.disk_usage(p if p.exists() else p.parent).free for p in paths)
    return {"status": "ok" if free >= min_free else "full", "free_mb": free // (1024 * 1024)}


def health(database, store, paths: list[Path]) -> tuple[dict, int]:
    """The report and its HTTP status.

    Parameters
    ----------
    database : survey_app.db.Database
        The app's database.
    store : object or None
        The rate limits' store (its ``name`` and ``status()``), None when limits are off.
    paths : list of Path
        The folders whose disk must have room (the instance folder, a SQLite database's folder).
    """
    try:
        with database.connect() as conn:
            conn.execute(text("SELECT 1"))
        db = "ok"
    except SQLAlchemyError as error:
        db = f"error: {type(getattr(error, 'orig', error)).__name__}"
    limits = {"store": store.name, "status": store.status()} if store is not None else {"status": "off"}
    disk = disk_check(paths)
    failing = db != "ok" or disk["status"] != "ok"
    degraded = limits["status"] not in ("ok", "off")
    status = "fail" if failing else "degraded" if degraded else "ok"
    return {"status": status, "database": db, "rate_limits": limits, "disk": disk}, 503 if failing else 200
