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
            P("erased_at", "when your data was erased, if it was (the rest of the row is then empty)",
              "so that your certificates can still be checked, with your name withheld"),
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


def export_person(person) -> dict:
    from lms.accounts.models import AccountToken
    from lms.core.extensions import db
    from lms.core.personal_data import record

    tokens = db.session.scalars(db.select(AccountToken).where(AccountToken.user_id == person.id)).all()
    return {
        "Your account": [record(person, "full_name", "email", "takes_part_through", "timezone", "clock",
                                "is_admin", "created_at")],
        "Invitation and password-reset links": [record(t, "purpose", "created_at", "expires_at", "used_at")
                                                for t in tokens],
    }


def erase_person(person) -> dict:
    """Last of all: the account is kept as an empty row (certificates still point at it), with no name, no
    email, no password, and every session and remember-me cookie ended."""
    from lms.accounts.models import AccountToken, ResetRequest
    from lms.core.extensions import db
    from lms.core.types import utcnow

    counts = {
        "invitation and password-reset links": db.session.execute(
            db.delete(AccountToken).where(AccountToken.user_id == person.id)).rowcount,
        "password-reset requests": db.session.execute(
            db.delete(ResetRequest).where(ResetRequest.email == person.email)).rowcount if person.email else 0,
    }
    person.full_name = ""
    person.email = None
    person.takes_part_through = ""
    person.password_hash = None
    person.host_id = None
    person.timezone = "UTC"
    person.clock = ""
    person.is_admin = False
    person.is_active_account = False
    person.erased_at = utcnow()
    person.session_version += 1  # every login session and remember-me cookie carries it: all end now
    db.session.flush()
    counts["the account's name, email and password"] = 1
    return counts
