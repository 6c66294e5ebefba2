"""Migrations go up and down on SQLite and PostgreSQL, and the result matches the models."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from survey_app import migrate
from survey_app.db import Database
from survey_app.models import Base

TABLES = {"campaigns", "units", "respondent_groups", "sample_targets", "invitations", "ballots",
          "answers", "appraisals", "users", "user_units", "audit_log"}


@pytest.fixture(params=["sqlite", "postgresql"])
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
    assert migrate.current_revision(database) == migrate.head_revision() == "0001"
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
