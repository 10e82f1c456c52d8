"""Personal data held by academies: enrolments, and the names printed on certificates."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_academies",
        about="Each academy (a programme of readings and live sessions)",
        personal=(
            P("organiser", "the organising body or person", "to show who runs the academy and print it on certificates"),
            P("signatories", "the names and roles of the people who sign certificates", "to print them on certificates"),
            P("contact_email", "the address learners can write to about the academy",
              "shown to learners, so they know whom to ask if something is wrong"),
        ),
        not_personal=("id", "title", "description", "home_timezone", "reference_timezones", "reminder_days",
                      "attendance_share", "require_readings", "require_reflections", "created_at", "retention_months",
                      "data_expired_at",
                      "content_version"),
        who_sees="Everyone in the academy; signatories' names are printed on its certificates.",
    ),
    TableDeclaration(
        table="lms_enrolments",
        about="Which academies you are in, and as what (learner or facilitator)",
        personal=(
            P("user_id", "who is enrolled", "to give you the academy's readings and sessions"),
            P("role", "learner or facilitator", "to decide what you may see and do"),
            P("group_name", "your group within the academy, if any", "to organise sessions and review"),
            P("created_at", "when you were enrolled", "to keep a record of the enrolment"),
        ),
        not_personal=("id", "academy_id"),
        who_sees="You, the academy's facilitators, and administrators.",
    ),
    TableDeclaration(
        table="lms_live_sessions",
        about="The academy's live sessions",
        personal=(),
        not_personal=("id", "academy_id", "title", "starts_at", "duration_minutes", "join_url"),
    ),
)


def export_person(person) -> dict:
    from lms.academies.models import Enrolment
    from lms.core.extensions import db
    from lms.core.personal_data import record

    enrolments = db.session.scalars(db.select(Enrolment).where(Enrolment.user_id == person.id)).all()
    return {"Your academies": [{"academy": e.academy.title, **record(e, "role", "group_name", "created_at")}
                               for e in enrolments]}


def erase_person(person) -> dict:
    from lms.academies.models import Enrolment
    from lms.core.extensions import db

    gone = db.session.execute(db.delete(Enrolment).where(Enrolment.user_id == person.id)).rowcount
    return {"places in academies": gone}
