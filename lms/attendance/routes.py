"""Admin pages for attendance: the grid per live session, bulk marking, and report imports."""
import base64
import binascii

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired

from lms.academies.models import LiveSession
from lms.accounts.identity import admin_required, current_person
from lms.attendance import services as attendance
from lms.attendance.models import ATTENDANCE_STATES
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.forms import EmptyForm, zone_choices
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


def _session(session_id: int) -> LiveSession:
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        abort(404)
    return live_session


def _grid_page(live_session, status=200, typed=None, report_form=None):
    return (
        render_template(
            "lms/attendance/grid.html", live_session=live_session, academy=live_session.academy,
            rows=attendance.grid(live_session), changes=attendance.recent_changes(live_session),
            states=ATTENDANCE_STATES, typed=typed or {},
            report_form=report_form or ReportForm(formdata=None, file_timezone=live_session.academy.home_timezone),
        ),
        status,
    )


@bp.route("/admin/sessions/<lms_id:session_id>/attendance")
@admin_required
def grid(session_id):
    return _grid_page(_session(session_id))


@bp.route("/admin/sessions/<lms_id:session_id>/attendance", methods=["POST"])
@admin_required
def save(session_id):
    live_session = _session(session_id)
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
    live_session = _session(session_id)
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


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/import", methods=["POST"])
@admin_required
def preview_import(session_id):
    live_session = _session(session_id)
    form = ReportForm()
    if not form.validate_on_submit():
        return _grid_page(live_session, status=400, report_form=form)
    data = form.report.data.read()
    try:
        preview = attendance.preview_import(live_session, data, form.file_timezone.data)
    except DomainError as error:
        form.report.errors = [error.message]
        return _grid_page(live_session, status=400, report_form=form)
    return render_template(
        "lms/attendance/preview.html", live_session=live_session, academy=live_session.academy,
        preview=preview, file_b64=base64.b64encode(data).decode(), filename=form.report.data.filename or "",
        decisions={},
    )


@bp.route("/admin/sessions/<lms_id:session_id>/attendance/import/confirm", methods=["POST"])
@admin_required
def confirm_import(session_id):
    live_session = _session(session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        data = base64.b64decode(request.form.get("file_b64", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    file_timezone = request.form.get("file_timezone", "")
    decisions = {}
    for name, value in request.form.items():
        if name.startswith("decision-") and value:
            if value != "ignore" and not _is_number(value):
                abort(400)
            decisions[name.removeprefix("decision-")] = int(value) if value != "ignore" else None
    try:
        result = attendance.apply_import(
            live_session, data, file_timezone, decisions, current_person, now(), request.form.get("filename", "")
        )
    except DomainError as error:
        db.session.rollback()
        flash(f"Nothing was saved: {error.message}", "error")
        try:
            preview = attendance.preview_import(live_session, data, file_timezone)
        except DomainError:
            # The file itself cannot be read (a tampered form): back to the page to upload it again.
            return _grid_page(live_session, status=400)
        return render_template(
            "lms/attendance/preview.html", live_session=live_session, academy=live_session.academy,
            preview=preview, file_b64=request.form.get("file_b64", ""), filename=request.form.get("filename", ""),
            decisions=request.form.to_dict(),
        ), 400
    db.session.commit()
    if result.already_imported:
        flash("This file was already imported for this session; nothing changed.", "info")
    else:
        flash(f"Attendance imported: {result.changed} change{'s' if result.changed != 1 else ''}.", "success")
    return redirect(url_for("lms.attendance.grid", session_id=live_session.id))
