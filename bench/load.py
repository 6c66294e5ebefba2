"""Load: real submissions under gunicorn, on SQLite and PostgreSQL, beside a bare baseline
(run by hand, never in the test suite; results go to BENCHMARKS.md).

    .venv/bin/python bench/load.py                     # both databases, 3,000 submissions each, 50 clients;
                                                       # 5 workers x 1 thread; about 15 minutes
    .venv/bin/python bench/load.py --gunicorn-args=--reuse-port     # the same, one socket per worker
    .venv/bin/python bench/load.py --sweep --modes none  # workers 2-5 x threads 1-8, 600 flows each
    .venv/bin/python bench/load.py --profile [--databases postgresql]  # one process, no gunicorn: SQL
                                                       # statements per request, cProfile, cost per layer
    .venv/bin/python bench/load.py --databases sqlite --flows 1000 --workers 3 --threads 2
    PARSURVEY_BENCH_CODE=/tmp/before .venv/bin/python bench/load.py ...   # another checkout's code (a
                                                       # worktree of an older commit): before/after figures

Loopback only (127.0.0.1), a fixed number of submissions, stops by itself. The servers are
started with ``gunicorn --config python:survey_app.gunicorn_conf`` in a session of their own,
with ``RATELIMIT_ENABLED=false`` (a load test from one address would otherwise be a single
client for Flask-Limiter) and stopped at the end; PostgreSQL is the tests' throwaway cluster
(``tests/pgcluster.py``: loopback, ``fsync`` off, as SQLite's ``synchronous=NORMAL`` in WAL
mode does not sync on commit either). The database of each run is the demo province
(``build_demo``, seed 7) plus fresh invitations of citizens (``nguoi_dan``), bulk-inserted
before the clock starts.

What one submission is (printed by the run too):

flow
    a citizen's whole visit, 5 requests, 3 of them writes: ``GET /s/<t>`` (welcome, opens
    the draft), ``GET /s/<t>/p/1`` (the one page: 13 questions about their district, and
    a CSRF token), ``POST /s/<t>/p/1`` (the answers; 302 to review), ``GET /s/<t>/gui``
    (review: CSRF token and the draft's ``client_id``), ``POST /s/<t>/gui`` (stores the
    ballot; the thank-you page). Submissions/s are whole flows a second.
submit
    the last request alone, the one that writes the ballot: its own latency distribution,
    measured inside the flows.
get+post
    the issue's words, "GET the form, POST with its CSRF token": ``GET /s/<t>/gui`` then
    ``POST /s/<t>/gui``, on drafts filled in the database beforehand (2 requests, 1 write):
    the same shape as the baseline.
floor
    what get+post costs without our services (:func:`floor_app`): the app itself
    (``create_app``: its hooks, session, CSRF, templates, logging) with two more URLs, ``GET
    /floor`` rendering the review page's template with a CSRF token, and ``POST /floor``
    checking the token with the submit's form, inserting one row in one transaction as the
    baseline does and rendering the thank-you page. The ceiling of get+post / baseline.
baseline
    a bare Flask app (:func:`baseline_app`) under the same gunicorn settings: ``GET /form``
    (a small form with a random token), ``POST /form`` inserting one row into a table of the
    same database in one transaction (the same :class:`~survey_app.db.Database`, so
    ``BEGIN IMMEDIATE`` on SQLite). 2 requests, 1 write.

Each client (an ``asyncio`` task; one process, standard library only) has its own
keep-alive connection, its own cookie jar and its own invitations. Errors are non-2xx/3xx
answers, an unexpected page (a 200 without the thank-you text, a redirect elsewhere) and
connection errors. A request that meets a keep-alive connection the server has just closed
(a worker restarting at ``max_requests``) before any byte of answer is sent once more on a
new connection, as browsers do; those are counted and printed as ``resent``. After each run
the database is counted: lost = successful submissions - new ballots, duplicated = new
ballots - distinct tokens that succeeded; both must be 0.

CPU is counted over each run: the machine (``/proc/stat``), the gunicorn master and its
workers, recycled ones included (``/proc/<pid>/stat``), the PostgreSQL postmaster and its
backends, and this process (``getrusage``). The load generator shares the 2 cores with the
server. The machine may be shared with other people's work: before each run the bench waits
until it is quiet, and measures again when other processes took ``--quiet-below`` cores or
more during a run (printed as "disturbed").
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The code under test: this checkout, or another one (a worktree of an older commit, for before/after
# figures) named by PARSURVEY_BENCH_CODE; the servers and this process both import it from there.
CODE = Path(os.environ.get("PARSURVEY_BENCH_CODE") or ROOT).resolve()
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))

HOST = "127.0.0.1"
SECRET = "bench-load-secret-of-at-least-32-bytes-0123456789"
GUNICORN = Path(sys.executable).with_name("gunicorn")
# The app's access log format plus the worker's pid and the time in microseconds (the token is
# still redacted by the app's logger class); everything else comes from survey_app.gunicorn_conf.
ACCESS_FORMAT = '"%(m)s %(U)s" %(s)s %(D)s %(p)s'
ACCESS_LINE = re.compile(r'^"(\w+) ([^"]*)" (\d+) (\d+) <(\d+)>$')

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
RADIO = re.compile(rb'type="radio" name="(q_\w+)" value="(\w+)"')
CLIENT_ID = re.compile(rb'name="client_id" value="([^"]+)"')
THANKS = "Cảm ơn Ông/Bà đã gửi phiếu".encode()

# The respondent path against a bare Flask app on the same machine, same run: get+post at least half the
# baseline's rate, whole flows at least a quarter; the submit's p99 under 250 ms.
TARGETS = {"get_post_ratio": 0.5, "flow_ratio": 0.25, "p99_ms": 250.0, "postgres_vs_sqlite": 1.3}
FLOW_KINDS = {
    "flow": ["GET /s/<t>", "GET /s/<t>/p/1", "POST /s/<t>/p/1", "GET /s/<t>/gui", "POST /s/<t>/gui"],
    "get+post": ["GET /s/<t>/gui", "POST /s/<t>/gui"],
    "floor": ["GET /floor", "POST /floor"],
    "baseline": ["GET /form", "POST /form"],
}
WRITE_KIND = {"flow": "POST /s/<t>/gui", "get+post": "POST /s/<t>/gui", "floor": "POST /floor",
              "baseline": "POST /form"}
BARE = {"baseline": ("load:baseline_app()", "/form"), "floor": ("load:floor_app()", "/healthz")}


# --------------------------------------------------------------------------- the baseline app

def baseline_table(metadata):
    from sqlalchemy import Column, DateTime, Integer, String, Table, Text

    return Table("bench_baseline", metadata,
                 Column("id", Integer, primary_key=True),
                 Column("sid", String(64), nullable=False),  # no UNIQUE: a duplicate would show in the count
                 Column("payload", Text, nullable=False),
                 Column("created_at", DateTime, nullable=False))


def store_row(database, table, sid: str, payload: str) -> None:
    """The one write of the baseline and of the floor: one row in one transaction (``BEGIN IMMEDIATE``
    on SQLite)."""
    from sqlalchemy import insert

    with database.write_engine.begin() as conn:
        conn.execute(insert(table).values(sid=sid, payload=payload, created_at=datetime.now(UTC).replace(tzinfo=None)))


def baseline_app():
    """The bare baseline: Flask and one URL. GET gives a form with a token; POST inserts one row
    in one transaction. No CSRF check, no session, no template, no ORM."""
    from flask import Flask, request
    from sqlalchemy import MetaData

    from survey_app.db import Database

    app = Flask("baseline")
    database = Database(os.environ["DATABASE_URL"])
    table = baseline_table(MetaData())

    @app.get("/form")
    def form():
        return (f'<form method="post"><input type="hidden" name="csrf_token" value="{secrets.token_urlsafe(24)}">'
                '<input name="sid"><input name="payload"><button>Gửi</button></form>')

    @app.post("/form")
    def submit():
        store_row(database, table, request.form["sid"], request.form["payload"])
        return "<p>ok</p>"

    return app


def floor_app(config: dict | None = None):
    """The floor under get+post: our app doing what ``GET /s/<t>/gui`` and ``POST /s/<t>/gui`` do
    without the services (no link, draft, assignments or ballot): the same templates, CSRF token,
    session cookie, before/after-request hooks and logging. Only Flask-Limiter's wrapper is absent,
    as these URLs hold no token. POST inserts one row as the baseline does."""
    from types import SimpleNamespace

    from flask import render_template
    from sqlalchemy import MetaData

    from survey_app import create_app
    from survey_app.extensions import DB_KEY
    from survey_app.web.respond.forms import SendForm

    app = create_app(config)
    database = app.extensions[DB_KEY]
    table = baseline_table(MetaData())
    page = SimpleNamespace(number=1, unit=SimpleNamespace(name="Huyện Ba Bể"))

    @app.get("/floor")
    def floor_form():
        return render_template("respond/review.html", token="floor", pages=[page], missing={},
                               client_id=str(uuid.uuid4()), choose=None)

    @app.post("/floor")
    def floor_submit():
        form = SendForm()
        sid = (form.client_id.data if form.validate() else "") or ""
        store_row(database, table, sid, ",".join(["tot"] * 13))
        return render_template("respond/thanks.html")

    return app


# --------------------------------------------------------------------------- the database

@dataclass
class Target:
    """A prepared database: the demo province, the citizens' group, the districts they rate."""

    name: str
    url: str
    database: object
    campaign_id: int
    group_id: int
    districts: list[int]
    questions: list[tuple[str, list[str]]]  # (question id, option codes) of the citizens' page
    db_pid: object = None  # a function giving the PostgreSQL postmaster's pid


