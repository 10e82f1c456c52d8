"""The tool's own RSA keys (made once, kept in the database) and the platforms' key sets (fetched and cached)."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import requests
from jwcrypto.jwk import JWK
from sqlalchemy import select

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.lti.models import LtiPlatform, LtiToolKey

log = logging.getLogger(__name__)

# A launch naming a key the cached set lacks refetches the set, but not more often than this: a stream of
# forged tokens with made-up key ids must not turn into a stream of requests to the platform.
REFETCH_AT_MOST_EVERY = timedelta(seconds=30)
# Retired keys stay published this long, so tokens a platform already holds can still be checked.
RETIRED_KEYS_PUBLISHED_FOR = timedelta(days=7)


def _new_key() -> LtiToolKey:
    jwk = JWK.generate(kty="RSA", size=2048)
    kid = jwk.thumbprint()
    return LtiToolKey(kid=kid, private_pem=jwk.export_to_pem(private_key=True, password=None).decode())


def signing_key() -> LtiToolKey:
    """The key the tool signs with now; made (and flushed) on first use."""
    key = db.session.scalars(
        select(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).order_by(LtiToolKey.id.desc())
    ).first()
    if key is None:
        key = _new_key()
        db.session.add(key)
        db.session.flush()
        log.info("LTI tool key %s made", key.kid)
    return key


def rotate_key() -> LtiToolKey:
    """Retire the signing key and make a new one; the old one stays in the key set for a week."""
    old = signing_key()
    old.retired_at = utcnow()
    key = _new_key()
    db.session.add(key)
    db.session.flush()
    log.info("LTI tool key %s retired, %s now signs", old.kid, key.kid)
    return key


def public_jwks() -> dict:
    """The tool's public key set, as platforms fetch it."""
    signing_key()
    since = utcnow() - RETIRED_KEYS_PUBLISHED_FOR
    keys = db.session.scalars(
        select(LtiToolKey).where((LtiToolKey.retired_at.is_(None)) | (LtiToolKey.retired_at > since))
        .order_by(LtiToolKey.id.desc())
    )
    published = []
    for key in keys:
        public = json.loads(JWK.from_pem(key.private_pem.encode()).export_public())
        published.append({**public, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": published}


class KeySetUnavailable(Exception):
    """The platform's key set could not be fetched or read."""


def _fetch(platform: LtiPlatform) -> dict:
    try:
        response = requests.get(platform.keyset_url, timeout=5)
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("LTI platform %s: key set at %s not fetched (%s)", platform.id, platform.keyset_url,
                    type(error).__name__)
        raise KeySetUnavailable from error
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        log.warning("LTI platform %s: key set at %s is not a JWKS", platform.id, platform.keyset_url)
        raise KeySetUnavailable
    platform.keyset_json = json.dumps(key_set)
    platform.keyset_fetched_at = utcnow()
    return key_set


def platform_key_set(platform: LtiPlatform, kid: str | None) -> dict:
    """The platform's key set holding `kid` if it has it: the cached one, refetched when it lacks that key
    (the platform rotated its keys) and was not just fetched."""
    cached = json.loads(platform.keyset_json) if platform.keyset_json else None
    if cached is not None and any(key.get("kid") == kid for key in cached.get("keys", [])):
        return cached
    fetched_at = platform.keyset_fetched_at
    if cached is not None and fetched_at is not None and utcnow() - fetched_at < REFETCH_AT_MOST_EVERY:
        return cached
    return _fetch(platform)
