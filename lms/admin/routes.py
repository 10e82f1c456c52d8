"""Routes for admins: load, check, call a service, render or redirect."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms import EmptyForm
from ..models import Academy, Enrolment, LiveSession, Reading, User
from ..services import academies, accounts, audit, mail, outbox, submissions
from ..services.errors import DomainError, RosterError
from ..services.timezones import utc_to_wall_clock
from ..web import admin_required
from . import bp
from .forms import AcademyForm, LiveSessionForm, PersonForm, ReadingForm, RosterForm


def _get(model, object_id):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _field_error(form, error: DomainError) -> None:
    """Show a service's refusal next to the field it concerns, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _create_once(form, work):
    """Run `work` (which returns the address to go to) once per form key, even if sent twice."""
    key = form.form_key.data or ""
    if not submissions.is_well_formed(key):
        key = submissions.new_key()
    earlier = submissions.claim(key, current_user.id)
    if earlier is not None:
        flash("That form was already sent; it was saved once.", "info")
        return redirect(earlier or request.path)
    try:
        target = work()
    except DomainError:
        submissions.release(key)
        raise
    submissions.complete(key, target)
    return redirect(target)


def _new_create_form(form_class, **values):
    form = form_class(formdata=None, **values) if values else form_class()
    form.form_key.data = form.form_key.data or submissions.new_key()
    return form


@bp.route("/")
@admin_required
def index():
    all_academies = db.session.scalars(
        select(Academy).options(selectinload(Academy.live_sessions)).order_by(Academy.created_at.desc())
    ).all()
    return render_template("lms/admin/index.html", academies=all_academies)


# --- academies -------------------------------------------------------------------------------

def _academy_details(form) -> academies.AcademyDetails:
    return academies.AcademyDetails(
        title=form.title.data or "",
        description=form.description.data or "",
        organiser=form.organiser.data or "",
        home_timezone=form.home_timezone.data or "",
        reference_timezones=form.reference_timezones.data or "",
        reminder_days=form.reminder_days.data if form.reminder_days.data is not None else 2,
        attendance_share=form.attendance_share.data or 75,
        require_readings=bool(form.require_readings.data),
        require_reflections=bool(form.require_reflections.data),
        signatories=form.signatories.data or "",
    )


@bp.route("/academies/new", methods=["GET", "POST"])
@admin_required
def new_academy():
    form = AcademyForm()
    if request.method == "GET":
        form.home_timezone.data = current_user.timezone
        form.form_key.data = submissions.new_key()
    if form.validate_on_submit():
        try:
            return _create_once(
                form,
                lambda: url_for(
                    "lms.admin.academy",
                    academy_id=academies.create_academy(_academy_details(form), current_user).id,
                ),
            )
        except DomainError as error:
            _field_error(form, error)
    return render_template("lms/admin/academy_form.html", form=form, academy=None)


@bp.route("/academies/<int:academy_id>")
@admin_required
def academy(academy_id):
    found = _get(Academy, academy_id)
    return render_template("lms/admin/academy.html", academy=found, delete_form=EmptyForm())


