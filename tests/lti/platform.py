"""A learning platform for the tests: lti1p3platform (an independent LTI 1.3 platform implementation) with its
key set served over HTTP on loopback, driving the tool through the Flask test client like a browser would."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = [MEMBERSHIP + "Learner"]
INSTRUCTOR = [MEMBERSHIP + "Instructor"]
ADMINISTRATOR = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
                 MEMBERSHIP + "Administrator"]
TOOL = "http://localhost"
AGS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def new_private_key() -> str:
    return JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs):
        self.registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs):
        return self.registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def get_preflight_response(self):
        return self._request

    def render_launch_form(self, launch_data, **kwargs):
        return launch_data


class Platform:
    """One platform: its issuer, client id, deployment, signing key; its JWKS at keyset_url (loopback HTTP)."""

    def __init__(self, issuer="https://moodle.example.org", client_id="lms-tool", deployment_id="deploy-1",
                 tool=TOOL):
        self.tool = tool  # where the tool answers (the test client's host, http or https)
        self.issuer, self.client_id, self.deployment_id = issuer, client_id, deployment_id
        self.private_key = new_private_key()
        self.published_keys = [self.private_key]  # what its key set shows
        self.keyset_requests = 0
        self.membership_requests = 0
        self.members = []  # what its Names and Role Provisioning service answers
        self.tool_key_set = None
        self.line_items = {}  # its course's gradebook columns, by id
        self.scores = []  # every score the tool posted, with its column's label
        self.ags_down = False
        self.tool_registration = None  # what the tool sent to its registration endpoint  # the tool's public key set, as read from the tool
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, payload, content_type="application/json"):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _allowed(self, scope):
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    return platform.config().validate_token(token, allowed_scopes=[scope])
                except Exception:  # noqa: BLE001  (any bad token: refused, as a platform does)
                    return False

            def do_GET(self):  # noqa: N802
                if self.path == "/openid-configuration":
                    return self._send(200, {
                        "issuer": platform.base, "authorization_endpoint": platform.auth_url,
                        "token_endpoint": platform.token_url, "jwks_uri": platform.keyset_url,
                        "registration_endpoint": f"{platform.base}/register",
                        "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "moodle"},
                    })
                if self.path.startswith("/lineitems"):
                    if not self._allowed(AGS_SCOPE):
                        return self._send(401, {"error": "unauthorized"})
                    return self._send(200, list(platform.line_items.values()),
                                      "application/vnd.ims.lis.v2.lineitemcontainer+json")
                if self.path.startswith("/memberships"):
                    if not self._allowed(NRPS_SCOPE):
                        return self._send(401, {"error": "unauthorized"})
                    platform.membership_requests += 1
                    return self._send(200, {"id": self.path, "context": {"id": "course-1"},
                                            "members": platform.members},
                                      "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
                platform.keyset_requests += 1
                self._send(200, {"keys": [Registration.get_jwk(key) for key in platform.published_keys]})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                if self.path == "/register":
                    if self.headers.get("Authorization") != "Bearer reg-token":
                        return self._send(401, {"error": "no"})
                    platform.tool_registration = json.loads(raw)
                    tool = platform.tool_registration["https://purl.imsglobal.org/spec/lti-tool-configuration"]
                    return self._send(200, {**platform.tool_registration, "client_id": "dyn-client",
                                            "https://purl.imsglobal.org/spec/lti-tool-configuration":
                                                {**tool, "deployment_id": "dyn-deploy"}})
                if self.path.startswith("/lineitems"):
                    if platform.ags_down or not self._allowed(AGS_SCOPE):
                        return self._send(503 if platform.ags_down else 401, {"error": "no"})
                    body = json.loads(raw)
                    if self.path == "/lineitems":
                        item = {**body, "id": f"{platform.base}/lineitems/{len(platform.line_items) + 1}"}
                        platform.line_items[item["id"]] = item
                        return self._send(201, item, "application/vnd.ims.lis.v2.lineitem+json")
                    line_item_id = f"{platform.base}{self.path.removesuffix('/scores')}"
                    platform.scores.append({**body, "lineitem": platform.line_items[line_item_id]["label"]})
                    return self._send(200, {})
                form = dict(parse_qsl(raw))
                try:
                    self._send(200, platform.config().get_access_token(form))
                except Exception as error:  # noqa: BLE001
                    self._send(400, {"error": type(error).__name__})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.keyset_url = f"{self.base}/jwks"
        self.auth_url = f"{self.base}/auth"
        self.token_url = f"{self.base}/token"
        self.deep_link_return_url = f"{self.base}/deep-link-return"
        self.memberships_url = f"{self.base}/memberships"
        self.lineitems_url = f"{self.base}/lineitems"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def config(self):
        registration = self._registration()
        registration.set_tool_key_set(self.tool_key_set)
        config = _Config(registration=registration)
        config.get_registration()
        return config

    def read_deep_link_answer(self, browser, token):
        """What the platform makes of the tool's deep-linking answer: its content items, checked against the
        tool's published key set."""
        registration = self._registration()
        registration.set_tool_key_set(browser.get(f"{self.tool}/lti/jwks").get_json())
        config = _Config(registration=registration)
        config.get_registration()
        return config.validate_deeplinking_resp({"JWT": token})

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def cli_args(self) -> list[str]:
        return ["lms", "lti", "register-platform", "--issuer", self.issuer, "--client-id", self.client_id,
                "--deployment-id", self.deployment_id, "--auth-url", self.auth_url, "--token-url", self.token_url,
                "--keyset-url", self.keyset_url]

    def _registration(self, client_id=None, signing_key=None) -> Registration:
        registration = Registration()
        registration.set_iss(self.issuer).set_client_id(client_id or self.client_id)
        registration.set_deployment_id(self.deployment_id)
        registration.set_oidc_login_url(f"{self.tool}/lti/login").set_launch_url(f"{self.tool}/lti/launch")
        registration.set_platform_private_key(signing_key or self.private_key)
        registration.set_platform_public_key(
            JWK.from_pem((signing_key or self.private_key).encode()).export_to_pem().decode())
        registration.set_tool_key_set_url(f"{self.tool}/lti/jwks")
        registration.set_deeplink_launch_url(f"{self.tool}/lti/launch")
        return registration

    def login(self, browser, user_id="u-1", client_id=None):
        """Start the OIDC login at the tool (as the platform's page does); the tool's answer."""
        config = _Config(registration=self._registration(client_id))
        login = _Login(None, config)
        login.set_lti_message_hint(hint="resource-1")
        url = login.initiate_login(user_id)
        return browser.get(url)

    def launch(self, browser, *, sub="u-1", roles=LEARNER, name="Ada Learner", email="ada@example.org",
               context_id="course-1", context_title="Peer Mentoring 101", resource_link_id="link-1",
               extra_claims=None, custom=None, expires_in=300, signing_key=None, client_id=None, replay=None,
               deep_link=False):
        """Log in at the tool, then post the launch the platform signs; the tool's answer and what was posted."""
        if replay is not None:
            return browser.client.post(f"{self.tool}/lti/launch", data=replay), replay
        answer = self.login(browser, sub, client_id)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        location = urlsplit(answer.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.auth_url
        preflight = dict(parse_qsl(location.query))
        config = _Config(registration=self._registration(client_id, signing_key))
        message = _Launch(preflight, config)
        message.set_user_data(sub, roles, full_name=name, email_address=email)
        message.set_launch_context_claim(context_id, context_title=context_title)
        message.set_resource_link_claim(resource_link_id)
        if custom:
            message.set_custom_parameters_claim(custom)
        if extra_claims:
            message.set_extra_claims(extra_claims)
        message.set_id_token_expiration(expires_in)
        message.set_nrps(self.memberships_url)
        message.set_ags(self.lineitems_url)
        if deep_link:
            message.set_dl(self.deep_link_return_url, title="Place it", extra_data={"course": context_id})
        form = message.lti_launch()
        assert form["launch_url"] == f"{self.tool}/lti/launch"
        data = {"id_token": form["id_token"], "state": form["state"]}
        return browser.client.post(f"{self.tool}/lti/launch", data=data), data
