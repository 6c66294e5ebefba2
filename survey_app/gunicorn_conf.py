"""Gunicorn settings for ``make serve``: workers and threads sized to the machine's cores.

Every value can be changed by environment (``GUNICORN_WORKERS``, ``GUNICORN_THREADS``,
``HOST``, ``PORT``). Requests that write keep their own database transaction; SQLite
serialises writers (WAL, ``BEGIN IMMEDIATE``), PostgreSQL (``DATABASE_URL``) does not.
"""
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

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
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class RedactingLogger(Logger):
    """The access log must not hold respondents' tokens: with the time they would undo anonymity."""

    TOKEN = re.compile(r"(/s/)[^/\s?\"]+")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = self.TOKEN.sub(r"\1…", atoms[key])
        return atoms


logger_class = RedactingLogger
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
