"""No input gets an HTTP 500 (a security review found a dozen that did).

Two walks: every route in `url_map` that takes an id is asked for ids too large for the database; and every
form, query and link that a crawl of the site reaches (as each kind of person) is fed values that once broke
something: huge numbers, a 200 KB field, a zone name that is a folder (`America`), year-9999 dates, NUL,
reports with an endless duration. A new route or form is walked without being listed here.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing.converters import NumberConverter

from lms.certificates.models import Certificate
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.notifications.models import OutgoingMail
from lms.reflections.models import Reflection, ReflectionVersion
from tests.factories import attend, enrol, make_academy, make_reading, make_user
from tests.helpers import SAMPLES

# Past PostgreSQL's INTEGER, past SQLite's 64 bits, and past the 4,300 digits Python turns into an int.
HUGE_IDS = ("2147483648", "9223372036854775808", "9" * 40, "9" * 5000)
HOSTILE_VALUES = (
    *HUGE_IDS, "-1", "1e400", "", "America", "../../etc/passwd", "9999-12-31T23:59", "0001-01-01T00:00",
    "x" * 200_000, "\x00", "ä" * 300,
)
ZOOM_HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
HOSTILE_FILES = {
    # csv's own limit is 128 KB a field; the roster and the report readers must say so, not crash.
    "a 200 KB field": b'full_name,email\n"' + b"x" * 200_000 + b'",a@example.org\n',
    "an endless duration": (ZOOM_HEADER + "Wei Ling Tan,wei@example.org,04/17/2025 09:51 AM,,"
                            + "9" * 30 + ",No\n").encode(),
    "an endless duration in hours": (ZOOM_HEADER + "Wei Ling Tan,wei@example.org,04/17/2025 09:51 AM,,"
                                     + "9" * 30 + "h,No\n").encode(),
    "year 9999": (ZOOM_HEADER + "Wei Ling Tan,wei@example.org,12/31/9999 11:59 PM,12/31/9999 11:59 PM,1,No\n").encode(),
    "year 1": (ZOOM_HEADER + "Wei Ling Tan,wei@example.org,01/01/0001 00:01 AM,01/01/0001 00:02 AM,1,No\n").encode(),
    "the Zoom sample": (SAMPLES / "zoom-participants-session-one.csv").read_bytes(),
    "the roster sample": (SAMPLES / "roster.csv").read_bytes(),
}
SKIPPED_LINKS = ("/static/",)


# --- reading pages ---------------------------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """The links and forms of a page, each form with the values a browser would send by default."""

    def __init__(self, path: str):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = Form(attrs.get("action") or self.path, (attrs.get("method") or "get").upper())
            self.forms.append(self._form)
        elif tag == "option" and self._form is not None and self._select:
            if "selected" in attrs or self._select not in self._form.fields:
                self._form.fields[self._select] = attrs.get("value", "")
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind == "file":
                self._form.files.append(attrs["name"])
            elif kind not in ("checkbox", "radio") or "checked" in attrs:
                self._form.fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "button":
            self._form.fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form.fields.setdefault(self._textarea, "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_page(response, path: str) -> PageParser:
    parser = PageParser(path)
    if response.mimetype == "text/html":
        parser.feed(response.get_data(as_text=True))
    return parser


# --- the site ---------------------------------------------------------------------------------

@pytest.fixture
def people():
    """A live academy with everything a page can show: readings, a reflection, attendance, a certificate, mail."""
    academy = make_academy()
    first, second = make_reading(academy), make_reading(academy, "Boundaries and care", min_words=5)
    learner, other = make_user("Wei Ling Tan"), make_user("Marcus Boudreaux")
    facilitator, admin = make_user("Dana Whitfield"), make_user("Ada Admin", is_admin=True)
    for person in (learner, other):
        enrol(person, academy, group="North")
    enrol(facilitator, academy, role="facilitator", group="North")
    attend(learner, academy)
    reflection = Reflection(user_id=learner.id, reading_id=first.id, body="Private words", status="submitted",
                            version_count=1, submitted_at=utcnow())
    reflection.versions = [ReflectionVersion(number=1, body="Private words", submitted_at=utcnow())]
    document = b"%PDF-1.4 test certificate"
    certificate = Certificate(
        academy_id=academy.id, user_id=learner.id, number=f"LA-{academy.id}-0001", verification_code="A" * 32,
        name_as_printed=learner.full_name, academy_title=academy.title, session_dates="1 and 2 May 2025",
        pdf=document, pdf_sha256=hashlib.sha256(document).hexdigest(),
    )
    failed = OutgoingMail(dedupe_key="test:failed", kind="test", to_address=learner.email, subject="s", body="b",
                          status="failed")
    db.session.add_all([reflection, certificate, failed])
    db.session.commit()
    del second
    return {"anonymous": None, "learner": learner, "facilitator": facilitator, "admin": admin}


def _browser(make_browser, user):
    browser = make_browser()
    if user is not None:
        assert browser.login(user).status_code == 302
    return browser


def _request(browser, method, url, data=None, files=None):
    """One request; an exception (a 500 in production) comes back as a failure, with what caused it."""
    try:
        if method == "GET":
            response = browser.get(url)
        elif files:
            body = {**(data or {}), **{name: (io.BytesIO(content), "upload.csv") for name, content in files.items()}}
            response = browser.post(url, body, content_type="multipart/form-data")
        else:
            response = browser.post(url, dict(data or {}))
        response.get_data()  # a streamed download (CSV) is read to its end, as a browser would
        response.close()
    except Exception as error:  # noqa: BLE001 (any exception is what the walk looks for)
        return None, f"{type(error).__name__}: {str(error)[:200]}"
    return response, None


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 40 else f"{text[:20]}…({len(value)} chars)"


def crawl(browser, start: str, limit: int = 120) -> tuple[list[str], list[Form], list[str]]:
    """Every same-site page reachable from `start` by links; the forms and the failures met on the way."""
    seen, queue, forms, failures = set(), [start], [], []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response, crashed = _request(browser, "GET", url)
        if crashed or response.status_code >= 500:
            failures.append(f"GET {url}: {crashed or response.status_code}")
            continue
        page = read_page(response, urlsplit(url).path)
        forms.extend(page.forms)
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or link.startswith(SKIPPED_LINKS):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return sorted(seen), forms, failures


def _endpoint(app, method: str, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method=method)
    except HTTPException:
        return None
    return endpoint


# --- walk 1: ids too large for the database ----------------------------------------------------

ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _is_number(app, rule, name) -> bool:
    return isinstance(rule._converters[name], NumberConverter)  # the id converters are number converters


def _urls_with(app, rule, value: str) -> str:
    def fill(match):
        return value if _is_number(app, rule, match.group(2)) else "x" * 300

    return ARGUMENT.sub(fill, rule.rule)


@pytest.mark.parametrize("persona", ["admin", "learner"])
def test_ids_too_large_for_the_database_get_404_on_every_route_that_takes_one(app, make_browser, people, persona):
    browser = _browser(make_browser, people[persona])
    failures = []
    for rule in app.url_map.iter_rules():
        ids = [name for name in rule.arguments if _is_number(app, rule, name)]
        if not ids:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in HUGE_IDS:
                url = _urls_with(app, rule, value)
                response, crashed = _request(browser, method, url)
                status = response.status_code if response is not None else crashed
                # An admin may open every page, so only "no such thing" is right; a learner may be refused first.
                allowed = (404,) if persona == "admin" else (403, 404)
                if crashed or status not in allowed:
                    failures.append(f"{method} {rule.rule} with {_short(value)}: {status}")
    assert not failures, "\n".join(failures)


# --- walk 2: every form, query and link the crawl reaches --------------------------------------

def _variants(form: Form):
    """(field data, files, what changed): each field in turn given each hostile value, the rest as sent."""
    for name in form.fields:
        if name == "csrf_token":
            continue
        for value in HOSTILE_VALUES:
            yield {**form.fields, name: value}, {}, f"{name}={_short(value)}"
        if re.search(r"\d+", name):  # an id in a field's name: status-17, decision-3
            for value in HUGE_IDS:
                renamed = re.sub(r"\d+", value, name, count=1)
                yield {**{k: v for k, v in form.fields.items() if k != name}, renamed: form.fields[name]}, {}, \
                    f"{_short(renamed)} (renamed)"
    for name in form.files:
        for label, content in HOSTILE_FILES.items():
            yield dict(form.fields), {name: content}, f"{name}: {label}"


def _query_variants(url: str):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name in query:
        for value in HOSTILE_VALUES:
            if len(value) < 10_000:  # an address, not a form: long values are refused by the server as 414
                yield f"{parts.path}?{urlencode({**query, name: value})}", f"?{name}={_short(value)}"


@pytest.mark.parametrize("persona", ["anonymous", "learner", "facilitator", "admin"])
def test_no_form_query_or_link_answers_500_whatever_it_is_sent(app, make_browser, people, persona):
    browser = _browser(make_browser, people[persona])
    start = {"anonymous": "/auth/login", "learner": "/learn/", "facilitator": "/facilitate/", "admin": "/admin/"}
    pages, forms, failures = crawl(browser, start[persona])
    assert len(pages) > (1 if persona == "anonymous" else 3), pages  # the crawl found the site

    walked = set()
    for form in forms:  # grows: a form on a page that a POST answers with (an import's preview) is walked too
        path = urlsplit(form.action).path
        endpoint = _endpoint(app, form.method, path)
        if endpoint in walked or endpoint == "lms.accounts.logout":
            continue  # one form of each kind; signing out would end the walk
        walked.add(endpoint)
        for data, files, changed in _variants(form):
            if form.method == "GET":
                response, crashed = _request(browser, "GET", f"{path}?{urlencode(data)}")
            else:
                response, crashed = _request(browser, "POST", form.action, {**data, "csrf_token": browser.token()},
                                             files)
            if crashed or response.status_code >= 500:
                failures.append(f"{form.method} {form.action} with {changed}: {crashed or response.status_code}")
            elif form.method == "POST" and response.status_code == 200:
                forms.extend(read_page(response, path).forms)
    for url in [page for page in pages if "?" in page]:
        for variant, changed in _query_variants(url):
            response, crashed = _request(browser, "GET", variant)
            if crashed or response.status_code >= 500:
                failures.append(f"GET {urlsplit(url).path} with {changed}: {crashed or response.status_code}")
    assert walked, "the crawl found no form"
    assert not failures, "\n".join(failures)


# --- the cases the review found, one by one -------------------------------------------------------

TOO_LARGE = "9" * 30


def test_the_pages_the_review_named_answer_404_for_an_id_too_large(make_browser, people):
    learner = _browser(make_browser, people["learner"])
    for url in (f"/learn/readings/{TOO_LARGE}", f"/learn/sessions/{TOO_LARGE}.ics",
                f"/learn/certificates/{TOO_LARGE}.pdf", "/learn/readings/2147483648"):
        assert learner.get(url).status_code == 404, url
    admin = _browser(make_browser, people["admin"])
    for url in (f"/admin/certificates/{TOO_LARGE}.pdf", f"/facilitate/reflections/{TOO_LARGE}",
                f"/admin/academies/{TOO_LARGE}"):
        assert admin.get(url).status_code == 404, url
    assert admin.post(f"/facilitate/reflections/{TOO_LARGE}", {"body": "x"}).status_code == 404


def test_a_reading_filter_too_large_shows_the_queue_unfiltered(make_browser, people):
    facilitator = _browser(make_browser, people["facilitator"])
    academy_id = people["facilitator"].enrolments[0].academy_id
    for value in (TOO_LARGE, "9" * 5000, "-3", "²"):
        response = facilitator.get(f"/facilitate/academies/{academy_id}/reviews?reading={value}&state=all")
        assert response.status_code == 200, value
        assert "Wei Ling Tan" in response.get_data(as_text=True)


def test_a_carried_reflection_for_a_reading_that_cannot_exist_is_given_back_to_copy(browser, people):
    response = browser.post("/auth/login", {"email": people["learner"].email, "password": "correct horse battery",
                                            "carry_reading": TOO_LARGE, "carry_body": "What I wrote before"})
    assert response.status_code == 200
    assert "What I wrote before" in response.get_data(as_text=True)
    assert "could not be saved" in response.get_data(as_text=True)
    assert browser.get("/learn/").status_code == 200  # and the person is signed in


def _upload(browser, url, name, content, **fields):
    return browser.post(url, {**fields, name: (io.BytesIO(content), "upload.csv")}, content_type="multipart/form-data")


def test_a_roster_cell_over_128_kb_is_refused_with_its_line(make_browser, people):
    admin = _browser(make_browser, people["admin"])
    academy_id = people["learner"].enrolments[0].academy_id
    response = _upload(admin, f"/admin/academies/{academy_id}/people/import", "roster", HOSTILE_FILES["a 200 KB field"])
    assert response.status_code == 400
    assert "Row 2" in response.get_data(as_text=True) and "cannot be read as CSV" in response.get_data(as_text=True)


@pytest.mark.parametrize("report", ["an endless duration", "an endless duration in hours", "year 9999"])
def test_a_report_with_an_impossible_duration_or_date_is_refused_with_its_line(make_browser, people, report):
    admin = _browser(make_browser, people["admin"])
    session_id = people["learner"].enrolments[0].academy.live_sessions[0].id
    response = _upload(admin, f"/admin/sessions/{session_id}/attendance/import", "report", HOSTILE_FILES[report],
                       file_timezone="America/New_York")
    assert response.status_code == 400
    assert "Line 2" in response.get_data(as_text=True)


def test_a_zone_name_that_is_a_folder_is_an_unknown_zone(make_browser, people):
    admin = _browser(make_browser, people["admin"])
    academy = people["learner"].enrolments[0].academy
    edit = f"/admin/academies/{academy.id}/edit"
    page = read_page(admin.get(edit), edit)
    (form,) = [form for form in page.forms if "reference_timezones" in form.fields]
    response = admin.post(form.action, {**form.fields, "reference_timezones": "America Europe/London"})
    assert response.status_code == 200
    # Typed as a place, "America" is the United States, which has several zones: a clear refusal, not a 500.
    assert "Reference time zones: United States has several time zones" in response.get_data(as_text=True)
    session_id = academy.live_sessions[0].id
    response = admin.post(f"/admin/sessions/{session_id}/attendance/import", {"file_timezone": "America"})
    assert response.status_code == 400
