"""Reading pages: the learner's dashboard, a reading and its reflection, and the admin's reading forms."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lms.academies.models import Academy
from lms.accounts.identity import admin_required, current_person, login_required
from lms.core import submissions
from lms.core.exceptions import DomainError, NotAllowed
from lms.core.extensions import db
from lms.core.forms import EmptyForm
from lms.core.timezones import utc_to_wall_clock
from lms.core.web import create_once, now, show_field_error
from lms.paper import transcribing
from lms.readings import services as learning
from lms.readings import setup as reading_setup
from lms.readings.forms import FinishedForm, ReadingForm, ReflectionForm
from lms.readings.models import Reading
from lms.readings.setup import ReadingDetails

bp = Blueprint("readings", __name__, template_folder="templates")


def _load_reading(reading_id: int):
    try:
        return learning.load_reading(current_person, reading_id)
    except NotAllowed:
        abort(404)


@bp.route("/learn/")
@login_required
def dashboard():
    plans = learning.dashboard(current_person, now())
    return render_template("lms/readings/dashboard.html", plans=plans, now=now())


def _render_reading(reading, state, form=None, status=200):
    if form is None:
        form = ReflectionForm(formdata=None, body=state.reflection.body if state.reflection else "")
    return (
        render_template(
            "lms/readings/reading.html",
            reading=reading,
            state=state,
            form=form,
            is_learner=current_person.is_learner_in(reading.academy_id),
            transcribed=transcribing.latest_transcription(state.reflection) if state.reflection else None,
        ),
        status,
    )


@bp.route("/learn/readings/<lms_id:reading_id>")
@login_required
def reading(reading_id):
    reading = _load_reading(reading_id)
    state = learning.reading_state(current_person, reading, now())
    if learning.record_opened(current_person, state):
        db.session.commit()
    return _render_reading(reading, state)


@bp.route("/learn/readings/<lms_id:reading_id>/finished", methods=["POST"])
@login_required
def set_finished(reading_id):
    reading = _load_reading(reading_id)
    form = FinishedForm()
    if not form.validate_on_submit():
        abort(400)
    finished = form.finished.data == "yes"
    try:
        learning.set_finished(current_person, reading, finished, now())
    except NotAllowed:
        abort(403)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Marked as finished. Well done!" if finished else "Marked as not finished.", "success")
    return redirect(url_for("lms.readings.reading", reading_id=reading.id))


@bp.route("/learn/readings/<lms_id:reading_id>/reflection", methods=["POST"])
@login_required
def save_reflection(reading_id):
    reading = _load_reading(reading_id)
    form = ReflectionForm()
    if not form.validate_on_submit():
        abort(400)
    submit = form.action.data == "submit"
    try:
        learning.save_reflection(current_person, reading, form.body.data or "", submit, now())
    except NotAllowed:
        abort(403)
    except DomainError as error:
        db.session.rollback()
        # Nothing is lost: the page comes back with exactly what was typed and the reason.
        form.body.errors = [error.message]
        state = learning.reading_state(current_person, reading, now())
        if not state.reflection_editable:
            flash(error.message, "error")  # the form is not on the page, so say it at the top
        return _render_reading(reading, state, form=form, status=400)
    db.session.commit()
    flash("Your reflection is submitted." if submit else "Your draft is saved.", "success")
    return redirect(url_for("lms.readings.reading", reading_id=reading.id) + "#reflection")


# --- readings --------------------------------------------------------------------------------

def _reading_details(form) -> ReadingDetails:
    return ReadingDetails(
        title=form.title.data or "",
        body_markdown=form.body_markdown.data or "",
        external_url=form.external_url.data or "",
        estimated_minutes=form.estimated_minutes.data,
        reflection_prompt=form.reflection_prompt.data or "",
        min_words=form.min_words.data,
        max_words=form.max_words.data,
        opens_local=form.opens_local.data,
        closes_local=form.closes_local.data,
    )


@bp.route("/admin/academies/<lms_id:academy_id>/readings/new", methods=["GET", "POST"])
@admin_required
def new_reading(academy_id):
    found = db.get_or_404(Academy, academy_id)
    form = ReadingForm()
    if request.method == "GET":
        form.form_key.data = submissions.new_key()
    if form.validate_on_submit():
        try:
            def work():
                reading_setup.create_reading(found, _reading_details(form), current_person)
                flash("The reading is added.", "success")
                return url_for("lms.academies.academy", academy_id=found.id)

            return create_once(form, current_person.id, work)
        except DomainError as error:
            show_field_error(form, error)
    return render_template("lms/readings/reading_form.html", form=form, academy=found, reading=None)


@bp.route("/admin/readings/<lms_id:reading_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_reading(reading_id):
    reading = db.get_or_404(Reading, reading_id)
    found = reading.academy
    form = ReadingForm(obj=reading)
    if request.method == "GET":
        zone = found.home_timezone
        form.opens_local.data = reading.opens_at and utc_to_wall_clock(reading.opens_at, zone)
        form.closes_local.data = reading.closes_at and utc_to_wall_clock(reading.closes_at, zone)
    if form.validate_on_submit():
        try:
            reading_setup.update_reading(reading, _reading_details(form), current_person)
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            db.session.commit()
            flash("The reading is saved.", "success")
            return redirect(url_for("lms.academies.academy", academy_id=found.id))
    return render_template(
        "lms/readings/reading_form.html", form=form, academy=found, reading=reading, delete_form=EmptyForm()
    )


@bp.route("/admin/readings/<lms_id:reading_id>/delete", methods=["POST"])
@admin_required
def delete_reading(reading_id):
    reading = db.session.get(Reading, reading_id)
    if reading is None:
        flash("That reading was already deleted.", "info")
        return redirect(url_for("lms.academies.index"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    academy_id = reading.academy_id
    reading_setup.delete_reading(reading, current_person)
    db.session.commit()
    flash("The reading is deleted, with its learners' progress and reflections.", "success")
    return redirect(url_for("lms.academies.academy", academy_id=academy_id))


