"""Every route is in an authorization table: what each kind of visitor gets, with guessed ids too.

A new route that is not added to ROUTES below fails test_every_route_is_in_the_table.
"""
import hashlib
from dataclasses import dataclass

import pytest

from lms.attendance.models import AttendanceImport
from lms.certificates.models import Certificate, CertificateJob
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti.models import LtiContext, LtiPlatform
from lms.notifications.models import OutgoingMail
from lms.paper.models import Transcription
from lms.reflections.models import Reflection, ReflectionVersion
from tests.conftest import Browser
from tests.factories import enrol, make_academy, make_reading, make_user

PERSONAS = ("anonymous", "learner", "other_learner", "facilitator", "other_facilitator", "admin")

# What a persona gets: "ok" (served, or refused only for bad input: the guard let it through),
# "login" (sent to sign in), 403, 404.
OK, LOGIN = "ok", "login"
ADMIN_ONLY = {"anonymous": LOGIN, "learner": 403, "other_learner": 403, "facilitator": 403,
              "other_facilitator": 403, "admin": OK}
SIGNED_IN = {"anonymous": LOGIN, "learner": OK, "other_learner": OK, "facilitator": OK,
             "other_facilitator": OK, "admin": OK}
PUBLIC = dict.fromkeys(PERSONAS, OK)
# Pages about academy A: its learner and facilitator and admins; others get a plain 404.
ACADEMY_MEMBERS = {"anonymous": LOGIN, "learner": OK, "other_learner": 404, "facilitator": OK,
                   "other_facilitator": 404, "admin": OK}
FACILITATORS = {"anonymous": LOGIN, "learner": 404, "other_learner": 404, "facilitator": OK,
                "other_facilitator": 404, "admin": OK}
OWN_LEARNER = {"anonymous": LOGIN, "learner": OK, "other_learner": 404, "facilitator": 404,
               "other_facilitator": 404, "admin": 404}
LEARNER_WRITES = {"anonymous": LOGIN, "learner": OK, "other_learner": 404, "facilitator": 403,
                  "other_facilitator": 404, "admin": 403}


@dataclass
class Route:
    method: str
    url: str  # formatted with the objects of academy A (or B, for the guessed-id pass)
    expect: dict
    data: dict | None = None


