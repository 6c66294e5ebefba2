"""Crash test: respondents submitting over HTTP, gunicorn killed with SIGKILL, restarted.

Sixty citizens answer the real form against ``gunicorn`` (2 workers x 4 threads)
from twelve threads. Once a third of them have been thanked and at least one
submit is in flight, the server's process group gets SIGKILL. The database is
checked as the crash left it, the server is started again on it, and every
respondent whose flow was cut retries: those cut while sending the ballot
either send the same form again (a browser's "resend") or open their link
afresh; the others open their link and carry on.

What must hold, after the crash and again at the end:

* every link that showed the thank-you page is spent (its marker is in the box's set);
* the campaign's new envelopes are exactly as many as the links spent
  (envelopes are anonymous: "exactly once" is checked by counts), and, opened
  with the box key, they hold exactly the answers the respondents gave, each a
  whole questionnaire; no ballot row is written before close;
* no draft is left for a spent link; SQLite: ``PRAGMA integrity_check`` is ``ok``.
"""
from __future__ import annotations

import http.client
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.models import Ballot, Campaign, Draft, Envelope, SpentLink, Unit
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.invitations import hash_token
from survey_app.services.markers import draft_id, spent_marker

from . import box
from .conftest import BACKENDS, CURRENT, TEST_SECRET, make_app
from .servers import Gunicorn
from .test_form import csrf, radios
from .test_respond import invite

SECRET = TEST_SECRET  # the demo copy's ballot box was made under it: a server with another key takes no ballot
RESPONDENTS = 60
THREADS = 12
KILL_AFTER = RESPONDENTS // 3  # thanked respondents before the kill
THANKS = "Cảm ơn Ông/Bà đã gửi phiếu"
USED = "Phiếu đã được gửi"
REQUEST_TIMEOUT = 30.0  # seconds, per HTTP request
POOL_TIMEOUT = 120.0  # seconds for all respondents of one round


# --- the server: tests/servers.py ------------------------------------------------


class Server(Gunicorn):
    """gunicorn as this test runs it: 2 workers of 4 threads, rate limits off."""

    def __init__(self, database_url: str, log: Path):
        super().__init__(database_url, log, {"SECRET_KEY": SECRET, "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
                                             "RATELIMIT_ENABLED": "false"})


# --- a respondent over HTTP ------------------------------------------------------


class Cut(Exception):
    """The server went away while this respondent was talking to it."""


@dataclass
class Respondent:
    token: str
    picks: dict[str, str] = field(default_factory=dict)  # question -> option, fixed per token
    cookies: dict[str, str] = field(default_factory=dict)
    cut_at: str | None = None  # the step the crash interrupted
    outcome: str | None = None  # "thanked" or "used"
    submit_form: dict | None = None  # the last submit POSTed (resent after the crash)