def prepare(name: str, url: str) -> Target:
    from sqlalchemy import MetaData, select

    from survey_app import create_app, migrate
    from survey_app.demo import build_demo
    from survey_app.extensions import DB_KEY
    from survey_app.models import Campaign, RespondentGroup, Unit
    from survey_app.services.campaigns import campaign_criteria

    database = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET}).extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, SECRET, seed=7)
    baseline_table(MetaData()).create(database.engine)
    with database.session() as s:
        campaign = s.scalars(select(Campaign).where(Campaign.status == "open")).one()  # the demo's collecting one
        group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign.id,
                                                       RespondentGroup.code == "nguoi_dan"))
        districts = list(s.scalars(select(Unit.id).where(Unit.campaign_id == campaign.id, Unit.level == "huyen")
                                   .order_by(Unit.id)))
        cset = campaign_criteria(campaign)
    questions = [(item.question,
                  [o.code for o in cset.scale_by_code[cset.question_by_key[("huyen", item.question)].scale].options])
                 for item in cset.questionnaire("huyen", "nguoi_dan").items]
    return Target(name, url, database, campaign.id, group.id, districts, questions)


def _boxed() -> bool:
    """Whether the code under test seals respondents' ballots into a box (issue 25's schema): the bench
    runs on that code and, for before/after figures, on a worktree of the code before it."""
    from survey_app import models

    return hasattr(models, "Envelope")


def issue_invitations(target: Target, count: int, filled: bool = False) -> list[str]:
    """``count`` fresh citizens' links (one transaction); with ``filled``, their drafts too,
    every question answered, as if the respondent had reached the review page."""
    from sqlalchemy import func, insert, select

    from survey_app.models import Draft, Invitation, utcnow
    from survey_app.services.invitations import hash_token
    from survey_app.services.sealing import draft_key, seal

    boxed = _boxed()
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    now = utcnow()
    rng = random.Random(count)
    flags = {} if boxed else {"opened": filled, "used": False}
    with target.database.transaction() as s:
        last = s.scalar(select(func.max(Invitation.id))) or 0
        s.execute(insert(Invitation), [
            {"campaign_id": target.campaign_id, "group_id": target.group_id, "kind": "personal",
             "unit_id": target.districts[i % len(target.districts)], "token_hash": hash_token(t),
             "name": f"Người dân {i}", "created_at": now, **flags}
            for i, t in enumerate(tokens)])
        if filled:  # sealed as the app seals them (drafts/sealing.py), under each link's token
            made = s.execute(select(Invitation.id, Invitation.unit_id, Invitation.token_hash)
                             .where(Invitation.id > last)).all()
            token_of = {hash_token(t): t for t in tokens}
            rows = []
            for inv_id, unit_id, digest in made:
                sealed = seal(draft_key(SECRET, token_of[digest]), inv_id, {
                    "client_id": str(uuid.uuid4()),
                    "data": {f"{unit_id}:{q}": rng.choice(options) for q, options in target.questions},
                    "started_at": (now - timedelta(minutes=8)).isoformat()})
                if boxed:  # keyed by a hash of the link, no invitation key (services/markers.py)
                    from survey_app.services.markers import draft_id

                    rows.append({"id": draft_id(SECRET, digest), "campaign_id": target.campaign_id, "sealed": sealed})
                else:
                    rows.append({"invitation_id": inv_id, "sealed": sealed})
            s.execute(insert(Draft), rows)
    return tokens


def db_counts(target: Target) -> dict[str, int]:
    """Ballots, answers, spent links and drafts now. With the box, a respondent's ballot is an envelope
    until close: envelopes count as ballots, their answers are counted by opening them with the box key
    (held under SECRET_KEY), and spent markers count as links used."""
    from sqlalchemy import func, select

    from survey_app.models import Answer, Ballot, Draft, Invitation

    with target.database.session() as s:
        n = lambda q: s.scalar(q)  # noqa: E731
        counts = {
            "ballots": n(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == target.campaign_id)),
            "answers": n(select(func.count()).select_from(Answer)),
            "drafts": n(select(func.count()).select_from(Draft)),
            "baseline_rows": n(select(func.count()).select_from(baseline_table_bound())),
            "baseline_sids": n(select(func.count(baseline_table_bound().c.sid.distinct()))),
        }
        if not _boxed():
            counts["used"] = n(select(func.count()).select_from(Invitation).where(Invitation.used.is_(True)))
            return counts
        from survey_app.models import BallotBox, Envelope, SpentLink
        from survey_app.services.ballot_box import wrapped_key
        from survey_app.services.box import open_envelope, open_private

        counts["used"] = n(select(func.count()).select_from(SpentLink))
        box = s.get(BallotBox, target.campaign_id)
        if box is not None:
            private = open_private(wrapped_key(box), target.campaign_id,
                                   secret=SECRET)
            for sealed in s.scalars(select(Envelope.sealed).where(Envelope.campaign_id == target.campaign_id)):
                counts["ballots"] += 1
                counts["answers"] += len(open_envelope(private, target.campaign_id, sealed)["answers"])
        return counts


