"""The `flask lms ...` commands; they call the same services as the web pages."""
import click
from flask.cli import AppGroup

from .services import accounts, attendance, demo, outbox
from .services.errors import DomainError

lms_cli = AppGroup("lms", help="Learning Academy commands.")


@lms_cli.command("create-admin")
@click.option("--email", prompt=True, help="The admin's email address.")
@click.option("--name", "full_name", prompt="Full name", help="The admin's full name.")
@click.option("--timezone", default="UTC", show_default=True, help="The admin's time zone.")
@click.password_option(help="Prompted for (hidden) when not given.")
def create_admin(email, full_name, timezone, password):
    """Make the first admin (or make an existing account an admin)."""
    try:
        user = accounts.create_admin(email, full_name, password, timezone)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is an admin.")


@lms_cli.command("demo")
@click.option("--as-published", is_flag=True, help="Keep the published dates (17 April and 2 May 2025).")
def load_demo(as_published):
    """Load the demo programme; running it again changes nothing."""
    if demo.load_demo(as_published=as_published):
        click.echo("The demo academy is loaded.")
    else:
        click.echo("The demo academy is already there; nothing changed.")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in demo.demo_logins():
        click.echo(f"  {login.role:<12} {login.email:<32} {login.name}")


@lms_cli.command("import-attendance")
@click.option("--session", "session_id", type=int, required=True, help="The live session's id (see the admin pages).")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), required=True,
              help="A Zoom participants export or a Teams attendance report.")
@click.option("--timezone", "file_timezone", help="The time zone of the file's times [the academy's home zone].")
@click.option("--accept-likely", is_flag=True, help="Accept matches by name alone (otherwise they are ignored).")
@click.option("--yes", is_flag=True, help="Save without asking.")
def import_attendance(session_id, path, file_timezone, accept_likely, yes):
    """Import attendance for one live session, showing what it would record first."""
    from datetime import UTC, datetime
    from pathlib import Path

    from .extensions import db
    from .models import LiveSession, User

    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        raise click.ClickException(f"There is no live session {session_id}.")
    data = Path(path).read_bytes()
    file_timezone = file_timezone or live_session.academy.home_timezone
    try:
        preview = attendance.preview_import(live_session, data, file_timezone)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{preview.platform} report for {live_session.title}, times read as {file_timezone}:")
    for warning in preview.warnings:
        click.echo(f"  WARNING: {warning}")
    decisions = {}
    for line in preview.lines:
        who = line.person.full_name if line.person else "(no match)"
        note = {"likely": " likely, needs confirming", "none": " unmatched", "facilitator": " facilitator"}.get(line.kind, "")
        click.echo(f"  {line.display_name:<32} -> {who:<28} {line.minutes:6.1f} min  {line.outcome}{note}")
        if line.kind == "likely":
            decisions[line.key] = line.person.id if accept_likely else None
        elif line.kind == "none":
            decisions[line.key] = None
    for user in preview.not_in_report:
        click.echo(f"  {'(not in the report)':<32} -> {user.full_name:<28}    0.0 min  absent")
    if preview.earlier_import is not None:
        click.echo("This file was already imported for this session; nothing to do.")
        return
    if not yes and not click.confirm("Save this attendance?"):
        click.echo("Nothing saved.")
        return
    admin = db.session.scalar(db.select(User).where(User.is_admin.is_(True)).order_by(User.id))
    if admin is None:
        raise click.ClickException("Create an admin first (flask lms create-admin): changes are recorded in a name.")
    try:
        result = attendance.apply_import(
            live_session, data, file_timezone, decisions, admin, datetime.now(UTC), Path(path).name
        )
    except DomainError as error:
        raise click.ClickException(f"Nothing saved: {error.message}") from None
    click.echo(f"Saved: {result.changed} change(s) recorded in the name of {admin.email}.")


@lms_cli.command("send-due-mail")
def send_due_mail():
    """Queue and send whatever mail is due. Safe to run from cron every few minutes."""
    outcome = outbox.send_due()
    click.echo(
        f"queued {outcome['queued']}, sent {outcome['sent']}, logged {outcome['logged']} (no mail server), "
        f"to retry {outcome['pending']}, failed {outcome['failed']}"
    )
