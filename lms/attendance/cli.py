"""The attendance command: `flask lms import-attendance`, the report import without the web pages."""
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.academies.models import LiveSession
from lms.accounts.models import User
from lms.attendance import importing
from lms.core.exceptions import DomainError
from lms.core.extensions import db

# Exit codes (README.md): 0 saved or nothing to do, 1 refused (see the message), 2 a wrong option,
# 4 the file may not be this session's report (--import-anyway).
EXIT_BLOCKED = 4

NOTHING_TO_SAVE = "Nothing to save: the attendance in this file is already recorded for this session."
NOTES = {"likely": " likely, needs confirming", "none": " unmatched", "facilitator": " facilitator"}


@click.command("import-attendance")
@click.option("--session", "session_id", type=int, required=True, help="The live session's id (see the admin pages).")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), required=True,
              help="A Zoom participants export or a Teams attendance report.")
@click.option("--timezone", "file_timezone", help="The time zone of the file's times [the academy's home zone].")
@click.option("--accept-likely", is_flag=True, help="Accept matches by name alone (otherwise they are ignored).")
@click.option("--import-anyway", is_flag=True,
              help="Save even when the file may not be this session's report (its title, date or times say so).")
@click.option("--yes", is_flag=True, help="Save without asking.")
@click.option("--by", "by_email", help="The admin the changes are recorded for [the first admin].")
@with_appcontext
def import_attendance(session_id, path, file_timezone, accept_likely, import_anyway, yes, by_email):
    """Import attendance for one live session, showing what it would record first."""
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        raise click.ClickException(f"There is no live session {session_id}.")
    data = Path(path).read_bytes()
    file_timezone = file_timezone or live_session.academy.home_timezone
    try:
        preview = importing.preview_import(live_session, data, file_timezone)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    decisions = _show_preview(live_session, preview, file_timezone, accept_likely)
    if preview.nothing_to_save:
        click.echo(NOTHING_TO_SAVE)
        return
    if preview.blocks and not import_anyway:
        click.echo(f"Not saved: this file may not be the report of {live_session.title} (see the warnings above). "
                   "If you have checked that it is, run the command again with --import-anyway.", err=True)
        sys.exit(EXIT_BLOCKED)
    if not yes and not click.confirm("Save this attendance?"):
        click.echo("Nothing saved.")
        return
    admin = _recording_admin(by_email)
    try:
        result = importing.apply_import(
            live_session, data, file_timezone, decisions, admin, datetime.now(UTC), Path(path).name,
            import_anyway=import_anyway,
        )
    except DomainError as error:
        raise click.ClickException(f"Nothing saved: {error.message}") from None
    db.session.commit()
    if result.state == "unchanged":
        click.echo(NOTHING_TO_SAVE)
        return
    click.echo(f"Saved: {result.changed} change(s) recorded in the name of {admin.email}.")


def _show_preview(live_session, preview, file_timezone: str, accept_likely: bool) -> dict[str, int | None]:
    """Print what the import would record; return the decisions for the lines that need one."""
    click.echo(f"{preview.platform} report for {live_session.title}, times read as {file_timezone}:")
    for block in preview.blocks:
        click.echo(f"  WARNING: {block.text}")
    decisions = {}
    for line in preview.lines:
        who = line.person.full_name if line.person and line.kind != "none" else "(no match)"
        note = NOTES.get(line.kind, "")
        click.echo(f"  {line.display_name:<32} -> {who:<28} {line.minutes:6.1f} min  {line.outcome}{note}")
        if line.kind == "likely":
            decisions[line.key] = line.person.id if accept_likely else None
        elif line.kind == "none":
            decisions[line.key] = None
    for user in preview.not_in_report:
        click.echo(f"  {'(not in the report)':<32} -> {user.full_name:<28}    0.0 min  absent")
    return decisions


def _recording_admin(by_email: str | None) -> User:
    """The admin named by --by, or the first admin; the changes are recorded in their name."""
    admins = db.select(User).where(User.is_admin.is_(True)).order_by(User.id)
    if by_email:
        admins = admins.where(User.email == by_email.strip().lower())
    admin = db.session.scalar(admins)
    if admin is None:
        raise click.ClickException(
            f"No admin {by_email}." if by_email else "Create an admin first (flask lms create-admin)."
        )
    return admin
