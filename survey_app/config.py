"""Configuration read from the environment (a class, as in microblog)."""
from __future__ import annotations

import os

MIN_SECRET_BYTES = 32
# Keys seen in examples and tutorials, which an attacker tries first (a forged session cookie opens the site).
KNOWN_SECRETS = frozenset({"changeme", "change-me", "secret", "secret-key", "secretkey", "dev", "development",
                           "test", "testing", "test-secret", "please-change-me", "your-secret-key", "super-secret",
                           "supersecret", "default", "flask", "parsurvey", "khaosat", "password", "admin"})


def weak_secret_key(key: str | None) -> str | None:
    """Why ``key`` may not sign a production server's sessions (Vietnamese), or None.

    Examples
    --------
    >>> weak_secret_key("changeme") is not None, weak_secret_key("x" * 16) is not None
    (True, True)
    >>> weak_secret_key("7c1b0d2e9f8a4b6c3d5e7f9a1b2c3d4e5f6a7b8c9d0e1f2a") is None
    True
    """
    if not key:
        return "chưa có SECRET_KEY"
    if key.strip().lower() in KNOWN_SECRETS:
        return "SECRET_KEY là một giá trị mẫu ai cũng biết"
    if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
        return f"SECRET_KEY ngắn hơn {MIN_SECRET_BYTES} byte"
    if len(set(key)) < 8:
        return "SECRET_KEY lặp lại quá ít ký tự khác nhau"
    return None


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
    # Where failed sign-ins and unknown links are counted, shared by every worker: redis://host:port, or by
    # default a small SQLite file beside the instance (see survey_app.security.FileStorage).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI")
    # How many reverse proxies stand in front of the app (nginx: 1); their X-Forwarded-For/-Proto are then believed.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
