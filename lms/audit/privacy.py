"""Personal data held by the audit log: who did what, among administrators' and facilitators' actions."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_audit_events",
        about="A log of changes made by administrators and facilitators",
        personal=(
            P("actor_id", "who made the change", "to know who did what, should something go wrong"),
            P("actor_email", "the email of who made the change", "kept even if that account is removed"),
            P("target", "what was changed (can name a person)", "to know what was changed"),
            P("detail", "a short description (can contain a name or email)", "to know what was changed"),
            P("created_at", "when", "to know when it was changed"),
        ),
        not_personal=("id", "action"),
        who_sees="Administrators.",
    ),
)


def _about(person):
    from lms.audit.models import AuditEvent
    from lms.core.extensions import db

    words = [word for word in (person.email, person.full_name) if word]
    return db.or_(AuditEvent.actor_id == person.id, AuditEvent.target == f"user {person.id}",
                  *[column.ilike(f"%{word}%") for word in words for column in (AuditEvent.detail, AuditEvent.target)])


def export_person(person) -> dict:
    from lms.audit.models import AuditEvent
    from lms.core.extensions import db
    from lms.core.personal_data import record

    events = db.session.scalars(db.select(AuditEvent).where(_about(person)).order_by(AuditEvent.created_at)).all()
    return {"Audit log entries about you or by you": [
        record(e, "actor_email", "action", "target", "detail", "created_at") for e in events]}


def erase_person(person) -> dict:
    """Entries keep the action and when; the person's name and email go."""
    from lms.audit.models import AuditEvent
    from lms.core.extensions import db
    from lms.core.personal_data import ERASED, names_of, scrub

    words = names_of(person)
    events = db.session.scalars(db.select(AuditEvent).where(_about(person))).all()
    for event in events:
        if event.actor_id == person.id:
            event.actor_id, event.actor_email = None, ERASED
        event.actor_email = scrub(event.actor_email, words)
        event.target, event.detail = scrub(event.target, words), scrub(event.detail, words)
    db.session.flush()
    return {"audit log entries (the action kept, your name and email removed)": len(events)}