_BASELINE_TABLE = None


def baseline_table_bound():
    global _BASELINE_TABLE
    if _BASELINE_TABLE is None:
        from sqlalchemy import MetaData
        _BASELINE_TABLE = baseline_table(MetaData())
    return _BASELINE_TABLE


# --------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn --config python:survey_app.gunicorn_conf <app>`` in a session of its own."""

    def __init__(self, app_spec: str, health: str, url: str, workers: int, threads: int, folder: Path, label: str,
                 extra: list[str] | None = None):
        self.app_spec, self.health, self.url, self.extra = app_spec, health, url, extra or []
        self.workers, self.threads = workers, threads
        self.access = folder / f"{label}.access.log"
        self.errors = folder / f"{label}.error.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET, "HOST": HOST, "PORT": str(self.port),
               "GUNICORN_WORKERS": str(self.workers), "GUNICORN_THREADS": str(self.threads),
               "RATELIMIT_ENABLED": "false",
               "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(CODE), os.environ.get("PYTHONPATH", "")])}
        command = [str(GUNICORN), "--config", "python:survey_app.gunicorn_conf", "--access-logformat", ACCESS_FORMAT,
                   *self.extra, self.app_spec]
        with open(self.access, "ab") as out, open(self.errors, "ab") as err:
            self.proc = subprocess.Popen(command, cwd=CODE, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + 90
        booted = re.compile(rb"Booting worker with pid")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.errors.read_text()[-3000:]}")
            if len(booted.findall(self.errors.read_bytes())) >= self.workers and self._healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {self.health} in 90 s:\n{self.errors.read_text()[-3000:]}")

    def _healthy(self) -> bool:
        import http.client
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
            conn.request("GET", self.health)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def log_size(self) -> int:
        return self.access.stat().st_size

    def access_lines(self, offset: int) -> list[tuple[str, int, float, int]]:
        """(method and path with the token redacted, status, seconds in the app, worker pid) from ``offset``."""
        rows = []
        with open(self.access, "rb") as f:
            f.seek(offset)
            for line in f.read().decode("utf-8", "replace").splitlines():
                m = ACCESS_LINE.match(line.strip())
                if m:
                    path = m.group(2).replace("/s/…", "/s/<t>")
                    rows.append((f"{m.group(1)} {path}", int(m.group(3)), int(m.group(4)) / 1e6, int(m.group(5))))
        return rows

    def restarts(self) -> int:
        """Workers booted beyond the first ones (``max_requests`` recycling)."""
        return max(0, len(re.findall(rb"Booting worker with pid", self.errors.read_bytes())) - self.workers)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the session we started, by its id
            self.proc.wait()


# --------------------------------------------------------------------------- the client

class FlowError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class Http:
    """One keep-alive HTTP/1.1 connection with a cookie jar: a respondent's browser, minimally."""

    def __init__(self, port: int, keepalive: bool = True, timeout: float = 60.0):
        self.port, self.keepalive, self.timeout = port, keepalive, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.served = 0  # answers read on the current connection
        self.cookies: dict[str, str] = {}
        self.resent = 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
        self.served = 0

    async def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        return await asyncio.wait_for(self._request(method, path, form), self.timeout)

    async def _request(self, method: str, path: str, form: dict | None) -> tuple[int, dict, bytes]:
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Accept-Encoding: identity"]
        if not self.keepalive:
            lines.append("Connection: close")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            reused = self.served > 0
            try:
                self.writer.write(data)
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError) as e:
                nothing = not isinstance(e, asyncio.IncompleteReadError) or not e.partial
                self.close()
                if reused and nothing and attempt == 0:  # the server closed an idle keep-alive connection
                    self.resent += 1
                    continue
                raise
        status_line, *header_lines = head[:-4].split(b"\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            key, _, value = line.decode("latin-1").partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "set-cookie":
                self._cookie(value)
            else:
                headers[key] = value
        if "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self.reader.read()
            headers["connection"] = "close"
        self.served += 1
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, content

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def _cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, content = pair.strip().partition("=")
        gone = any(a.strip().lower() in ("max-age=0",) or a.strip().lower().startswith("expires=thu, 01 jan 1970")
                   for a in attributes)
        if gone:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = content


class Recorder:
    """Latencies by request kind (and of whole flows), errors by kind."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.examples: list[str] = []
        self.ok: list[str] = []  # tokens (or submission ids) whose submission succeeded

    def add(self, kind: str, seconds: float) -> None:
        self.times.setdefault(kind, []).append(seconds)

    def fail(self, kind: str, message: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {message}"[:300])


async def call(http: Http, rec: Recorder, kind: str, method: str, path: str, form: dict | None = None,
               expect: int = 200) -> bytes:
    start = time.perf_counter()
    status, headers, body = await http.request(method, path, form)
    rec.add(kind, time.perf_counter() - start)
    if status != expect:
        raise FlowError(kind, f"HTTP {status}, expected {expect} ({headers.get('location', '')})")
    return body if expect != 302 else headers.get("location", "").encode()


def found(pattern: re.Pattern, body: bytes, kind: str, what: str) -> str:
    m = pattern.search(body)
    if m is None:
        raise FlowError(kind, f"no {what} on the page")
    return m.group(1).decode()


async def app_flow(http: Http, rec: Recorder, token: str, rng: random.Random) -> None:
    """A citizen's whole visit: welcome, the page, its answers, review, submit."""
    await call(http, rec, "GET /s/<t>", "GET", f"/s/{token}")
    page = await call(http, rec, "GET /s/<t>/p/1", "GET", f"/s/{token}/p/1")
    answers: dict[str, list[str]] = {}
    for name, value in RADIO.findall(page):
        answers.setdefault(name.decode(), []).append(value.decode())
    if len(answers) != 13:
        raise FlowError("GET /s/<t>/p/1", f"{len(answers)} questions on the page, expected 13")
    form = {"csrf_token": found(CSRF, page, "GET /s/<t>/p/1", "CSRF token"), "action": "next"}
    form.update({name: rng.choice(options) for name, options in answers.items()})
    where = await call(http, rec, "POST /s/<t>/p/1", "POST", f"/s/{token}/p/1", form, expect=302)
    if not where.endswith(f"/s/{token}/gui".encode()):
        raise FlowError("POST /s/<t>/p/1", f"redirected to {where[:80]!r}, expected the review page")
    await submit(http, rec, token)


async def submit(http: Http, rec: Recorder, token: str, _rng: random.Random | None = None) -> None:
    """The issue's "GET the form, POST with its CSRF token": the review page, then the submit."""
    review = await call(http, rec, "GET /s/<t>/gui", "GET", f"/s/{token}/gui")
    form = {"csrf_token": found(CSRF, review, "GET /s/<t>/gui", "CSRF token"),
            "client_id": found(CLIENT_ID, review, "GET /s/<t>/gui", "client_id")}
    thanks = await call(http, rec, "POST /s/<t>/gui", "POST", f"/s/{token}/gui", form)
    if THANKS not in thanks:
        raise FlowError("POST /s/<t>/gui", "200 without the thank-you text")


async def floor_flow(http: Http, rec: Recorder, sid: str, _rng: random.Random | None = None) -> None:
    page = await call(http, rec, "GET /floor", "GET", "/floor")
    thanks = await call(http, rec, "POST /floor", "POST", "/floor",
                        {"csrf_token": found(CSRF, page, "GET /floor", "token"), "client_id": sid})
    if THANKS not in thanks:
        raise FlowError("POST /floor", "200 without the thank-you text")


async def baseline_flow(http: Http, rec: Recorder, sid: str, rng: random.Random) -> None:
    page = await call(http, rec, "GET /form", "GET", "/form")
    payload = ",".join(rng.choice(("tot", "kha", "trung_binh", "kem", "khong_biet")) for _ in range(13))
    await call(http, rec, "POST /form", "POST", "/form",
               {"csrf_token": found(CSRF, page, "GET /form", "token"), "sid": sid, "payload": payload})


async def drive(port: int, work: list[list[str]], flow, rec: Recorder, keepalive: bool = True) -> tuple[float, int]:
    """Every client runs its own flows one after the other; returns (wall seconds, resent requests)."""
    clients = [Http(port, keepalive) for _ in work]

    async def run(i: int) -> None:
        rng = random.Random(i)
        for key in work[i]:
            start = time.perf_counter()
            try:
                await flow(clients[i], rec, key, rng)
            except FlowError as e:
                rec.fail(e.kind, str(e))
                clients[i].close()
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
                rec.fail("connection", f"{type(e).__name__}: {e}")
                clients[i].close()
            else:
                rec.add("flow", time.perf_counter() - start)
                rec.ok.append(key)
        clients[i].close()

    start = time.perf_counter()
    await asyncio.gather(*(run(i) for i in range(len(work))))
    return time.perf_counter() - start, sum(c.resent for c in clients)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:7])  # steal (time the hypervisor gave to other machines) left out
    return total - idle, total


