"""Which release this is: the version in ``setup.cfg`` (the one place it is written) and the database's
schema revision beside the newest one the code knows (``parsurvey --version``)."""
from __future__ import annotations

import configparser
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import migrate
from ..db import Database, DatabaseUnreachable
from .serving import sqlite_path

SETUP_CFG = Path(__file__).resolve().parents[2] / "setup.cfg"


def version(setup_cfg: Path = SETUP_CFG) -> str:
    """parsurvey's version.

    In a checkout (``setup.cfg`` of parsurvey beside the package) it is read there: an editable
    install's metadata keeps the version of the day it was installed. Otherwise the installed
    package's metadata; ``0+unknown`` when neither says.
    """
    if setup_cfg.is_file():
        config = configparser.ConfigParser()
        config.read(setup_cfg, encoding="utf-8")
        if config.get("metadata", "name", fallback=None) == "parsurvey":
            return config.get("metadata", "version", fallback="0+unknown")
    try:
        return metadata.version("parsurvey")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands: ``revision`` (``None``: empty or absent), ``head`` (the newest
    the code knows), ``problem`` (why it could not be read)."""

    revision: str | None
    head: str
    exists: bool = True
    problem: str | None = None

    @property
    def known(self) -> bool:
        """Whether the code knows the revision (a database upgraded by a newer parsurvey is not)."""
        return self.revision is None or self.revision in migrate.known_revisions()


def schema_state(database: Database) -> SchemaState:
    """Read the schema revision of ``database`` without creating anything (an absent SQLite file stays
    absent)."""
    head = migrate.head_revision()
    live = sqlite_path(database.url)
    if live is not None and not live.exists():
        return SchemaState(None, head, exists=False)
    try:
        database.check_reachable()
        return SchemaState(migrate.current_revision(database), head)
    except DatabaseUnreachable as error:
        return SchemaState(None, head, problem=str(error))
    finally:
        database.dispose()
