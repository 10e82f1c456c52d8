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
