"""Admin pages for academies, their live sessions and people; the calendar file of a live session."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.academies import calendar, todo
from lms.academies import services as academies
from lms.academies.forms import AcademyForm, LiveSessionForm, PersonForm, RosterForm
from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts import services as accounts
from lms.accounts.identity import admin_required, current_person, login_required, uses_own_sign_in
from lms.accounts.models import User
from lms.core import mail, submissions
from lms.core.exceptions import DomainError, RosterError
from lms.core.extensions import db
from lms.core.forms import EmptyForm
from lms.core.timezones import city_name, utc_to_wall_clock
from lms.core.web import create_once, now, show_field_error

bp = Blueprint("academies", __name__, template_folder="templates")


@bp.route("/admin/")
@admin_required
def index():
    all_academies = db.session.scalars(
        select(Academy).options(selectinload(Academy.live_sessions)).order_by(Academy.created_at.desc())
    ).all()
    return render_template("lms/academies/index.html", academies=all_academies)


# --- academies -------------------------------------------------------------------------------

def _academy_details(form) -> academies.AcademyDetails:
    return academies.AcademyDetails(
        title=form.title.data or "",
        description=form.description.data or "",
        organiser=form.organiser.data or "",
        contact_email=form.contact_email.data or "",
        home_timezone=form.home_timezone.data or "",
        reference_timezones=form.reference_timezones.data or "",
        reminder_days=form.reminder_days.data if form.reminder_days.data is not None else 2,
        attendance_share=form.attendance_share.data or 75,
        retention_months=form.retention_months.data or 12,
        require_readings=bool(form.require_readings.data),
        require_reflections=bool(form.require_reflections.data),
        signatories=form.signatories.data or "",
    )


@bp.route("/admin/academies/new", methods=["GET", "POST"])
@admin_required
def new_academy():
    form = AcademyForm()
    if request.method == "GET":
        form.home_timezone.data = current_person.timezone
        form.form_key.data = submissions.new_key()
    if form.validate_on_submit():
        try:
            return create_once(
                form,
                current_person.id,
                lambda: url_for(
                    "lms.academies.academy",
                    academy_id=academies.create_academy(_academy_details(form), current_person).id,
                ),
            )
        except DomainError as error:
            show_field_error(form, error)
    return render_template("lms/academies/academy_form.html", form=form, academy=None)


@bp.route("/admin/academies/<lms_id:academy_id>")
@admin_required
def academy(academy_id):
    found = db.get_or_404(Academy, academy_id)
    things = todo.to_do(found, now(), own_sign_in=uses_own_sign_in())
    return render_template("lms/academies/academy.html", academy=found, delete_form=EmptyForm(), to_do=things)


@bp.route("/admin/academies/<lms_id:academy_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_academy(academy_id):
    found = db.get_or_404(Academy, academy_id)
    form = AcademyForm(obj=found)
    if request.method == "GET":  # as typed: cities, not zone names
        form.reference_timezones.data = ", ".join(city_name(name) for name in found.reference_zone_list)
    if form.validate_on_submit():
        try:
            academies.update_academy(found, _academy_details(form), current_person)
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            db.session.commit()
            flash("The academy is saved.", "success")
            return redirect(url_for("lms.academies.academy", academy_id=found.id))
    return render_template("lms/academies/academy_form.html", form=form, academy=found)


# --- live sessions ---------------------------------------------------------------------------

def _session_details(form) -> academies.SessionDetails:
    return academies.SessionDetails(
        title=form.title.data or "",
        starts_local=form.starts_local.data,
        duration_minutes=form.duration_minutes.data,
        join_url=form.join_url.data or "",
    )


@bp.route("/admin/academies/<lms_id:academy_id>/sessions/new", methods=["GET", "POST"])
@admin_required
def new_session(academy_id):
    found = db.get_or_404(Academy, academy_id)
    form = LiveSessionForm()
    if request.method == "GET":
        form.form_key.data = submissions.new_key()
    if form.validate_on_submit():
        try:
            academies_url = url_for("lms.academies.academy", academy_id=found.id)

            def work():
                academies.add_live_session(found, _session_details(form), current_person)
                flash("The session is added.", "success")
                return academies_url

            return create_once(form, current_person.id, work)
        except DomainError as error:
            show_field_error(form, error)
    return render_template("lms/academies/session_form.html", form=form, academy=found, live_session=None)


@bp.route("/admin/sessions/<lms_id:session_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_session(session_id):
    live_session = db.get_or_404(LiveSession, session_id)
    found = live_session.academy
    form = LiveSessionForm(obj=live_session)
    if request.method == "GET":
        form.starts_local.data = utc_to_wall_clock(live_session.starts_at, found.home_timezone)
    if form.validate_on_submit():
        try:
            academies.update_live_session(live_session, _session_details(form), current_person)
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            db.session.commit()
            flash("The session is saved.", "success")
            return redirect(url_for("lms.academies.academy", academy_id=found.id))
    return render_template(
        "lms/academies/session_form.html", form=form, academy=found, live_session=live_session,
        delete_form=EmptyForm(),
    )


@bp.route("/admin/sessions/<lms_id:session_id>/delete", methods=["POST"])
@admin_required
def delete_session(session_id):
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        flash("That session was already deleted.", "info")
        return redirect(url_for("lms.academies.index"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    academy_id = live_session.academy_id
    academies.delete_live_session(live_session, current_person)
    db.session.commit()
    flash("The session is deleted.", "success")
    return redirect(url_for("lms.academies.academy", academy_id=academy_id))


# --- people ----------------------------------------------------------------------------------

def _people_page(found, person_form=None, roster_form=None, roster_problems=None, result=None, status=200,
                 queued=0):
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
            "lms/academies/people.html",
            academy=found,
            enrolments=enrolments,
            person_form=person_form,
            roster_form=roster_form or RosterForm(formdata=None),
            roster_problems=roster_problems,
            result=result,
            queued=queued,
            mail_configured=mail.mail_is_configured(),
        ),
        status,
    )


def _send_invitations(found, result):
    """Mail each new invitation; return the links that did not go out by mail, for the page."""
    unsent = []
    users = {user.id: user for user in result.created + result.enrolled_existing}
    for user_id, token in result.invitations.items():
        link, sent = accounts.send_account_link(users[user_id], token, "invitation", found.title)
        if not sent:
            unsent.append((users[user_id], link))
    return unsent


@bp.route("/admin/academies/<lms_id:academy_id>/people")
@admin_required
def people(academy_id):
    return _people_page(db.get_or_404(Academy, academy_id))


@bp.route("/admin/academies/<lms_id:academy_id>/people/add", methods=["POST"])
@admin_required
def add_person(academy_id):
    found = db.get_or_404(Academy, academy_id)
    form = PersonForm()
    if not form.validate_on_submit():
        return _people_page(found, person_form=form, status=400)
    try:
        person = accounts.check_person(
            form.full_name.data, form.email.data, form.role.data, form.timezone.data, form.group.data,
            form.takes_part_through.data,
        )
        result = accounts.enrol_people(found, [person], current_person)
    except DomainError as error:
        db.session.rollback()
        show_field_error(form, error)
        return _people_page(found, person_form=form, status=400)
    db.session.commit()
    unsent = _send_invitations(found, result)
    return _people_page(found, result=(result, unsent))


@bp.route("/admin/academies/<lms_id:academy_id>/people/import", methods=["POST"])
@admin_required
def import_roster(academy_id):
    found = db.get_or_404(Academy, academy_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _people_page(found, roster_form=form, status=400)
    try:
        result = accounts.import_roster(found, form.roster.data.read(), current_person)
        # Queued, not sent: the worker sends them (a minute or so), so the request does not wait for
        # 2,000 mails, and the people and their invitations are saved together or not at all.
        invited = accounts.queue_invitations(result, found.title)
    except RosterError as error:
        db.session.rollback()
        return _people_page(found, roster_form=form, roster_problems=error.problems, status=400)
    db.session.commit()
    # Without mail, nobody receives them: the admin passes the links on.
    unsent = [] if mail.mail_is_configured() else invited
    return _people_page(found, result=(result, unsent), queued=len(invited) if mail.mail_is_configured() else 0)


@bp.route("/admin/academies/<lms_id:academy_id>/people/<lms_id:user_id>/link", methods=["POST"])
@admin_required
def new_link(academy_id, user_id):
    found = db.get_or_404(Academy, academy_id)
    user = db.get_or_404(User, user_id)
    if user.enrolment_in(found.id) is None or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        token = accounts.new_invitation(user, current_person)
    except DomainError as error:  # no email: no link can reach them
        flash(error.message, "error")
        return redirect(url_for("lms.academies.people", academy_id=found.id))
    db.session.commit()
    purpose = "reset" if user.has_password else "invitation"
    link, sent = accounts.send_account_link(user, token, purpose, found.title)
    if sent:
        flash(f"A new link was sent to {user.email}.", "success")
        return redirect(url_for("lms.academies.people", academy_id=found.id))
    return render_template("lms/academies/link.html", academy=found, user=user, link=link, purpose=purpose)




# --- calendar files --------------------------------------------------------------------------

@bp.route("/learn/sessions/<lms_id:session_id>.ics")
@login_required
def session_calendar(session_id):
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None or not current_person.can_view_academy(live_session.academy_id):
        abort(404)
    # The file leaves the site (into someone's calendar): its link is built from LMS_BASE_URL, never the Host header.
    body = calendar.session_ics(live_session, mail.absolute_url("lms.readings.dashboard"))
    filename = f"session-{live_session.id}.ics"
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