def client_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float, float] | None:
    """(ppid, own CPU seconds, reaped children's CPU seconds) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def tree_cpu(root: int | None) -> float:
    """CPU seconds of a process and its children, live ones and reaped ones (a gunicorn master and
    its workers, also those recycled by ``max_requests``; a postmaster and its backends)."""
    if root is None:
        return 0.0
    me = _proc_stat(root)
    if me is None:
        return 0.0
    total = me[1] + me[2]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != root:
            child = _proc_stat(int(entry.name))
            if child is not None and child[0] == root:
                total += child[1]
    return total


def wait_quiet(limit: float, seconds: float = 600.0) -> float:
    """Wait (up to ``seconds``) until other processes use less than ``limit`` cores over 2 s;
    returns the cores they used at the last look."""
    deadline = time.monotonic() + seconds
    waited = False
    while True:
        b0, t0 = machine_busy()
        time.sleep(2)
        b1, t1 = machine_busy()
        busy = (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1)
        if busy < limit or time.monotonic() > deadline:
            if waited:
                print(f"  (waited for the machine to be quiet: {busy:.2f} cores busy now)", flush=True)
            return busy
        if not waited:
            print(f"  machine busy with other processes ({busy:.2f} cores): waiting up to {seconds:.0f} s", flush=True)
            waited = True


# --------------------------------------------------------------------------- one measure

@dataclass
class Result:
    database: str
    mode: str
    workers: int
    threads: int
    submissions: int
    ok: int
    wall: float
    rec: Recorder
    resent: int
    lost: int
    duplicated: int
    extra_checks: list[str]
    client_cores: float
    busy_cores: float
    server_cores: float
    db_cores: float
    other_cores: float  # the kernel's share not charged to a process, and other processes
    background: float  # cores busy just before the run (other people's processes)
    server: dict[str, list[float]] = field(default_factory=dict)  # seconds in the app, by kind
    per_worker: list[int] = field(default_factory=list)
    restarts: int = 0
    keepalive: bool = True

    @property
    def rate(self) -> float:
        return self.ok / self.wall

    @property
    def errors(self) -> int:
        return sum(self.rec.errors.values())

    def p(self, kind: str, q: float, server: bool = False) -> float:
        return percentile((self.server if server else self.rec.times).get(kind, []), q) * 1000


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


def measure(target: Target, mode: str, submissions: int, workers: int, threads: int, folder: Path,
            args: argparse.Namespace) -> Result:
    """Start a server, warm it up, drive ``submissions`` of ``mode`` with ``args.clients`` clients, count, stop."""
    baseline = mode in BARE  # one row a submission in the baseline's table
    clients, warmup = args.clients, args.warmup
    spec, health = BARE.get(mode, ("survey_app:create_app()", "/healthz"))
    server = Gunicorn(spec, health, target.url, workers, threads, folder,
                      f"{target.name}-{mode}-{workers}x{threads}", shlex.split(args.gunicorn_args))
    if baseline:
        keys = [uuid.uuid4().hex for _ in range(warmup + submissions)]
        flow = baseline_flow if mode == "baseline" else floor_flow
    else:
        keys = issue_invitations(target, warmup + submissions, filled=mode == "get+post")
        flow = app_flow if mode == "flow" else submit
    keepalive = not args.connection_per_request
    server.start()
    try:
        warm_keys, keys = keys[:warmup], keys[warmup:]
        warm = Recorder()
        asyncio.run(drive(server.port, [warm_keys[i::clients] for i in range(clients)], flow, warm, keepalive))
        if warm.errors:
            print(f"  warm-up errors: {warm.errors} {warm.examples}")
        background = wait_quiet(args.quiet_below, args.quiet_wait) if args.quiet_wait > 0 else float("nan")
        before = db_counts(target)
        offset = server.log_size()
        restarts_before = server.restarts()
        rec = Recorder()
        db_pid = target.db_pid() if target.db_pid else None
        cpu0, (busy0, total0) = client_cpu(), machine_busy()
        server0, db0 = tree_cpu(server.proc.pid), tree_cpu(db_pid)
        wall, resent = asyncio.run(drive(server.port, [keys[i::clients] for i in range(clients)], flow, rec,
                                         keepalive))
        server1, db1 = tree_cpu(server.proc.pid), tree_cpu(db_pid)
        cpu1, (busy1, total1) = client_cpu(), machine_busy()
        after = db_counts(target)
        time.sleep(0.3)  # the last access-log lines
        lines = server.access_lines(offset)
        restarts = server.restarts() - restarts_before
    finally:
        server.stop()
    ok = len(rec.ok)
    cores = os.cpu_count() or 1
    checks = []
    if baseline:
        new = after["baseline_rows"] - before["baseline_rows"]
        lost, duplicated = ok - new, new - len(set(rec.ok))
        if after["baseline_sids"] - before["baseline_sids"] != len(set(rec.ok)):
            checks.append("baseline rows do not match the submission ids sent")
    else:
        new = after["ballots"] - before["ballots"]
        lost, duplicated = ok - new, new - len(set(rec.ok))
        answers = after["answers"] - before["answers"]
        used = after["used"] - before["used"]
        drafts = after["drafts"] - before["drafts"]
        expected_drafts = 0 if mode == "flow" else -ok
        if answers != 13 * new:
            checks.append(f"answers +{answers}, expected 13 x {new}")
        if used != ok:
            checks.append(f"invitations turned used: {used}, expected {ok}")
        if drafts != expected_drafts:
            checks.append(f"drafts {drafts:+d}, expected {expected_drafts:+d}")
    server_times: dict[str, list[float]] = {}
    pids: dict[int, int] = {}
    for kind, _status, seconds, pid in lines:
        server_times.setdefault(kind, []).append(seconds)
        pids[pid] = pids.get(pid, 0) + 1
    busy = (busy1 - busy0) / max(1, total1 - total0) * cores
    client, app, db = (cpu1 - cpu0) / wall, (server1 - server0) / wall, (db1 - db0) / wall
    return Result(target.name, mode, workers, threads, submissions, ok, wall, rec, resent, lost, duplicated, checks,
                  client_cores=client, busy_cores=busy, server_cores=app, db_cores=db,
                  other_cores=max(0.0, busy - client - app - db), background=background,
                  server=server_times, per_worker=sorted(pids.values(), reverse=True), restarts=restarts,
                  keepalive=keepalive)


def measured(target: Target, mode: str, submissions: int, workers: int, threads: int, folder: Path,
             args: argparse.Namespace) -> Result:
    """:func:`measure`, again (up to ``args.retries`` times) when other processes took a share of the
    cores during the run (the machine is shared: a test suite running beside it halves the figures)."""
    for attempt in range(args.retries + 1):
        r = measure(target, mode, submissions, workers, threads, folder, args)
        if r.other_cores < args.quiet_below or attempt == args.retries:
            return r
        print(f"  disturbed: {r.other_cores:.2f} cores used by other processes during the run "
              f"({r.rate:,.1f} submissions/s): measuring again", flush=True)
    return r


def describe(r: Result) -> str:
    kinds = FLOW_KINDS[r.mode]
    write = WRITE_KIND[r.mode]
    cores = os.cpu_count() or 1
    head = (f"{r.database}, {r.mode} ({len(kinds)} requests), gunicorn {r.workers} workers x {r.threads} threads: "
            f"{r.ok:,}/{r.submissions:,} in {r.wall:.1f} s = {r.rate:,.1f} submissions/s; "
            f"p50/p99 whole {r.mode} {r.p('flow', .5):,.0f}/{r.p('flow', .99):,.0f} ms, "
            f"write request {write} {r.p(write, .5):,.0f}/{r.p(write, .99):,.0f} ms; "
            f"errors {r.errors} (resent on a closed keep-alive {r.resent}); "
            f"new rows: lost {r.lost}, duplicated {r.duplicated}"
            + (f"; CHECKS FAILED: {'; '.join(r.extra_checks)}" if r.extra_checks else ""))
    cpu = (f"  CPU over the run, in cores: machine {r.busy_cores:.2f} of {cores} = gunicorn {r.server_cores:.2f}"
           + (f" + PostgreSQL {r.db_cores:.2f}" if r.db_cores else "")
           + f" + load generator {r.client_cores:.2f} + rest {r.other_cores:.2f} (kernel, other processes; "
           f"{r.background:.2f} busy just before the run); CPU per submission: server "
           f"{1000 * (r.server_cores + r.db_cores) / r.rate:.1f} ms, client {1000 * r.client_cores / r.rate:.1f} ms\n"
           f"  requests per worker {'/'.join(str(n) for n in r.per_worker)}; worker restarts (max_requests) "
           f"{r.restarts}; {'keep-alive connections' if r.keepalive else 'a new connection per request'}")
    rows = [head, cpu]
    for kind in kinds:
        rows.append(f"  {kind:<16} client p50/p99 {r.p(kind, .5):7,.1f}/{r.p(kind, .99):7,.1f} ms; "
                    f"in the app (access log) p50/p99 {r.p(kind, .5, True):6,.1f}/{r.p(kind, .99, True):6,.1f} ms, "
                    f"mean {1000 * sum(r.server.get(kind, [0])) / max(1, len(r.server.get(kind, []))):5.1f} ms")
    if r.rec.errors:
        rows.append(f"  errors by kind: {r.rec.errors}; e.g. {r.rec.examples}")
    return "\n".join(rows)


def short(r: Result) -> str:
    write = WRITE_KIND[r.mode]
    return (
        f"  {r.workers} workers x {r.threads} threads: {r.rate:6,.1f} submissions/s, p99 {r.mode} "
        f"{r.p('flow', 0.99):6,.0f} ms, p99 {write} {r.p(write, 0.99):5,.0f} ms, errors {r.errors}, "
        f"lost {r.lost}, duplicated {r.duplicated}; cores: gunicorn {r.server_cores:.2f}, db {r.db_cores:.2f}, "
        f"client {r.client_cores:.2f}, rest {r.other_cores:.2f}; per worker {'/'.join(str(n) for n in r.per_worker)}"
    )


def verdicts(flow: Result, literal: Result, base: Result) -> list[str]:
    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"
    db = flow.database
    p99 = flow.p(WRITE_KIND["flow"], .99)
    clean = all(r.errors == 0 and r.lost == 0 and r.duplicated == 0 and not r.extra_checks
                for r in (flow, literal, base))
    rows = [
        f"{db}: get+post / baseline = {literal.rate:,.1f} / {base.rate:,.1f} = {literal.rate / base.rate:.0%} "
        f"vs >= {TARGETS['get_post_ratio']:.0%}: {mark(literal.rate >= TARGETS['get_post_ratio'] * base.rate)}",
        f"{db}: whole flows / baseline = {flow.rate:,.1f} / {base.rate:,.1f} = {flow.rate / base.rate:.0%} "
        f"vs >= {TARGETS['flow_ratio']:.0%}: {mark(flow.rate >= TARGETS['flow_ratio'] * base.rate)}",
        f"{db}: p99 of the submit request in whole flows {p99:,.0f} ms vs < {TARGETS['p99_ms']:.0f} ms: "
        f"{mark(p99 < TARGETS['p99_ms'])}  (p99 of a whole flow {flow.p('flow', 0.99):,.0f} ms; "
        f"of the submit in get+post {literal.p(WRITE_KIND['get+post'], 0.99):,.0f} ms: "
        f"{mark(literal.p(WRITE_KIND['get+post'], 0.99) < TARGETS['p99_ms'])})",
        f"{db}: errors {flow.errors}/{literal.errors}/{base.errors}, lost {flow.lost}/{literal.lost}/{base.lost}, "
        f"duplicated {flow.duplicated}/{literal.duplicated}/{base.duplicated} (flow/get+post/baseline): "
        f"{mark(clean)}",
    ]
    return rows


def floor_lines(literal: Result, floor: Result, base: Result) -> list[str]:
    """What the app's frame costs before any service, and what the services add on top of it."""
    db = literal.database
    per = {name: 1000 * (r.server_cores + r.db_cores) / r.rate for name, r in
           (("get+post", literal), ("floor", floor), ("baseline", base))}
    return [
        f"{db}: floor / baseline = {floor.rate:,.1f} / {base.rate:,.1f} = {floor.rate / base.rate:.0%}: the most "
        f"get+post / baseline can reach with services costing nothing",
        f"{db}: get+post / floor = {literal.rate:,.1f} / {floor.rate:,.1f} = {literal.rate / floor.rate:.0%}; "
        f"server CPU per submission: get+post {per['get+post']:.1f} ms = floor {per['floor']:.1f} ms + services "
        f"{per['get+post'] - per['floor']:.1f} ms (baseline {per['baseline']:.1f} ms)",
    ]


