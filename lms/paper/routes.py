"""Facilitators' pages for learners on paper: the reading pack, typing in reflections, scans, printed feedback."""
from io import BytesIO

from flask import Blueprint, abort, current_app, flash, render_template, send_file, url_for
from sqlalchemy import select

from lms.academies.access import facilitated_academy, units_and_groups
from lms.academies.models import Academy, Enrolment
from lms.accounts.identity import current_person, login_required
from lms.accounts.models import User
from lms.core import submissions
from lms.core.exceptions import DomainError, NotAllowed
from lms.core.extensions import db
from lms.core.web import create_once, now, parse_id, show_field_error
from lms.paper import codes, feedback_pages, packs, transcribing
from lms.paper.forms import PackForm, TranscriptionForm
from lms.paper.models import Transcription
from lms.readings.models import Reading
from lms.reflections import reviews
from lms.reflections.models import Reflection

bp = Blueprint("paper", __name__, template_folder="templates")


def _academy_or_404(academy_id: int) -> Academy:
    academy = facilitated_academy(current_person, academy_id)
    if academy is None:
        abort(404)
    return academy


def _learners(academy: Academy) -> list[User]:
    """The academy's learners, those on paper first, then by name."""
    found = db.session.scalars(
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy.id, Enrolment.role == "learner")
    )
    return sorted(found, key=lambda user: (not user.on_paper, user.full_name.casefold(), user.id))


def _choices(academy: Academy, learners: list[User], pack_form: PackForm, form: TranscriptionForm) -> None:
    groups = units_and_groups(academy.id)
    pack_form.group.choices = [("", "Every learner on paper"), *((group, group) for group in groups)]
    people = [(str(user.id), f"{user.full_name}{' (on paper, ' + user.takes_part_through + ')' if user.on_paper else ''}")
              for user in learners]
    pack_form.learner.choices = [("", "—"), *people]
    form.learner.choices = [("", "—"), *people]
    form.reading.choices = [("", "—"), *((str(reading.id), reading.title)
                                         for reading in academy.readings if reading.has_reflection)]


def _page(academy: Academy, form: TranscriptionForm | None = None, pack_form: PackForm | None = None,
          status: int = 200):
    learners = _learners(academy)
    if form is None:
        form = TranscriptionForm(formdata=None)
        form.form_key.data = submissions.new_key()
    pack_form = pack_form or PackForm(formdata=None)
    _choices(academy, learners, pack_form, form)
    on_paper = [user for user in learners if user.on_paper]
    reflections = db.session.scalars(
        select(Reflection).where(Reflection.user_id.in_([user.id for user in on_paper]),
                                 Reflection.status != "draft")
    ).all() if on_paper else []
    transcribed = transcribing.transcriptions_of([reflection.id for reflection in reflections])
    return render_template(
        "lms/paper/index.html", academy=academy, form=form, pack_form=pack_form, on_paper=on_paper,
        reflections={(r.user_id, r.reading_id): r for r in reflections}, transcribed=transcribed,
        readings=[reading for reading in academy.readings if reading.has_reflection],
    ), status


@bp.route("/facilitate/academies/<lms_id:academy_id>/paper")
@login_required
def index(academy_id):
    return _page(_academy_or_404(academy_id))


@bp.route("/facilitate/academies/<lms_id:academy_id>/reading-pack.pdf", methods=["POST"])
@login_required
def reading_pack(academy_id):
    academy = _academy_or_404(academy_id)
    form = PackForm()
    if not form.validate_on_submit():
        abort(400)
    learner = None
    if form.learner.data:
        learner_id = parse_id(form.learner.data)
        learner = db.session.get(User, learner_id) if learner_id else None
        if learner is None:
            form.learner.errors = ["Choose a learner from the list."]
            return _page(academy, pack_form=form, status=400)
    try:
        document = packs.reading_pack(academy, form.group.data or "", learner, form.paper.data or "a4",
                                      max_copies=current_app.config["LMS_PACK_MAX_COPIES"])
    except DomainError as error:
        db.session.rollback()
        show_field_error(form, error)
        return _page(academy, pack_form=form, status=400)
    db.session.commit()  # the codes printed on it, made the first time
    who = learner.full_name if learner else (form.group.data or "everyone")
    name = packs.pack_filename(academy, who)
    response = send_file(BytesIO(document), mimetype="application/pdf", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _chosen(academy: Academy, form: TranscriptionForm) -> tuple[User, Reading]:
    """The learner and reading of the page: by its code, or as chosen in the lists."""
    if (form.code.data or "").strip():
        page = codes.find(academy.id, form.code.data)
        return page.user, page.reading
    learner_id, reading_id = parse_id(form.learner.data), parse_id(form.reading.data)
    learner = db.session.get(User, learner_id) if learner_id else None
    if learner is None or not learner.is_learner_in(academy.id):
        raise DomainError("Type the code from the page, or choose the learner.", field="learner")
    reading = db.session.get(Reading, reading_id) if reading_id else None
    if reading is None or reading.academy_id != academy.id:
        raise DomainError("Choose the reading the page is about.", field="reading")
    return learner, reading


@bp.route("/facilitate/academies/<lms_id:academy_id>/transcriptions", methods=["POST"])
@login_required
def transcribe(academy_id):
    academy = _academy_or_404(academy_id)
    form = TranscriptionForm()
    if not form.validate_on_submit():
        return _page(academy, form=form, status=400)
    scan = form.scan.data.read() if form.scan.data else b""

    def work():
        learner, reading = _chosen(academy, form)
        reflection = transcribing.transcribe(academy, learner, reading, form.body.data or "", current_person,
                                             now(), scan or None)
        flash(f"Saved as {learner.full_name}’s reflection on “{reading.title}”, transcribed from paper.", "success")
        return url_for("lms.reflections.reflection", reflection_id=reflection.id)

    try:
        return create_once(form, current_person.id, work)
    except DomainError as error:
        db.session.rollback()
        show_field_error(form, error)
        return _page(academy, form=form, status=400)


def _reflection_or_404(reflection_id: int) -> Reflection:
    try:
        return reviews.load_for_review(current_person, reflection_id)
    except NotAllowed:
        abort(404)


@bp.route("/facilitate/transcriptions/<lms_id:transcription_id>/scan")
@login_required
def scan(transcription_id):
    record = db.session.get(Transcription, transcription_id)
    if record is None:
        abort(404)
    _reflection_or_404(record.reflection_id)  # facilitators and admins of that academy only
    try:
        data = transcribing.stored_scan(record)
    except DomainError as error:
        return render_template("lms/errors/error.html", code=500, title="This scan could not be sent",
                               advice=error.message), 500
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[record.scan_type]
    response = send_file(BytesIO(data), mimetype=record.scan_type, as_attachment=True,
                         download_name=f"scan-{record.reflection_id}-{record.reflection_version}.{extension}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/facilitate/reflections/<lms_id:reflection_id>/feedback.pdf")
@login_required
def feedback_pdf(reflection_id):
    reflection = _reflection_or_404(reflection_id)
    try:
        document = feedback_pages.feedback_pdf(reflection)
    except DomainError as error:
        flash(error.message, "error")
        return render_template("lms/errors/error.html", code=409, title="There is no feedback to print",
                               advice=error.message), 409
    name = packs.pack_filename(reflection.reading.academy, reflection.user.full_name, "feedback")
    response = send_file(BytesIO(document), mimetype="application/pdf", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
