"""Routes for learners (facilitators and admins may read the same pages)."""
from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import LiveSession
from ..services import calendar, learning
from ..services.errors import DomainError, NotAllowed
from ..web import now
from . import bp
from .forms import FinishedForm, ReflectionForm


def _load_reading(reading_id: int):
    try:
        return learning.load_reading(current_user, reading_id)
    except NotAllowed:
        abort(404)


@bp.route("/")
@login_required
def dashboard():
    plans = learning.dashboard(current_user, now())
    return render_template("lms/learner/dashboard.html", plans=plans, now=now())


def _render_reading(reading, state, form=None, status=200):
    if form is None:
        form = ReflectionForm(formdata=None, body=state.reflection.body if state.reflection else "")
    return (
        render_template(
            "lms/learner/reading.html",
            reading=reading,
            state=state,
            form=form,
            is_learner=current_user.is_learner_in(reading.academy_id),
        ),
        status,
    )


@bp.route("/readings/<int:reading_id>")
@login_required
def reading(reading_id):
    reading = _load_reading(reading_id)
    state = learning.reading_state(current_user, reading, now())
    learning.record_opened(current_user, state)
    return _render_reading(reading, state)


@bp.route("/readings/<int:reading_id>/finished", methods=["POST"])
@login_required
def set_finished(reading_id):
    reading = _load_reading(reading_id)
    form = FinishedForm()
    if not form.validate_on_submit():
        abort(400)
    finished = form.finished.data == "yes"
    try:
        learning.set_finished(current_user, reading, finished, now())
    except NotAllowed:
        abort(403)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Marked as finished. Well done!" if finished else "Marked as not finished.", "success")
    return redirect(url_for("lms.learner.reading", reading_id=reading.id))


@bp.route("/readings/<int:reading_id>/reflection", methods=["POST"])
@login_required
def save_reflection(reading_id):
    reading = _load_reading(reading_id)
    form = ReflectionForm()
    if not form.validate_on_submit():
        abort(400)
    submit = form.action.data == "submit"
    try:
        learning.save_reflection(current_user, reading, form.body.data or "", submit, now())
    except NotAllowed:
        abort(403)
    except DomainError as error:
        db.session.rollback()
        # Nothing is lost: the page comes back with exactly what was typed and the reason.
        form.body.errors = [error.message]
        state = learning.reading_state(current_user, reading, now())
        if not state.reflection_editable:
            flash(error.message, "error")  # the form is not on the page, so say it at the top
        return _render_reading(reading, state, form=form, status=400)
    flash("Your reflection is submitted." if submit else "Your draft is saved.", "success")
    return redirect(url_for("lms.learner.reading", reading_id=reading.id) + "#reflection")


@bp.route("/sessions/<int:session_id>.ics")
@login_required
def session_calendar(session_id):
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None or not current_user.can_view_academy(live_session.academy_id):
        abort(404)
    body = calendar.session_ics(live_session, url_for("lms.learner.dashboard", _external=True))
    filename = f"session-{live_session.id}.ics"
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
