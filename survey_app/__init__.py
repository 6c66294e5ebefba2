"""The Flask app: respondents, field staff, admins and analysts.

``create_app`` only reads configuration and wires things together: it opens
no connection and creates no table (``parsurvey db upgrade`` does that).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from .config import Config
from .db import Database
from .extensions import DB_KEY, csrf, init_request_sessions


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    test_config : dict, optional
        Settings that win over the environment (tests pass ``DATABASE_URL``
        and ``SECRET_KEY`` here).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "parsurvey.sqlite")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))

    app.extensions[DB_KEY] = Database(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    csrf.init_app(app)
    init_request_sessions(app)

    from . import cli
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    cli.register(app)
    return app


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
