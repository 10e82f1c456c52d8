"""Routes for signing in and out, one-time links, and the account page."""
import logging

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user

from lms.accounts import services as accounts
from lms.accounts import throttle
from lms.accounts.forms import (
    AcceptInvitationForm,
    AccountForm,
    ChangePasswordForm,
    GrantAdminForm,
    LoginForm,
    ResetRequestForm,
    SetPasswordForm,
)
from lms.accounts.identity import (
    SESSION_VERSION_KEY,
    admin_required,
    current_person,
    forget_current_person,
    login_required,
    mark_session_started,
    sign_in_first,
    uses_own_sign_in,
)
from lms.accounts.models import User
from lms.core import mail
from lms.core.exceptions import DomainError, NotAllowed
from lms.core.extensions import db, limiter, login_manager
from lms.core.forms import EmptyForm, chosen_clock
from lms.core.web import is_safe_next, now, parse_id, show_field_error
from lms.readings import services as learning

bp = Blueprint("accounts", __name__, template_folder="templates")
log = logging.getLogger(__name__)


def home_for(user) -> str:
    """Where a person lands after signing in: admins on the admin pages, facilitators on their facilitation
    page (with the reflections waiting for them), learners on their dashboard."""
    if user.is_admin:
        return url_for("lms.academies.index")
    if user.facilitates_any:
        return url_for("lms.reflections.home")
    return url_for("lms.readings.dashboard")


def _start_session(user) -> None:
    # A fresh session at sign-in: nothing from before (a planted session) carries over.
    session.clear()
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version
    mark_session_started()
    forget_current_person()


def end_all_sessions(user) -> None:
    """Every login session of this user, on every device, stops working (the caller commits)."""
    user.session_version += 1


@login_manager.unauthorized_handler
def unauthorized():
    """Send the visitor to sign in, carrying a reflection they were saving so it is not lost."""
    if request.method == "POST" and request.endpoint == "lms.readings.save_reflection":
        form = LoginForm(
            formdata=None,
            next=url_for("lms.readings.reading", reading_id=request.view_args["reading_id"]),
            carry_reading=str(request.view_args["reading_id"]),
            carry_body=request.form.get("body", ""),
        )
        flash("You were signed out. Sign in again and your reflection will be saved as a draft.", "info")
        return render_template("lms/accounts/login.html", form=form), 401
    flash(_expired_message() or login_manager.login_message, "info")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("lms.accounts.login", next=target.rstrip("?") if target else None))


def _expired_message() -> str | None:
    config = current_app.config
    expiry = g.get("lms_session_expired")
    if expiry == "idle":
        return (f"You were signed out after {config['LMS_SESSION_IDLE_MINUTES']} minutes without activity, so that "
                "nobody else at this computer can use your account. Please sign in again.")
    if expiry == "lifetime":
        return (f"You were signed out {config['LMS_SESSION_LIFETIME_HOURS']} hours after signing in, so that nobody "
                "else at this computer can use your account. Please sign in again.")
    return None


def _failed(response) -> bool:
    """Only refused sign-ins count against the limits; a success is a redirect."""
    return response.status_code != 302


def _email_and_address() -> str:
    return f"{get_remote_address()}|{(request.form.get('email') or '').strip().lower()}"


@bp.route("/auth/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LMS_LOGIN_RATE_LIMIT"], key_func=_email_and_address,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LMS_LOGIN_IP_RATE_LIMIT"], methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_person.is_authenticated:
            return redirect(home_for(current_person))
    if form.validate_on_submit():
        email, address = (form.email.data or "").strip().lower(), get_remote_address()
        password = form.password.data
        form.password.data = ""  # never written back into the page
        if not throttle.may_try(email, address):
            # The same for an unknown email: it says nothing about whether the account exists.
            flash("There have been many failed sign-ins to this account, so it is protected for a while. Sign in "
                  "from a computer you have used before, try again later, or get a new link by email.", "error")
            return render_template("lms/accounts/login.html", form=form), 429
        user = accounts.authenticate(email, password)
        if user is None:
            throttle.record_failure(email, address)
            # One message for a wrong password and an unknown email alike.
            flash("That email and password do not match an account.", "error")
            return render_template("lms/accounts/login.html", form=form), 200
        _start_session(user)
        if form.carry_reading.data:
            response = _save_carried_reflection(user, parse_id(form.carry_reading.data), form.carry_body.data or "")
        else:
            target = form.next.data
            response = redirect(target if is_safe_next(target) else home_for(user))
        response = current_app.make_response(response)
        throttle.remember_device(response, email)
        return response
    return render_template("lms/accounts/login.html", form=form)