class Round:
    """Counters shared by the respondents' threads and the killer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.thanked = 0
        self.submits_in_flight = 0
        self.submits_answered = 0  # submit responses read in full
        self.killed = threading.Event()
        self.kill_reason = ""
        self.errors: list[str] = []


def _request(port: int, r: Respondent, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Host": f"127.0.0.1:{port}"}
        if r.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in r.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                r.cookies[name] = morsel.value
        return response.status, dict(response.headers.items()), text
    finally:
        conn.close()


ELSEWHERE = "đã được lưu dở trên một thiết bị khác"


def _walk(port: int, r: Respondent, rnd: Round | None) -> None:
    """The whole flow from the link; sets ``r.outcome``. Raises :class:`Cut` if the server goes away."""
    base = f"/s/{r.token}"

    def call(step: str, method: str, path: str, form: dict | None = None):
        submitting = rnd is not None and step == "submit"
        if submitting:
            with rnd.lock:
                rnd.submits_in_flight += 1
        try:
            result = _request(port, r, method, path, form)
            if submitting:
                with rnd.lock:
                    rnd.submits_answered += 1
            return result
        except (OSError, http.client.HTTPException) as exc:
            if rnd is not None and rnd.killed.is_set():
                r.cut_at = step
                raise Cut(step) from exc
            raise AssertionError(f"{r.token} {step}: {exc!r} with the server up") from exc
        finally:
            if submitting:
                with rnd.lock:
                    rnd.submits_in_flight -= 1

    def expect(ok: bool, step: str, status: int, text: str):
        if not ok:
            visible = re.sub(r"<[^>]+>|\s+", " ", text)[:300]
            raise AssertionError(f"{r.token} {step}: unexpected {status}: {visible}")

    status, _h, html = call("welcome", "GET", base)
    if status == 410 and USED in html:
        r.outcome = "used"
        return
    expect(status == 200, "welcome", status, html)
    if ELSEWHERE in html:  # the kill lost the answer that carried the new draft's resume code: start again
        status, _h, _html = call("restart", "POST", f"{base}/tiep-tuc", {"csrf_token": csrf(html), "restart": "y"})
        expect(status == 302, "restart", status, _html)
        status, _h, html = call("welcome", "GET", base)
        expect(status == 200 and ELSEWHERE not in html, "welcome", status, html)
    start = re.search(r'class="button primary" href="([^"]+)"', html).group(1)
    if start == f"{base}/p/1":
        status, _h, html = call("page", "GET", f"{base}/p/1")
        expect(status == 200, "page", status, html)
        options = radios(html)
        if not r.picks:
            pick = random.Random(r.token)
            r.picks = {name[2:]: pick.choice(values) for name, values in sorted(options.items())}
        expect(set(options) == {f"q_{q}" for q in r.picks}, "page", status, html)
        form = {"csrf_token": csrf(html), "action": "next", **{f"q_{q}": o for q, o in r.picks.items()}}
        status, headers, html = call("save", "POST", f"{base}/p/1", form)
        expect(status == 302 and headers.get("Location", "").endswith(f"{base}/gui"), "save", status, html)
    else:
        expect(start == f"{base}/gui", "welcome", status, html)
    status, _h, html = call("review", "GET", f"{base}/gui")
    expect(status == 200, "review", status, html)
    client_id = re.search(r'name="client_id" value="([^"]+)"', html).group(1)
    r.submit_form = {"csrf_token": csrf(html), "client_id": client_id}
    status, _h, html = call("submit", "POST", f"{base}/gui", r.submit_form)
    expect(status == 200 and THANKS in html, "submit", status, html)
    r.outcome = "thanked"


def _resend(port: int, r: Respondent) -> None:
    """The browser's "resend": the same submit (same cookie, CSRF token and client id) again."""
    status, _h, html = _request(port, r, "POST", f"/s/{r.token}/gui", r.submit_form)
    assert status == 200 and THANKS in html, f"{r.token}: a resent submit after the crash got {status}"
    r.outcome = "thanked"


def _run_round(port: int, respondents: list[Respondent], rnd: Round, server: Server, used_count, release) -> None:
    """All respondents from a pool of threads; SIGKILL once a third are thanked, aimed at a submit
    whose transaction has committed but whose answer has not reached the respondent yet.

    ``used_count()`` reads how many of the test's links the database has marked used. A used
    count above the number of submit answers read (read in that order) means a ballot is stored
    and its thank-you page still on its way: the moment a lost answer hurts most. If that window
    is not caught soon, any submit in flight will do, and past that the kill comes anyway.
    ``release()`` closes the connections ``used_count`` opened, just before the kill: the next
    process to open the database finds it as the server's death left it.
    """

    def one(r: Respondent) -> None:
        if rnd.killed.is_set():
            r.cut_at = "not started"
            return
        try:
            _walk(port, r, rnd)
        except Cut:
            return
        except BaseException as exc:  # noqa: BLE001 - reported after the server is stopped
            with rnd.lock:
                rnd.errors.append(f"{type(exc).__name__}: {exc}")
            return
        with rnd.lock:
            rnd.thanked += r.outcome == "thanked"

    def killer() -> None:
        try:
            deadline = time.monotonic() + POOL_TIMEOUT
            while time.monotonic() < deadline and not rnd.errors:
                with rnd.lock:
                    thanked, in_flight = rnd.thanked, rnd.submits_in_flight
                if thanked >= KILL_AFTER:
                    if in_flight and used_count() > rnd.submits_answered:
                        rnd.kill_reason = "a stored submit's answer on its way"
                        break
                    if in_flight and thanked >= KILL_AFTER + THREADS // 2:
                        rnd.kill_reason = "a submit in flight"
                        break
                    if thanked >= KILL_AFTER + THREADS:
                        rnd.kill_reason = "late"
                        break
                time.sleep(0.0005)
            else:
                rnd.kill_reason = "an error" if rnd.errors else "the deadline"
        except BaseException as exc:  # noqa: BLE001 - the kill must come whatever happened
            rnd.kill_reason = "an error of the killer"
            with rnd.lock:
                rnd.errors.append(f"killer: {type(exc).__name__}: {exc}")
        finally:
            release()
            rnd.killed.set()
            server.kill()

    watcher = threading.Thread(target=killer, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(one, r) for r in respondents]
        for f in futures:
            f.result(timeout=POOL_TIMEOUT)
    watcher.join(timeout=POOL_TIMEOUT)
    assert not watcher.is_alive(), "the killer thread did not finish"


