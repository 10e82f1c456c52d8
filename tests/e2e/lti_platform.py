"""A browser-facing LTI 1.3 platform on loopback (lti1p3platform): course pages framing the tool, its OIDC
authorisation page, key set, token, line items, scores, memberships, deep linking and a gradebook page.

Like tests/lti/platform.py, but driven by a real browser: the course page's iframe starts the tool's login, the
tool sends the frame back to /auth, and /auth answers with a self-submitting form that posts the signed
id_token to the tool's launch address, as Moodle or Canvas do.
"""
from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = [MEMBERSHIP + "Learner"]
INSTRUCTOR = [MEMBERSHIP + "Instructor"]
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
# The message hint of a deep-linking launch (any other hint is a resource link id).
DEEP_LINKING = "deep-linking"


@dataclass(frozen=True)
class Person:
    """Someone the platform knows: `sub` is what the tool sees of them; roles are LTI membership roles; a
    person without `email` has none shared with the tool (no `email` claim, none in the member list)."""

    sub: str
    name: str
    email: str | None
    roles: tuple[str, ...]


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs):
        self.registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs):
        return self.registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return url  # the course page puts it in the iframe's src


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def get_preflight_response(self):
        return self._request

    def render_launch_form(self, launch_data, **kwargs):
        return launch_data


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            '<style>body{font-family:sans-serif;margin:1rem}iframe{width:100%;height:1100px;border:1px solid #888}'
            'td,th{border:1px solid #888;padding:.3rem .6rem;text-align:left}table{border-collapse:collapse}'
            f'</style></head><body>{body}</body></html>')