def _save_carried_reflection(user, reading_id: int | None, body: str):
    try:
        if reading_id is None:  # not a number a reading could have: the form was changed
            raise NotAllowed("No such reading.")
        reading = learning.load_reading(user, reading_id)
        learning.save_reflection(user, reading, body, submit=False, now=now())
    except DomainError as error:
        db.session.rollback()
        flash(f"Your reflection could not be saved: {error.message} Here is your text to copy.", "error")
        return render_template("lms/accounts/carried_text.html", body=body)
    db.session.commit()
    flash("You are signed in again, and your reflection was saved as a draft.", "success")
    return redirect(url_for("lms.readings.reading", reading_id=reading_id) + "#reflection")


@bp.route("/auth/logout", methods=["POST"])
def logout():
    if current_person.is_authenticated:
        end_all_sessions(current_person)
        db.session.commit()
    logout_user()
    session.clear()
    forget_current_person()
    flash("You are signed out.", "info")
    return redirect(url_for("lms.accounts.login"))


def _set_password_page(token: str, purpose: str):
    record = accounts.find_usable_token(token)
    if record is None or record.purpose != purpose:
        return render_template("lms/accounts/link_expired.html", purpose=purpose), 410
    # Accepting an invitation, the person also says which zone is theirs: the admin's was a guess.
    form = AcceptInvitationForm() if purpose == "invitation" else SetPasswordForm()
    if request.method == "GET" and purpose == "invitation":
        form.show_time_of(record.user)
    if form.validate_on_submit():
        try:
            user = accounts.use_token_to_set_password(token, form.password.data)
            if purpose == "invitation":
                accounts.save_time_preferences(
                    user, form.timezone.data, chosen_clock(form.clock.data, form.clock_shown.data))
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
            return render_template("lms/accounts/set_password.html", form=form, user=record.user, purpose=purpose,
                                   now=now())
        db.session.commit()
        _start_session(user)
        flash("Your password is set. Welcome!" if purpose == "invitation" else "Your password is changed.", "success")
        return redirect(home_for(user))
    return render_template("lms/accounts/set_password.html", form=form, user=record.user, purpose=purpose, now=now())


@bp.route("/auth/invitation/<token>", methods=["GET", "POST"])
def invitation(token):
    return _set_password_page(token, "invitation")


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return _set_password_page(token, "reset")


@bp.route("/auth/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LMS_RESET_RATE_LIMIT"], key_func=_email_and_address, methods=["POST"])
@limiter.limit(lambda: current_app.config["LMS_RESET_IP_RATE_LIMIT"], methods=["POST"])
def request_reset():
    if not current_app.config["LMS_SELF_SERVICE_RESET"]:
        # Turned off (e.g. no mail in production): the organiser makes a new link from the People page.
        return render_template("lms/accounts/request_reset.html", form=None)
    form = ResetRequestForm()
    if form.validate_on_submit():
        # The same work, and the same answer, whether or not the address has an account: only the request
        # is stored here. Finding the person, making the link and composing the mail happen once the answer
        # has gone (and in send-due-mail, should this process stop first).
        reset_request = accounts.request_reset(form.email.data)
        db.session.commit()
        flash(
            "If that address has an account, a link to set a new password is on its way. "
            "If nothing arrives, ask the academy's organiser for a new link.",
            "info",
        )
        response = redirect(url_for("lms.accounts.login"))
        response.call_on_close(_answer_after_the_response(reset_request.id))
        return response
    return render_template("lms/accounts/request_reset.html", form=form)


