"""The admin's view of the mail outbox: what went, what failed, and trying a message again."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for

from lms.accounts.identity import admin_required, current_person
from lms.core import mail
from lms.core.extensions import db
from lms.core.forms import EmptyForm
from lms.notifications import outbox

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/admin/mail", endpoint="outbox")
@admin_required
def outbox_page():
    return render_template(
        "lms/notifications/outbox.html", summary=outbox.summary(),
        mail_configured=mail.mail_is_configured(),
    )


@bp.route("/admin/mail/<lms_id:message_id>/retry", methods=["POST"])
@admin_required
def retry(message_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    retried = outbox.retry(message_id, current_person)
    db.session.commit()
    if retried:
        flash("The message will be tried again in the next few minutes.", "success")
    else:
        flash(
            "That message cannot be tried again: it was sent already, or it held a one-time link "
            "(make a new link from the academy's People page).",
            "info",
        )
    return redirect(url_for("lms.notifications.outbox"))


