"""SQLite settings, write transactions, the constraints the rules rely on."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from survey_app.db import Database
from survey_app.models import Answer, Ballot, Campaign, Invitation, RespondentGroup, Unit
from survey_app.services.invitations import hash_token


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a.sqlite'}", busy_timeout_ms=1234)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_a_write_session_takes_the_write_lock_at_begin(tmp_path):
    """BEGIN IMMEDIATE: a second writer waits (here: fails after 50 ms) even before
    either has written; a reader still reads (WAL)."""
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    db, other = Database(url), Database(url, busy_timeout_ms=50)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    first = db.session(write=True)
    first.execute(text("SELECT x FROM t")).all()  # only a read, yet the lock is held
    second = other.session(write=True)
    with pytest.raises(OperationalError, match="locked"):
        second.execute(text("SELECT x FROM t")).all()
    second.close()
    reader = other.session()
    assert reader.execute(text("SELECT x FROM t")).scalar() == 1
    reader.close()
    first.close()
    retry = other.session(write=True)
    retry.execute(text("INSERT INTO t VALUES (2)"))
    retry.commit()


def test_a_read_session_does_not_block_a_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    db, other = Database(url), Database(url, busy_timeout_ms=50)
    with db.transaction() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
    reader = db.session()
    reader.execute(text("SELECT count(*) FROM t")).scalar()
    with other.transaction() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
    reader.close()


@pytest.fixture
def seeded(app):
    """A campaign with one group, one unit, one invitation; returns (database, ids)."""
    from survey_app.extensions import DB_KEY

    db = app.extensions[DB_KEY]
    with db.transaction() as s:
        c = Campaign(year=2024, name="Thử", criteria_name="x", criteria_digest="0" * 64, criteria_files={})
        s.add(c)
        s.flush()
        g = RespondentGroup(campaign_id=c.id, code="nguoi_dan", name="Người dân")
        u = Unit(campaign_id=c.id, code="ba_be", name="Huyện Ba Bể", level="huyen")
        s.add_all([g, u])
        s.flush()
        inv = Invitation(campaign_id=c.id, group_id=g.id, unit_id=u.id, token_hash=hash_token("a-token"))
        s.add(inv)
        s.flush()
        ids = dict(campaign=c.id, group=g.id, unit=u.id, invitation=inv.id)
    return db, ids


def ballot(ids, **kw):
    values = dict(campaign_id=ids["campaign"], group_id=ids["group"], channel="web", client_id="c-1")
    values.update(kw)
    return Ballot(**values)


def test_client_ids_are_unique_so_a_retried_post_cannot_store_twice(seeded):
    db, ids = seeded
    with db.transaction() as s:
        s.add(ballot(ids, client_id="same"))
    with pytest.raises(IntegrityError):
        with db.transaction() as s:
            s.add(ballot(ids, client_id="same"))


def test_one_answer_per_ballot_unit_question(seeded):
    db, ids = seeded
    with db.transaction() as s:
        b = ballot(ids)
        s.add(b)
        s.flush()
        s.add(Answer(ballot_id=b.id, unit_id=ids["unit"], question="H01", option="tot"))
        ballot_id = b.id
    with pytest.raises(IntegrityError):
        with db.transaction() as s:
            s.add(Answer(ballot_id=ballot_id, unit_id=ids["unit"], question="H01", option="kem"))


@pytest.mark.parametrize("change", [
    {"state": "rejected"},  # a rejected ballot needs its reason
    {"state": "deleted"},
    {"channel": "fax"},
    {"group_id": 999},  # foreign keys are on
])
def test_check_constraints_and_foreign_keys(seeded, change):
    db, ids = seeded
    with pytest.raises(IntegrityError):
        with db.transaction() as s:
            s.add(ballot(ids, **change))


def test_a_rejected_ballot_with_its_reason_is_kept(seeded):
    db, ids = seeded
    with db.transaction() as s:
        s.add(ballot(ids, state="rejected", state_reason="Phiếu không đọc được"))
    with db.session() as s:
        assert s.scalar(select(Ballot.state_reason)) == "Phiếu không đọc được"
