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


def _report_lines_naming(person, data: bytes) -> tuple[list[str], str]:
    """The lines of a stored report that name the person (by name or email), and the report without them."""
    from lms.attendance.reports import AttendanceFileError, _decode

    try:
        text = _decode(data)
    except AttendanceFileError:
        return [], ""
    words = [word.lower() for word in (person.full_name, person.email) if word]
    lines = text.splitlines(keepends=True)
    naming = [line for line in lines if any(word in line.lower() for word in words)]
    return naming, "".join(line for line in lines if line not in naming)


def _stored_reports():
    from lms.attendance.models import AttendanceImport
    from lms.core.extensions import db

    return db.session.scalars(db.select(AttendanceImport).where(AttendanceImport.file_data.is_not(None))).all()


def export_person(person) -> dict:
    from lms.attendance.models import Attendance, AttendanceChange
    from lms.core.extensions import db
    from lms.core.personal_data import record

    rows = db.session.scalars(db.select(Attendance).where(Attendance.user_id == person.id)).all()
    changes = db.session.scalars(db.select(AttendanceChange).where(AttendanceChange.user_id == person.id)
                                 .order_by(AttendanceChange.changed_at)).all()
    report_lines = []
    for report in _stored_reports():
        naming, _ = _report_lines_naming(person, report.file_data)
        report_lines += [{"report": report.filename, "session": report.live_session.title, "line": line.rstrip("\r\n")}
                         for line in naming]
    return {
        "Your attendance at live sessions": [
            {"session": a.live_session.title, "starts_at": a.live_session.starts_at.isoformat(),
             **record(a, "status", "minutes", "source", "updated_at")} for a in rows],
        "Changes to your attendance": [
            {"session": c.live_session_id, **record(c, "old_status", "new_status", "old_minutes", "new_minutes",
                                                    "source", "note", "changed_at"),
             "from_report": c.import_id} for c in changes],
        "Lines naming you in attendance reports still held": report_lines,
    }


def erase_person(person) -> dict:
    from lms.attendance.models import Attendance, AttendanceChange
    from lms.core.extensions import db

    counts = {
        "attendance records": db.session.execute(
            db.delete(Attendance).where(Attendance.user_id == person.id)).rowcount,
        "changes to attendance records": db.session.execute(
            db.delete(AttendanceChange).where(AttendanceChange.user_id == person.id)).rowcount,
    }
    removed = 0
    for report in _stored_reports():
        naming, rest = _report_lines_naming(person, report.file_data)
        if naming:
            report.file_data = rest.encode("utf-8")
            removed += len(naming)
    counts["lines naming you in attendance reports"] = removed
    db.session.flush()
    return counts


def expire_academy(academy) -> dict:
    """Past the academy's retention period: uploaded report files go (attendance itself stays, for certificates)."""
    from lms.academies.models import LiveSession
    from lms.attendance.models import AttendanceImport
    from lms.core.extensions import db

    sessions = db.select(LiveSession.id).where(LiveSession.academy_id == academy.id).scalar_subquery()
    gone = db.session.execute(db.update(AttendanceImport).where(
        AttendanceImport.live_session_id.in_(sessions), AttendanceImport.file_data.is_not(None)).values(
        file_data=None)).rowcount
    return {"uploaded attendance report files": gone}
