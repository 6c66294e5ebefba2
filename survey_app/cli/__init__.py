"""The ``parsurvey`` command: a Flask CLI group over :func:`survey_app.create_app`.

``parsurvey run``, ``parsurvey shell`` and our own commands share one entry point. Our
commands, one module per group, are registered on ``app.cli`` in the factory, so tests
reach them through ``app.test_cli_runner()``.
"""
from __future__ import annotations

from flask.cli import FlaskGroup

from .. import create_app
from .aggregate import aggregate_command
from .backup import backup_command, restore_command
from .db import db_cli
from .demo import demo_command
from .questionnaires import questionnaires_cli
from .rank import rank_command
from .users import users_cli


def main() -> None:
    """Entry point of the ``parsurvey`` console script."""
    cli = FlaskGroup(create_app=create_app, help="parsurvey: điều tra xã hội học Chỉ số CCHC.")
    cli.main(prog_name="parsurvey")


def register(app) -> None:
    """Add our command groups to ``app.cli``."""
    for command in (questionnaires_cli, db_cli, demo_command, users_cli, aggregate_command, rank_command,
                    backup_command, restore_command):
        app.cli.add_command(command)
