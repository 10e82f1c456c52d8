"""The `flask lms ...` command group: each domain's commands (in its cli.py), and `doctor`."""
import click
from flask.cli import AppGroup

from lms.accounts.cli import create_admin
from lms.attendance.cli import import_attendance
from lms.certificates.cli import issue_certificates
from lms.demo.cli import load_demo
from lms.jobs.cli import worker
from lms.lti.cli import lti_cli
from lms.notifications.cli import send_due_mail
from lms.paper.cli import reading_pack
from lms.privacy.cli import privacy_cli
from lms.schema import db_cli

lms_cli = AppGroup("lms", help="Learning Academy commands.")
for command in (
    create_admin, load_demo, import_attendance, send_due_mail, issue_certificates, reading_pack, worker, db_cli,
    lti_cli, privacy_cli,
):
    lms_cli.add_command(command)


@lms_cli.command("doctor")
def doctor():
    """Check the database, the PDF renderer, its fonts, mail and the queue; exit 1 if the database is not usable."""
    checks = [
        ("database", _check_database, True),
        ("renderer", _check_renderer, False),
        ("fonts", _check_fonts, False),
        ("mail", _check_mail, False),
        ("queue", _check_queue, False),
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

    from lms.core.extensions import db
    from lms.schema import MIGRATIONS, VERSION_TABLE

    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return False, f"cannot be reached ({_first_line(error)})"
    try:
        revision = db.session.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    except SQLAlchemyError:
        db.session.rollback()
        return False, "answers, but has no schema yet: run `flask lms db upgrade`"
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    if revision is None:
        return False, "answers, but records no schema revision: run `flask lms db upgrade`"
    if revision not in heads:
        return False, f"at revision {revision}, but the code expects {', '.join(heads)}: run `flask lms db upgrade`"
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


def _check_queue() -> tuple[bool, str]:
    from lms.jobs.queue import current_huey

    huey = current_huey()
    if huey.immediate:
        return True, "tasks run where they are queued (LMS_QUEUE_URL=immediate), no worker is needed"
    where = getattr(huey.storage, "filename", None) or "Redis"
    try:
        waiting = huey.pending_count()
    except Exception as error:  # Redis refusing, a file that cannot be opened: the message says which
        return False, f"cannot be read ({where}: {_first_line(error)})"
    return True, (f"{type(huey).__name__} at {where}, {waiting} task(s) waiting; `flask lms worker` runs them "
                  "(many waiting for long: no worker is running)")


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
