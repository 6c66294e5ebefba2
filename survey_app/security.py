"""Security headers, session cookie flags and timeouts, rate limits.

Headers. Every page gets a Content-Security-Policy with no inline script
(``script-src 'self'``; our only script is ``static/entry.js``), no framing
(``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: same-origin``: a respondent's link is a secret and must not
leak to another site in a Referer, and a page of ours sends none elsewhere; but a
form posted to ourselves carries its Referer, which Flask-WTF requires over HTTPS
(``WTF_CSRF_SSL_STRICT``, kept on: a CSRF token and a same-origin Referer). With
``no-referrer`` no form could be sent over HTTPS. SVG images (charts, QR codes) are
drawn with inline styles and get a policy of their own that allows nothing else.

Sessions. The cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when the
site is served over HTTPS (``PUBLIC_BASE_URL`` starting with ``https://`` or
``SESSION_COOKIE_SECURE=1``). Sign-in starts a fresh session with a new random
id; a signed-in session ends after ``SESSION_IDLE_MINUTES`` without a request
and ``SESSION_MAX_HOURS`` after sign-in, whatever happens.

Rate limits (:mod:`survey_app.ratelimit`, per client address). Only failures count, so an
office of a thousand officials behind one address is never slowed down by
its own successful use; a limit is checked and counted in one atomic step:

- sign-in: 10 failed attempts a minute, 40 an hour;
- links and QR-card codes: 30 unknown ones a minute, 200 an hour, one bucket for
  every respondent route. A card's
  code has 8 characters of a 32-letter alphabet (2^40 codes); with 1,000
  cards printed, 200 guesses an hour find one with a chance of about 1 in
  5,500 a year from one address.

Counts are shared by every worker of the server: by default in a small SQLite file
in the instance folder (``parsurvey-file://``, 0600); with
``RATELIMIT_STORAGE_URI=redis://…`` in Redis, for several hosts (this process's memory,
said loudly in the log, while Redis is unreachable). Behind a reverse proxy,
``TRUSTED_PROXIES`` (the number of proxies) makes the client's address the one the proxy
saw (Werkzeug's ``ProxyFix``), so clients do not share one bucket.
``RATELIMIT_ENABLED=false`` turns limits off (load benchmarks only).

Input. A NUL character or bytes that are not UTF-8 in a query, form or JSON value, and JSON
nested deeper than :data:`MAX_JSON_DEPTH`, are refused with a 400 that names the field
(:class:`InvalidInput`), before any view runs; on the JSON API after its token and role are
checked (``web/api/auth.py``), so an unknown caller only ever learns 401.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path
from urllib.parse import unquote_to_bytes

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
LOGIN_LIMIT = "10 per minute;40 per hour"
LINK_LIMIT = "30 per minute;200 per hour"
MAX_JSON_DEPTH = 32
HSTS = "max-age=31536000; includeSubDomains"
log = logging.getLogger("survey_app.security")


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


class InvalidInput(BadRequest):
    """A value no typed text holds: a NUL, bytes that are not UTF-8 (``problem`` ``nul``, ``utf8``), or
    JSON nested too deep (``depth``). ``field`` names where: a form or query field, a JSON path such as
    ``units[0].answers.H01``, or ``""`` for the body as a whole; the description says it in Vietnamese."""

    def __init__(self, field: str, problem: str):
        shown = field.replace("\x00", "\\0")[:100]  # printable: a lone surrogate shows as U+FFFD
        self.field = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in shown)
        self.problem = problem
        where = f"Trường “{self.field}”" if self.field else "Dữ liệu gửi lên"
        super().__init__(description={
            "nul": f"{where} có ký tự NUL (mã 0), không dùng được trong văn bản. Xin xoá ký tự đó rồi gửi lại.",
            "utf8": f"{where} không phải văn bản UTF-8 hợp lệ. Xin gõ hoặc dán lại nội dung đó rồi gửi lại.",
            "depth": f"{where} lồng nhau quá sâu (tối đa {MAX_JSON_DEPTH} cấp).",
        }[problem])


def _undecodable(raw: bytes) -> str | None:
    """The name of the first field of a query string or url-encoded body that is not UTF-8, if any."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")  # "&" and "=" never end a character
        return None
    except UnicodeDecodeError:
        pass
    for pair in raw.split(b"&"):
        name, _, value = (unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"="))
        try:
            name.decode("utf-8"), value.decode("utf-8")
        except UnicodeDecodeError:
            return name.decode("utf-8", "surrogateescape")
    return None