# --------------------------------------------------------------------------- the databases

class Databases:
    """The SQLite file and the throwaway PostgreSQL cluster, made on demand and removed at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.cluster = None

    def url(self, name: str) -> str:
        if name == "sqlite":
            return f"sqlite:///{self.folder / 'load.sqlite'}"
        from tests.pgcluster import PgCluster
        if self.cluster is None:
            self.cluster = PgCluster()
            self.cluster.start()
        return self.cluster.create_database()

    def postmaster(self) -> int | None:
        try:
            return int((self.cluster.base / "data" / "postmaster.pid").read_text().split()[0])
        except (AttributeError, OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def platform_line() -> str:
    from importlib.metadata import version

    import sqlalchemy
    sqlite_version = __import__("sqlite3").sqlite_version
    pg = ""
    try:
        from tests.pgcluster import _bindir
        bindir = _bindir()
        if bindir:
            pg = ", " + subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True,
                                       text=True).stdout.strip()
    except Exception:  # noqa: BLE001 - only for the platform line
        pass
    commit = subprocess.run(["git", "-C", str(CODE), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    return (f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
            f"python {platform.python_version()}, gunicorn {version('gunicorn')} (gthread), Flask {version('flask')}, "
            f"SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite_version}{pg}\n"
            f"code under test: {CODE} at {commit}")


def definitions(args: argparse.Namespace) -> str:
    return (
        f"load: {args.clients} concurrent clients on 127.0.0.1, each its own keep-alive connection, cookie jar and "
        f"invitations; {args.flows:,} submissions per measure after {args.warmup} for warm-up; gunicorn "
        f"--config python:survey_app.gunicorn_conf {args.gunicorn_args + ' ' if args.gunicorn_args else ''}"
        f"(GUNICORN_WORKERS, GUNICORN_THREADS as below); "
        "RATELIMIT_ENABLED=false (rate limits off for the benchmark: one address would look like one client)\n"
        "one submission:\n"
        "  flow      = a citizen's whole visit, 5 requests: GET /s/<t> (welcome), "
        "GET /s/<t>/p/1 (13 questions + CSRF), "
        "POST /s/<t>/p/1 (302), GET /s/<t>/gui (CSRF + client_id), POST /s/<t>/gui (stores the ballot: thank-you)\n"
        "  submit    = POST /s/<t>/gui alone, the request that writes the ballot (timed inside the flows)\n"
        "  get+post  = the issue's 'GET the form, POST with its CSRF token': GET /s/<t>/gui + POST /s/<t>/gui, "
        "drafts filled beforehand\n"
        "  floor     = the same two pages' frame without our services: our app, GET /floor renders the review "
        "template with a CSRF token, POST /floor checks it and inserts one row as the baseline does\n"
        "  baseline  = bare Flask, GET /form + POST /form inserting one row in one transaction, same gunicorn settings"
    )


# --------------------------------------------------------------------------- profile (one process)

def profile(args: argparse.Namespace) -> None:
    """Whole flows through the WSGI app in this process (Flask's test client), timed, then under cProfile."""
    import cProfile
    import pstats

    from survey_app import create_app
    from survey_app.extensions import DB_KEY

    folder = Path(tempfile.mkdtemp(prefix="parsurvey-load-"))
    databases = Databases(folder)
    name = args.databases.split(",")[0]
    try:
        url = databases.url(name)
        target = prepare(name, url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False})
        tokens = issue_invitations(target, 41 + 2 * args.profile_flows)
        client = app.test_client()
        rng = random.Random(1)
        times: dict[str, list[float]] = {}
        statements: dict[str, list[str]] = {}
        current = [""]

        from sqlalchemy import event

        @event.listens_for(app.extensions[DB_KEY].engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, _parameters, _context, _many):
            statements.setdefault(current[0], []).append(" ".join(statement.split()))

        @event.listens_for(app.extensions[DB_KEY].engine, "checkout")
        def _checkout(_dbapi_conn, _record, _proxy):
            statements.setdefault("checkout " + current[0], []).append("")

        def req(kind, method, path, data=None):
            current[0] = kind
            start = time.perf_counter()
            response = client.open(path, method=method, data=data)
            times.setdefault(kind, []).append(time.perf_counter() - start)
            return response.get_data()

        def flow(token):
            req("GET /s/<t>", "GET", f"/s/{token}")
            page = req("GET /s/<t>/p/1", "GET", f"/s/{token}/p/1")
            answers: dict[str, list[str]] = {}
            for name, value in RADIO.findall(page):
                answers.setdefault(name.decode(), []).append(value.decode())
            form = {"csrf_token": CSRF.search(page).group(1).decode(), "action": "next"}
            form.update({n: rng.choice(o) for n, o in answers.items()})
            req("POST /s/<t>/p/1", "POST", f"/s/{token}/p/1", form)
            review = req("GET /s/<t>/gui", "GET", f"/s/{token}/gui")
            thanks = req("POST /s/<t>/gui", "POST", f"/s/{token}/gui",
                         {"csrf_token": CSRF.search(review).group(1).decode(),
                          "client_id": CLIENT_ID.search(review).group(1).decode()})
            assert THANKS in thanks, "the profile's flow must end on the thank-you page"

        for token in tokens[:40]:
            flow(token)
        statements.clear()
        flow(tokens[40 + 2 * args.profile_flows])
        event.remove(app.extensions[DB_KEY].engine, "before_cursor_execute", _count)
        event.remove(app.extensions[DB_KEY].engine, "checkout", _checkout)
        print("SQL statements of one whole flow, by request (with BEGIN, without COMMIT; on PostgreSQL each checkout "
              "also pings the server: pool_pre_ping):")
        for kind in FLOW_KINDS["flow"]:
            sql = statements.get(kind, [])
            tables = {}
            for text in sql:
                m = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", text)
                key = (text.split()[0] + " " + m.group(1)) if m else text.split()[0]
                tables[key] = tables.get(key, 0) + 1
            print(f"  {kind:<16} {len(sql):2d} in {len(statements.get('checkout ' + kind, []))} connection checkouts: "
                  + ", ".join(f"{k} x{v}" if v > 1 else k for k, v in tables.items()))
        with target.database.session() as s:
            from sqlalchemy import text as sql_text
            raw = s.scalar(sql_text("SELECT CAST(criteria_files AS TEXT) FROM campaigns"))
            size = len(raw.encode())
        import json
        start = time.perf_counter()
        for _ in range(200):
            json.loads(raw)
        print(f"  the campaign row carries its criteria set as JSON: {size / 1024:,.0f} KB, "
              f"{(time.perf_counter() - start) / 200 * 1000:.2f} ms to decode, read only when a process first meets "
              "the set (campaigns.cached_criteria)")
        times.clear()
        n = args.profile_flows
        cpu0, start = time.process_time(), time.perf_counter()
        for token in tokens[40:40 + n]:
            flow(token)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
        print(
            f"profile: {n} whole flows in one process, one thread, {name}, Flask's test client (no HTTP, no gunicorn): "
            f"{1000 * wall / n:.1f} ms a flow ({1000 * cpu / n:.1f} ms CPU) = at most {n / cpu:,.0f} flows/s a core"
        )
        for kind in FLOW_KINDS["flow"]:
            values = times[kind]
            print(
                f"  {kind:<16} mean {1000 * sum(values) / len(values):5.2f} ms, "
                f"p50 {1000 * percentile(values, 0.5):5.2f} ms"
            )

        profiler = cProfile.Profile()
        profiler.enable()
        for token in tokens[40 + n:40 + 2 * n]:
            flow(token)
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = sum(v[2] for v in stats.stats.values())
        buckets: dict[str, float] = {}
        for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
            buckets[bucket(filename, name)] = buckets.get(bucket(filename, name), 0.0) + tottime
        print(f"  where the time goes (own time under cProfile, {total:.2f} s for {n} flows; cProfile slows Python "
              "code more than C code):")
        for name, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
            if seconds / total >= 0.01:
                print(f"    {name:<48} {seconds / total:6.1%}")
        print("  cumulative time of chosen functions, per flow:")
        wanted = [("survey_app/web/respond/routes.py", "_load"), ("survey_app/services/visits.py", "find_link"),
                  ("survey_app/services/visits.py", "criteria_of"), ("survey_app/services/visits.py", "assignments"),
                  ("survey_app/services/drafts.py", "key_for"), ("survey_app/services/drafts.py", "read_stored"),
                  ("survey_app/services/drafts.py", "begin_draft"), ("survey_app/services/drafts.py", "save_page"),
                  ("survey_app/services/drafts.py", "submit"), ("survey_app/services/ballots.py", "store_ballot"),
                  ("survey_app/db.py", "writing"), ("flask/templating.py", "render_template"),
                  ("sqlalchemy/engine/base.py", "execute"), ("sqlalchemy/engine/base.py", "commit"),
                  ("flask_wtf/csrf.py", "generate_csrf"), ("flask_wtf/csrf.py", "protect"),
                  ("flask/sessions.py", "save_session"), ("flask/sessions.py", "open_session"),
                  ("json/__init__.py", "loads"), ("werkzeug/test.py", "open")]
        for suffix, func in wanted:
            cum = sum(v[3] for (f, _l, nm), v in stats.stats.items() if f.endswith(suffix) and nm == func)
            calls = sum(v[1] for (f, _l, nm), v in stats.stats.items() if f.endswith(suffix) and nm == func)
            if cum:
                print(
                    f"    {suffix}:{func:<20} {1000 * cum / n:6.2f} ms a flow ({calls / n:.1f} calls), "
                    f"{cum / total:5.1%}"
                )
        print("  top functions by own time:")
        for (filename, line, name), (_cc, ncalls, tottime, _ct, _c) in sorted(
                stats.stats.items(), key=lambda kv: -kv[1][2])[:args.profile_top]:
            where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            print(f"    {tottime / total:5.1%} {ncalls / n:7.1f} calls a flow  {where}:{line}({name})")
        statement_costs(target)
        pair_costs(target, url, app)
        target.database.dispose()
        app.extensions[DB_KEY].dispose()
    finally:
        databases.close()
        shutil.rmtree(folder, ignore_errors=True)


