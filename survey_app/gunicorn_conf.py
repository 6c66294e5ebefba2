"""Gunicorn settings for ``make serve``: workers and threads sized to the machine's cores.

Every value can be changed by environment (``GUNICORN_WORKERS``, ``GUNICORN_THREADS``,
``HOST``, ``PORT``). Requests that write keep their own database transaction; SQLite
serialises writers (WAL, ``BEGIN IMMEDIATE``), PostgreSQL (``DATABASE_URL``) does not.
"""
import multiprocessing
import os

from gunicorn.glogging import Logger

from survey_app import RedactLinks

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
# The time first, as in the error log; the path without its query (a card's code travels as ?ma=).
access_log_format = '%(t)s %(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class RedactingLogger(Logger):
    """The access log must not hold respondents' tokens nor card codes: with the time they would undo
    anonymity. The app's own filter (:class:`survey_app.RedactLinks`) masks them, here in the atoms."""

    _redact = RedactLinks()

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f"):
            if key in atoms:
                atoms[key] = self._redact.mask(atoms[key])
        return atoms


logger_class = RedactingLogger
# Proxy trust is one setting, TRUSTED_PROXIES, applied by the app (Werkzeug's ProxyFix): gunicorn itself
# believes no X-Forwarded-* header from anyone, so a client cannot claim HTTPS or an address through it.
forwarded_allow_ips = ""
secure_scheme_headers = {}


def on_starting(server):
    """Before any worker: refuse a weak SECRET_KEY, and hold the database's serving lock (which
    ``parsurvey restore`` checks) for as long as the server runs."""
    from survey_app import create_app
    from survey_app.services.backup import hold_serving_lock

    app = create_app()  # refuses a weak SECRET_KEY (exit 3), as it does in every worker without this file
    hold_serving_lock(app.config["DATABASE_URL"])
    _warm(server, app)


def _warm(server, app) -> None:
    """Parse the collecting campaigns' criteria sets once, here, before the workers are forked: each
    worker starts with them instead of parsing on its first respondent. A database not set up yet
    (no ``parsurvey db upgrade``) warms nothing; the workers will say what is wrong."""
    from sqlalchemy.exc import DBAPIError

    from survey_app.extensions import DB_KEY
    from survey_app.services.campaigns import warm_criteria

    database = app.extensions[DB_KEY]
    try:
        with database.session() as s:
            server.log.info("criteria sets parsed before the workers start: %d", warm_criteria(s))
    except DBAPIError as error:
        server.log.warning("criteria sets not parsed before the workers start: %s", error.orig)
    finally:
        database.dispose()  # no connection may cross the fork
