"""Alembic's environment for the plugin's own migration history.

The plugin's history is kept apart from a host app's: its revisions are recorded in their own table
(lms_alembic_version), and only the plugin's tables (lms_*) are compared with its models, so neither
history sees the other's tables. Run through `flask lms db ...` (any app) or `flask db ...` (standalone).
"""
import logging

from alembic import context
from sqlalchemy import inspect, text

from lms.core.encryption import EncryptedText
from lms.core.extensions import db
from lms.core.types import UTCDateTime
from lms.schema import VERSION_TABLE, is_plugin_table

log = logging.getLogger("lms.migrations")

config = context.config


def include_name(name, type_, parent_names):
    """Only the plugin's own tables: a host's tables are the host's history's business."""
    if type_ == "table":
        return is_plugin_table(name) and name != VERSION_TABLE
    return True


def render_item(type_, obj, autogen_context):
    """Write the models' UTCDateTime and EncryptedText as plain DateTime and Text, so migrations import nothing of lms."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def process_revision_directives(context_, revision, directives):
    """No empty revision file when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def _our_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def adopt_shared_version_table(connection) -> None:
    """Databases made before the plugin kept its own history recorded it in alembic_version; move that
    row to lms_alembic_version once, so an upgrade carries on from where it was."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables or VERSION_TABLE in tables:
        return
    ours = _our_revisions()
    rows = [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
    mine = [revision for revision in rows if revision in ours]
    if not mine:
        return
    connection.execute(text(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    for revision in mine:
        connection.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:r)"), {"r": revision})
        connection.execute(text("DELETE FROM alembic_version WHERE version_num = :r"), {"r": revision})
    if len(mine) == len(rows):
        connection.execute(text("DROP TABLE alembic_version"))
    log.info("The plugin's revision %s now lives in %s.", ", ".join(mine), VERSION_TABLE)


def run_migrations_offline():
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table (copy, DROP, rename) to change a column. With foreign keys
            # on, as the app's connections have them, that DROP deletes every row that refers to the table
            # (ON DELETE CASCADE): dropping a column of lms_academies would empty readings, enrolments and
            # all that hangs on them. Off for the migration (it cannot change inside a transaction), then
            # checked before the migration's transaction commits.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the transaction that statement began, so the migration's is its own
        adopt_shared_version_table(connection)
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            version_table=VERSION_TABLE,
            include_name=include_name,
            render_as_batch=True,  # SQLite changes columns by rebuilding the table
            render_item=render_item,
            process_revision_directives=process_revision_directives,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows that refer to nothing: {broken[:5]}")
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