def pair_costs(target: Target, url: str, app, rounds: int = 5, size: int = 60) -> None:
    """get+post against the floor and the bare baseline, in this process (Flask's test client): CPU per
    pair (rounds interleaved, so a slow moment of the machine hits all three) and Python calls per pair."""
    import cProfile
    import pstats
    import statistics

    os.environ["DATABASE_URL"] = url
    config = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False}
    tokens = issue_invitations(target, (rounds + 2) * size, filled=True)  # drafts at the review page
    client, floor, base = app.test_client(), floor_app(config).test_client(), baseline_app().test_client()
    keys = iter(tokens)

    def get_post(_i: int) -> None:
        token = next(keys)
        page = client.get(f"/s/{token}/gui").get_data()
        done = client.post(f"/s/{token}/gui", data={"csrf_token": CSRF.search(page).group(1).decode(),
                                                    "client_id": CLIENT_ID.search(page).group(1).decode()})
        assert THANKS in done.get_data(), "get+post must end on the thank-you page"

    def floor_pair(_i: int) -> None:
        page = floor.get("/floor").get_data()
        done = floor.post("/floor", data={"csrf_token": CSRF.search(page).group(1).decode(),
                                          "client_id": uuid.uuid4().hex})
        assert THANKS in done.get_data(), "the floor must end on the thank-you page"

    def base_pair(i: int) -> None:
        base.get("/form")
        base.post("/form", data={"sid": uuid.uuid4().hex, "payload": str(i)})

    pairs = {"get+post": get_post, "floor": floor_pair, "baseline": base_pair}
    for run in pairs.values():
        for i in range(size):  # warm
            run(i)
    cpu: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(rounds):
        for name, run in pairs.items():
            start = time.process_time()
            for i in range(size):
                run(i)
            cpu[name].append((time.process_time() - start) / size * 1000)
    print(f"  get+post, floor and baseline pairs in this process ({rounds} interleaved rounds of {size}):")
    for name, run in pairs.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(size):
            run(i)
        profiler.disable()
        calls = sum(v[1] for v in pstats.Stats(profiler).stats.values()) / size
        print(f"    {name:<9} CPU per pair median {statistics.median(cpu[name]):5.2f} ms (min {min(cpu[name]):5.2f}); "
              f"{calls:6,.0f} Python calls per pair")
    floor_cpu, base_cpu = statistics.median(cpu["floor"]), statistics.median(cpu["baseline"])
    print(f"    the frame alone (floor) is at {base_cpu / floor_cpu:.0%} of the baseline; the services add "
          f"{statistics.median(cpu['get+post']) - floor_cpu:.2f} ms a pair")