def _bad_json_string(value, path: str = "") -> tuple[str, str] | None:
    """``(path, problem)`` of the first string value holding a NUL or a lone surrogate (bytes that were
    not UTF-8, or a ``\\udXXX`` escape), if any. Keys are names the view looks up, never text it stores."""
    if isinstance(value, str):
        if "\x00" in value:
            return path, "nul"
        return (path, "utf8") if any("\ud800" <= c <= "\udfff" for c in value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _bad_json_string(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key)
        if found:
            return found
    return None


def _json_problem(body: bytes) -> InvalidInput | None:
    if json_depth(body) > MAX_JSON_DEPTH:
        return InvalidInput("", "depth")
    encoding = json.detect_encoding(body)
    try:
        text = body.decode(encoding, "surrogateescape" if encoding.startswith("utf-8") else "strict")
    except UnicodeDecodeError:
        return InvalidInput("", "utf8")
    if "\x00" not in text and "\\u" not in text and not any("\udc80" <= c <= "\udcff" for c in text):
        return None
    try:
        found = _bad_json_string(json.loads(text, strict=False))
    except ValueError:
        return None  # not JSON: the view says so
    return InvalidInput(*found) if found else None


def input_problem() -> InvalidInput | None:
    """What no view should see in this request's query, form or JSON body (see :class:`InvalidInput`).

    Call it before the form is read (the raw body of a url-encoded form is checked); a multipart form's
    fields arrive decoded, where a byte that was not UTF-8 is U+FFFD."""
    field = _undecodable(request.query_string)
    if field is None and request.mimetype == "application/x-www-form-urlencoded":
        field = _undecodable(request.get_data(cache=True))
    if field is not None:
        return InvalidInput(field, "utf8")
    multipart = request.mimetype == "multipart/form-data"
    for key, values in request.values.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return InvalidInput(key, "nul")
        if multipart and any("\ufffd" in v for v in values):
            return InvalidInput(key, "utf8")
    return _json_problem(request.get_data(cache=True)) if request.is_json else None


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
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

    def _refuse_nul():
        """A NUL character has no use in typed text, PostgreSQL refuses it in a text column, and text
        that is not UTF-8 cannot be stored either: a query, form or JSON value holding one is a bad
        request that says which field, never an error page. First of all (before CSRF reads the form,
        so the raw body is still there); the JSON API checks after the caller's token and role."""
        if request.blueprint == "api":
            return None
        problem = input_problem()
        if problem is not None:
            raise problem
        return None

    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul)

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
    _log_csrf_failures(app)


def _log_csrf_failures(app: Flask) -> None:
    """A refused form is logged with Flask-WTF's reason (never the token), then gets the usual 400 page."""
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf_failed(error):
        log.warning("CSRF check failed: %s (%s %s from %s)", error.description, request.method, request.path,
                    request.remote_addr)
        return app.handle_http_exception(BadRequest())


def start_session(user_id: int, version: int) -> None:
    """A fresh session for a user who just signed in: nothing from before carries over. ``version`` is
    the user's session version: when it changes (sign-out, new password...), this session ends."""
    session.clear()
    now = int(time.time())
    session.update(user_id=user_id, sv=version, sid=secrets.token_urlsafe(16), since=now, seen=now)


def _init_rate_limits(app: Flask) -> None:
    """Failed sign-ins and unknown links, limited per client (see :mod:`survey_app.ratelimit`).

    Every respondent route that takes a token (``/s/<token>/…``) and the card-code form (``/ma``)
    share one bucket: a guesser is not given one allowance per route."""
    from .ratelimit import FailureLimit, open_store

    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "parsurvey-file://" + str(Path(app.instance_path,
                                                                                       "ratelimits.sqlite"))
    store = open_store(uri)
    app.extensions["parsurvey.ratelimit"] = store
    sign_in = FailureLimit(store, "sign-in", LOGIN_LIMIT, lambda r: r.status_code == 401)
    # 404: an unknown link or card code; 401: a wrong resume code of a saved draft
    links = FailureLimit(store, "links", LINK_LIMIT, lambda r: r.status_code in (401, 404))
    limited = {"auth.login": sign_in, "auth.setup": sign_in, "respond.short_code": links}
    limited.update({rule.endpoint: links for rule in app.url_map.iter_rules() if "<token>" in rule.rule})

    @app.before_request
    def _take_place():
        limit = limited.get(request.endpoint)
        if limit is None or (limit is sign_in and request.method != "POST"):
            return None
        places, wait = limit.take(request.remote_addr or "?")
        if wait is not None:
            return _too_many(wait)
        g.limit_places = (limit, places)
        return None

    @app.after_request
    def _give_back(response):
        taken = g.pop("limit_places", None)
        if taken is not None and not taken[0].failed(response):
            taken[0].give_back(taken[1])
        return response


def _too_many(wait: int):
    """The 429 page, with how long to wait."""
    page = render_template("error.html", title="Quá nhiều lần thử",
                           text="Ông/Bà đã thử quá nhiều lần trong thời gian ngắn. Xin đợi ít phút rồi thử lại.")
    return page, 429, {"Retry-After": str(wait)}
