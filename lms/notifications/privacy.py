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
