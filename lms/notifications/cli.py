"""The mail command: `flask lms send-due-mail`, for those who run it from cron instead of the worker."""
import click
from flask import current_app
from flask.cli import with_appcontext

from lms.core.extensions import db
from lms.notifications.tasks import send_due_mail as send_due_mail_task


@click.command("send-due-mail")
@with_appcontext
def send_due_mail():
    """Queue and send whatever mail is due (the worker does it every minute). Safe to run from cron."""
    if not current_app.config.get("LMS_BASE_URL"):
        raise click.ClickException(
            "Set LMS_BASE_URL to the site's public address (e.g. https://academy.example.org): "
            "the messages link to it."
        )
    outcome = send_due_mail_task.run_here()
    db.session.commit()
    click.echo(
        f"queued {outcome['queued']}, sent {outcome['sent']}, logged {outcome['logged']} (no mail server), "
        f"to retry {outcome['pending']}, failed {outcome['failed']}"
    )
