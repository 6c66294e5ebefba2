"""Issue 25, item 2: opening the box at close, on SQLite and PostgreSQL.

* **A crash during closing** leaves the campaign collecting with every envelope intact: a process
  closes a campaign of 3,000 envelopes through the real ``close_campaign`` in one
  ``Database.transaction()`` and is killed (SIGKILL) after its first chunk of ballots is written. The
  campaign is still open, every envelope, spent marker and draft is there byte for byte, and no ballot
  was written. Closing it again, for real, turns every envelope into one ballot with its answers, and
  empties the box, the markers and the drafts; no ballot keeps the client id sealed in its envelope.
* **No order survives**: the order ballots are written in is neither the order envelopes arrived in
  nor that of their ids (an attacker holding a backup from before close knows both), and after
  ``forget_order`` the SQLite ``-wal`` file is empty and the database file holds none of the
  envelopes' bytes.
* Opening checks ballots with the rules every channel shares (its fast check refuses what
  ``ballots._ballot_problems`` refuses).
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, AuditEntry, Ballot, Campaign, Draft, Envelope, SpentLink, Unit
from survey_app.services import ballot_box, ballots
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.closing import close_campaign

from . import box
from .conftest import BACKENDS, make_app
from .sealed_box import fill_box

SECRET = "box-closing-secret-4e8d21c7a90b6f35"
ROOT = Path(__file__).resolve().parents[1]
CLOSER = """
import sys
from survey_app import create_app
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign
from survey_app.services import ballot_box
from survey_app.services.closing import close_campaign

url, secret, instance, campaign_id = sys.argv[1:5]
ballot_box.CHUNK = 500  # six chunks: the kill lands after the first, with five to go
ballot_box.BULK = 1000  # PostgreSQL: the answers' keys dropped for the bulk write, killed before they are back
database = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "INSTANCE_PATH": instance}).extensions[DB_KEY]
with database.transaction() as s:
    close_campaign(s, s.get(Campaign, int(campaign_id)), "test", secret=secret,
                   progress=lambda done, total: print("progress", done, total, flush=True))
print("committed", flush=True)
"""


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'closing.sqlite'}"
    return request.getfixturevalue("pg_url")


def _app(url: str, folder: Path):
    app = make_app(url, folder / "instance", SECRET_KEY=SECRET)
    migrate.upgrade(app.extensions[DB_KEY])
    return app


def _state(database, campaign_id: int) -> dict:
    """Everything a crash must leave as it was: the campaign's status, its envelopes, markers, drafts
    (every byte), its ballots and the close audit entries."""
    with database.session() as s:
        def rows(table, *columns):
            return {tuple(bytes(v) if isinstance(v, bytes | memoryview) else v for v in row)
                    for row in s.execute(select(*columns).where(table.campaign_id == campaign_id))}
        return {
            "status": s.scalar(select(Campaign.status).where(Campaign.id == campaign_id)),
            "envelopes": rows(Envelope, Envelope.id, Envelope.group_id, Envelope.unit_id, Envelope.sealed),
            "markers": rows(SpentLink, SpentLink.marker, SpentLink.receipt),
            "drafts": rows(Draft, Draft.id, Draft.sealed),
            "ballots": s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign_id)),
            "closed": s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "close")),
        }


def _ballots(database, campaign_id: int) -> tuple[Counter, set[str]]:
    """The campaign's ballots as (group, channel, state, seconds, answers), and their client ids."""
    with database.session() as s:
        found = {b.id: b for b in s.scalars(select(Ballot).where(Ballot.campaign_id == campaign_id))}
        answers: dict[int, set] = {i: set() for i in found}
        for ballot_id, unit, question, option in s.execute(
                select(Answer.ballot_id, Answer.unit_id, Answer.question, Answer.option)
                .join(Ballot).where(Ballot.campaign_id == campaign_id)):
            answers[ballot_id].add((unit, question, option))
    return (Counter((b.group_id, b.channel, b.state, b.duration_seconds, frozenset(answers[i]))
                    for i, b in found.items()),
            {b.client_id for b in found.values()})


def _sealed(contents: list[dict]) -> Counter:
    """The same, of the envelopes' contents."""
    return Counter((c["group_id"], c["channel"], c["state"], c["seconds"], frozenset(map(tuple, c["answers"])))
                   for c in contents)


