"""The ``parsurvey`` command: a Flask CLI group over :func:`survey_app.create_app`.

``parsurvey run``, ``parsurvey shell`` and our own commands share one entry point. Our
commands, one module per group, are registered on ``app.cli`` in the factory, so tests
reach them through ``app.test_cli_runner()``.
"""
from __future__ import annotations

import click
from flask.cli import FlaskGroup, ScriptInfo, run_command

from .. import create_app, refuse_weak_secret
from .aggregate import aggregate_command
from .backup import backup_command, restore_command
from .db import db_cli
from .demo import demo_command
from .questionnaires import questionnaires_cli
from .rank import rank_command
from .report import report_command
from .setup import setup_code_command
from .users import users_cli
from .version import version_option


def main() -> None:
    """Entry point of the ``parsurvey`` console script."""
    cli = FlaskGroup(create_app=lambda: create_app({"PARSURVEY_CLI": True}),
                     help="parsurvey: điều tra xã hội học Chỉ số CCHC.",
                     add_version_option=False, params=[version_option])
    cli.add_command(serving_run_command(), "run")
    cli.main(prog_name="parsurvey")


def serving_run_command() -> click.Command:
    """Flask's ``run``, holding the database's serving lock while it serves (``parsurvey restore`` checks it)."""
    from ..db import DatabaseUnreachable
    from ..services.serving import hold_serving_lock

    def callback(*args, **kwargs):
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        if not app.debug:  # serving for real: the same rule as gunicorn's
            refuse_weak_secret(app.config["SECRET_KEY"])
        try:
            hold_serving_lock(app.config["DATABASE_URL"])
        except DatabaseUnreachable as error:
            click.echo(str(error), err=True)
            raise click.exceptions.Exit(2) from None
        return run_command.callback(*args, **kwargs)

    return click.Command("run", callback=callback, params=run_command.params, help=run_command.help,
                         short_help=run_command.short_help)


def register(app) -> None:
    """Add our command groups to ``app.cli``."""
    for command in (questionnaires_cli, db_cli, demo_command, users_cli, aggregate_command, rank_command,
                    report_command, backup_command, restore_command, setup_code_command):
        app.cli.add_command(command)
