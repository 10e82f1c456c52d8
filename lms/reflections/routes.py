"""Facilitators' pages (admins see them too): home, review queue, feedback, progress and CSV downloads."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for

from lms.academies.access import academy_groups, facilitated_academy, own_group
from lms.accounts.identity import current_person, login_required
from lms.core.exceptions import DomainError, NotAllowed
from lms.core.extensions import db
from lms.core.web import now, parse_id, parse_whole_number
from lms.paper import transcribing
from lms.reflections import exports, reviews
from lms.reflections import progress as progress_service
from lms.reflections.forms import FeedbackForm

bp = Blueprint("reflections", __name__, template_folder="templates")


def _academy_or_404(academy_id: int):
    academy = facilitated_academy(current_person, academy_id)
    if academy is None:
        abort(404)
    return academy


@bp.route("/facilitate/")
@login_required
def home():
    academies = reviews.facilitated_academies(current_person)
    if not academies and not current_person.is_admin:
        abort(404)
    return render_template("lms/reflections/home.html", academies=academies)


@bp.route("/facilitate/academies/<lms_id:academy_id>/reviews")
@login_required
def queue(academy_id):
    academy = _academy_or_404(academy_id)
    own = own_group(current_person, academy.id)
    group = request.args.get("group", own)
    state = request.args.get("state", "awaiting")
    reading_id = parse_id(request.args.get("reading"))
    page = request.args.get("page", 1, type=int)
    result = reviews.review_queue(academy, reading_id, group, state, page)
    return render_template(
        "lms/reflections/queue.html", academy=academy, result=result, group=group, state=state,
        reading_id=reading_id, states=reviews.QUEUE_STATES, own_group=own,
    )


def _render_reflection(reflection, form, conflict=None, status=200):
    current = reviews.current_feedback(reflection)
    if form is None:
        form = FeedbackForm(formdata=None, body=current.body if current and not current.is_released else "")
        form.seen_edit_count.data = "" if current is None else str(current.edit_count)
    form.seen_version.data = reviews.version_stamp(reflection)
    return (
        render_template(
            "lms/reflections/reflection.html", reflection=reflection, reading=reflection.reading,
            academy=reflection.reading.academy, form=form, current=current, conflict=conflict,
            transcribed={record.reflection_version: record
                         for record in transcribing.transcriptions_of([reflection.id]).get(reflection.id, [])},
        ),
        status,
    )


def _load(reflection_id):
    try:
        return reviews.load_for_review(current_person, reflection_id)
    except NotAllowed:
        abort(404)


@bp.route("/facilitate/reflections/<lms_id:reflection_id>")
@login_required
def reflection(reflection_id):
    return _render_reflection(_load(reflection_id), None)


@bp.route("/facilitate/reflections/<lms_id:reflection_id>", methods=["POST"])
@login_required
def save_feedback(reflection_id):
    found = _load(reflection_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        abort(400)
    seen = form.seen_edit_count.data
    try:
        reviews.save_feedback(
            found, current_person, form.body.data or "", form.action.data or "",
            parse_whole_number(seen), now(),
            form.seen_version.data if "seen_version" in request.form else None,
        )
    except reviews.FeedbackConflict as conflict:
        db.session.rollback()
        found = _load(reflection_id)
        current = reviews.current_feedback(found)
        # The next save is based on what is there now, which the page shows beside the typed text.
        form.seen_edit_count.data = "" if current is None else str(current.edit_count)
        form.body.errors = [conflict.message]
        return _render_reflection(found, form, conflict=conflict, status=409)
    except DomainError as error:
        db.session.rollback()
        form.body.errors = [error.message]
        status = 409 if isinstance(error, reviews.ReflectionChanged) else 400
        return _render_reflection(_load(reflection_id), form, status=status)
    db.session.commit()
    messages = {
        "draft": "Your feedback is saved as a draft. The learner does not see it yet.",
        "reviewed": "Feedback released; the reflection is marked reviewed.",
        "revision_requested": "Feedback released; the learner is asked to revise.",
    }
    flash(messages[form.action.data], "success")
    if form.action.data == "draft":
        return redirect(url_for("lms.reflections.reflection", reflection_id=found.id))
    return redirect(url_for("lms.reflections.queue", academy_id=found.reading.academy_id))


# --- who keeps up ----------------------------------------------------------------------------

def _chosen_group(academy) -> str:
    return progress_service.choose_group(
        request.args.get("group"),
        own_group(current_person, academy.id),
        academy_groups(academy.id),
    )


def _csv_response(chunks, name: str) -> Response:
    # stream_with_context keeps the request (and its database session) alive while the rows are sent.
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/facilitate/academies/<lms_id:academy_id>/progress")
@login_required
def progress(academy_id):
    academy = _academy_or_404(academy_id)
    own = own_group(current_person, academy.id)
    view = progress_service.progress_view(
        academy,
        now(),
        group=request.args.get("group"),
        own_group=own,
        sort=request.args.get("sort", "name"),
        page=request.args.get("page", 1, type=int),
    )
    return render_template("lms/reflections/progress.html", academy=academy, view=view, own_group=own)


@bp.route("/facilitate/academies/<lms_id:academy_id>/progress.csv")
@login_required
def progress_csv(academy_id):
    academy = _academy_or_404(academy_id)
    group = _chosen_group(academy)
    columns = progress_service.reading_columns(academy, now())
    rows = exports.progress_rows(academy.id, group, columns)
    name = exports.filename(academy.title, "progress", group, now().date())
    return _csv_response(exports.csv_chunks(rows), name)


@bp.route("/facilitate/academies/<lms_id:academy_id>/reflections.csv")
@login_required
def reflections_csv(academy_id):
    academy = _academy_or_404(academy_id)
    group = _chosen_group(academy)
    rows = exports.reflection_rows(academy.id, group)
    name = exports.filename(academy.title, "reflections", group, now().date())
    return _csv_response(exports.csv_chunks(rows), name)