def _schema_as_the_models_say(database) -> None:
    """Nothing of the closing's bulk write is left in the schema (PostgreSQL drops and adds the answers'
    foreign keys inside its transaction)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from survey_app.models import Base

    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []
        if database.engine.dialect.name == "postgresql":
            keys = conn.exec_driver_sql("SELECT conname FROM pg_constraint WHERE conrelid = 'answers'::regclass "
                                        "AND contype = 'f' ORDER BY conname").scalars().all()
            assert keys == ["fk_answers_ballot_id_ballots", "fk_answers_unit_id_units"]


def test_a_closing_killed_midway_leaves_the_box_as_it_was(database_url, tmp_path, monkeypatch):
    app = _app(database_url, tmp_path)
    database = app.extensions[DB_KEY]
    filled = fill_box(database, SECRET, 3000, drafts=40, seed=3)
    contents = box.open_all(database, SECRET, filled.campaign_id)
    before = _state(database, filled.campaign_id)
    assert len(before["envelopes"]) == len(before["markers"]) == 3000 and len(before["drafts"]) == 40
    database.dispose()

    closer = subprocess.Popen(
        [sys.executable, "-c", CLOSER, database_url, SECRET, str(tmp_path / "instance"), str(filled.campaign_id)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = closer.stdout.readline()
        assert first == "progress 500 3000\n", closer.stderr.read()
        os.kill(closer.pid, signal.SIGKILL)
        assert closer.wait(timeout=60) == -signal.SIGKILL
        assert "committed" not in closer.stdout.read()
    finally:
        if closer.poll() is None:
            closer.kill()
            closer.wait()

    assert _state(database, filled.campaign_id) == before  # still 'open', every byte there, no ballot
    _schema_as_the_models_say(database)
    if database.is_sqlite:
        with database.session() as s:
            assert s.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    monkeypatch.setattr(ballot_box, "BULK", 1000)  # the answers' keys checked once, at the end
    with database.transaction() as s:
        _note, opened = close_campaign(s, s.get(Campaign, filled.campaign_id), "t", secret=SECRET)
    ballot_box.forget_order(database)
    assert (opened.ballots, opened.unreadable, opened.invalid) == (3000, 0, 0)
    _schema_as_the_models_say(database)
    after = _state(database, filled.campaign_id)
    assert (after["status"], after["envelopes"], after["markers"], after["drafts"]) == ("closed", set(), set(), set())
    written, client_ids = _ballots(database, filled.campaign_id)
    assert written == _sealed(contents)  # one ballot per envelope, each with its envelope's answers
    assert sum(written.values()) == 3000
    assert client_ids.isdisjoint(c["client_id"] for c in contents)


def _write_order(database) -> list[float]:
    """Record the ``duration_seconds`` of the ballots in the order they are sent to the database."""
    order: list[float] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.startswith("INSERT INTO ballots"):
            columns = [c.strip() for c in statement.split("(", 1)[1].split(")", 1)[0].split(",")]
            at = columns.index("duration_seconds")
            rows = parameters if executemany else [parameters]
            order.extend(row[at] if isinstance(row, (tuple, list)) else row["duration_seconds"] for row in rows)
    return order


def _runs(order: list[int], reference: list[int], length: int) -> bool:
    """Whether ``length`` envelopes consecutive in ``reference`` are written consecutively, in that order."""
    where = {v: i for i, v in enumerate(order)}
    at = [where[v] for v in reference]
    return any(all(at[i + k + 1] == at[i + k] + 1 for k in range(length - 1)) for i in range(len(at) - length + 1))


def test_ballots_are_written_in_an_order_the_box_did_not_keep(tmp_path):
    """200 envelopes told apart by their seconds (10,000 + the order they came in). On correct code,
    a uniform shuffle keeps 7 envelopes consecutive in a given order with probability at most
    194 * 193! / 200! < 3.3e-12; against two orders, < 1e-11."""
    app = _app(f"sqlite:///{tmp_path / 'order.sqlite'}", tmp_path)
    database = app.extensions[DB_KEY]
    filled = fill_box(database, SECRET, 200, seconds=lambda n: 10_000.0 + n)
    contents = box.open_all(database, SECRET, filled.campaign_id)
    by_id = [int(c["seconds"]) - 10_000 for c in sorted(contents, key=lambda c: c["id"])]
    assert len(by_id) == 200
    order = _write_order(database)
    with database.transaction() as s:
        close_campaign(s, s.get(Campaign, filled.campaign_id), "t", secret=SECRET)
    written = [int(x) - 10_000 for x in order]
    assert sorted(written) == list(range(200))
    arrival = list(range(200))
    assert not _runs(written, arrival, 7), "ballots written in the order envelopes arrived"
    assert not _runs(written, by_id, 7), "ballots written in the order of the envelopes' ids"


def _pieces(sealed: bytes) -> list[bytes]:
    """Three 32-byte pieces of an envelope (an envelope longer than a page is cut over several)."""
    return [sealed[at:at + 32] for at in (1, len(sealed) // 2, len(sealed) - 40)]


def test_forget_order_leaves_no_envelope_byte_in_the_files(tmp_path):
    path = tmp_path / "files.sqlite"
    app = _app(f"sqlite:///{path}", tmp_path)
    database = app.extensions[DB_KEY]
    filled = fill_box(database, SECRET, 200, drafts=10)
    with database.session() as s:
        envelopes = [bytes(b) for b in s.scalars(select(Envelope.sealed).limit(12))]
    with database.read_engine.connect() as conn:  # outside a transaction: the pages into the file
        assert conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0] == 0
    pieces = [p for sealed in envelopes for p in _pieces(sealed)]
    raw = path.read_bytes()
    assert all(p in raw for p in pieces)  # the search finds them while the box holds them

    with database.transaction() as s:
        close_campaign(s, s.get(Campaign, filled.campaign_id), "t", secret=SECRET)
    done = ballot_box.forget_order(database)
    assert done == "SQLite: VACUUM; WAL đã xoá"
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    raw = path.read_bytes()
    assert [p for p in pieces if p in raw] == []
    with sqlite3.connect(path) as plain:
        assert plain.execute("SELECT count(*) FROM ballots").fetchone() == (200,)
        assert plain.execute("SELECT count(*) FROM envelopes").fetchone() == (0,)


def test_opening_refuses_what_the_rules_refuse(app):
    """The fast check used at close agrees with the rules every channel shares, ballot by ballot."""
    database = app.extensions[DB_KEY]
    mine = fill_box(database, SECRET, 0).campaign_id
    other = fill_box(database, SECRET, 0).campaign_id
    with database.transaction() as s:
        campaign = s.get(Campaign, mine)
        cset = campaign_criteria(campaign)
        group = {g.code: g.id for g in campaign.groups}
        unit = dict(s.execute(select(Unit.code, Unit.id).where(Unit.campaign_id == mine)).all())
        elsewhere = s.scalar(select(Unit.id).where(Unit.campaign_id == other, Unit.code == "ba_be"))
        questions = cset.questionnaire("huyen", "nguoi_dan").question_ids
        good = [(unit["ba_be"], q, "tot") for q in questions]
        cases = {
            "good": ("nguoi_dan", good),
            "good, another order": ("nguoi_dan", good[::-1]),
            "a question left out": ("nguoi_dan", good[1:]),
            "a question twice": ("nguoi_dan", [*good, good[0]]),
            "a question not asked": ("nguoi_dan", [*good, (unit["ba_be"], "Q_KHAC", "tot")]),
            "an option not on the scale": ("nguoi_dan", [*good[1:], (good[0][0], good[0][1], "rat_tot")]),
            "a level the group does not rate": ("nguoi_dan", [(unit["so_tp"], q, "tot") for q in questions]),
            "a unit of another campaign": ("nguoi_dan", [(elsewhere, q, "tot") for q in questions]),
            "a unit that does not exist": ("nguoi_dan", [(10 ** 9, q, "tot") for q in questions]),
            "no answer": ("nguoi_dan", []),
            "a group of another campaign": (None, good),
        }
        other_group = s.scalar(select(Campaign).where(Campaign.id == other)).groups[0].id
        made = {name: ballots.NewBallot(campaign_id=mine, group_id=group[g] if g else other_group, channel="web",
                                        client_id=f"c-{n}", answers=answers)
                for n, (name, (g, answers)) in enumerate(cases.items())}
        levels, groups = ballots._lookups(s, list(made.values()))
        refused = {name for name, b in made.items() if ballots._ballot_problems(cset, b, levels, groups, True)}
        assert refused == set(cases) - {"good", "good, another order"}
        for name, b in made.items():
            assert ballots.store_opened(s, cset, [b]) == ((0, 1) if name in refused else (1, 0)), name
        assert s.scalar(select(func.count()).select_from(Ballot)) == 2
