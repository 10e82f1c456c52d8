"""Admin pages for attendance: the grid per live session, bulk marking, report imports and undoing them."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired

from lms.academies.access import units_and_groups
from lms.academies.models import LiveSession
from lms.accounts.identity import admin_required, current_person
from lms.attendance import importing
from lms.attendance import services as attendance
from lms.attendance.models import ATTENDANCE_STATES, AttendanceImport
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.forms import EmptyForm, zone_choices
from lms.core.timezones import is_valid_zone
from lms.core.web import now, parse_whole_number

bp = Blueprint("attendance", __name__, template_folder="templates")


class ReportForm(FlaskForm):
    report = FileField(
        "Attendance report",
        validators=[FileRequired("Choose the report file exported from Zoom or Teams.")],
        description="Zoom: Usage reports > Meeting > Participants (CSV). Teams: the attendance report (.csv).",
    )
    file_timezone = SelectField(
        "Time zone of the times in the file",
        description="Zoom uses the account's time zone; Teams the time zone of whoever downloaded it.",
        validators=[DataRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_timezone.choices = zone_choices()


def _is_number(text: str) -> bool:
    # isdigit() alone also accepts digits such as "²" that int() cannot read; and Python will not read
    # a number of thousands of digits, nor would the database hold it.
    return parse_whole_number(text) is not None


def _grid_page(live_session, status=200, typed=None, report_form=None):
    # A session still to come offers no marking at all: the services would refuse it after the click.
    return (
        render_template(
            "lms/attendance/grid.html", live_session=live_session, academy=live_session.academy,
            rows=attendance.grid(live_session), changes=attendance.recent_changes(live_session),
            imports=importing.past_imports(live_session), states=ATTENDANCE_STATES, typed=typed or {}, started=live_session.starts_at <= now(),
            groups=units_and_groups(live_session.academy_id), rooms=importing.room_rows(live_session),
            report_form=report_form or ReportForm(formdata=None, file_timezone=live_session.academy.home_timezone),
        ),
        status,
    )


@bp.route("/admin/sessions/<lms_id:session_id>/attendance")
@admin_required
def grid(session_id):
    return _grid_page(db.get_or_404(LiveSession, session_id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance", methods=["POST"])
@admin_required
def save(session_id):
    live_session = db.get_or_404(LiveSession, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    entries = {}
    try:
        for name, status in request.form.items():
            if not name.startswith("status-"):
                continue
            user_id = name.removeprefix("status-")
            minutes_text = request.form.get(f"minutes-{user_id}", "").strip()
            if not _is_number(user_id):
                raise DomainError("The form was changed; reload the page.")
            if not status:
                if minutes_text:
                    raise DomainError("Minutes were typed for someone without present, absent or excused.")
                continue
            if minutes_text and not _is_number(minutes_text):
                raise DomainError(f"Minutes must be a whole number, not {minutes_text!r}.")
            entries[int(user_id)] = (status, int(minutes_text) if minutes_text else None)
        changed = attendance.record(live_session, entries, current_person, now())
    except DomainError as error:
        db.session.rollback()
        flash(f"Nothing was saved: {error.message}", "error")
        return _grid_page(live_session, status=400, typed=request.form.to_dict())
    db.session.commit()
    flash(f"Attendance saved ({changed} change{'s' if changed != 1 else ''}).", "success")
    return redirect(url_for("lms.attendance.grid", session_id=live_session.id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/bulk", methods=["POST"])
@admin_required
def bulk(session_id):
    live_session = db.get_or_404(LiveSession, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    status = request.form.get("status", "")
    scope = request.form.get("scope", "")
    if scope not in ("all", "unrecorded"):
        abort(400)
    only_unrecorded = scope == "unrecorded"
    try:
        changed = attendance.mark_everyone(live_session, status, only_unrecorded, current_person, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{changed} learner{'s' if changed != 1 else ''} marked {status}.", "success")
    return redirect(url_for("lms.attendance.grid", session_id=live_session.id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/group", methods=["POST"])
@admin_required
def group_present(session_id):
    """A group that joined together (one room, one screen) present at once, with the room's minutes."""
    live_session = db.get_or_404(LiveSession, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    group = request.form.get("group", "")
    room_key = request.form.get("room", "")
    minutes_text = request.form.get("minutes", "").strip()
    try:
        room = ""
        if room_key:
            found = [line for line in importing.room_rows(live_session) if line.key == room_key]
            if not found:
                raise DomainError("That row of the report is no longer waiting to be saved; choose another, "
                                  "or type the minutes.")
            room, minutes = found[0].display_name, round(found[0].minutes)
        elif minutes_text:
            if not _is_number(minutes_text):
                raise DomainError(f"Minutes must be a whole number, not {minutes_text!r}.")
            minutes = int(minutes_text)
        else:
            minutes = None
        changed = attendance.mark_group_present(live_session, group, minutes, current_person, now(), room)
    except DomainError as error:
        db.session.rollback()
        flash(f"Nothing was saved: {error.message}", "error")
        return _grid_page(live_session, status=400, typed={"group-" + key: value for key, value in request.form.items()})
    db.session.commit()
    flash(f"{changed} learner{'s' if changed != 1 else ''} of {' '.join(group.split())} marked present.", "success")
    return redirect(url_for("lms.attendance.grid", session_id=live_session.id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/import", methods=["POST"])
@admin_required
def upload_report(session_id):
    live_session = db.get_or_404(LiveSession, session_id)
    form = ReportForm()
    if not form.validate_on_submit():
        return _grid_page(live_session, status=400, report_form=form)
    try:
        batch = importing.stage(live_session, form.report.data.read(), form.file_timezone.data,
                                form.report.data.filename or "", current_person, now())
    except DomainError as error:
        db.session.rollback()
        form.report.errors = [error.message]
        return _grid_page(live_session, status=400, report_form=form)
    db.session.commit()
    return redirect(url_for("lms.attendance.import_preview", session_id=live_session.id, import_id=batch.id), 303)


def _import(session_id: int, import_id: int) -> AttendanceImport:
    """The session's import, or 404 (an import of another session is not found under this one)."""
    batch = db.get_or_404(AttendanceImport, import_id)
    if batch.live_session_id != session_id:
        abort(404)
    return batch


def _preview_page(batch, preview, decisions=None, status=200):
    page = request.args.get("page", "1")
    view = importing.preview_page(preview, int(page) if _is_number(page) else 1)
    return render_template(
        "lms/attendance/preview.html", live_session=batch.live_session, academy=batch.live_session.academy,
        batch=batch, preview=preview, view=view, decisions=decisions or {},
    ), status


def _not_open(batch):
    flash("This preview was saved already, or is no longer open: the imports are listed below.", "info")
    return redirect(url_for("lms.attendance.grid", session_id=batch.live_session_id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/imports/<lms_id:import_id>")
@admin_required
def import_preview(session_id, import_id):
    batch = _import(session_id, import_id)
    if batch.state != "previewed":
        return _not_open(batch)
    file_timezone = request.args.get("timezone") or batch.file_timezone
    if not is_valid_zone(file_timezone):
        abort(400)
    try:
        preview = importing.staged_preview(batch, file_timezone)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("lms.attendance.grid", session_id=session_id))
    return _preview_page(batch, preview)


def _decisions(form) -> dict[str, tuple[int, ...] | None]:
    """The "for you to decide" choices as sent: each row's learner, or None to ignore it."""
    decisions = {}
    for name, value in form.items():
        if name.startswith("decision-") and value:
            if value != "ignore" and not _is_number(value):
                abort(400)
            decisions[name.removeprefix("decision-")] = (int(value),) if value != "ignore" else None
    return decisions


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/imports/<lms_id:import_id>", methods=["POST"])
@admin_required
def save_import(session_id, import_id):
    batch = _import(session_id, import_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    file_timezone = request.form.get("file_timezone", "")
    if not is_valid_zone(file_timezone):
        abort(400)
    if request.form.get("file_sha256") != batch.file_sha256:
        # A form left open on a preview that was forgotten, whose address another file has since taken.
        flash("This preview is not the one you were looking at: check it before saving.", "error")
        return redirect(url_for("lms.attendance.import_preview", session_id=session_id, import_id=import_id))
    decisions = _decisions(request.form)
    try:
        typed = {name.removeprefix("who-"): value for name, value in request.form.items() if name.startswith("who-")}
        result = importing.save_staged(
            batch, decisions, current_person, now(), file_timezone, typed=typed,
            import_anyway=request.form.get("import_anyway") == "yes",
            accept_likely=request.form.get("accept_likely") == "yes",
            ignore_undecided=request.form.get("ignore_undecided") == "yes",
        )
    except DomainError as error:
        db.session.rollback()
        flash(f"Nothing was saved: {error.message}", "error")
        try:
            preview = importing.staged_preview(batch, file_timezone)
        except DomainError:
            return _grid_page(batch.live_session, status=400)
        return _preview_page(batch, preview, request.form.to_dict(), status=400)
    db.session.commit()
    if result.state == "already_saved":
        flash("This import was saved already; nothing changed.", "info")
    elif result.state == "unchanged":
        flash("Nothing to save: the attendance in this file is already recorded for this session.", "info")
    else:
        shared = "".join(f" “{name}” was given to {number} learners (a shared device or room)." for name, number in result.shared)
        flash(f"Attendance imported: {result.changed} change{'s' if result.changed != 1 else ''}.{shared}", "success")
    return redirect(url_for("lms.attendance.grid", session_id=session_id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/imports/<lms_id:import_id>/undo")
@admin_required
def undo_form(session_id, import_id):
    batch = _import(session_id, import_id)
    if batch.state == "previewed":
        return _not_open(batch)
    return render_template(
        "lms/attendance/undo.html", live_session=batch.live_session, academy=batch.live_session.academy,
        batch=batch, plan=importing.undo_plan(batch),
    )


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/imports/<lms_id:import_id>/undo", methods=["POST"])
@admin_required
def undo_import(session_id, import_id):
    batch = _import(session_id, import_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = importing.undo_import(batch, current_person, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("lms.attendance.undo_form", session_id=session_id, import_id=import_id))
    db.session.commit()
    if result.state == "already_undone":
        flash("This import was undone already; nothing changed.", "info")
    else:
        flash(f"Import undone: the attendance of {result.restored} learner{'s' if result.restored != 1 else ''} "
              "is as it was before it.", "success")
    return redirect(url_for("lms.attendance.grid", session_id=session_id))