ROUTES = {
    "lms.static": Route("GET", "/static/lms/style.css", PUBLIC),
    "lms.accounts.index": Route("GET", "/", {**SIGNED_IN}),
    "lms.certificates.verify_form": Route("GET", "/verify", PUBLIC),
    "lms.privacy.notice": Route("GET", "/privacy", PUBLIC),
    # The address names no one: every signed-in person gets their own data, never another's.
    "lms.privacy.export_mine": Route("GET", "/auth/account/my-data.zip", SIGNED_IN),
    "lms.privacy.find_person": Route("GET", "/admin/privacy", ADMIN_ONLY),
    "lms.privacy.erase": Route("GET", "/admin/privacy/people/{learner}/erase", ADMIN_ONLY),
    "lms.certificates.verify": Route("GET", "/verify/{certificate_code}", PUBLIC),
    "lms.accounts.login": Route("GET", "/auth/login", PUBLIC),
    "lms.accounts.logout": Route("POST", "/auth/logout", PUBLIC),
    "lms.accounts.request_reset": Route("GET", "/auth/reset", PUBLIC),
    "lms.accounts.invitation": Route("GET", "/auth/invitation/not-a-real-token", dict.fromkeys(PERSONAS, 410)),
    "lms.accounts.reset_password": Route("GET", "/auth/reset/not-a-real-token", dict.fromkeys(PERSONAS, 410)),
    "lms.accounts.account": Route("GET", "/auth/account", SIGNED_IN),
    "lms.accounts.admins": Route("GET", "/admin/admins", ADMIN_ONLY),
    "lms.accounts.revoke_admin": Route("POST", "/admin/admins/{learner}/revoke", ADMIN_ONLY),
    "lms.readings.dashboard": Route("GET", "/learn/", SIGNED_IN),
    "lms.readings.reading": Route("GET", "/learn/readings/{reading}", ACADEMY_MEMBERS),
    "lms.readings.set_finished": Route("POST", "/learn/readings/{reading}/finished", LEARNER_WRITES,
                                      {"finished": "yes"}),
    "lms.readings.save_reflection": Route("POST", "/learn/readings/{reading}/reflection",
                                         {**LEARNER_WRITES, "anonymous": 401}, {"body": "x", "action": "draft"}),
    "lms.academies.session_calendar": Route("GET", "/learn/sessions/{session}.ics", ACADEMY_MEMBERS),
    "lms.certificates.mine": Route("GET", "/learn/certificates", SIGNED_IN),
    "lms.certificates.my_pdf": Route("GET", "/learn/certificates/{certificate}.pdf", OWN_LEARNER),
    "lms.reflections.home": Route("GET", "/facilitate/", {**FACILITATORS, "other_facilitator": OK}),
    "lms.reflections.queue": Route("GET", "/facilitate/academies/{academy}/reviews", FACILITATORS),
    "lms.reflections.reflection": Route("GET", "/facilitate/reflections/{reflection}", FACILITATORS),
    "lms.reflections.save_feedback": Route("POST", "/facilitate/reflections/{reflection}", FACILITATORS,
                                           {"body": "", "action": "draft", "seen_edit_count": ""}),
    "lms.reflections.progress": Route("GET", "/facilitate/academies/{academy}/progress", FACILITATORS),
    "lms.reflections.progress_csv": Route("GET", "/facilitate/academies/{academy}/progress.csv", FACILITATORS),
    "lms.reflections.reflections_csv": Route("GET", "/facilitate/academies/{academy}/reflections.csv",
                                             FACILITATORS),
    "lms.academies.index": Route("GET", "/admin/", ADMIN_ONLY),
    "lms.academies.new_academy": Route("GET", "/admin/academies/new", ADMIN_ONLY),
    "lms.academies.academy": Route("GET", "/admin/academies/{academy}", ADMIN_ONLY),
    "lms.academies.edit_academy": Route("GET", "/admin/academies/{academy}/edit", ADMIN_ONLY),
    "lms.academies.new_session": Route("GET", "/admin/academies/{academy}/sessions/new", ADMIN_ONLY),
    "lms.academies.edit_session": Route("GET", "/admin/sessions/{session}/edit", ADMIN_ONLY),
    "lms.academies.delete_session": Route("POST", "/admin/sessions/{spare_session}/delete", ADMIN_ONLY),
    "lms.readings.new_reading": Route("GET", "/admin/academies/{academy}/readings/new", ADMIN_ONLY),
    "lms.readings.edit_reading": Route("GET", "/admin/readings/{reading}/edit", ADMIN_ONLY),
    "lms.readings.delete_reading": Route("POST", "/admin/readings/{spare_reading}/delete", ADMIN_ONLY),
    "lms.academies.people": Route("GET", "/admin/academies/{academy}/people", ADMIN_ONLY),
    "lms.academies.add_person": Route("POST", "/admin/academies/{academy}/people/add", ADMIN_ONLY, {}),
    "lms.academies.import_roster": Route("POST", "/admin/academies/{academy}/people/import", ADMIN_ONLY, {}),
    "lms.academies.new_link": Route("POST", "/admin/academies/{academy}/people/{learner}/link", ADMIN_ONLY),
    "lms.notifications.outbox": Route("GET", "/admin/mail", ADMIN_ONLY),
    "lms.notifications.retry": Route("POST", "/admin/mail/{mail}/retry", ADMIN_ONLY),
    "lms.audit.log": Route("GET", "/admin/audit", ADMIN_ONLY),
    "lms.attendance.grid": Route("GET", "/admin/sessions/{session}/attendance", ADMIN_ONLY),
    "lms.attendance.save": Route("POST", "/admin/sessions/{session}/attendance", ADMIN_ONLY, {}),
    "lms.attendance.bulk": Route("POST", "/admin/sessions/{session}/attendance/bulk", ADMIN_ONLY,
                                       {"status": "present", "scope": "unrecorded"}),
    "lms.attendance.group_present": Route("POST", "/admin/sessions/{session}/attendance/group", ADMIN_ONLY,
                                          {"group": ""}),
    "lms.attendance.upload_report": Route("POST", "/admin/sessions/{session}/attendance/import", ADMIN_ONLY, {}),
    "lms.attendance.import_preview": Route("GET", "/admin/sessions/{session}/attendance/imports/{attendance_import}",
                                           ADMIN_ONLY),
    "lms.attendance.save_import": Route("POST", "/admin/sessions/{session}/attendance/imports/{attendance_import}",
                                        ADMIN_ONLY, {"file_timezone": "UTC"}),
    "lms.attendance.undo_form": Route("GET", "/admin/sessions/{session}/attendance/imports/{attendance_import}/undo",
                                      ADMIN_ONLY),
    "lms.attendance.undo_import": Route(
        "POST", "/admin/sessions/{session}/attendance/imports/{attendance_import}/undo", ADMIN_ONLY),
    "lms.certificates.academy": Route("GET", "/admin/academies/{academy}/certificates", ADMIN_ONLY),
    "lms.certificates.zip": Route("GET", "/admin/academies/{academy}/certificates.zip", ADMIN_ONLY),
    "lms.certificates.issue_all": Route("POST", "/admin/academies/{academy}/certificates/issue",
                                              ADMIN_ONLY),
    "lms.certificates.issue": Route("POST", "/admin/academies/{academy}/certificates/issue/{learner}",
                                         ADMIN_ONLY),
    "lms.certificates.grant_exception": Route("POST", "/admin/academies/{academy}/certificates/exception/{learner}",
                                       ADMIN_ONLY, {"reason": ""}),
    "lms.certificates.withdraw_exception": Route(
        "POST", "/admin/academies/{academy}/certificates/exception/{learner}/withdraw", ADMIN_ONLY),
    "lms.certificates.revoke": Route("POST", "/admin/certificates/{certificate}/revoke", ADMIN_ONLY,
                                          {"reason": ""}),
    "lms.certificates.reissue": Route("POST", "/admin/certificates/{certificate}/reissue", ADMIN_ONLY,
                                           {"name_as_printed": ""}),
    "lms.certificates.pdf": Route("GET", "/admin/certificates/{certificate}.pdf", ADMIN_ONLY),
    "lms.certificates.batch": Route("GET", "/admin/academies/{academy}/certificates/batch.pdf?group=x", ADMIN_ONLY),
    "lms.paper.index": Route("GET", "/facilitate/academies/{academy}/paper", FACILITATORS),
    "lms.paper.reading_pack": Route("POST", "/facilitate/academies/{academy}/reading-pack.pdf", FACILITATORS,
                                    {"paper": "a5"}),
    "lms.paper.transcribe": Route("POST", "/facilitate/academies/{academy}/transcriptions", FACILITATORS, {}),
    "lms.paper.scan": Route("GET", "/facilitate/transcriptions/{transcription}/scan", FACILITATORS),
    "lms.paper.feedback_pdf": Route("GET", "/facilitate/reflections/{reflection}/feedback.pdf", FACILITATORS),
    "lms.certificates.job": Route("GET", "/admin/academies/{academy}/certificates/jobs/{certificate_job}", ADMIN_ONLY),
    "lms.certificates.job_progress": Route(
        "GET", "/admin/academies/{academy}/certificates/jobs/{certificate_job}.json", ADMIN_ONLY),
    # LTI: the platform's pages are public and refuse a bad request plainly (400); a course's set-up only for
    # the instructor whose launch led there (tests/lti), so a 404 for everyone else.
    "lms.lti.login": Route("GET", "/lti/login", PUBLIC),
    "lms.lti.launch": Route("POST", "/lti/launch", PUBLIC, {}),
    "lms.lti.jwks": Route("GET", "/lti/jwks", PUBLIC),
    "lms.lti.setup_context": Route("GET", "/lti/contexts/{lti_context}/setup",
                                   {**dict.fromkeys(PERSONAS, 404), "anonymous": LOGIN}),
    "lms.lti.deep_link": Route("GET", "/lti/deep-link", {**dict.fromkeys(PERSONAS, 404), "anonymous": LOGIN}),
    "lms.lti.roster": Route("GET", "/facilitate/lti/contexts/{lti_context}/roster", FACILITATORS),
    "lms.lti.new_registration_link": Route("POST", "/admin/lti/registration-links", ADMIN_ONLY),
    "lms.lti.dynamic_registration": Route("GET", "/lti/register/not-a-real-key", dict.fromkeys(PERSONAS, OK)),
    "lms.lti.platforms": Route("GET", "/admin/lti", ADMIN_ONLY),
    "lms.lti.platform": Route("GET", "/admin/lti/platforms/{lti_platform}", ADMIN_ONLY),
    "lms.lti.set_enabled": Route("POST", "/admin/lti/platforms/{lti_platform}/enabled", ADMIN_ONLY,
                                 {"enabled": "yes"}),
}


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, f"add these routes to the authorization table: {missing}"
    assert not sorted(set(ROUTES) - endpoints), "the table names routes that no longer exist"


