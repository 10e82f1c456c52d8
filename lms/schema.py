"""The plugin's schema history: its Alembic set-up and the `flask lms db ...` commands.

They work the same in the standalone app and in a host app whose own `flask db` history is separate.
"""
from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from flask.cli import AppGroup

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "lms_alembic_version"
TABLE_PREFIX = "lms_"


def is_plugin_table(name: str) -> bool:
    return name.startswith(TABLE_PREFIX)


def skip_plugin_tables(host_migrate) -> None:
    """Keep a host's Flask-Migrate history away from the LMS's tables: its `flask db migrate` and
    `flask db check` then neither see them nor propose to drop them.

    Called by `LMS.init_app` when the host set up Flask-Migrate first; a host that sets it up later
    passes `include_name=lms.schema.host_include_name` to `Migrate(...)` instead.
    """
    earlier = host_migrate.configure_args.get("include_name")
    if earlier is host_include_name:
        return

    def include_name(name, type_, parent_names):
        if not host_include_name(name, type_, parent_names):
            return False
        return earlier is None or earlier(name, type_, parent_names)

    host_migrate.configure_args["include_name"] = include_name


def host_include_name(name, type_, parent_names) -> bool:
    """For a host's Alembic: every table but the LMS's own."""
    return not (type_ == "table" and is_plugin_table(name))

db_cli = AppGroup("db", help="The LMS's own tables: create and upgrade them (kept apart from the host's).")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision):
    """Bring the LMS's tables up to date (or to REVISION)."""
    command.upgrade(alembic_config(), revision)
    click.echo("The LMS's tables are up to date." if revision == "head" else f"The LMS's tables are at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision):
    """Take the LMS's tables back to REVISION (e.g. -1, or base to remove them all)."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("current")
def current_command():
    """Show the revision the LMS's tables are at."""
    command.current(alembic_config())


@db_cli.command("check")
def check_command():
    """Fail when the LMS's models and its migrations disagree."""
    try:
        command.check(alembic_config())
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    click.echo("The LMS's tables match its models.")
