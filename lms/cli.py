"""The `flask lms ...` commands; they call the same services as the web pages."""
import click
from flask.cli import AppGroup

from lms.accounts import services as accounts
from lms.attendance import services as attendance
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.demo import services as demo
from lms.notifications import outbox

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
    db.session.commit()
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
@click.option("--by", "by_email", help="The admin the changes are recorded for [the first admin].")
def import_attendance(session_id, path, file_timezone, accept_likely, yes, by_email):
    """Import attendance for one live session, showing what it would record first."""
    from datetime import UTC, datetime
    from pathlib import Path

    from lms.academies.models import LiveSession
    from lms.accounts.models import User

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
    admins = db.select(User).where(User.is_admin.is_(True)).order_by(User.id)
    if by_email:
        admins = admins.where(User.email == by_email.strip().lower())
    admin = db.session.scalar(admins)
    if admin is None:
        raise click.ClickException(
            f"No admin {by_email}." if by_email else "Create an admin first (flask lms create-admin)."
        )
    try:
        result = attendance.apply_import(
            live_session, data, file_timezone, decisions, admin, datetime.now(UTC), Path(path).name
        )
    except DomainError as error:
        raise click.ClickException(f"Nothing saved: {error.message}") from None
    db.session.commit()
    click.echo(f"Saved: {result.changed} change(s) recorded in the name of {admin.email}.")


@lms_cli.command("send-due-mail")
def send_due_mail():
    """Queue and send whatever mail is due. Safe to run from cron every few minutes."""
    from flask import current_app

    if not current_app.config.get("LMS_BASE_URL"):
        raise click.ClickException(
            "Set LMS_BASE_URL to the site's public address (e.g. https://academy.example.org): "
            "the messages link to it."
        )
    # Links are built as in a request to the site's root; LMS_BASE_URL supplies scheme and host.
    with current_app.test_request_context("/"):
        outcome = outbox.send_due()
        db.session.commit()
    click.echo(
        f"queued {outcome['queued']}, sent {outcome['sent']}, logged {outcome['logged']} (no mail server), "
        f"to retry {outcome['pending']}, failed {outcome['failed']}"
    )


@lms_cli.command("issue-certificates")
@click.option("--academy", "academy_id", type=int, required=True, help="The academy's id (in its admin address).")
@click.option("--dry-run", is_flag=True, help="Only list who would get a certificate; nothing is made or saved.")
def issue_certificates(academy_id, dry_run):
    """Issue certificates to every eligible learner who has none yet (the same as the admin page's button)."""
    from lms.academies.models import Academy
    from lms.certificates import services as certificates
    from lms.core.extensions import db

    academy = db.session.get(Academy, academy_id)
    if academy is None:
        raise click.ClickException(f"No academy has the id {academy_id}.")
    people = certificates.to_issue(academy)
    if not people:
        click.echo(f"Nobody in {academy.title} is waiting for a certificate.")
        return
    if dry_run:
        click.echo(f"{len(people)} would get a certificate in {academy.title} (dry run: nothing was saved):")
        for item in people:
            click.echo(f"  {item.name} <{item.email}>{' (exception)' if not item.rules_met else ''}")
        return
    try:
        with click.progressbar(people, label=f"Issuing {len(people)} certificates") as bar:
            result = certificates.issue_all(academy, None, bar)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{len(result.issued)} issued, {len(result.already)} already had one, {len(result.problems)} refused.")
    for certificate in result.issued:
        click.echo(f"  {certificate.number}  {certificate.name_as_printed}")
    for name, message in result.problems:
        click.echo(f"Not issued to {name}: {message}", err=True)
    if result.stopped:
        click.echo(f"Stopped: {result.stopped}", err=True)
    if result.problems or result.stopped:
        raise SystemExit(1)


@lms_cli.command("doctor")
def doctor():
    """Check the database, the PDF renderer, its fonts and mail; exit 1 if the database is not usable."""
    checks = [
        ("database", _check_database, True),
        ("renderer", _check_renderer, False),
        ("fonts", _check_fonts, False),
        ("mail", _check_mail, False),
    ]
    essential_failed = False
    for name, check, essential in checks:
        ok, detail = check()
        click.echo(f"{'OK' if ok else 'PROBLEM':<8} {name}: {detail}")
        essential_failed = essential_failed or (essential and not ok)
    if essential_failed:
        raise SystemExit(1)


def _check_database() -> tuple[bool, str]:
    from alembic.script import ScriptDirectory
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from lms import _migrations_directory
    from lms.core.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return False, f"cannot be reached ({_first_line(error)})"
    try:
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        db.session.rollback()
        return False, "answers, but has no schema yet: run `flask db upgrade`"
    heads = ScriptDirectory(_migrations_directory()).get_heads()
    if revision is None:
        return False, "answers, but records no schema revision: run `flask db upgrade`"
    if revision not in heads:
        return False, f"at revision {revision}, but the code expects {', '.join(heads)}: run `flask db upgrade`"
    return True, f"answers, schema at revision {revision} (up to date)"


def _check_renderer() -> tuple[bool, str]:
    from lms.core.pdf import renderer_status

    status = renderer_status()
    if not status["wkhtmltopdf"]:
        return False, "wkhtmltopdf is not installed, so certificates cannot be made: run scripts/install-system-deps.sh"
    if not status["wkhtmltopdf_version"]:
        return False, f"{status['wkhtmltopdf']} does not run (`--version` failed)"
    if not status["pdftotext"]:
        return False, (f"{status['wkhtmltopdf_version']}, but pdftotext (poppler-utils) is missing, and each "
                       "certificate's text is checked with it: run scripts/install-system-deps.sh")
    return True, f"{status['wkhtmltopdf_version']} at {status['wkhtmltopdf']}; pdftotext at {status['pdftotext']}"


def _check_fonts() -> tuple[bool, str]:
    from lms.core.pdf import renderer_status

    fonts = renderer_status()["fonts"]
    missing = [script for script, present in fonts.items() if not present]
    if missing:
        return False, (f"none for {', '.join(missing)}: names in these scripts cannot be printed "
                       "(run scripts/install-system-deps.sh)")
    return True, f"found for {', '.join(fonts)}"


def _check_mail() -> tuple[bool, str]:
    import smtplib
    import ssl

    from flask import current_app

    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return True, "MAIL_SERVER is not set, so messages are written to the log instead of sent"
    where = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    try:
        if config.get("MAIL_USE_SSL"):
            client = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=5,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=5)
        with client:
            client.ehlo()
            if config.get("MAIL_USE_TLS"):
                client.starttls(context=ssl.create_default_context())
            client.noop()
    except (OSError, smtplib.SMTPException) as error:
        return False, f"cannot talk to the SMTP server at {where} ({_first_line(error)})"
    return True, f"the SMTP server at {where} answers"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
