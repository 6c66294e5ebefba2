"""Migrations go up and down on SQLite and PostgreSQL, and the result matches the models."""
from __future__ import annotations

import datetime
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, MetaData, Table, inspect, select

from survey_app import migrate
from survey_app.db import Database
from survey_app.extensions import DB_KEY
from survey_app.models import Base

from .conftest import BACKENDS

TABLES = {"campaigns", "units", "respondent_groups", "sample_targets", "invitations", "ballots",
          "answers", "appraisals", "users", "user_units", "audit_log", "drafts", "paper_serials", "paper_entries",
          "commune_results", "previous_results", "api_tokens", "ballot_boxes", "envelopes", "spent_links",
          "unit_successions", "dossiers", "comments"}


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    yield db
    db.dispose()


def tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_up_down_up(database):
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision() == "0016"
    assert tables(database) == TABLES
    migrate.downgrade(database, "base")
    assert migrate.current_revision(database) is None and tables(database) == set()
    migrate.upgrade(database)
    assert tables(database) == TABLES


def test_migrated_schema_matches_the_models(database):
    migrate.upgrade(database)
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], "a model changed without a migration: run alembic revision --autogenerate"


def test_sqlite_foreign_keys_are_on_again_after_migrating(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fk.sqlite'}")
    migrate.upgrade(db)
    migrate.downgrade(db, "0001")
    migrate.upgrade(db)
    for engine in (db.engine, db.write_engine):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_upgrade_keeps_data_and_forgets_which_invitation_a_ballot_came_from(database):
    """0001 -> 0002 on a database holding a ballot: the ballot and its answer stay,
    its invitation becomes used, and nothing links the two any more."""
    from sqlalchemy import text

    migrate.upgrade(database, "0001")
    with database.transaction() as s:
        for sql in (
            "INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, criteria_files, created_at)"
            " VALUES (1, 2023, 'c', 'open', 'x', 'd', '{}', '2023-11-01')",
            "INSERT INTO respondent_groups (id, campaign_id, code, name, reached_by)"
            " VALUES (1, 1, 'nguoi_dan', 'Người dân', 'qr')",
            "INSERT INTO units (id, campaign_id, code, name, level) VALUES (1, 1, 'ba_be', 'Huyện Ba Bể', 'huyen')",
            "INSERT INTO invitations (id, campaign_id, group_id, kind, token_hash, short_code, created_at)"
            " VALUES (1, 1, 1, 'qr_card', 'h1', 'ABCD2345', '2023-11-01'),"
            " (2, 1, 1, 'qr_card', 'h2', NULL, '2023-11-01')",
            "INSERT INTO ballots (id, campaign_id, client_id, invitation_id, group_id, channel, state, submitted_at)"
            " VALUES (1, 1, 'c1', 1, 1, 'qr', 'received', '2023-11-20 10:11:12')",
            "INSERT INTO answers (id, ballot_id, unit_id, question, option) VALUES (1, 1, 1, 'H01', 'tot')",
        ):
            s.execute(text(sql))
    migrate.upgrade(database, "0005")
    with database.session() as s:
        assert s.execute(text("SELECT id, used, opened FROM invitations ORDER BY id")).all() == [
            (1, True, True),
            (2, False, False),
        ]
        assert str(s.execute(text("SELECT submitted_on FROM ballots")).scalar())[:10] == "2023-11-20"
        assert s.execute(text("SELECT option FROM answers")).scalar() == "tot"
        from survey_app.services.invitations import hash_short_code

        assert s.execute(text("SELECT short_code_hash FROM invitations WHERE id = 1")).scalar() == hash_short_code(
            "abcd-2345"
        )
    columns = {c["name"] for c in inspect(database.engine).get_columns("ballots")}
    assert not columns & {"invitation_id", "submitted_at", "started_at"}
    migrate.upgrade(database, "0009")  # 0006: not even the day
    columns = {c["name"] for c in inspect(database.engine).get_columns("ballots")}
    assert not columns & {"submitted_on", "payload_digest", "respondent_unit_id"}
    with database.session() as s:
        assert s.execute(text("SELECT id, client_id FROM ballots")).all() == [(1, "c1")]
        assert s.execute(text("SELECT option FROM answers")).scalar() == "tot"


def test_the_audit_log_cannot_be_changed_or_deleted(database):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    migrate.upgrade(database)
    with database.transaction() as s:
        s.execute(
            text("INSERT INTO audit_log (at, actor, action, entity) VALUES (CURRENT_TIMESTAMP, 'qt', 'create', 'unit')")
        )
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with database.transaction() as s:
                s.execute(text(statement))
    with database.session() as s:
        assert s.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["qt"]
    migrate.downgrade(database, "0002")
    migrate.upgrade(database)


def test_the_api_channel_is_allowed_and_others_are_not(database):
    """0005 widened the ballots' channel check (rebuilt in batch on SQLite)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    migrate.upgrade(database)
    from questionnaires import DEFAULT_SET_DIR, read_set_texts
    from survey_app.services.campaigns import create_campaign

    with database.transaction() as s:
        campaign = create_campaign(s, year=2025, name="x", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t")
        campaign_id, group_id = campaign.id, campaign.groups[0].id
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO ballots (id, campaign_id, client_id, group_id, channel, state) "
                          f"VALUES (1, {campaign_id}, 'a', {group_id}, 'api', 'received')"))
    with pytest.raises(IntegrityError):
        with database.engine.begin() as conn:
            conn.execute(text("INSERT INTO ballots (id, campaign_id, client_id, group_id, channel, state) "
                              f"VALUES (2, {campaign_id}, 'b', {group_id}, 'fax', 'received')"))


def test_db_upgrade_seals_plaintext_drafts_and_moves_a_collecting_campaigns_web_ballots_into_the_box(tmp_path):
    """Drafts saved before 0006 are plaintext: ``parsurvey db upgrade`` seals them with the app's key under
    their keyed row id (0010); the web ballots and 'used' flags of a collecting campaign become envelopes
    and spent markers, and the invitation keeps neither flag."""
    from types import SimpleNamespace

    from sqlalchemy import text

    from survey_app.services.drafts import key_for, read_draft
    from survey_app.services.invitations import issue_link
    from survey_app.services.markers import draft_id, spent_marker

    from . import box
    from .conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite'}", tmp_path / "instance")
    database = app.extensions[DB_KEY]
    secret = app.config["SECRET_KEY"]
    migrate.upgrade(database, "0005")
    link, other = issue_link(secret), issue_link(secret)
    with database.transaction() as s:
        for sql in (
            "INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, criteria_files, created_at)"
            " VALUES (1, 2024, 'c', 'open', 'x', 'd', '{}', '2024-11-01')",
            "INSERT INTO respondent_groups (id, campaign_id, code, name, reached_by)"
            " VALUES (1, 1, 'nguoi_dan', 'Người dân', 'qr')",
            "INSERT INTO units (id, campaign_id, code, name, level) VALUES (5, 1, 'ba_be', 'Huyện Ba Bể', 'huyen')",
            f"INSERT INTO invitations (id, campaign_id, group_id, kind, token_hash, token_salt, created_at)"
            f" VALUES (1, 1, 1, 'personal', '{link.token_hash}', '{link.salt}', '2024-11-01')",
            "INSERT INTO invitations (id, campaign_id, group_id, kind, token_hash, token_salt, created_at, used,"
            f" opened) VALUES (2, 1, 1, 'personal', '{other.token_hash}', '{other.salt}', '2024-11-01', 1, 1)",
            "INSERT INTO drafts (invitation_id, client_id, data, started_at, updated_at)"
            " VALUES (1, 'old-client', '{\"5:H01\": \"tot\"}', '2024-11-02', '2024-11-02')",
            "INSERT INTO ballots (id, campaign_id, client_id, group_id, channel, state, submitted_on, payload_digest)"
            " VALUES (77, 1, 'c77', 1, 'web', 'received', '2024-11-03', 'abc')",
            "INSERT INTO answers (ballot_id, unit_id, question, option) VALUES (77, 5, 'H01', 'kem')",
        ):
            s.execute(text(sql))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with database.session() as s:
        row = s.execute(text("SELECT id, campaign_id, sealed FROM drafts")).one()
        assert row.id == draft_id(secret, link.token_hash) and row.campaign_id == 1
        assert b"old-client" not in bytes(row.sealed) and b"tot" not in bytes(row.sealed)
        keyed = SimpleNamespace(id=1, draft_id=row.id, token_salt=link.salt, token_hash=link.token_hash)
        draft = read_draft(s, keyed, key_for(secret, keyed, link.token))
        assert (draft.client_id, draft.data) == ("old-client", {"5:H01": "tot"})
        schema = {name: sql for name, sql in s.execute(text("SELECT name, sql FROM sqlite_master WHERE type='table'"))}
        for table in ("ballots", "answers", "drafts", "envelopes", "spent_links"):
            assert "WITHOUT ROWID" in schema[table], table
        assert "used" not in schema["invitations"] and "opened" not in schema["invitations"]
        assert s.execute(text("SELECT count(*) FROM ballots")).scalar() == 0, "the web ballot went into the box"
        assert s.execute(text("SELECT marker FROM spent_links")).scalars().all() == [
            spent_marker(secret, other.token_hash)]
    [sealed] = box.sealed(app, 1)
    assert (sealed["client_id"], sealed["channel"], sealed["answers"]) == ("c77", "web", [[5, "H01", "kem"]])
    database.dispose()


def test_upgrading_a_database_with_a_collecting_campaign_needs_secret_key(tmp_path):
    """Without SECRET_KEY (Alembic run on its own), 0010 refuses to move a collecting campaign into the box,
    and says how to run it; nothing is changed."""
    from sqlalchemy import text

    from .conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite'}", tmp_path / "instance")
    database = app.extensions[DB_KEY]
    migrate.upgrade(database, "0009")
    with database.transaction() as s:
        s.execute(text("INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, criteria_files,"
                       " created_at) VALUES (1, 2024, 'c', 'open', 'x', 'd', '{}', '2024-11-01')"))
        s.execute(text("INSERT INTO respondent_groups (id, campaign_id, code, name, reached_by)"
                       " VALUES (1, 1, 'nguoi_dan', 'Người dân', 'qr')"))
        s.execute(text("INSERT INTO invitations (id, campaign_id, group_id, kind, token_hash, created_at, used)"
                       " VALUES (1, 1, 1, 'personal', 'h', '2024-11-01', 1)"))
    with pytest.raises(RuntimeError, match="parsurvey db upgrade"):
        migrate.upgrade(database)
    assert migrate.current_revision(database) == "0009"
    database.dispose()


# --- the previous release's database, upgraded --------------------------------------------------

# The newest revision of release 0.1.0 (commit 5cd615e): a database it built is upgraded from here.
PREVIOUS_RELEASE_HEAD = "0009"
FIRST_ID = 1001  # above what a sequence hands out first, should a later migration insert rows
# What an upgrade forgets on purpose (0010, the sealed box): who opened and answered a link, and which
# invitation a draft belongs to (drafts are keyed by a keyed hash of their link instead; their plaintext
# columns were emptied since 0006).
FORGOTTEN = {"invitations": {"opened", "used"},
             "drafts": {"invitation_id", "client_id", "data", "started_at", "updated_at"}}


def _value(table: Table, column, choices: dict[str, str]):
    """A value for ``column`` that its type, its foreign key and its table's checks accept; never NULL."""
    if column.foreign_keys or (column.primary_key and column.type.python_type is int):
        return FIRST_ID
    if column.name in choices:
        return choices[column.name]
    kind = dict if isinstance(column.type, JSON) else column.type.python_type
    if kind is str:
        return f"{table.name}.{column.name}"[: getattr(column.type, "length", None) or 200]
    return {int: 7, float: 2.5, bool: True, bytes: b"\x00sealed\xff", dict: {"H01": "tot", "n": [1, 2]},
            datetime.datetime: datetime.datetime(2025, 11, 20, 10, 11, 12),
            datetime.date: datetime.date(2025, 11, 20)}[kind]


def _choices(inspector, table: str) -> dict[str, str]:
    """The first allowed value of each column a check constraint lists (``x IN (...)``, ``x = ANY (...)``)."""
    choices = {}
    for check in inspector.get_check_constraints(table):
        text_ = check["sqltext"]
        if " IN (" in text_ or "ANY" in text_:
            column = re.search(r"\(*(\w+)\)*(?:::\w+)?\s*(?:IN|=)", text_).group(1)
            choices[column] = re.search(r"'([^']*)'", text_).group(1)
    return choices


def _rows(conn, metadata: MetaData) -> dict[str, list[dict]]:
    return {name: [dict(row._mapping) for row in conn.execute(select(table))]
            for name, table in metadata.tables.items() if name != "alembic_version"}


def test_a_database_of_the_previous_release_with_a_row_in_every_table_loses_nothing_on_upgrade(database, tmp_path):
    """Release 0.1.0's schema, a row in every table with every column filled, then ``parsurvey db upgrade``
    as the upgrade procedure runs it: every row is still there with every value it had."""
    from .conftest import make_app

    migrate.upgrade(database, PREVIOUS_RELEASE_HEAD)
    old = MetaData()
    old.reflect(database.engine)
    inspector = inspect(database.engine)
    with database.engine.begin() as conn:
        for table in old.sorted_tables:
            if table.name != "alembic_version":
                choices = _choices(inspector, table.name)
                conn.execute(table.insert().values({c.name: _value(table, c, choices) for c in table.columns}))
        before = _rows(conn, old)
    assert set(before) == set(old.tables) - {"alembic_version"} and len(before) >= 17
    assert all(len(rows) == 1 for rows in before.values()), "every table of the previous release holds a row"
    assert all(value is not None for rows in before.values() for value in rows[0].values())
    database.dispose()

    app = make_app(database.url, tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert migrate.current_revision(database) == migrate.head_revision()
    new = MetaData()
    new.reflect(database.engine)
    with database.engine.connect() as conn:
        after = _rows(conn, new)
    for name, rows in before.items():
        assert name in after, f"the upgrade dropped table {name}"
        kept = [{k: v for k, v in row.items() if k in new.tables[name].columns} for row in rows]
        assert [{k: row[k] for k in kept[0]} for row in after[name]] == kept, name
        assert set(kept[0]) == set(rows[0]) - FORGOTTEN.get(name, set()), f"the upgrade dropped columns of {name}"
    # The draft is kept, sealed as it was, under the keyed id of its link (0010).
    from survey_app.services.markers import draft_id

    [draft] = after["drafts"]
    [invitation] = before["invitations"]
    assert draft["id"] == draft_id(app.config["SECRET_KEY"], invitation["token_hash"])
    assert (draft["campaign_id"], draft["sealed"]) == (invitation["campaign_id"], before["drafts"][0]["sealed"])
