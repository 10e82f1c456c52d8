"""A thin adapter over pylti1p3: registrations from the database, nonce and state kept once in the database,
the platform's key set from our cache, and every refusal named so the person gets the right page."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import jwt
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti import keys
from lms.lti.models import LtiOneTimeValue, LtiPlatform

log = logging.getLogger(__name__)

# How long a platform has between our login redirect and its launch.
ONE_TIME_VALUE_LIFETIME = timedelta(minutes=10)


LOGIN_PARAMS = ("iss", "login_hint", "lti_message_hint", "client_id", "lti_deployment_id", "target_link_uri")


class LaunchRefused(Exception):
    """A login or launch the tool does not accept; `reason` picks the page (routes.REFUSAL_PAGES)."""

    def __init__(self, reason: str, platform: LtiPlatform | None = None, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.platform = platform
        self.detail = detail


def find_platform(issuer: str | None, client_id: str | None) -> LtiPlatform | None:
    if not issuer or not client_id:
        return None
    return db.session.scalars(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    ).first()


def _registration(platform: LtiPlatform) -> Registration:
    signing = keys.signing_key()
    registration = Registration()
    registration.set_issuer(platform.issuer).set_client_id(platform.client_id)
    registration.set_auth_login_url(platform.auth_url).set_auth_token_url(platform.token_url)
    registration.set_key_set_url(platform.keyset_url)
    registration.set_tool_private_key(signing.private_pem)
    # pylti1p3 names the signing key by the public key's thumbprint, as keys.public_jwks publishes it.
    registration.set_tool_public_key(JWK.from_pem(signing.private_pem.encode()).export_to_pem().decode())
    return registration


def deep_link_response_jwt(platform: LtiPlatform, deployment_id: str, settings: dict, items: list[dict]) -> str:
    """The signed LtiDeepLinkingResponse carrying the chosen items back to the platform."""
    resources = []
    for item in items:
        resource = DeepLinkResource().set_title(item["title"]).set_url(item["url"])
        if item.get("custom"):
            resource.set_custom_params(item["custom"])
        resources.append(resource)
    return DeepLink(_registration(platform), deployment_id, settings).get_response_jwt(resources)


class DatabaseToolConf(ToolConfAbstract):
    """Registrations are the enabled platforms in lms_lti_platforms (issuer + client id)."""

    def check_iss_has_one_client(self, iss):
        return False  # an issuer (a Canvas cloud, say) may have many client ids

    def check_iss_has_many_clients(self, iss):
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        raise NotImplementedError("every issuer may have many client ids")

    def find_deployment(self, iss, deployment_id):
        raise NotImplementedError("every issuer may have many client ids")

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        if platform is None:
            return None
        if not platform.enabled:
            raise LaunchRefused("disabled", platform)
        return _registration(platform)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_id_list:
            return None
        return Deployment().set_deployment_id(deployment_id)


class DatabaseSessionService(SessionService):
    """Nonce and state in the database, each spent once: a launch replayed, even with the same cookie, finds
    its nonce gone. The browser's part (the state cookie) still ties the launch to the browser that logged in."""

    def _save(self, kind: str, value: str, data: object = "") -> None:
        db.session.add(LtiOneTimeValue(kind=kind, value=f"{kind}:{value}", data=json.dumps(data),
                                       expires_at=utcnow() + ONE_TIME_VALUE_LIFETIME))

    def _take(self, kind: str, value: str) -> LtiOneTimeValue | None:
        found = db.session.scalars(
            select(LtiOneTimeValue).where(LtiOneTimeValue.value == f"{kind}:{value}")
        ).first()
        if found is None or found.expires_at <= utcnow():
            return None
        db.session.delete(found)
        db.session.flush()
        return found

    def save_nonce(self, nonce):
        self._save("nonce", nonce)

    def check_nonce(self, nonce):
        return self._take("nonce", nonce) is not None

    def save_state_params(self, state, params):
        self._save("state", state, params)

    def get_state_params(self, state):
        found = db.session.scalars(select(LtiOneTimeValue).where(LtiOneTimeValue.value == f"state:{state}")).first()
        return json.loads(found.data) if found else {}

    def set_state_valid(self, state, id_token_hash):
        pass  # the state cookie is the check; nothing is kept for restoring a launch later

    def check_state_is_valid(self, state, id_token_hash):
        return False

    def save_launch_data(self, key, jwt_body):
        pass  # the launch is turned into a signed-in session at once; nothing is kept to restore

    def get_launch_data(self, key):
        return None