class BrowserPlatform:
    """One course on one platform (issuer = its own address), with the people the test gives it."""

    def __init__(self, tool: str, people: dict[str, Person], *, client_id="e2e-tool", deployment_id="deploy-1",
                 context_id="course-301", context_title="Peer Support 301", resource_link_id="link-academy",
                 host="127.0.0.1"):
        self.tool = tool  # the tool's origin, e.g. http://127.0.0.1:8123
        self.people = people  # login_hint -> person
        self.client_id, self.deployment_id = client_id, deployment_id
        self.context_id, self.context_title, self.resource_link_id = context_id, context_title, resource_link_id
        self.private_key = JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
        self._lock = threading.Condition()
        self.line_items: dict[str, dict] = {}  # the course's gradebook columns, by id
        self.scores: dict[tuple[str, str], dict] = {}  # (line item id, userId) -> the latest score posted
        self.service_requests: list[tuple[str, str, int]] = []  # (method, path, status) of the tool's calls
        # Resource links that deep linking placed in the course: link id -> the content item the tool sent.
        self.placed: dict[str, dict] = {}
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's hook name)
                platform._get(self)

            def do_POST(self):  # noqa: N802
                platform._post(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # `host` "localhost" makes the platform another site than the tool on 127.0.0.1 (ports do not count).
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.issuer = self.base
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # --- addresses ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base + path

    def course_url(self, who: str) -> str:
        return self.url(f"/course/{who}")

    def add_content_url(self, who: str) -> str:
        """The course's "add content" page: it frames a deep-linking launch for `who` (an instructor)."""
        return self.url(f"/course/{who}/add-content")

    def link_url(self, who: str, link_id: str) -> str:
        """The course page of a resource link deep linking placed: it frames that link's launch for `who`."""
        return self.url(f"/course/{who}/links/{link_id}")

    def embed_url(self, tool_path: str) -> str:
        """A platform page framing any page of the tool (for the check that framing needs a launch)."""
        return self.url("/embed?" + urlencode({"path": tool_path}))

    def cli_args(self) -> list[str]:
        """`flask lms lti register-platform ...` for this platform, as its admin would type it."""
        return ["lms", "lti", "register-platform", "--issuer", self.issuer, "--client-id", self.client_id,
                "--deployment-id", self.deployment_id, "--auth-url", self.url("/auth"),
                "--token-url", self.url("/token"), "--keyset-url", self.url("/jwks"),
                "--name", "E2E platform", "--trust-emails"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what the test waits for -------------------------------------------------------------

    def wait_for_scores(self, wanted: dict[tuple[str, str], tuple[float, float]], timeout: float) -> None:
        """Until the latest score of each (line item label, person's sub) is (given, maximum), or AssertionError
        saying what did arrive."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                latest = self._latest_scores()
                if all(latest.get(key) == value for key, value in wanted.items()):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"scores wanted within {timeout:.0f} s: {wanted}; the platform has "
                                         f"{self._latest_scores()}; the tool's calls: {self.service_requests}")
                self._lock.wait(left)

    def _latest_scores(self) -> dict[tuple[str, str], tuple[float, float]]:
        return {(self.line_items[item_id]["label"], sub): (score["scoreGiven"], score["scoreMaximum"])
                for (item_id, sub), score in self.scores.items()}

    # --- lti1p3platform --------------------------------------------------------------------------

    def _registration(self) -> Registration:
        registration = Registration()
        registration.set_iss(self.issuer).set_client_id(self.client_id).set_deployment_id(self.deployment_id)
        registration.set_oidc_login_url(f"{self.tool}/lti/login").set_launch_url(f"{self.tool}/lti/launch")
        registration.set_deeplink_launch_url(f"{self.tool}/lti/launch")
        registration.set_platform_private_key(self.private_key)
        registration.set_platform_public_key(JWK.from_pem(self.private_key.encode()).export_to_pem().decode())
        # The tool's client assertions (token requests) are checked against the key set it publishes.
        registration.set_tool_key_set_url(f"{self.tool}/lti/jwks")
        return registration

    def _config(self) -> _Config:
        config = _Config(registration=self._registration())
        config.get_registration()
        return config

    def login_initiation_url(self, who: str, hint: str | None = None) -> str:
        """The tool's login for `who`; the message hint comes back to /auth and says what to launch: a resource
        link id, or DEEP_LINKING for a deep-linking request."""
        login = _Login(None, self._config())
        login.set_lti_message_hint(hint=hint or self.resource_link_id)
        return login.initiate_login(who)  # login_hint=<who>

    def _launch_form(self, preflight: dict) -> dict:
        """The signed id_token for the person the login hint names, with the course's context, the link (or the
        deep-linking settings) the message hint names and the NRPS and AGS claims; lti1p3platform checks the
        tool's nonce, state, redirect URI and client id."""
        person = self.people[preflight["login_hint"]]
        hint = preflight.get("lti_message_hint") or self.resource_link_id
        message = _Launch(preflight, self._config())
        message.set_user_data(person.sub, list(person.roles), full_name=person.name, email_address=person.email)
        message.set_launch_context_claim(self.context_id, context_title=self.context_title)
        if hint == DEEP_LINKING:
            # An LtiDeepLinkingRequest: the tool sends its signed answer to this course's return address.
            message.set_dl(self.url("/deep-link-return"), title=f"Add to {self.context_title}")
        else:
            message.set_resource_link_claim(hint)
            custom = self.placed.get(hint, {}).get("custom")
            if custom:
                message.set_custom_parameters_claim(custom)  # as deep linking placed the link
        message.set_nrps(self.url("/memberships"))
        message.set_ags(self.url("/lineitems"))
        return message.lti_launch()

    def _deep_link_answer(self, token: str) -> list[dict]:
        """The content items of the tool's LtiDeepLinkingResponse, its signature checked against the tool's key
        set (/lti/jwks) by lti1p3platform; an exception if it does not check."""
        return self._config().validate_deeplinking_resp({"JWT": token})

    def _allowed(self, handler, scope: str) -> bool:
        token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            return self._config().validate_token(token, allowed_scopes=[scope])
        except Exception:  # noqa: BLE001 (any bad token is refused, as a platform does)
            return False

    # --- HTTP --------------------------------------------------------------------------------

    @staticmethod
    def _send(handler, status: int, body: str | dict | list, content_type: str | None = None) -> None:
        """An HTML page (a str) or a JSON answer (a dict or list, of `content_type` if given)."""
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type or (
            "text/html; charset=utf-8" if isinstance(body, str) else "application/json"))
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.wfile.write(data)

    def _get(self, handler) -> None:
        parts = urlsplit(handler.path)
        path, query = parts.path, dict(parse_qsl(parts.query))
        course_page = self._course_page(path)
        if course_page is not None:
            heading, who, hint = course_page
            return self._send(handler, 200, _page(heading, (
                f"<h1>{html.escape(heading)}</h1>"
                f"<p>Signed in to the platform as {html.escape(self.people[who].name)}.</p>"
                f'<iframe title="Learning Academy" src="{html.escape(self.login_initiation_url(who, hint))}">'
                "</iframe>")))
        if path == "/embed":
            src = self.tool + query.get("path", "/")
            return self._send(handler, 200, _page("A page of the tool", (
                "<h1>A page of the tool</h1>"
                f'<iframe title="Learning Academy" src="{html.escape(src)}"></iframe>')))
        if path == "/auth":
            return self._authorise(handler, query)
        if path == "/jwks":
            return self._send(handler, 200, {"keys": [Registration.get_jwk(self.private_key)]})
        if path == "/gradebook":
            return self._send(handler, 200, self._gradebook())
        if path == "/lineitems":
            return self._service(handler, "GET", LINEITEM_SCOPE, lambda: (
                200, list(self.line_items.values()), "application/vnd.ims.lis.v2.lineitemcontainer+json"))
        if path == "/memberships":
            members = [{"user_id": p.sub, "name": p.name, "roles": list(p.roles), "status": "Active",
                        **({"email": p.email} if p.email else {})} for p in self.people.values()]
            return self._service(handler, "GET", NRPS_SCOPE, lambda: (
                200, {"id": self.url(path), "context": {"id": self.context_id, "title": self.context_title},
                      "members": members}, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"))
        self._send(handler, 404, _page("Not found", "<h1>Not found</h1>"))

    def _course_page(self, path: str) -> tuple[str, str, str | None] | None:
        """(heading, who, message hint) of a course page that frames a launch: /course/<who> (the course's link),
        /course/<who>/add-content (deep linking), /course/<who>/links/<id> (a placed link); else None."""
        parts = path.split("/")[2:] if path.startswith("/course/") else []
        if not parts or parts[0] not in self.people:
            return None
        if len(parts) == 1:
            return self.context_title, parts[0], None
        if parts[1:] == ["add-content"]:
            return f"Add content to {self.context_title}", parts[0], DEEP_LINKING
        if len(parts) == 3 and parts[1] == "links" and parts[2] in self.placed:
            return self.placed[parts[2]].get("title", parts[2]), parts[0], parts[2]
        return None

    def _authorise(self, handler, query: dict) -> None:
        # A platform only sends the id_token back to the launch address registered for the tool.
        if query.get("redirect_uri") != f"{self.tool}/lti/launch" or query.get("login_hint") not in self.people:
            return self._send(handler, 400, _page("Refused", "<h1>Unknown tool or person</h1>"))
        form = self._launch_form(query)
        # Submitted by a script, as platforms do; the platform's own page is not under the tool's CSP.
        return self._send(handler, 200, _page("Opening the tool", (
            f'<form method="post" action="{html.escape(form["launch_url"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(form["id_token"])}">'
            f'<input type="hidden" name="state" value="{html.escape(form["state"])}">'
            '<noscript><button type="submit">Continue</button></noscript></form>'
            "<script>document.forms[0].submit();</script>")))

    def _post(self, handler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0))).decode()
        path = urlsplit(handler.path).path
        if path == "/token":
            try:
                token = self._config().get_access_token(dict(parse_qsl(raw)))
            except Exception as error:  # noqa: BLE001 (a refused client assertion is a 400, with its reason)
                with self._lock:
                    self.service_requests.append(("POST", path, 400))
                return self._send(handler, 400, {"error": "invalid_client", "detail": type(error).__name__})
            return self._send(handler, 200, token)
        if path == "/deep-link-return":
            return self._deep_link_return(handler, dict(parse_qsl(raw)).get("JWT", ""))
        if path == "/lineitems":
            return self._service(handler, "POST", LINEITEM_SCOPE, lambda: self._new_line_item(json.loads(raw)))
        if path.startswith("/lineitems/") and path.endswith("/scores"):
            return self._service(handler, "POST", SCORE_SCOPE,
                                 lambda: self._new_score(self.url(path.removesuffix("/scores")), json.loads(raw)))
        self._send(handler, 404, {"error": "not found"})

    def _deep_link_return(self, handler, token: str) -> None:
        """The tool's deep-linking answer, posted by the browser in the frame: checked, then each content item is
        placed in the course as a new resource link."""
        try:
            items = self._deep_link_answer(token)
        except Exception as error:  # noqa: BLE001 (an answer that does not check is refused, with its reason)
            return self._send(handler, 400, _page("Refused", f"<h1>Not added</h1><p>{html.escape(repr(error))}</p>"))
        with self._lock:
            for item in items:
                self.placed[f"placed-{len(self.placed) + 1}"] = item
            self._lock.notify_all()
        titles = ", ".join(str(item.get("title", "")) for item in items)
        return self._send(handler, 200, _page("Added", f"<h1>Added: {html.escape(titles)}</h1>"))

    def _service(self, handler, method: str, scope: str, answer) -> None:
        """An LTI Advantage service call: refused without a bearer token for `scope`; recorded either way."""
        with self._lock:
            status, body, content_type = answer() if self._allowed(handler, scope) else (
                401, {"error": "unauthorized"}, "application/json")
            self.service_requests.append((method, urlsplit(handler.path).path, status))
            self._lock.notify_all()
        self._send(handler, status, body, content_type)

    def _new_line_item(self, body: dict):
        item = {**body, "id": self.url(f"/lineitems/{len(self.line_items) + 1}")}
        self.line_items[item["id"]] = item
        return 201, item, "application/vnd.ims.lis.v2.lineitem+json"

    def _new_score(self, item_id: str, body: dict):
        if item_id not in self.line_items:
            return 404, {"error": "no such line item"}, "application/json"
        self.scores[(item_id, body["userId"])] = body
        return 200, {}, "application/json"

    def _gradebook(self) -> str:
        by_sub = {person.sub: person.name for person in self.people.values()}
        with self._lock:
            rows = [(self.line_items[item_id]["label"], by_sub.get(sub, sub), score)
                    for (item_id, sub), score in sorted(self.scores.items())]
        cells = "".join(
            f"<tr><td>{html.escape(label)}</td><td>{html.escape(name)}</td>"
            f"<td>{score['scoreGiven']:g} / {score['scoreMaximum']:g}</td></tr>" for label, name, score in rows)
        columns = "".join(f"<li>{html.escape(item['label'])}</li>" for item in self.line_items.values())
        return _page(f"Gradebook: {self.context_title}", (
            f"<h1>Gradebook: {html.escape(self.context_title)}</h1>"
            f"<h2>Columns the tool made</h2><ul>{columns or '<li>none yet</li>'}</ul>"
            "<table><caption>Latest score per person</caption>"
            '<thead><tr><th scope="col">Column</th><th scope="col">Person</th><th scope="col">Score</th></tr></thead>'
            f"<tbody>{cells or '<tr><td colspan=3>No scores yet</td></tr>'}</tbody></table>"))
