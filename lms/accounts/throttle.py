"""Failed sign-ins counted per account across every address, without giving an attacker a way to lock a person out.

The limits per address (routes.py) stop one address guessing. Spread over many addresses, guesses at one
account are counted here (LMS_LOGIN_ACCOUNT_RATE_LIMIT). Past that limit the account is not locked: a
sign-in is still checked when it comes from a browser that signed in to this account before, or from an
address that has not itself failed on this account in that time. So the person, at their own computer or
from any address the guessing did not come from, signs in with their password as usual, while each
guessing address gets no further tries. Anything else is answered 429 without looking at the password.

Counted by the email as typed (lower-cased), with an account or without, in the limiter's storage
(RATELIMIT_STORAGE_URI), so that several workers share the counts.
"""
from __future__ import annotations

import hashlib

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse

from lms.core.extensions import limiter

ACCOUNT = "lms-login-account"
ACCOUNT_AND_ADDRESS = "lms-login-account-address"
DEVICE_COOKIE = "lms_signed_in_here"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 10  # a shared computer remembers this many people, the latest first


def _limits():
    account = parse(current_app.config["LMS_LOGIN_ACCOUNT_RATE_LIMIT"])
    # One failure from an address, in the same window: that address has then guessed at this account.
    one = type(account)(1, account.multiples)
    return account, one


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _names() -> tuple[str, str]:
    # With RATELIMIT_KEY_PREFIX, like the limiter's own limits: two sites sharing one Redis count apart.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return f"{prefix}{ACCOUNT}", f"{prefix}{ACCOUNT_AND_ADDRESS}"


def may_try(email: str, address: str) -> bool:
    """Whether a sign-in for `email` from `address` (in this browser) is checked at all."""
    if not _enabled() or signed_in_here_before(email):
        return True
    account, one = _limits()
    per_account, per_address = _names()
    strategy = limiter.limiter
    return strategy.test(account, per_account, email) or strategy.test(one, per_address, email, address)


def record_failure(email: str, address: str) -> None:
    if not _enabled():
        return
    account, one = _limits()
    per_account, per_address = _names()
    limiter.limiter.hit(account, per_account, email)
    limiter.limiter.hit(one, per_address, email, address)


# --- browsers that signed in to an account before ---------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="lms-signed-in-here")


def _fingerprint(email: str) -> str:
    # Not the address itself: the cookie must not tell the next person at a shared computer who was there.
    return hashlib.sha256(f"lms-device:{email}".encode()).hexdigest()[:20]


def _remembered() -> list[str]:
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return []
    try:
        remembered = _serializer().loads(value, max_age=DEVICE_DAYS * 24 * 3600)
    except BadSignature:
        return []
    return [item for item in remembered if isinstance(item, str)] if isinstance(remembered, list) else []


def signed_in_here_before(email: str) -> bool:
    return _fingerprint(email) in _remembered()


def remember_device(response, email: str) -> None:
    """After a successful sign-in: this browser may sign in to this account even while it is under attack."""
    fingerprint = _fingerprint(email)
    remembered = [fingerprint, *(item for item in _remembered() if item != fingerprint)][:DEVICE_ACCOUNTS]
    config = current_app.config
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps(remembered), max_age=DEVICE_DAYS * 24 * 3600,
        path=url_for("lms.accounts.login"), secure=bool(config.get("SESSION_COOKIE_SECURE")), httponly=True,
        samesite="Strict",
    )