def _answer_after_the_response(request_id: int):
    """The work for one reset request, run by the server once the response is sent (WSGI's close()).

    The link is queued for send-due-mail; without a mail server (development) it is logged at once.
    """
    app = current_app._get_current_object()
    url_root = request.url_root  # links are built as in this request (LMS_BASE_URL wins when set)

    def answer():
        with app.app_context(), app.test_request_context("/", base_url=url_root):
            try:
                accounts.answer_reset_requests(now(), only=[request_id], send_now=not mail.mail_is_configured())
                db.session.commit()
            except Exception:
                db.session.rollback()
                # The request stays stored: send-due-mail answers it on its next run.
                log.exception("reset request %s could not be answered now; send-due-mail will", request_id)

    return answer


@bp.route("/auth/account", methods=["GET", "POST"])
@login_required
def account():
    details = AccountForm(prefix="details", obj=current_person)
    if "details-full_name" not in request.form:
        details.show_time_of(current_person)
    password_form = ChangePasswordForm(prefix="password")
    if "details-full_name" in request.form and details.validate_on_submit():
        current_person.full_name = " ".join(details.full_name.data.split())
        accounts.save_time_preferences(
            current_person, details.timezone.data, chosen_clock(details.clock.data, details.clock_shown.data))
        db.session.commit()
        flash("Your details are saved.", "success")
        return redirect(url_for("lms.accounts.account"))
    if uses_own_sign_in() and "password-password" in request.form and password_form.validate_on_submit():
        if accounts.authenticate(current_person.email, password_form.current_password.data) is None:
            password_form.current_password.errors = ["That is not your current password."]
        else:
            try:
                accounts.set_password(current_person, password_form.password.data)
            except DomainError as error:
                password_form.password.errors = [error.message]
            else:
                # A new password ends every other session; this one carries on.
                end_all_sessions(current_person)
                db.session.commit()
                session[SESSION_VERSION_KEY] = current_person.session_version
                flash("Your password is changed. You are signed out everywhere else.", "success")
                return redirect(url_for("lms.accounts.account"))
    return render_template("lms/accounts/account.html", details=details, password_form=password_form, now=now())


@bp.route("/")
def index():
    """The front door: sends each visitor where they belong."""
    if not current_person.is_authenticated:
        return redirect(url_for("lms.accounts.login")) if uses_own_sign_in() else sign_in_first()
    return redirect(home_for(current_person))


# In a host app with its own users, people sign in (and out) there: the LMS's own sign-in pages and
# one-time links lead to the front door, which sends them to the host's sign-in when needed.
OWN_SIGN_IN_PAGES = {"login", "logout", "invitation", "reset_password", "request_reset"}


@bp.before_request
def _host_signs_people_in():
    if request.endpoint and request.endpoint.rsplit(".", 1)[-1] in OWN_SIGN_IN_PAGES and not uses_own_sign_in():
        return redirect(url_for("lms.accounts.index"))
    return None


@bp.route("/admin/admins", methods=["GET", "POST"])
@admin_required
def admins():
    """Who has administrator rights, and giving them to an existing account (only here: no course's site can)."""
    form = GrantAdminForm()
    if form.validate_on_submit():
        try:
            user = accounts.grant_admin(form.email.data, current_person)
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            db.session.commit()
            flash(f"{user.full_name} is now an administrator. They sign in again to use the rights.", "success")
            return redirect(url_for("lms.accounts.admins"))
    status = 400 if form.errors else 200
    return render_template("lms/accounts/admins.html", form=form, admins=accounts.admins(),
                           revoke_form=EmptyForm()), status


@bp.route("/admin/admins/<lms_id:user_id>/revoke", methods=["POST"])
@admin_required
def revoke_admin(user_id):
    user = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        accounts.revoke_admin(user, current_person)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{user.full_name} is no longer an administrator.", "success")
    return redirect(url_for("lms.accounts.admins"))
