"""The LTI tool's pages: login initiation, launch, key set, a course's set-up, and the admin's platforms."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user
from sqlalchemy import select

from lms.academies.access import can_facilitate
from lms.academies.models import Academy
from lms.accounts.identity import (
    SESSION_VERSION_KEY,
    admin_required,
    current_person,
    forget_current_person,
    login_required,
    mark_session_started,
    uses_own_sign_in,
)
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.web import parse_id, show_field_error
from lms.lti import keys, services
from lms.lti.forms import ContextSetupForm, PlatformForm, PlatformSettingsForm
from lms.lti.models import LtiContext, LtiLaunch, LtiPlatform
from lms.lti.protocol import LaunchRefused, deep_link_response_jwt, login_redirect, validated_launch

bp = Blueprint("lti", __name__, template_folder="templates")
log = logging.getLogger(__name__)

# Marks a session begun by a launch: its cookie may travel inside the platform's frame (see below).
LTI_SESSION_KEY = "lms_lti_platform"
SETUP_KEY = "lms_lti_setup_context"
DEEP_LINK_KEY = "lms_lti_deep_link"

# What the person reads when a launch is refused: (title, plain words, status).
REFUSAL_PAGES = {
    "bad_login": ("This link did not work", "The course sent an incomplete request. Go back to the course and "
                  "click the link again.", 400),
    "unknown_platform": ("This course is not connected", "The course's site is not registered with the Learning "
                         "Academy, or the link was made for another tool. Ask the course's administrator.", 400),
    "disabled": ("This course is switched off here", "The Learning Academy's administrator has turned off links "
                 "from this course's site. Ask them, or the course's administrator.", 403),
    "state": ("Your browser did not keep the sign-in", "Your browser refused a cookie the sign-in needs, or the "
              "link was opened twice. Open the Learning Academy in a new window, or go back to the course and click "
              "the link again.", 400),
    "bad_token": ("This link did not work", "The course sent something the Learning Academy cannot read. Go back "
                  "to the course and click the link again.", 400),
    "nonce": ("This link was already used", "Each click on the course's link works once. Go back to the course and "
              "click the link again.", 400),
    "signature": ("This link could not be checked", "The Learning Academy could not confirm that the link came "
                  "from your course's site. Go back to the course and try again; if it keeps happening, tell its "
                  "administrator.", 400),
    "unknown_key": ("This link could not be checked", "The link was signed with a key your course's site does not "
                    "publish. If it keeps happening, tell the course's administrator.", 400),
    "keyset_unavailable": ("This link could not be checked", "The Learning Academy could not reach your course's "
                           "site to check the link. Try again in a few minutes.", 400),
    "expired": ("This link has run out", "The link is only good for a few minutes. Go back to the course and click "
                "it again.", 400),
    "deployment": ("This course is not connected", "The tool was added to the course in a way the Learning "
                   "Academy does not know yet. Ask the course's administrator to check its deployment id.", 400),
    "bad_message": ("This link did not work", "The course sent a kind of link the Learning Academy does not "
                    "handle. Ask the course's administrator.", 400),
    "admin_account": ("Administrators sign in here, not from a course", "This account has administrator rights in "
                      "the Learning Academy, so a course's link does not sign it in. Open the Learning Academy and "
                      "sign in with your email and password.", 403),
    "inactive": ("This account is switched off", "The Learning Academy's administrator has switched off this "
                 "account. Ask the academy's organiser.", 403),
    "no_role": ("Your role in this course has no place here", "The Learning Academy lets in a course's learners, "
                "instructors and teaching assistants. Ask the academy's organiser if you need access.", 403),
    "email_taken": ("There is already an account with your email", "The Learning Academy already has an account "
                    "with your email address, and cannot link it to this course on its own. Sign in with that "
                    "account, or ask the academy's organiser to link them.", 403),
    "no_context": ("This link did not work", "The link did not say which course it came from. Ask the course's "
                   "administrator.", 400),
    "host_sign_in": ("Sign in on the site", "This Learning Academy signs people in through its own site, not "
                     "through courses. Open it directly.", 403),
}


def _refused(error: LaunchRefused, new_window_url: str | None = None):
    services.record_launch(error.platform, None, error.reason)
    if error.detail:
        log.warning("LTI refusal detail (%s): %s", error.reason, error.detail[:200])
    db.session.commit()  # the spent nonce and the log entry stay, whatever the page
    title, words, status = REFUSAL_PAGES[error.reason]
    if error.platform is not None and error.platform.enabled:
        g.lms_frame_ancestors = [error.platform.origin]  # the refusal shows inside that platform's frame
    return render_template("lms/lti/refused.html", title=title, words=words,
                           new_window_url=new_window_url), status


@bp.route("/lti/login", methods=["GET", "POST"])
def login():
    """OIDC login initiation: the platform sends the browser here first."""
    try:
        response = login_redirect(url_for("lms.lti.launch", _external=True))
    except LaunchRefused as error:
        return _refused(error)
    db.session.commit()  # the nonce and state just handed out
    return response


def _new_window_link() -> str | None:
    """The login again, in a window of its own (a first-party page keeps its cookies), when the state lost
    was one we handed out."""
    from lms.lti.protocol import DatabaseSessionService

    state = request.form.get("state", "")
    params = DatabaseSessionService(None).get_state_params(state) if state else {}
    login_params = params.get("login") if isinstance(params, dict) else None
    return url_for("lms.lti.login", **login_params) if isinstance(login_params, dict) else None


@bp.route("/lti/launch", methods=["POST"])
def launch():
    """The redirect URI: every check, then sign the person in and land them on their academy."""
    try:
        claims, platform = validated_launch()
        if not uses_own_sign_in():
            # A host app signs its people in itself; a launch cannot make a session of the host's.
            raise LaunchRefused("host_sign_in", platform)
        role = services.launch_role(claims)
        user = services.person_for_launch(platform, claims)
        context = services.context_for_launch(platform, claims)
    except LaunchRefused as error:
        return _refused(error, _new_window_link() if error.reason == "state" else None)
    message_type = claims.get(services.CLAIM + "message_type", "")
    if message_type == "LtiDeepLinkingRequest" and role != "facilitator":
        return _refused(LaunchRefused("no_role", platform))
    services.record_launch(platform, user, "ok", message_type)
    _sign_in(user, platform)
    if message_type == "LtiDeepLinkingRequest":
        settings = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings") or {}
        session[DEEP_LINK_KEY] = {"context": context.id, "settings": settings,
                                  "deployment": claims.get(services.CLAIM + "deployment_id")}
    if context.academy_id is None:
        db.session.commit()
        if role != "facilitator":
            return render_template("lms/lti/not_set_up.html"), 200
        session[SETUP_KEY] = context.id
        return redirect(url_for("lms.lti.setup_context", context_id=context.id))
    services.enrol_for_launch(user, context.academy, role)
    if message_type == "LtiDeepLinkingRequest":
        db.session.commit()
        return redirect(url_for("lms.lti.deep_link"))
    link = services.resource_link_for_launch(platform, claims, context)
    db.session.commit()
    return redirect(_landing(role, context.academy_id, link))


def _sign_in(user, platform) -> None:
    # A fresh session: nothing from before (a planted session) carries over, as with the LMS's own sign-in.
    session.clear()
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version
    mark_session_started()
    session[LTI_SESSION_KEY] = platform.id
    forget_current_person()


def _landing(role: str, academy_id: int, link) -> str:
    if link is not None and link.reading_id is not None:
        return url_for("lms.readings.reading", reading_id=link.reading_id)
    if role == "facilitator":
        return url_for("lms.reflections.queue", academy_id=academy_id)
    return url_for("lms.readings.dashboard")


@bp.route("/lti/jwks")
def jwks():
    """The tool's public key set: platforms check the tool's messages with it."""
    key_set = keys.public_jwks()
    db.session.commit()  # the first key, made on first use
    return jsonify(key_set)


@bp.route("/lti/contexts/<lms_id:context_id>/setup", methods=["GET", "POST"])
@login_required
def setup_context(context_id):
    """An instructor whose course is tied to no academy yet picks one they facilitate, or makes one."""
    context = db.get_or_404(LtiContext, context_id)
    if session.get(SETUP_KEY) != context.id:
        abort(404)  # only the instructor whose launch brought them here
    if context.academy_id is not None:
        return redirect(url_for("lms.reflections.queue", academy_id=context.academy_id))
    own = [enrolment.academy for enrolment in current_person.enrolments if enrolment.role == "facilitator"]
    form = ContextSetupForm()
    form.academy_id.choices = [("", "— choose —")] + [(str(a.id), a.title) for a in own]
    if request.method == "GET":
        form.title.data = context.title
        form.home_timezone.data = current_person.timezone
    if form.validate_on_submit():
        try:
            chosen = parse_id(form.academy_id.data)
            if chosen is not None:
                academy = db.session.get(Academy, chosen)
                if academy is None or not can_facilitate(current_person, academy.id):
                    raise DomainError("Choose one of the academies you facilitate.", field="academy_id")
                services.tie_context(context, academy, current_person)
            elif (form.title.data or "").strip():
                academy = services.create_academy_for_context(context, form.title.data, form.home_timezone.data,
                                                              current_person)
            else:
                raise DomainError("Choose an academy, or type a title for a new one.", field="title")
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            session.pop(SETUP_KEY, None)
            db.session.commit()
            flash("This course now opens this academy.", "success")
            if session.get(DEEP_LINK_KEY, {}).get("context") == context.id:
                return redirect(url_for("lms.lti.deep_link"))
            return redirect(url_for("lms.reflections.queue", academy_id=context.academy_id))
    return render_template("lms/lti/setup.html", form=form, context=context, own=own)


@bp.route("/lti/deep-link", methods=["GET", "POST"])
@login_required
def deep_link():
    """An instructor places "the academy" or one of its readings in their course (LTI Deep Linking)."""
    pending = session.get(DEEP_LINK_KEY)
    context = db.session.get(LtiContext, pending["context"]) if isinstance(pending, dict) else None
    if context is None or context.academy_id is None or not can_facilitate(current_person, context.academy_id):
        abort(404)
    academy = context.academy
    if request.method == "POST":
        reading_id = parse_id(request.form.get("reading"))
        readings = {reading.id: reading for reading in academy.readings}
        if request.form.get("reading") != "academy" and reading_id not in readings:
            flash("Choose the academy or one of its readings.", "error")
        else:
            launch_url = url_for("lms.lti.launch", _external=True)
            if reading_id in readings:
                item = {"title": readings[reading_id].title, "url": launch_url,
                        "custom": {"lms_reading": str(reading_id)}}
            else:
                item = {"title": academy.title, "url": launch_url}
            return_url = str(pending["settings"].get("deep_link_return_url") or "")
            parts = urlsplit(return_url)
            if f"{parts.scheme}://{parts.netloc}" != context.platform.origin:
                # Only the platform that asked gets the signed answer.
                return _refused(LaunchRefused("bad_message", context.platform, "deep link return elsewhere"))
            token = deep_link_response_jwt(context.platform, pending["deployment"], pending["settings"], [item])
            session.pop(DEEP_LINK_KEY, None)
            db.session.commit()
            g.lms_form_targets = [context.platform.origin]
            return render_template("lms/lti/deep_link_return.html", token=token, return_url=return_url)
    return render_template("lms/lti/deep_link.html", academy=academy)


@bp.route("/facilitate/lti/contexts/<lms_id:context_id>/roster", methods=["GET", "POST"])
@login_required
def roster(context_id):
    """The course's members from its platform: what a sync would do (GET), then doing it (POST), all or nothing."""
    context = db.get_or_404(LtiContext, context_id)
    if context.academy_id is None or not can_facilitate(current_person, context.academy_id):
        abort(404)
    from lms.lti.roster import apply_roster, preview_roster

    try:
        if request.method == "POST":
            result = apply_roster(context, current_person)
            db.session.commit()
            flash(f"{len(result.created) + len(result.enrolled_existing)} people enrolled, "
                  f"{len(result.role_changed)} changed, {len(result.already_enrolled)} already there.", "success")
            return redirect(url_for("lms.lti.roster", context_id=context.id))
        preview = preview_roster(context)
    except DomainError as error:
        db.session.rollback()
        return render_template("lms/lti/roster.html", context=context, preview=None, problem=error.message)
    return render_template("lms/lti/roster.html", context=context, preview=preview, problem=None)


