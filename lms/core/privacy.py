"""Personal data held by core: the one-time form keys."""
from lms.core.personal_data import PersonalColumn, TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_form_submissions",
        about="A note that you submitted a form, so a double click does not create something twice",
        personal=(
            PersonalColumn("user_id", "who submitted the form", "to act only once on a form sent twice"),
            PersonalColumn("created_at", "when the form was submitted", "to act only once on a form sent twice"),
        ),
        not_personal=("id", "key", "result_url"),
        who_sees="No one reads these; the system uses them.",
    ),
)


def export_person(person) -> dict:
    return {}  # one-time form keys: nothing a person would recognise as theirs


def erase_person(person) -> dict:
    from lms.core.extensions import db
    from lms.core.submissions import FormSubmission

    gone = db.session.execute(db.delete(FormSubmission).where(FormSubmission.user_id == person.id)).rowcount
    return {"notes of forms you submitted": gone}
