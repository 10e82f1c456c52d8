"""LTI Dynamic Registration: a platform (Moodle 4.x, Canvas) registers the tool from one address. The address
carries a one-time key an admin made, so no stranger can register a platform."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from flask import url_for
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException
from sqlalchemy import select

from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti import services
from lms.lti.models import LtiOneTimeValue, LtiPlatform

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(days=1)
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_registration_key() -> str:
    """A key for one registration address, good for a day (only its hash is kept)."""
    key = secrets.token_urlsafe(24)
    db.session.add(LtiOneTimeValue(kind="register", value=f"register:{_hash(key)}", expires_at=utcnow() + LINK_LIFETIME))
    db.session.flush()
    return key


def _usable(key: str) -> LtiOneTimeValue | None:
    found = db.session.scalar(select(LtiOneTimeValue).where(LtiOneTimeValue.value == f"register:{_hash(key)}"))
    return found if found is not None and found.expires_at > utcnow() else None


class _Registration(DynamicRegistration):
    client_name = "Learning Academy"
    description = "Readings, reflections, live sessions and certificates."

    def __init__(self, openid_configuration: str, registration_token: str | None):
        self._configuration_url = openid_configuration
        self._token = registration_token
        self.platform: LtiPlatform | None = None

    def get_request_session(self):
        session = requests.Session()
        session.request = _with_timeout(session.request)
        return session

    def get_openid_configuration_endpoint(self):
        return self._configuration_url

    def get_registration_token(self):
        return self._token

    def get_initiate_login_uri(self):
        return url_for("lms.lti.login", _external=True)

    def get_jwks_uri(self):
        return url_for("lms.lti.jwks", _external=True)

    def get_redirect_uris(self):
        return [url_for("lms.lti.launch", _external=True)]

    def get_target_link_uri(self):
        return url_for("lms.lti.launch", _external=True)

    def get_domain(self):
        return urlsplit(self.get_target_link_uri()).netloc

    def get_scopes(self):
        return SCOPES

    def get_claims(self):
        return ["iss", "sub", "name", "email"]

    def get_messages(self):
        return [{"type": "LtiDeepLinkingRequest", "target_link_uri": self.get_target_link_uri(),
                 "label": "Learning Academy"}]

    def get_logo_uri(self):
        return ""

    def complete_registration(self, openid_configuration, openid_registration):
        tool = openid_registration["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        issuer = openid_configuration.get("issuer", "")
        # The configuration must come from the issuer's own site: a page elsewhere cannot speak for it.
        if urlsplit(self._configuration_url).netloc != urlsplit(issuer).netloc:
            raise DomainError("The platform's configuration is not on its own site.")
        platform_name = (openid_configuration.get("https://purl.imsglobal.org/spec/lti-platform-configuration")
                         or {}).get("product_family_code", "")
        self.platform = services.register_platform(services.PlatformDetails(
            issuer=issuer, client_id=str(openid_registration.get("client_id", "")),
            deployment_ids=str(tool.get("deployment_id", "")),
            auth_url=openid_configuration.get("authorization_endpoint", ""),
            token_url=openid_configuration.get("token_endpoint", ""),
            keyset_url=openid_configuration.get("jwks_uri", ""), name=str(platform_name)[:200],
        ), by=None)
        return self.platform


def _with_timeout(request):
    def bounded(method, url, **kwargs):
        kwargs.setdefault("timeout", 10)
        return request(method, url, **kwargs)

    return bounded


def register_dynamically(key: str, openid_configuration: str, registration_token: str | None) -> LtiPlatform:
    """Register the platform that opened the registration address (the caller commits)."""
    found = _usable(key)
    if found is None:
        raise DomainError("This registration address has run out or was used. Ask for a new one.")
    if not openid_configuration.startswith(("https://", "http://")):
        raise DomainError("The platform did not say where its configuration is.")
    flow = _Registration(openid_configuration, registration_token)
    try:
        flow.register()
    except (LtiException, requests.RequestException, ValueError, KeyError, AssertionError) as error:
        log.warning("LTI dynamic registration failed: %s", type(error).__name__)
        raise DomainError("The platform did not complete the registration. Try again from the platform.") from None
    db.session.delete(found)
    log.info("LTI platform %s registered dynamically", flow.platform.id)
    return flow.platform
