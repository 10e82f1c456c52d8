"""Personal data held by accounts: people and their one-time links."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_users",
        about="Your account",
        personal=(
            P("email", "your email address (none if you take part on paper)",
              "to sign you in and send you invitations, reminders and feedback"),
            P("takes_part_through", "the organisation or unit you take part through, if you take part on paper",
              "to print your reading pack and certificate for them, and to mark your group present together"),
            P("full_name", "your name", "to show facilitators who wrote what, and to print on your certificate"),
            P("password_hash", "a one-way scramble of your password (never the password itself)",
              "to check your password when you sign in"),
            P("host_id", "your id in the site this LMS is part of, if any", "to know you when that site signs you in"),
            P("timezone", "your time zone", "to show session times in your local time"),
            P("timezone_confirmed", "whether you have confirmed your time zone", "to ask you until you have"),
            P("clock", "whether you read times on the 12- or 24-hour clock", "to show times the way you read them"),
            P("created_at", "when your account was made", "to keep a record of the account"),
        ),
        not_personal=("id", "is_admin", "is_active_account", "session_version"),
        who_sees="You, and administrators. Facilitators see the name and email of people in their academies.",
    ),
    TableDeclaration(
        table="lms_reset_requests",
        about="Requests for a password-reset link",
        personal=(
            P("email", "the address typed when asking for a reset link", "to send the link, if it has an account",
              "until the request is answered, within minutes; then deleted"),
            P("requested_at", "when the link was asked for", "to answer requests in order",
              "until the request is answered, within minutes; then deleted"),
        ),
        not_personal=("id",),
        who_sees="No one: the request is answered by the system and deleted.",
    ),
    TableDeclaration(
        table="lms_account_tokens",
        about="Invitation and password-reset links sent to you",
        personal=(
            P("user_id", "whose link it is", "to set the password of the right account"),
            P("created_at", "when the link was made", "to know when it expires"),
            P("expires_at", "when the link stops working", "to refuse an old link"),
            P("used_at", "when you used the link", "to refuse a link used twice"),
        ),
        not_personal=("id", "purpose", "token_hash"),
        who_sees="No one reads these; only a scramble of the link is kept, so it cannot be used from here.",
    ),
)
