"""Personal data held by notifications: the mail sent to people."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_outgoing_mail",
        about="Emails sent to you (invitations, reminders, feedback notices)",
        personal=(
            P("to_address", "your email address", "to send the email"),
            P("subject", "the email's subject", "to send the email and show what was sent"),
            P("body", "the email's text (it can contain your name and links)", "to send it, and try again if it fails"),
            P("created_at", "when it was written", "to send mail in order"),
            P("sent_at", "when it was sent", "to show what was sent"),
            P("last_error", "why sending failed, if it did (can mention your address)", "to fix mail problems"),
        ),
        not_personal=("id", "dedupe_key", "kind", "status", "attempts", "next_attempt_at"),
        who_sees="Administrators.",
    ),
)


def export_person(person) -> dict:
    from lms.core.extensions import db
    from lms.core.personal_data import record
    from lms.notifications.models import OutgoingMail

    if not person.email:
        return {"Mail sent to you": []}
    mail = db.session.scalars(db.select(OutgoingMail).where(OutgoingMail.to_address == person.email)
                              .order_by(OutgoingMail.created_at)).all()
    return {"Mail sent to you": [record(m, "to_address", "subject", "body", "status", "created_at", "sent_at")
                                 for m in mail]}


def erase_person(person) -> dict:
    """Mail to them goes; mail to others that names them (a facilitator told of a submission) loses the name."""
    from lms.core.extensions import db
    from lms.core.personal_data import names_of, scrub
    from lms.notifications.models import OutgoingMail

    gone = db.session.execute(db.delete(OutgoingMail).where(OutgoingMail.to_address == person.email)).rowcount \
        if person.email else 0
    words = names_of(person)
    scrubbed = 0
    naming = db.or_(*[column.ilike(f"%{word}%") for word in words
                      for column in (OutgoingMail.subject, OutgoingMail.body, OutgoingMail.last_error)])
    for mail in db.session.scalars(db.select(OutgoingMail).where(naming)) if words else []:
        mail.subject, mail.body = scrub(mail.subject, words), scrub(mail.body, words)
        mail.last_error = scrub(mail.last_error, words)
        scrubbed += 1
    db.session.flush()
    return {"messages sent to you": gone, "messages to others that named you (the name removed)": scrubbed}