# --- the checks ------------------------------------------------------------------


@dataclass
class Before:
    ballot_ids: set
    envelope_ids: set
    used: int


def _markers(s, campaign_id: int) -> set:
    return set(s.scalars(select(SpentLink.marker).where(SpentLink.campaign_id == campaign_id)))


def _snapshot(database, campaign_id: int) -> Before:
    with database.session() as s:
        ballots = set(s.scalars(select(Ballot.id).where(Ballot.campaign_id == campaign_id)))
        envelopes = set(s.scalars(select(Envelope.id).where(Envelope.campaign_id == campaign_id)))
        return Before(ballots, envelopes, len(_markers(s, campaign_id)))


def _check(database, campaign_id: int, before: Before, respondents: list[Respondent], when: str) -> dict:
    """The invariants; returns a few figures for the report."""
    hashes = {hash_token(r.token): r for r in respondents}
    with database.session() as s:
        campaign = s.get(Campaign, campaign_id)
        qn = campaign_criteria(campaign).questionnaire("huyen", "nguoi_dan")
        ba_be = s.scalar(select(Unit.id).where(Unit.campaign_id == campaign_id, Unit.code == "ba_be"))
        markers = _markers(s, campaign_id)
        used = {h for h in hashes if spent_marker(SECRET, h) in markers}
        ballots = set(s.scalars(select(Ballot.id).where(Ballot.campaign_id == campaign_id)))
        drafts = set(s.scalars(select(Draft.id).where(Draft.campaign_id == campaign_id)))
    opened = box.open_all(database, SECRET, campaign_id)
    new = [e for e in opened if e["id"] not in before.envelope_ids]
    drafts_of_used = sum(draft_id(SECRET, h) in drafts for h in used)

    thanked = {hash_token(r.token) for r in respondents if r.outcome == "thanked"}
    assert thanked <= used, f"{when}: {len(thanked - used)} thanked link(s) not spent"
    assert ballots == before.ballot_ids, f"{when}: ballot rows changed while collecting"
    assert len(new) == len(used), f"{when}: {len(new)} new envelopes for {len(used)} spent links"
    assert len(markers) == before.used + len(used), f"{when}: other links changed state"
    assert {(e["channel"], e["state"], e["unit_id"]) for e in new} <= {("web", "received", ba_be)}, when
    expected = {(ba_be, q) for q in qn.question_ids}
    partial = [e for e in new
               if len(e["answers"]) != len(qn.items) or {(u, q) for u, q, _o in e["answers"]} != expected]
    assert not partial, f"{when}: {len(partial)} envelope(s) without exactly their {len(qn.items)} answers"
    stored = Counter(frozenset((q, o) for _u, q, o in e["answers"]) for e in new)
    given = Counter(frozenset(hashes[h].picks.items()) for h in used)
    assert stored == given, f"{when}: the sealed answers are not those the respondents gave"
    assert drafts_of_used == 0, f"{when}: {drafts_of_used} draft(s) left for spent links"
    return {"used": len(used), "new_envelopes": len(new), "answers": sum(len(e["answers"]) for e in new)}


def _sqlite_integrity(path: Path) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


