"""Personal data held by attendance: who attended each session, its history, and the uploaded reports."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

WHO_SEES = "Administrators; you see where you stand on your certificates page."

TABLES = (
    TableDeclaration(
        table="lms_attendance",
        about="Whether you attended each live session",
        personal=(
            P("user_id", "whose attendance it is", "to show attendance and decide certificates"),
            P("status", "present, absent or excused", "to show attendance and decide certificates"),
            P("minutes", "how long you were in the session", "to decide whether you attended"),
            P("updated_at", "when it was last recorded", "to show its history"),
            P("updated_by_id", "who recorded it", "to know who did what"),
        ),
        not_personal=("id", "live_session_id", "source"),
        who_sees=WHO_SEES,
    ),
    TableDeclaration(
        table="lms_attendance_changes",
        about="Every change to attendance",
        personal=(
            P("user_id", "whose attendance changed", "so that a mistake can be seen and undone"),
            P("old_status", "what it was", "so that a mistake can be undone"),
            P("new_status", "what it became", "so that a mistake can be undone"),
            P("old_minutes", "minutes before", "so that a mistake can be undone"),
            P("new_minutes", "minutes after", "so that a mistake can be undone"),
            P("old_updated_at", "when it was recorded before", "so that a mistake can be undone"),
            P("old_updated_by_id", "who recorded it before", "so that a mistake can be undone"),
            P("note", "a note on the change (can mention a name)", "to say why it changed"),
            P("changed_by_id", "who changed it", "to know who did what"),
            P("changed_at", "when", "to know who did what"),
        ),
        not_personal=("id", "live_session_id", "old_source", "source", "import_id"),
        who_sees="Administrators.",
    ),
    TableDeclaration(
        table="lms_attendance_imports",
        about="Attendance reports uploaded from Zoom or Teams",
        personal=(
            P("file_data", "the report file as uploaded: the names, emails and join times of everyone in it",
              "to show an administrator what it would record before it is saved",
              "only until it is saved (then it is deleted); one never saved is deleted after a day, "
              "when the next report is uploaded"),
            P("filename", "the file's name (can contain a name)", "to show which file was uploaded"),
            P("imported_anyway", "why a doubtful file was imported anyway", "to record the decision"),
            P("imported_by_id", "who uploaded it", "to know who did what"),
            P("imported_at", "when", "to know who did what"),
            P("undone_by_id", "who undid it", "to know who did what"),
            P("undone_at", "when it was undone", "to know who did what"),
        ),
        not_personal=("id", "live_session_id", "state", "file_sha256", "file_timezone", "platform",
                      "people_recorded"),
        who_sees="Administrators.",
    ),
)