@bp.route("/academies/<int:academy_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_academy(academy_id):
    found = _get(Academy, academy_id)
    form = AcademyForm(obj=found)
    if form.validate_on_submit():
        try:
            academies.update_academy(found, _academy_details(form), current_user)
        except DomainError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash("The academy is saved.", "success")
            return redirect(url_for("lms.admin.academy", academy_id=found.id))
    return render_template("lms/admin/academy_form.html", form=form, academy=found)


# --- live sessions ---------------------------------------------------------------------------

def _session_details(form) -> academies.SessionDetails:
    return academies.SessionDetails(
        title=form.title.data or "",
        starts_local=form.starts_local.data,
        duration_minutes=form.duration_minutes.data,
        join_url=form.join_url.data or "",
    )


@bp.route("/academies/<int:academy_id>/sessions/new", methods=["GET", "POST"])
@admin_required
def new_session(academy_id):
    found = _get(Academy, academy_id)
    form = LiveSessionForm()
    if request.method == "GET":
        form.form_key.data = submissions.new_key()
    if form.validate_on_submit():
        try:
            academies_url = url_for("lms.admin.academy", academy_id=found.id)

            def work():
                academies.add_live_session(found, _session_details(form), current_user)
                flash("The session is added.", "success")
                return academies_url

            return _create_once(form, work)
        except DomainError as error:
            _field_error(form, error)
    return render_template("lms/admin/session_form.html", form=form, academy=found, live_session=None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_session(session_id):
    live_session = _get(LiveSession, session_id)
    found = live_session.academy
    form = LiveSessionForm(obj=live_session)
    if request.method == "GET":
        form.starts_local.data = utc_to_wall_clock(live_session.starts_at, found.home_timezone)
    if form.validate_on_submit():
        try:
            academies.update_live_session(live_session, _session_details(form), current_user)
        except DomainError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash("The session is saved.", "success")
            return redirect(url_for("lms.admin.academy", academy_id=found.id))
    return render_template(
        "lms/admin/session_form.html", form=form, academy=found, live_session=live_session,
        delete_form=EmptyForm(),
    )


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@admin_required
def delete_session(session_id):
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        flash("That session was already deleted.", "info")
        return redirect(url_for("lms.admin.index"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    academy_id = live_session.academy_id
    academies.delete_live_session(live_session, current_user)
    flash("The session is deleted.", "success")
    return redirect(url_for("lms.admin.academy", academy_id=academy_id))


# --- readings --------------------------------------------------------------------------------

def _reading_details(form) -> academies.ReadingDetails:
    return academies.ReadingDetails(
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


@bp.route("/academies/<int:academy_id>/readings/new", methods=["GET", "POST"])
@admin_required
def new_reading(academy_id):
    found = _get(Academy, academy_id)
    form = ReadingForm()
    if request.method == "GET":
        form.form_key.data = submissions.new_key()
    if form.validate_on_submit():
        try:
            def work():
                academies.create_reading(found, _reading_details(form), current_user)
                flash("The reading is added.", "success")
                return url_for("lms.admin.academy", academy_id=found.id)

            return _create_once(form, work)
        except DomainError as error:
            _field_error(form, error)
    return render_template("lms/admin/reading_form.html", form=form, academy=found, reading=None)


@bp.route("/readings/<int:reading_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_reading(reading_id):
    reading = _get(Reading, reading_id)
    found = reading.academy
    form = ReadingForm(obj=reading)
    if request.method == "GET":
        zone = found.home_timezone
        form.opens_local.data = reading.opens_at and utc_to_wall_clock(reading.opens_at, zone)
        form.closes_local.data = reading.closes_at and utc_to_wall_clock(reading.closes_at, zone)
    if form.validate_on_submit():
        try:
            academies.update_reading(reading, _reading_details(form), current_user)
        except DomainError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash("The reading is saved.", "success")
            return redirect(url_for("lms.admin.academy", academy_id=found.id))
    return render_template(
        "lms/admin/reading_form.html", form=form, academy=found, reading=reading, delete_form=EmptyForm()
    )


@bp.route("/readings/<int:reading_id>/delete", methods=["POST"])
@admin_required
def delete_reading(reading_id):
    reading = db.session.get(Reading, reading_id)
    if reading is None:
        flash("That reading was already deleted.", "info")
        return redirect(url_for("lms.admin.index"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    academy_id = reading.academy_id
    academies.delete_reading(reading, current_user)
    flash("The reading is deleted, with its learners' progress and reflections.", "success")
    return redirect(url_for("lms.admin.academy", academy_id=academy_id))


# --- people ----------------------------------------------------------------------------------

def _people_page(found, person_form=None, roster_form=None, roster_problems=None, result=None, status=200):
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.academy_id == found.id)
        .options(selectinload(Enrolment.user))
        .join(Enrolment.user)
        .order_by(Enrolment.role.desc(), User.full_name)
    ).all()
    if person_form is None:
        person_form = PersonForm(formdata=None, timezone=found.home_timezone)
    return (
        render_template(
            "lms/admin/people.html",
            academy=found,
            enrolments=enrolments,
            person_form=person_form,
            roster_form=roster_form or RosterForm(formdata=None),
            roster_problems=roster_problems,
            result=result,
            mail_configured=mail.mail_is_configured(),
        ),
        status,
    )


def _send_invitations(found, result):
    """Mail each new invitation; return the links that did not go out by mail, for the page."""
    unsent = []
    users = {user.id: user for user in result.created + result.enrolled_existing}
    for user_id, token in result.invitations.items():
        link, sent = mail.send_account_link(users[user_id], token, "invitation", found.title)
        if not sent:
            unsent.append((users[user_id], link))
    return unsent


@bp.route("/academies/<int:academy_id>/people")
@admin_required
def people(academy_id):
    return _people_page(_get(Academy, academy_id))


@bp.route("/academies/<int:academy_id>/people/add", methods=["POST"])
@admin_required
def add_person(academy_id):
    found = _get(Academy, academy_id)
    form = PersonForm()
    if not form.validate_on_submit():
        return _people_page(found, person_form=form, status=400)
    try:
        person = accounts.check_person(
            form.full_name.data, form.email.data, form.role.data, form.timezone.data, form.group.data
        )
        result = accounts.enrol_people(found, [person], current_user)
    except DomainError as error:
        db.session.rollback()
        _field_error(form, error)
        return _people_page(found, person_form=form, status=400)
    unsent = _send_invitations(found, result)
    return _people_page(found, result=(result, unsent))


@bp.route("/academies/<int:academy_id>/people/import", methods=["POST"])
@admin_required
def import_roster(academy_id):
    found = _get(Academy, academy_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _people_page(found, roster_form=form, status=400)
    try:
        result = accounts.import_roster(found, form.roster.data.read(), current_user)
    except RosterError as error:
        db.session.rollback()
        return _people_page(found, roster_form=form, roster_problems=error.problems, status=400)
    unsent = _send_invitations(found, result)
    return _people_page(found, result=(result, unsent))


@bp.route("/academies/<int:academy_id>/people/<int:user_id>/link", methods=["POST"])
@admin_required
def new_link(academy_id, user_id):
    found = _get(Academy, academy_id)
    user = _get(User, user_id)
    if user.enrolment_in(found.id) is None or not EmptyForm().validate_on_submit():
        abort(404)
    token = accounts.new_invitation(user, current_user)
    purpose = "reset" if user.has_password else "invitation"
    link, sent = mail.send_account_link(user, token, purpose, found.title)
    if sent:
        flash(f"A new link was sent to {user.email}.", "success")
        return redirect(url_for("lms.admin.people", academy_id=found.id))
    return render_template("lms/admin/link.html", academy=found, user=user, link=link, purpose=purpose)


# --- mail ------------------------------------------------------------------------------------

@bp.route("/mail")
@admin_required
def mail_outbox():
    return render_template(
        "lms/admin/mail.html", summary=outbox.summary(),
        mail_configured=mail.mail_is_configured(),
    )


@bp.route("/mail/<int:message_id>/retry", methods=["POST"])
@admin_required
def retry_mail(message_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if outbox.retry(message_id, current_user):
        flash("The message will be tried again at the next run of send-due-mail.", "success")
    else:
        flash(
            "That message cannot be tried again: it was sent already, or it held a one-time link "
            "(make a new link from the academy's People page).",
            "info",
        )
    return redirect(url_for("lms.admin.mail_outbox"))


# --- audit log -------------------------------------------------------------------------------

@bp.route("/audit")
@admin_required
def audit_log():
    page = request.args.get("page", 1, type=int)
    events, pages = audit.recent(page)
    return render_template("lms/admin/audit.html", events=events, page=min(max(page, 1), pages), pages=pages)