# --- admin -----------------------------------------------------------------------------------

def _details(form) -> services.PlatformDetails:
    return services.PlatformDetails(
        # Only registering names the platform; its settings form leaves issuer and client id as they are.
        issuer=(form.issuer.data or "") if isinstance(form, PlatformForm) else "",
        client_id=(form.client_id.data or "") if isinstance(form, PlatformForm) else "",
        deployment_ids=form.deployment_ids.data or "", auth_url=form.auth_url.data or "",
        token_url=form.token_url.data or "", keyset_url=form.keyset_url.data or "", name=form.name.data or "",
        trusts_emails=bool(form.trusts_emails.data),
    )


@bp.route("/admin/lti", methods=["GET", "POST"])
@admin_required
def platforms():
    """The platforms registered, a form to register one, and what to paste into a platform."""
    form = PlatformForm()
    if form.validate_on_submit():
        try:
            platform = services.register_platform(_details(form), current_person)
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            db.session.commit()
            flash("The platform is registered.", "success")
            return redirect(url_for("lms.lti.platform", platform_id=platform.id))
    found = db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)).all()
    status = 400 if form.errors else 200
    return render_template("lms/lti/platforms.html", form=form, platforms=found, tool=tool_urls()), status


@bp.route("/admin/lti/platforms/<lms_id:platform_id>", methods=["GET", "POST"])
@admin_required
def platform(platform_id):
    """One platform: its settings (to change), links on or off, and its last launches."""
    found = db.get_or_404(LtiPlatform, platform_id)
    form = PlatformSettingsForm(obj=found)
    if form.validate_on_submit():
        try:
            services.change_platform(found, _details(form), current_person)
        except DomainError as error:
            db.session.rollback()
            show_field_error(form, error)
        else:
            db.session.commit()
            flash("The platform's settings are saved.", "success")
            return redirect(url_for("lms.lti.platform", platform_id=found.id))
    launches = db.session.scalars(
        select(LtiLaunch).where(LtiLaunch.platform_id == found.id).order_by(LtiLaunch.at.desc()).limit(100)
    ).all()
    status = 400 if form.errors else 200
    return render_template("lms/lti/platform.html", platform=found, launches=launches, form=form), status


