"""Security headers, session cookie flags and timeouts, rate limits.

Headers. Every page gets a Content-Security-Policy with no inline script
(``script-src 'self'``; our only script is ``static/entry.js``), no framing
(``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: no-referrer`` (a respondent's link is a secret: it must not
leak to another site in a Referer). SVG images (charts, QR codes) are drawn
with inline styles and get a policy of their own that allows nothing else.

Sessions. The cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when the
site is served over HTTPS (``PUBLIC_BASE_URL`` starting with ``https://`` or
``SESSION_COOKIE_SECURE=1``). Sign-in starts a fresh session with a new random
id; a signed-in session ends after ``SESSION_IDLE_MINUTES`` without a request
and ``SESSION_MAX_HOURS`` after sign-in, whatever happens.

Rate limits (Flask-Limiter, per client address). Only failures count, so an
office of a thousand officials behind one address is never slowed down by
its own successful use:

- sign-in: 10 failed attempts a minute, 40 an hour;
- links and QR-card codes: 30 unknown ones a minute, 200 an hour. A card's
  code has 8 characters of a 32-letter alphabet (2^40 codes); with 1,000
  cards printed, 200 guesses an hour find one with a chance of about 1 in
  5,500 a year from one address.

Counts are shared by every worker of the server: by default in a small SQLite file
in the instance folder (:class:`FileStorage`, ``parsurvey-file://``); with
``RATELIMIT_STORAGE_URI=redis://…`` in Redis, for several hosts. Behind a reverse proxy,
``TRUSTED_PROXIES`` (the number of proxies) makes the client's address the one the proxy
saw (Werkzeug's ``ProxyFix``), so clients do not share one bucket.
``RATELIMIT_ENABLED=false`` turns limits off (load benchmarks only).

Input. A NUL character in a form or JSON body, and JSON nested deeper than
:data:`MAX_JSON_DEPTH`, are refused (400) before any view runs.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from limits.storage import Storage
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
LOGIN_LIMIT = "10 per minute;40 per hour"
LINK_LIMIT = "30 per minute;200 per hour"
MAX_JSON_DEPTH = 32
HSTS = "max-age=31536000; includeSubDomains"


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests arrays and objects (brackets inside strings do not count).

    Examples
    --------
    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class FileStorage(Storage):
    """Rate-limit counters in a SQLite file, shared by every process that opens it (gunicorn's workers).

    ``parsurvey-file:///path/to/limits.sqlite``. Fixed windows: a counter per key, reset when it expires.
    """

    STORAGE_SCHEME = ["parsurvey-file"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, the file and its table made on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER, expiry REAL)")
            os.chmod(self.path, 0o600)
            self._local.conn = conn
        return conn

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM counters WHERE key = ? AND expiry <= ?", (key, now))
            conn.execute("INSERT INTO counters (key, count, expiry) VALUES (?, ?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET count = count + excluded.count", (key, amount, now + expiry))
            count = conn.execute("SELECT count FROM counters WHERE key = ?", (key,)).fetchone()[0]
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return count

    def get(self, key: str) -> int:
        row = self._connect().execute("SELECT count FROM counters WHERE key = ? AND expiry > ?",
                                      (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connect().execute("SELECT expiry FROM counters WHERE key = ?", (key,)).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        return self._connect().execute("SELECT 1").fetchone() == (1,)

    def reset(self) -> int | None:
        return self._connect().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connect().execute("DELETE FROM counters WHERE key = ?", (key,))


def init_security(app: Flask) -> None:
    """Headers, cookie flags, session timeouts and rate limits for ``app``."""
    secure = app.config.get("SESSION_COOKIE_SECURE")
    if secure is None:
        secure = str(app.config.get("PUBLIC_BASE_URL") or "").startswith("https://")
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=bool(secure))
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def _headers(response):
        svg = response.mimetype == "image/svg+xml"
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        response.headers.setdefault("Content-Security-Policy", SVG_CSP if svg else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

    @app.before_request
    def _refuse_nul():
        """A NUL character has no use in typed text, and PostgreSQL refuses it in a text column:
        a form field, query value or JSON body holding one is a bad request, never an error page."""
        values = (v for _key, vs in request.values.lists() for v in vs)
        if any("\x00" in v for v in values):
            abort(400)
        if request.is_json:
            body = request.get_data()
            if b"\\u0000" in body or json_depth(body) > MAX_JSON_DEPTH:
                abort(400)
        return None

    @app.before_request
    def _session_timeouts():
        if "user_id" not in session:
            return None
        now = int(time.time())
        idle = app.config["SESSION_IDLE_MINUTES"] * 60
        ceiling = app.config["SESSION_MAX_HOURS"] * 3600
        if now - session.get("since", 0) > ceiling or now - session.get("seen", 0) > idle:
            session.clear()
            flash("Phiên làm việc đã hết hạn. Xin đăng nhập lại.", "error")
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            return redirect(url_for("auth.login"))
        if now - session.get("seen", 0) > 60:  # refresh at most once a minute: fewer cookie writes
            session["seen"] = now
        return None

    _init_rate_limits(app)


def start_session(user_id: int, version: int) -> None:
    """A fresh session for a user who just signed in: nothing from before carries over. ``version`` is
    the user's session version: when it changes (sign-out, new password...), this session ends."""
    session.clear()
    now = int(time.time())
    session.update(user_id=user_id, sv=version, sid=secrets.token_urlsafe(16), since=now, seen=now)


def _init_rate_limits(app: Flask) -> None:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    uri = app.config.get("RATELIMIT_STORAGE_URI") or "parsurvey-file://" + str(Path(app.instance_path,
                                                                                       "ratelimits.sqlite"))
    limiter = Limiter(get_remote_address, app=app, storage_uri=uri, headers_enabled=True)
    app.extensions["parsurvey.limiter"] = limiter
    failed_login = limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=lambda r: r.status_code == 401,
                                 scope="sign-in")
    unknown_link = limiter.limit(LINK_LIMIT, deduct_when=lambda r: r.status_code == 404, scope="links")
    app.view_functions["auth.login"] = failed_login(app.view_functions["auth.login"])
    for endpoint in {rule.endpoint for rule in app.url_map.iter_rules() if "<token>" in rule.rule}:
        app.view_functions[endpoint] = unknown_link(app.view_functions[endpoint])

    @app.errorhandler(429)
    def _too_many(_error):
        return render_template(
            "error.html",
            title="Quá nhiều lần thử",
            text="Ông/Bà đã thử quá nhiều lần trong thời gian ngắn. Xin đợi ít phút rồi thử lại.",
        ), 429
