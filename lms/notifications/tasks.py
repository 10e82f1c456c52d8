"""The mail outbox's background work: what is due goes out every minute (lms/jobs/periodic.py)."""
import logging

from flask import current_app

from lms.accounts import services as accounts
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.jobs.queue import task
from lms.notifications import outbox

log = logging.getLogger(__name__)


@task()
def send_due_mail() -> dict[str, int] | None:
    """Answer waiting reset requests, queue what is due and send what is pending (`flask lms send-due-mail`)."""
    if not current_app.config.get("LMS_BASE_URL"):
        # Messages already queued (a roster's invitations, made in a request) carry their links and still go;
        # new ones cannot be written without the site's address.
        log.warning("scheduled mail not queued: set LMS_BASE_URL to the site's public address, which it links to")
        return outbox.deliver_due(utcnow())
    # Links are built as in a request to the site's root; LMS_BASE_URL supplies scheme and host.
    with current_app.test_request_context("/"):
        # Reset requests not answered after their response (a worker that stopped) are answered first,
        # so that their links go out in this same run.
        accounts.answer_reset_requests(utcnow())
        db.session.commit()
        return outbox.send_due()