@bp.route("/admin/lti/platforms/<lms_id:platform_id>/enabled", methods=["POST"])
@admin_required
def set_enabled(platform_id):
    found = db.get_or_404(LtiPlatform, platform_id)
    wanted = request.form.get("enabled") == "yes"
    if found.enabled != wanted:  # a double click does it once
        services.set_enabled(found, wanted, current_person)
        db.session.commit()
    flash("Links from this platform are on." if wanted else "Links from this platform are off.", "success")
    return redirect(url_for("lms.lti.platform", platform_id=found.id))


@bp.route("/admin/lti/registration-links", methods=["POST"])
@admin_required
def new_registration_link():
    """A one-day address a platform's admin pastes to register the tool (LTI Dynamic Registration)."""
    from lms.lti.registration import new_registration_key

    key = new_registration_key()
    db.session.commit()
    link = url_for("lms.lti.dynamic_registration", key=key, _external=True)
    return render_template("lms/lti/registration_link.html", link=link)


@bp.route("/lti/register/<key>")
def dynamic_registration(key):
    """The platform opens this with its configuration's address; the tool registers itself there."""
    from lms.lti.registration import register_dynamically

    try:
        platform = register_dynamically(key, request.args.get("openid_configuration", ""),
                                        request.args.get("registration_token"))
    except DomainError as error:
        db.session.rollback()
        return render_template("lms/lti/registered.html", problem=error.message), 400
    db.session.commit()
    return render_template("lms/lti/registered.html", problem=None, platform=platform)