def statement_costs(target: Target, repeat: int = 500) -> None:
    """What one read costs at each layer, in one open session or connection, one thread."""
    from sqlalchemy import select
    from sqlalchemy.orm import defer

    from survey_app.models import Campaign, Invitation

    database = target.database
    with database.session() as s:
        invitation_id = s.scalar(select(Invitation.id).limit(1))
    table = Invitation.__table__

    def per(f) -> float:
        f()
        start = time.perf_counter()
        for _ in range(repeat):
            f()
        return (time.perf_counter() - start) / repeat * 1000

    rows = []
    with database.session() as s:
        rows.append(("ORM s.get(Campaign), the row with its 62 KB criteria JSON",
                     per(lambda: s.get(Campaign, target.campaign_id, populate_existing=True))))
        rows.append(("ORM s.get(Campaign) with criteria_files deferred",
                     per(lambda: s.get(Campaign, target.campaign_id, populate_existing=True,
                                       options=[defer(Campaign.criteria_files)]))))
        rows.append(("ORM s.get(Invitation)", per(lambda: s.get(Invitation, invitation_id, populate_existing=True))))
    with database.engine.connect() as conn:
        rows.append(("Core conn.execute(select(invitations)).one()",
                     per(lambda: conn.execute(select(table).where(table.c.id == invitation_id)).one())))
        raw = conn.connection.dbapi_connection
        marker = "?" if database.is_sqlite else "%s"
        sql = f"SELECT * FROM invitations WHERE id = {marker}"

        def driver():
            cur = raw.cursor()
            cur.execute(sql, (invitation_id,))
            cur.fetchall()
            cur.close()
        rows.append(("driver cursor.execute + fetchall, the same row", per(driver)))
        if not database.is_sqlite:
            def ping():
                cur = raw.cursor()
                cur.execute("SELECT 1")
                cur.close()
            rows.append(("driver SELECT 1 (what pool_pre_ping sends at every checkout)", per(ping)))
    with_session = per(lambda: database.session().close())
    print(f"  one statement, by layer ({target.name}, {repeat} times each, mean):")
    for label, ms in rows:
        print(f"    {label:<62} {ms:6.3f} ms")
    print(f"    {'a session opened and closed (no statement)':<62} {with_session:6.3f} ms")


