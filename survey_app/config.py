"""Configuration read from the environment (a class, as in microblog)."""
from __future__ import annotations

import os


class Config:
    """Default settings; every one can be set by an environment variable.

    ``DATABASE_URL``: ``sqlite:///path`` (default: ``instance/parsurvey.sqlite``)
    or ``postgresql://user@host/db`` (psycopg 3 is used).
    ``SECRET_KEY``: signs sessions and CSRF tokens; without it a key is
    generated once into the instance folder.
    """

    DATABASE_URL = os.environ.get("DATABASE_URL")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("PARSURVEY_SQLITE_BUSY_TIMEOUT_MS", "10000"))
    WTF_CSRF_TIME_LIMIT = None  # a form opened in the morning still submits in the afternoon
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    JSON_AS_ASCII = False
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600  # static URLs carry a content hash (asset())
    # Where respondents open links (printed in texts and QR codes); default: the address the admin uses.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    # More criteria set folders an admin may open a campaign with (os.pathsep-separated).
    SETS_DIR = os.environ.get("PARSURVEY_SETS_DIR")
    # Signed-in sessions end after this long without a request, and this long after sign-in.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # None: Secure when PUBLIC_BASE_URL is https (see survey_app.security).
    SESSION_COOKIE_SECURE = {"1": True, "true": True, "0": False, "false": False}.get(
        os.environ.get("SESSION_COOKIE_SECURE", "").lower())
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "true").lower() not in ("0", "false", "no")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