def tool_urls() -> dict:
    return {
        "login": url_for("lms.lti.login", _external=True),
        "launch": url_for("lms.lti.launch", _external=True),
        "jwks": url_for("lms.lti.jwks", _external=True),
    }


@bp.app_context_processor
def _course_links():
    """`lti_courses(academy_id)` for the facilitators' and admins' pages: the academy's courses that offer their
    member list, each linking to its roster sync. Read once per request on first use (a page lists many
    academies), and not at all on pages that do not ask."""
    def lti_courses(academy_id: int) -> list[LtiContext]:
        if "lms_lti_courses" not in g:
            found: dict[int, list[LtiContext]] = {}
            for context in db.session.scalars(select(LtiContext).where(LtiContext.academy_id.is_not(None),
                                                                       LtiContext.memberships_url != "")
                                              .order_by(LtiContext.id)):
                found.setdefault(context.academy_id, []).append(context)
            g.lms_lti_courses = found
        return g.lms_lti_courses.get(academy_id, [])

    return {"lti_courses": lti_courses}


# --- inside the platform's frame ---------------------------------------------------------------

@bp.before_app_request
def _allow_platform_frames():
    """A session begun by a launch may be shown in its platform's frame: frame-ancestors names that
    platform's origin (core/security.py), and only for such sessions; every other page stays unframeable."""
    platform_id = session.get(LTI_SESSION_KEY)
    if isinstance(platform_id, int):
        found = db.session.get(LtiPlatform, platform_id)
        if found is not None and found.enabled:
            g.lms_frame_ancestors = [found.origin]


class FrameableSessionInterface(SecureCookieSessionInterface):
    """In a platform's frame the session cookie is a third-party cookie: it must be SameSite=None; Secure to be
    sent at all. Only for sessions begun by a launch, only over HTTPS; the site's own sign-in keeps the app's
    setting (Lax), and every form still needs its CSRF token."""

    @staticmethod
    def _framed() -> bool:
        return has_request_context() and request.is_secure and isinstance(session.get(LTI_SESSION_KEY), int)

    def get_cookie_samesite(self, app):
        return "None" if self._framed() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app):
        return True if self._framed() else super().get_cookie_secure(app)


@bp.record_once
def _watch_results(state):
    # Scores go to course gradebooks as soon as a result changes (lms/lti/changes.py).
    from lms.lti.changes import watch

    watch(db.session)


@bp.record_once
def _use_frameable_sessions(state):
    # Only over Flask's own cookie sessions: a host with a session interface of its own keeps it as it is.
    if type(state.app.session_interface) is SecureCookieSessionInterface:
        state.app.session_interface = FrameableSessionInterface()