def bucket(filename: str, name: str) -> str:
    path = filename.replace("\\", "/")
    if filename == "~":
        if "sqlite3" in name:
            return "sqlite3 driver (C: execute, fetch, commit)"
        if "psycopg" in name:
            return "psycopg (C)"
        if "hashlib" in name or "_hashlib" in name or "hmac" in name:
            return "hashing (C: sha256, hmac)"
        if "json" in name or "_json" in name:
            return "json (C)"
        return "other built-ins (C)"
    for part, label in (("/werkzeug/test.py", "Werkzeug test client (not in production)"),
                        ("/sqlalchemy/orm/", "SQLAlchemy ORM"), ("/sqlalchemy/", "SQLAlchemy Core, engine, pool"),
                        ("/jinja2/", "Jinja2 runtime"), ("/templates/", "templates (compiled Jinja code)"),
                        ("<template>", "templates (compiled Jinja code)"), ("/markupsafe/", "markupsafe"),
                        ("/werkzeug/", "Werkzeug (request parsing, routing, responses)"), ("/flask/", "Flask"),
                        ("/flask_wtf/", "CSRF and signing (flask_wtf, itsdangerous)"),
                        ("/itsdangerous/", "CSRF and signing (flask_wtf, itsdangerous)"),
                        ("/wtforms/", "CSRF and signing (flask_wtf, itsdangerous)"),
                        ("/flask_limiter/", "Flask-Limiter (disabled)"), ("/limits/", "Flask-Limiter (disabled)"),
                        ("/survey_app/", "survey_app"), ("/questionnaires/", "questionnaires"),
                        ("/json/", "json (Python)"), ("/logging/", "logging"), ("/uuid.py", "uuid"),
                        ("/hmac.py", "hashing (C: sha256, hmac)"), ("/hashlib.py", "hashing (C: sha256, hmac)")):
        if part in path:
            return label
    return "other (standard library)"


# --------------------------------------------------------------------------- main

GRID = [(w, t) for w in (2, 3, 4, 5) for t in (1, 2, 4, 8)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--flows", type=int, default=3000, help="submissions per measure (default 3,000)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=100, help="submissions before the clock starts")
    parser.add_argument("--workers", type=int, default=5, help="GUNICORN_WORKERS (default 5: the sweeps' best)")
    parser.add_argument("--threads", type=int, default=1, help="GUNICORN_THREADS (default 1: the sweeps' best)")
    parser.add_argument("--sweep", action="store_true",
                        help="first try workers 2-5 x threads 1-8 on whole flows, then measure with the best")
    parser.add_argument("--sweep-flows", type=int, default=600)
    parser.add_argument("--grid", default=",".join(f"{w}x{t}" for w, t in GRID),
                        help="the sweep's workers x threads, e.g. 2x1,3x2 (default: workers 2-5 x threads 1, 2, 4, 8)")
    parser.add_argument("--modes", default="flow,get+post,floor,baseline",
                        help="comma-separated: flow, get+post, floor, baseline")
    parser.add_argument("--connection-per-request", action="store_true",
                        help="a new connection for every request instead of keep-alive (a diagnostic)")
    parser.add_argument("--gunicorn-args", default="", help="more gunicorn options (experiments only)")
    parser.add_argument("--quiet-below", type=float, default=0.3,
                        help="before each measure, wait until other processes use fewer cores than this")
    parser.add_argument("--quiet-wait", type=float, default=600, help="seconds to wait for that at most; 0: never")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure again when other processes used --quiet-below cores or more during a run")
    parser.add_argument("--profile", action="store_true", help="cProfile of whole flows in one process instead")
    parser.add_argument("--profile-flows", type=int, default=300)
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, server logs)")
    args = parser.parse_args()

    print(platform_line())
    if args.profile:
        return profile(args)
    print(definitions(args))
    folder = Path(tempfile.mkdtemp(prefix="parsurvey-load-"))
    databases = Databases(folder)
    modes = [m for m in args.modes.split(",") if m in FLOW_KINDS]  # "--modes none": the sweep only
    try:
        for name in args.databases.split(","):
            start = time.perf_counter()
            target = prepare(name, databases.url(name))
            if name != "sqlite":
                target.db_pid = databases.postmaster
            print(f"\n{name}: demo province and schema ready in {time.perf_counter() - start:.0f} s")
            workers, threads = args.workers, args.threads
            if args.sweep:
                print(f"{name}: sweep, whole flows, {args.sweep_flows:,} each"
                      + (f", gunicorn {args.gunicorn_args}" if args.gunicorn_args else "") + ":")
                best = None
                for w, t in (tuple(int(x) for x in cell.split("x")) for cell in args.grid.split(",")):
                    r = measured(target, "flow", args.sweep_flows, w, t, folder, args)
                    print(short(r), flush=True)
                    good = r.errors == 0 and r.lost == 0 and r.duplicated == 0
                    if good and (best is None or r.rate > best.rate):
                        best = r
                if best is not None:
                    workers, threads = best.workers, best.threads
                print(f"{name}: best {workers} workers x {threads} threads")
            results = {}
            for mode in modes:
                results[mode] = r = measured(target, mode, args.flows, workers, threads, folder, args)
                print(describe(r), flush=True)
            if all(m in results for m in ("flow", "get+post", "baseline")):
                print("\n".join(verdicts(results["flow"], results["get+post"], results["baseline"])))
            if all(m in results for m in ("get+post", "floor", "baseline")):
                print("\n".join(floor_lines(results["get+post"], results["floor"], results["baseline"])))
            target.database.dispose()
    finally:
        databases.close()
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