def forget_spent_values() -> int:
    """Delete nonces and states past their lifetime (the periodic job calls this)."""
    result = db.session.execute(delete(LtiOneTimeValue).where(LtiOneTimeValue.expires_at <= utcnow()))
    return result.rowcount or 0


def login_redirect(launch_url: str):
    """Answer an OIDC login initiation (GET or POST): check the platform, then send the browser back to it."""
    request = FlaskRequest()
    config = DatabaseToolConf()
    login = FlaskOIDCLogin(request, config, session_service=DatabaseSessionService(request))
    issuer, client_id = request.get_param("iss"), request.get_param("client_id")
    if not issuer or not request.get_param("login_hint"):
        raise LaunchRefused("bad_login")
    platform = find_platform(issuer, client_id)
    if platform is None:
        raise LaunchRefused("unknown_platform")
    if not platform.enabled:
        raise LaunchRefused("disabled", platform)
    # Kept with the state: if the launch then finds the browser refused its cookie (in a frame), the same login
    # can be offered in a new window.
    params = {name: request.get_param(name) for name in LOGIN_PARAMS if request.get_param(name)}
    login.pass_params_to_launch({"login": params})
    try:
        return login.redirect(launch_url)
    except (LtiException, OIDCException) as error:
        raise LaunchRefused("bad_login", platform, str(error)) from error


class _Launch(FlaskMessageLaunch):
    """pylti1p3's launch, with each check named, and the platform's key set from our cache."""

    def get_public_key(self):
        platform = find_platform(self.get_iss(), self.get_client_id())
        kid = self._jwt.get("header", {}).get("kid")
        try:
            self._registration.set_key_set(keys.platform_key_set(platform, kid))
        except keys.KeySetUnavailable as error:
            raise LaunchRefused("keyset_unavailable", platform) from error
        return super().get_public_key()

    def validate(self):
        self._validated = True
        steps = (
            (self.validate_state, "state"),
            (self.validate_jwt_format, "bad_token"),
            (self.validate_nonce, "nonce"),
            (self.validate_registration, "unknown_platform"),
            (self.validate_jwt_signature, "signature"),
            (self.validate_deployment, "deployment"),
            (self.validate_message, "bad_message"),
        )
        for step, reason in steps:
            try:
                step()
            except LaunchRefused:
                raise
            except (LtiException, KeyError, TypeError, ValueError) as error:
                detail = str(error)
                if reason == "signature" and ("expired" in detail.lower()):
                    reason = "expired"
                elif reason == "signature" and "Unable to find public key" in detail:
                    reason = "unknown_key"
                raise LaunchRefused(reason, detail=detail) from error
        return self


def _audience(body: dict) -> str | None:
    aud = body.get("aud")
    if isinstance(aud, list):
        return aud[0] if len(aud) == 1 and isinstance(aud[0], str) else None
    return aud if isinstance(aud, str) else None


def _unchecked_body(token: str | None) -> dict:
    try:
        body = jwt.decode(token or "", options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return body if isinstance(body, dict) else {}


def validated_launch() -> tuple[dict, LtiPlatform]:
    """The launch's claims after every check pylti1p3 and the LMS make; LaunchRefused otherwise."""
    request = FlaskRequest()
    launch = _Launch(request, DatabaseToolConf(), session_service=DatabaseSessionService(request))
    if not request.get_param("id_token"):
        raise LaunchRefused("bad_token")
    try:
        launch.validate()
    except LaunchRefused as error:
        if error.platform is None:
            # For the admin's launches page and the frame the refusal shows in: the platform the token names.
            # Read unchecked when the refusal came before the signature was (a lost state cookie, the usual case
            # inside a frame): it only lets that registered platform's page frame the refusal and its
            # "open in a new window" link.
            body = launch._jwt.get("body") or _unchecked_body(request.get_param("id_token"))
            error.platform = find_platform(body.get("iss"), _audience(body))
        raise
    claims = launch.get_launch_data()
    platform = find_platform(launch.get_iss(), launch.get_client_id())
    if claims.get("https://purl.imsglobal.org/spec/lti/claim/version") != "1.3.0":
        raise LaunchRefused("bad_message", platform, "not LTI 1.3.0")
    azp = claims.get("azp")
    if azp is not None and azp != platform.client_id:
        raise LaunchRefused("unknown_platform", platform, "azp is not our client id")
    return claims, platform
