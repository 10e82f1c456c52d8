"""The mail command: `flask lms send-due-mail`, run from cron."""
import click
from flask import current_app
from flask.cli import with_appcontext

from lms.accounts import services as accounts
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications import outbox


@click.command("send-due-mail")
@with_appcontext
def send_due_mail():
    """Queue and send whatever mail is due. Safe to run from cron every few minutes."""
    if not current_app.config.get("LMS_BASE_URL"):
        raise click.ClickException(
            "Set LMS_BASE_URL to the site's public address (e.g. https://academy.example.org): "
            "the messages link to it."
        )
    # Links are built as in a request to the site's root; LMS_BASE_URL supplies scheme and host.
    with current_app.test_request_context("/"):
        # Reset requests not answered after their response (a worker that stopped) are answered first,
        # so that their links go out in this same run.
        accounts.answer_reset_requests(utcnow())
        db.session.commit()
        outcome = outbox.send_due()
        db.session.commit()
    click.echo(
        f"queued {outcome['queued']}, sent {outcome['sent']}, logged {outcome['logged']} (no mail server), "
        f"to retry {outcome['pending']}, failed {outcome['failed']}"
    )
