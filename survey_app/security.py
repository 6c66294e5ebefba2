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

With several gunicorn workers the default ``memory://`` storage counts per
worker; set ``RATELIMIT_STORAGE_URI`` (e.g. ``redis://``) to share the counts.
``RATELIMIT_ENABLED=false`` turns limits off (load benchmarks only).
"""
from __future__ import annotations

import secrets
import time

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
LOGIN_LIMIT = "10 per minute;40 per hour"
LINK_LIMIT = "30 per minute;200 per hour"


def init_security(app: Flask) -> None:
    """Headers, cookie flags, session timeouts and rate limits for ``app``."""
    secure = app.config.get("SESSION_COOKIE_SECURE")
    if secure is None:
        secure = str(app.config.get("PUBLIC_BASE_URL") or "").startswith("https://")
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=bool(secure))

    @app.after_request
    def _headers(response):
        svg = response.mimetype == "image/svg+xml"
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
        if any("\x00" in v for v in values) or (request.is_json and b"\\u0000" in request.get_data()):
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


def start_session(user_id: int) -> None:
    """A fresh session for a user who just signed in: nothing from before carries over."""
    session.clear()
    now = int(time.time())
    session.update(user_id=user_id, sid=secrets.token_urlsafe(16), since=now, seen=now)


def _init_rate_limits(app: Flask) -> None:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                      headers_enabled=True)
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