def _academy_objects(title, learner, facilitator):
    academy = make_academy(title)
    enrol(learner, academy)
    enrol(facilitator, academy, role="facilitator")
    reading = make_reading(academy)
    spare_reading = make_reading(academy, "Spare")
    reflection = Reflection(user_id=learner.id, reading_id=reading.id, body="Private words", status="submitted",
                            version_count=1, submitted_at=utcnow())
    reflection.versions = [ReflectionVersion(number=1, body="Private words", submitted_at=utcnow())]
    pdf = b"%PDF-1.4 test certificate"
    certificate = Certificate(
        academy_id=academy.id, user_id=learner.id, number=f"LA-{academy.id}-0001",
        verification_code=hashlib.sha256(title.encode()).hexdigest()[:32].upper(),
        name_as_printed=learner.full_name, academy_title=title, session_dates="1 and 2 May 2025",
        pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    mail = OutgoingMail(dedupe_key=f"test:{title}", kind="test", to_address=learner.email, subject="s",
                        body="b", status="failed")
    db.session.add_all([reflection, certificate, mail])
    extra = make_academy(f"{title} spare")  # its session can be deleted without changing the academy
    report = f"Name,User Email,Join Time,Leave Time\n{learner.full_name},{learner.email},2025-05-02 10:00,2025-05-02 11:30\n"
    attendance_import = AttendanceImport(  # a report waiting to be saved (lms/attendance/importing.py)
        live_session_id=academy.live_sessions[0].id, state="previewed", file_sha256="0" * 64, file_timezone="UTC",
        file_data=report.encode(), platform="zoom", filename="report.csv",
    )
    db.session.add(attendance_import)
    db.session.flush()
    scan = b"\x89PNG\r\n\x1a\n a scanned page"
    transcription = Transcription(reflection_id=reflection.id, reflection_version=1, transcribed_by_id=facilitator.id,
                                  scan=scan, scan_type="image/png", scan_sha256=hashlib.sha256(scan).hexdigest())
    db.session.add(transcription)
    job = CertificateJob(academy_id=academy.id, state="finished", total=0)  # an "issue to all" that is done
    db.session.add(job)
    lti_platform = LtiPlatform(issuer=f"https://{title.replace(' ', '-')}.example", client_id="c",
                               deployment_ids="d", auth_url="https://p.example/auth",
                               token_url="https://p.example/token", keyset_url="https://p.example/jwks")
    db.session.add(lti_platform)
    db.session.flush()
    lti_context = LtiContext(platform_id=lti_platform.id, context_id="course", academy_id=academy.id)
    db.session.add(lti_context)
    db.session.commit()
    return {
        "transcription": transcription.id,
        "academy": academy.id, "reading": reading.id, "spare_reading": spare_reading.id,
        "session": academy.live_sessions[0].id, "spare_session": extra.live_sessions[1].id,
        "reflection": reflection.id, "certificate": certificate.id,
        "certificate_code": certificate.verification_code, "learner": learner.id, "mail": mail.id,
        "attendance_import": attendance_import.id, "certificate_job": job.id,
        "lti_platform": lti_platform.id, "lti_context": lti_context.id,
    }


@pytest.fixture
def world():
    people = {
        "learner": make_user("Learner A"),
        "other_learner": make_user("Learner B"),
        "facilitator": make_user("Facilitator A"),
        "other_facilitator": make_user("Facilitator B"),
        "admin": make_user("Admin", is_admin=True),
    }
    a = _academy_objects("Academy A", people["learner"], people["facilitator"])
    b = _academy_objects("Academy B", people["other_learner"], people["other_facilitator"])
    return people, a, b


def _outcome(response):
    if response.status_code == 302 and "/auth/login" in response.headers.get("Location", ""):
        return LOGIN
    if response.status_code in (401, 403, 404, 410):
        return response.status_code
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return OK


def _visit(browser, route, objects):
    url = route.url.format(**objects)
    if route.method == "GET":
        return browser.get(url)
    return browser.post(url, dict(route.data or {}))


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_table_says(make_browser, world, persona):
    people, objects_a, _ = world
    failures = []
    for endpoint, route in ROUTES.items():
        if route.method == "POST" and endpoint == "lms.accounts.logout":
            continue  # signing out here would end the persona's session for the rest of the walk
        browser = make_browser()
        if persona != "anonymous":
            browser.login(people[persona])
        got = _outcome(_visit(browser, route, objects_a))
        if got != route.expect[persona]:
            failures.append(f"{endpoint}: {persona} got {got}, table says {route.expect[persona]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("persona", ["learner", "facilitator"])
def test_ids_from_another_academy_are_refused_on_every_route_that_takes_one(make_browser, world, persona):
    """Academy A's learner and facilitator try every id of academy B: nothing of B is theirs."""
    people, _, objects_b = world
    browser = make_browser()
    browser.login(people[persona])
    failures = []
    for endpoint, route in ROUTES.items():
        if "{" not in route.url or endpoint == "lms.certificates.verify":
            continue  # the verification page is public by design, whatever the code
        got = _outcome(_visit(browser, route, objects_b))
        if got not in (403, 404):
            failures.append(f"{endpoint}: {persona} of academy A got {got} with academy B's ids")
    assert not failures, "\n".join(failures)


# --- the same table in a host app that says who is signed in -------------------------------------

# The LMS's own sign-in pages and one-time links lead to the front door there: the host signs people in.
HOST_SIGNS_IN = {"lms.accounts.login", "lms.accounts.logout", "lms.accounts.request_reset", "lms.accounts.invitation",
                 "lms.accounts.reset_password"}


@pytest.fixture
def hosted(app):
    """The LMS at the root of a host app with its own notion of who is signed in (no LoginManager)."""
    from flask import Flask

    from lms import LMS, HostPerson

    signed_in = {"person": None}
    host = Flask("host_site", static_folder=None)  # at the root, the LMS's /static is the only one
    # Form tokens are tested elsewhere (also in a host: tests/test_mount.py); this walk is about the guards.
    host.config.update(SECRET_KEY="host-secret", LMS_DATA_KEY=app.config["LMS_DATA_KEY"],
                       SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       TESTING=True, WTF_CSRF_ENABLED=False)
    LMS(host, identity=lambda: signed_in["person"])

    def sign_in(user):
        signed_in["person"] = None if user is None else HostPerson(f"host-{user.id}", user.email, user.full_name)

    host.sign_in = sign_in
    yield host
    with host.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("persona", PERSONAS)
def test_in_a_host_app_each_persona_gets_what_the_table_says(hosted, world, persona):
    people, objects_a, _ = world
    hosted.sign_in(people.get(persona))
    failures = []
    for endpoint, route in ROUTES.items():
        expected = route.expect[persona]
        if endpoint in HOST_SIGNS_IN:
            expected = OK  # a redirect to the front door
        elif expected == LOGIN:
            expected = 401  # the host has no sign-in page the LMS could send anyone to
        got = _outcome(_visit(Browser(hosted.test_client()), route, objects_a))
        if got != expected:
            failures.append(f"{endpoint}: {persona} got {got}, expected {expected}")
    assert not failures, "\n".join(failures)