# --- the test --------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_submissions_survive_a_sigkill_of_the_server(backend, request, tmp_path):
    started = time.monotonic()
    sqlite_path: Path | None = None
    if backend == "sqlite":
        demo_app = request.getfixturevalue("demo_app")  # a private copy of the demo province
        url = demo_app.config["DATABASE_URL"]
        sqlite_path = Path(url.removeprefix("sqlite:///"))
    else:
        url = request.getfixturevalue("pg_url")
    app = make_app(url, tmp_path / "instance", SECRET_KEY=SECRET)
    database = app.extensions[DB_KEY]
    respondents = [Respondent(f"tok-crash-{backend[:2]}-{i:03d}-{'x' * 16}") for i in range(RESPONDENTS)]
    test_hashes = [hash_token(r.token) for r in respondents]
    server = Server(url, tmp_path / "gunicorn.log")
    rnd = Round()
    committed_unanswered: set[str] = set()
    try:
        server.spawn()  # its workers import the app while the database is built
        if backend == "postgresql":
            from survey_app.demo import build_demo

            migrate.upgrade(database)
            with database.transaction() as s:
                build_demo(s, secret=SECRET, seed=7)
        for r in respondents:
            invite(app, "nguoi_dan", "ba_be", r.token)
        with database.session() as s:
            campaign_id = s.get(Campaign, CURRENT).id  # the 2024 campaign, where invite() puts its links
        before = _snapshot(database, campaign_id)
        prepared = time.monotonic()
        server.wait_ready()

        test_markers = [spent_marker(SECRET, h) for h in test_hashes]

        def used_count() -> int:
            with database.session() as s:
                return s.scalar(select(func.count()).select_from(SpentLink).where(
                    SpentLink.marker.in_(test_markers)))

        _run_round(server.port, respondents, rnd, server, used_count, release=database.dispose)
        assert not rnd.errors, f"errors with the server up: {rnd.errors[:3]}\n{server.log_tail()}"

        # The database as the crash left it, before any process of the new server opens it.
        if sqlite_path:
            _sqlite_integrity(sqlite_path)
        server.spawn()
        at_crash = _check(database, campaign_id, before, respondents, "after the crash")
        with database.session() as s:
            markers = _markers(s, campaign_id)
            committed_unanswered = {h for h in (hash_token(r.token) for r in respondents if r.cut_at == "submit")
                                    if spent_marker(SECRET, h) in markers}
        database.dispose()

        # The restarted server on the same database; those cut retry.
        server.wait_ready()
        restarted = time.monotonic()
        cut = [r for r in respondents if r.outcome is None]
        cut_at_submit = [r for r in cut if r.cut_at == "submit"]

        def retry(item: tuple[int, Respondent]) -> None:
            i, r = item
            if r.cut_at == "submit" and i % 2 == 0:
                _resend(server.port, r)
            else:
                _walk(server.port, r, None)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(retry, enumerate(cut_at_submit + [r for r in cut if r.cut_at != "submit"]),
                          timeout=POOL_TIMEOUT))
        retried = time.monotonic()
    finally:
        server.stop()
        database.dispose()

    assert any(r.cut_at for r in respondents), "the kill came after every respondent had finished"
    assert all(r.outcome in ("thanked", "used") for r in respondents)
    assert all(r.cut_at == "submit" for r in respondents if r.outcome == "used"), \
        "only a submit the crash interrupted can have stored the ballot unseen"
    if sqlite_path:
        _sqlite_integrity(sqlite_path)
    final = _check(database, campaign_id, before, respondents, "after the restart")
    database.dispose()
    assert final["used"] == RESPONDENTS and final["new_envelopes"] == RESPONDENTS

    print(f"\n[{backend}] {time.monotonic() - started:.1f} s: {prepared - started:.1f} s building, "
          f"{restarted - prepared:.1f} s to the restart, {retried - restarted:.1f} s retrying; "
          f"killed on {rnd.kill_reason}, {rnd.thanked} thanked before; "
          f"cut: {dict(Counter(r.cut_at for r in respondents if r.cut_at))}; "
          f"stored but unanswered at the crash: {len(committed_unanswered)}; at the crash: {at_crash}; "
          f"final: {final}; outcomes: {dict(Counter(r.outcome for r in respondents))}")
