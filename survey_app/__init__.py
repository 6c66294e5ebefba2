"""The Flask app: respondents, field staff, admins and analysts.

``create_app`` only reads configuration and wires things together: it opens
no connection and creates no table (``parsurvey db upgrade`` does that).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from functools import cache
from pathlib import Path

from flask import Flask

from .config import Config
from .db import Database
from .extensions import DB_KEY, SCORES_KEY, csrf, init_request_sessions
from .security import init_security
from .services.scores import ScoreCache


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    test_config : dict, optional
        Settings that win over the environment (tests pass ``DATABASE_URL``
        and ``SECRET_KEY`` here; ``INSTANCE_PATH`` moves the instance folder,
        as the environment variable ``PARSURVEY_INSTANCE`` does).
    """
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("PARSURVEY_INSTANCE")
    app = Flask(__name__, instance_relative_config=True, instance_path=str(instance) if instance else None)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "parsurvey.sqlite")
    if app.config.get("SECRET_KEY") is None:
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    # Serving refuses a weak key; the CLI's other commands may run with any key but an empty one
    # (`parsurvey run` checks for itself).
    if not (app.testing or app.debug or app.config.get("PARSURVEY_CLI")) or not app.config["SECRET_KEY"].strip():
        refuse_weak_secret(app.config["SECRET_KEY"])
    _log_with_timestamps()

    app.extensions[DB_KEY] = Database(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.extensions[SCORES_KEY] = ScoreCache()
    csrf.init_app(app)
    init_request_sessions(app)

    from . import cli
    from .web.admin import bp as admin_bp
    from .web.api import bp as api_bp
    from .web.auth import bp as auth_bp
    from .web.common import IdConverter
    from .web.entry import bp as entry_bp
    from .web.reports import bp as reports_bp
    from .web.respond import bp as respond_bp

    app.url_map.converters["int"] = IdConverter

    app.register_blueprint(respond_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/quan-tri")
    app.register_blueprint(entry_bp, url_prefix="/nhap-lieu")
    app.register_blueprint(reports_bp, url_prefix="/bao-cao")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    cli.register(app)
    from .web.nav import breadcrumbs

    app.jinja_env.globals["breadcrumbs"] = breadcrumbs
    _register_error_pages(app)
    init_security(app)
    _versioned_static(app)
    _redact_links_in_logs()
    return app


def _versioned_static(app: Flask) -> None:
    """``asset('app.css')`` gives ``/static/app.css?v=<content hash>``, cached for a year:
    a phone fetches the stylesheet once, and again only when it changes. Built once per file (and
    mount point): every page asks for two."""
    from flask import request, url_for

    @cache
    def address(_root: str, filename: str) -> str:
        version = hashlib.sha256((Path(app.static_folder) / filename).read_bytes()).hexdigest()[:10]
        return url_for("static", filename=filename, v=version)

    app.jinja_env.globals["asset"] = lambda filename: address(request.script_root, filename)


class RedactLinks(logging.Filter):
    """Log lines hold paths and times; a respondent's token must never be one of them (with the
    time it would undo the anonymity of ballots). Masks ``/s/<token>`` in the message, its
    arguments and the text of an exception's traceback; and a QR card's code typed on the home
    page (``/ma?ma=<code>``)."""

    PATTERN = re.compile(r"(/s/|(?:^|[?&])ma=)[^/\s?&\"'#]+")

    def mask(self, value):
        # Most values of an access line (gunicorn passes some fifty) hold no link: no regex for them.
        if isinstance(value, str) and ("/s/" in value or "ma=" in value):
            return self.PATTERN.sub(r"\1…", value)
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.mask(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self.mask(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = self.mask(record.exc_text)
        return True


REDACTED_LOGGERS = ("werkzeug", "survey_app", "gunicorn.error", "gunicorn.access", "flask.app")


def _redact_links_in_logs() -> None:
    """Install :class:`RedactLinks` on every logger that may name a request's path."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinks) for f in logger.filters):
            logger.addFilter(RedactLinks())


def _register_error_pages(app: Flask) -> None:
    """Vietnamese pages for errors a person can meet; never a stack trace."""
    from flask import render_template, request

    pages = {
        403: ("Không có quyền truy cập", "Tài khoản của Ông/Bà không được phép mở trang này."),
        400: ("Yêu cầu không hợp lệ", "Trang đã mở quá lâu hoặc biểu mẫu không đầy đủ. Xin tải lại trang rồi thử lại."),
        404: ("Không tìm thấy trang", "Địa chỉ này không có trên hệ thống. Xin kiểm tra lại đường dẫn."),
        405: ("Thao tác không hợp lệ", "Trang này không nhận thao tác vừa gửi."),
        413: ("Dữ liệu gửi lên quá lớn", "Tệp hoặc biểu mẫu gửi lên vượt quá giới hạn cho phép."),
        500: (
            "Hệ thống đang gặp sự cố",
            "Đã có lỗi ngoài ý muốn; dữ liệu đã lưu không bị ảnh hưởng. Xin thử lại sau ít phút.",
        ),
    }
    def page(code: int, title: str, text: str, error=None):
        from flask import g

        g.error_page = True  # no breadcrumb trail: it would name pages the person may not open
        description = getattr(error, "description", None)
        field = getattr(error, "field", None)  # security.InvalidInput: a value that says which field
        if (code == 403 or field is not None) and description and description != type(error).description:
            text = description  # a refusal that says which role or unit is missing, or which field
        # A 405 keeps werkzeug's Allow header (the methods the address takes), on every page.
        headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
        if request.path.startswith("/api/"):  # the API answers in JSON, even for its errors
            from .web.api.auth import API_ERROR_CODES, api_error

            if field is not None:
                response = api_error(code, "invalid_input", text, field=field)
            else:
                response = api_error(code, API_ERROR_CODES.get(code, str(code)), title)
            response.headers.update(headers)
            return response
        return render_template("error.html", title=title, text=text), code, headers

    for code, (title, text) in pages.items():
        app.register_error_handler(code, lambda e, c=code, t=title, x=text: page(c, t, x, e))


def refuse_weak_secret(key: str | None) -> None:
    """One rule for every way of serving (``parsurvey run``, gunicorn with or without our config, the
    CLI): a weak, well-known or empty ``SECRET_KEY`` would let anyone forge an admin's session cookie.
    Exit code 3 stops gunicorn's master instead of respawning workers forever."""
    from .config import weak_secret_key

    problem = weak_secret_key(key)
    if problem:
        message = (f"Không khởi động: {problem}. Tạo một khoá mới: "
                   "python3 -c 'import secrets; print(secrets.token_hex(32))', đặt vào biến môi trường SECRET_KEY "
                   "(hoặc bỏ SECRET_KEY để dùng khoá sinh sẵn trong instance/secret_key).")
        logging.getLogger("survey_app").critical(message)
        raise SystemExit(3)


def _log_with_timestamps() -> None:
    """Our log lines (failed sign-ins, refused forms, the rate limits' store) go to standard error
    with their time, masked by :class:`RedactLinks`; gunicorn's and Werkzeug's keep their own."""
    logger = logging.getLogger("survey_app")
    if logger.handlers or logging.getLogger().handlers:  # already configured (tests, an embedding app)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactLinks())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _instance_secret_key(instance: Path) -> str:
    """The key in ``instance/secret_key``, generated on first use (never in the repo)."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
