"""Schema migrations (Alembic), driven from ``parsurvey db ...`` and the tests.

A downgrade that would drop data is found before it runs (:func:`data_lost_by_downgrade`): the
tables and columns it removes are read off the schema each revision builds (on a scratch SQLite
file), and the rows some downgrades delete are listed in :data:`DOWNGRADE_DELETES`.
"""
from __future__ import annotations

import functools
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from .db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database: Database, stdout=None, secret: str | None = None) -> Config:
    """An Alembic config bound to ``database``'s write engine (no alembic.ini needed); ``secret`` is the
    server's ``SECRET_KEY``, which revisions that move data into the sealed ballot box need (0010)."""
    cfg = Config(stdout=stdout or io.StringIO())
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = database.write_engine
    cfg.attributes["secret"] = secret
    return cfg


def upgrade(database: Database, revision: str = "head", secret: str | None = None) -> None:
    """Bring the schema up to ``revision`` (default: the newest); ``secret``: see :func:`alembic_config`."""
    command.upgrade(alembic_config(database, secret=secret), revision)


def downgrade(database: Database, revision: str) -> None:
    """Take the schema down to ``revision`` (``base`` removes every table)."""
    command.downgrade(alembic_config(database), revision)


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def script_directory() -> ScriptDirectory:
    """The migrations the code knows."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def known_revisions() -> set[str]:
    """Every revision of ``migrations/versions``."""
    return {script.revision for script in script_directory().walk_revisions()}


def head_revision() -> str:
    """The newest revision the code knows."""
    return script_directory().get_current_head()


def upgrade_steps(current: str | None, revision: str = "head") -> list[str] | None:
    """The revisions an upgrade from ``current`` to ``revision`` applies, oldest first (``[]``: none);
    ``None`` when Alembic cannot say (an unknown or lower target: the upgrade itself will report it)."""
    try:
        scripts = script_directory().iterate_revisions(revision, current)
        return [script.revision for script in reversed(list(scripts))]
    except Exception:  # noqa: BLE001 - any resolution problem is Alembic's to report when it runs
        return None


def downgrade_steps(current: str | None, revision: str) -> list[tuple[str, str | None]]:
    """The revisions a downgrade from ``current`` to ``revision`` removes, newest first, each with the
    revision it leaves (``None``: base). ``revision`` is what ``parsurvey db downgrade`` takes: an id,
    ``-1``, ``base``."""
    if current is None:
        return []
    directory = script_directory()
    if re.fullmatch(r"-[0-9]+", revision):  # steps below the current revision, as the downgrade counts them
        target: str | None = current
        for _ in range(int(revision[1:])):
            target = directory.get_revision(target).down_revision if target else None
        revision = target or "base"
    return [(script.revision, script.down_revision) for script in directory.iterate_revisions(current, revision)]


# Rows a downgrade deletes without dropping their table or column, by the revision whose downgrade
# deletes them (WHERE clauses): they are data lost too. Also rows a downgrade cannot keep.
DOWNGRADE_DELETES: dict[str, list[tuple[str, str]]] = {
    "0005": [("ballots", "channel = 'api'")],  # ballots sent through the API, and their answers
    "0009": [("units", "level NOT IN ('so', 'huyen', 'xa')")],  # the old check constraint refuses them
    "0010": [("drafts", "sealed IS NOT NULL")],  # keyed by a hash of the link, they cannot go back under an invitation
}


@dataclass(frozen=True)
class Loss:
    """What a downgrade would destroy: ``rows`` rows of ``table`` (with a value in ``column``, or
    matching ``where``)."""

    table: str
    rows: int
    column: str | None = None
    where: str | None = None


LITERAL = re.compile(r"'[^']*'|-?[0-9]+")


@functools.lru_cache(maxsize=32)
def schema_at(revision: str | None) -> dict[str, dict[str, str | None]]:
    """Tables, their columns and each column's literal server default (``'0'``, ``''``; else ``None``)
    at ``revision`` (``None``: base), built on a scratch SQLite file."""
    if revision is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="parsurvey-schema-") as folder:
        scratch = Database(f"sqlite:///{folder}/schema.sqlite")
        try:
            upgrade(scratch, revision)
            inspector = inspect(scratch.engine)
            return {table: {c["name"]: _literal(c.get("default")) for c in inspector.get_columns(table)}
                    for table in inspector.get_table_names() if table != "alembic_version"}
        finally:
            scratch.dispose()


def _literal(default: str | None) -> str | None:
    return default if default is not None and LITERAL.fullmatch(default) else None


def data_lost_by_downgrade(database: Database, revision: str) -> list[Loss]:
    """What ``downgrade(database, revision)`` would destroy: rows of the tables it drops, values of the
    columns it drops (other than NULL and the column's default), rows it deletes
    (:data:`DOWNGRADE_DELETES`). Empty: nothing held is lost."""
    current = current_revision(database)
    steps = downgrade_steps(current, revision)
    if not steps:
        return []
    before, after = schema_at(current), schema_at(steps[-1][1])
    checks: list[tuple[str, str | None, str | None]] = []
    for table, columns in sorted(before.items()):
        if table not in after:
            checks.append((table, None, None))
        else:
            checks += [(table, column, None) for column in sorted(set(columns) - set(after[table]))]
    for step, _ in steps:
        checks += [(table, None, where) for table, where in DOWNGRADE_DELETES.get(step, [])
                   if table in before]
    quote = database.engine.dialect.identifier_preparer.quote
    losses = []
    with database.engine.connect() as conn:
        for table, column, where in checks:
            condition = where or "1 = 1"
            if column:
                default = before[table][column]
                condition = f"{quote(column)} IS NOT NULL" + (f" AND {quote(column)} <> {default}" if default else "")
            rows = conn.exec_driver_sql(f"SELECT count(*) FROM {quote(table)} WHERE {condition}").scalar()
            if rows:
                losses.append(Loss(table, rows, column, where))
    return losses
