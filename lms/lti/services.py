"""The rules of the LTI tool: registering platforms, who a launch is, what they may be, and where they land."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy import select

from lms.academies import services as academies
from lms.academies.models import Academy, Enrolment
from lms.accounts.models import User
from lms.accounts.services import normalise_email
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.text import without_control_characters
from lms.core.web import parse_id
from lms.lti.models import LtiContext, LtiIdentity, LtiLaunch, LtiPlatform, LtiResourceLink
from lms.lti.protocol import LaunchRefused

log = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
# Roles that make a facilitator of the course's academy; the short forms are the LTI 1.1 names some
# platforms still send. Nothing a launch says makes anyone an administrator of the LMS.
FACILITATOR_ROLES = {
    MEMBERSHIP + "Instructor", MEMBERSHIP + "Instructor#TeachingAssistant",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    MEMBERSHIP + "TeachingAssistant", "Instructor", "TeachingAssistant",
}
LEARNER_ROLES = {MEMBERSHIP + "Learner", "Learner"}


# --- platforms -------------------------------------------------------------------------------

@dataclass
class PlatformDetails:
    issuer: str
    client_id: str
    deployment_ids: str
    auth_url: str
    token_url: str
    keyset_url: str
    name: str = ""
    trusts_emails: bool = False


def _url(value: str, field: str) -> str:
    value = (value or "").strip()
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DomainError("Enter a full web address starting with https://", field=field)
    if len(value) > 500:
        raise DomainError("A web address can be at most 500 characters.", field=field)
    return value


def _settings(details: PlatformDetails, default_name: str) -> dict:
    """The checked values an admin may set and later change (issuer and client id name the platform: fixed)."""
    deployments = "\n".join(dict.fromkeys(
        part.strip() for part in details.deployment_ids.replace(",", "\n").splitlines() if part.strip()
    ))
    if not deployments:
        raise DomainError("Enter at least one deployment id.", field="deployment_ids")
    return {
        "name": (details.name or "").strip()[:200] or default_name[:200], "deployment_ids": deployments,
        "auth_url": _url(details.auth_url, "auth_url"), "token_url": _url(details.token_url, "token_url"),
        "keyset_url": _url(details.keyset_url, "keyset_url"), "trusts_emails": details.trusts_emails,
    }


def change_platform(platform: LtiPlatform, details: PlatformDetails, by: User) -> None:
    """New settings for a registered platform (its addresses moved, a deployment added, emails trusted or not)."""
    from lms.audit import services as audit

    settings = _settings(details, default_name=platform.issuer)
    changed = sorted(name for name, value in settings.items() if getattr(platform, name) != value)
    if not changed:
        return
    if "keyset_url" in changed:
        platform.keyset_json, platform.keyset_fetched_at = "", None  # the old address's keys are not kept
    for name in changed:
        setattr(platform, name, settings[name])
    audit.record(by, "lti.platform.change", f"LTI platform {platform.id}", ", ".join(changed))
    log.info("LTI platform %s changed by user %s: %s", platform.id, by.id, ", ".join(changed))


def register_platform(details: PlatformDetails, by: User | None) -> LtiPlatform:
    issuer = (details.issuer or "").strip()
    client_id = (details.client_id or "").strip()
    if not issuer:
        raise DomainError("Enter the platform's issuer (its address, as the platform shows it).", field="issuer")
    if not client_id:
        raise DomainError("Enter the client id the platform gave the tool.", field="client_id")
    if db.session.scalar(select(LtiPlatform.id).where(LtiPlatform.issuer == issuer,
                                                       LtiPlatform.client_id == client_id)):
        raise DomainError("A platform with this issuer and client id is already registered.", field="client_id")
    platform = LtiPlatform(issuer=issuer, client_id=client_id, **_settings(details, default_name=issuer))
    db.session.add(platform)
    db.session.flush()
    if by is not None:
        from lms.audit import services as audit

        audit.record(by, "lti.platform.register", f"LTI platform {platform.id}", platform.issuer)
    log.info("LTI platform %s registered (%s)", platform.id, platform.issuer)
    return platform


def set_enabled(platform: LtiPlatform, enabled: bool, by: User) -> None:
    from lms.audit import services as audit

    platform.enabled = enabled
    audit.record(by, "lti.platform.enable" if enabled else "lti.platform.disable", f"LTI platform {platform.id}")
    log.info("LTI platform %s %s by user %s", platform.id, "enabled" if enabled else "disabled", by.id)


def record_launch(platform: LtiPlatform | None, user: User | None, outcome: str, message_type: str = "") -> None:
    """The launches page's entry, and the admin's log line: ids and the reason, nothing personal."""
    db.session.add(LtiLaunch(platform_id=platform.id if platform else None, user_id=user.id if user else None,
                             outcome=outcome, message_type=message_type[:60]))
    if outcome == "ok":
        log.info("LTI launch accepted: platform %s, user %s", platform.id if platform else "-",
                 user.id if user else "-")
    else:
        log.warning("LTI launch refused (%s): platform %s", outcome, platform.id if platform else "unknown")


# --- who the launch is -----------------------------------------------------------------------

def launch_role(claims: dict) -> str:
    """"facilitator" or "learner" in the course's academy, from the launch's roles claim (nothing else:
    custom claims are the course's to set, so they grant nothing)."""
    roles = claims.get(CLAIM + "roles") or []
    if not isinstance(roles, list):
        roles = []
    if FACILITATOR_ROLES.intersection(roles):
        return "facilitator"
    if LEARNER_ROLES.intersection(roles):
        return "learner"
    raise LaunchRefused("no_role")


def person_for_launch(platform: LtiPlatform, claims: dict) -> User:
    """The LMS account for the launch's person: known by platform + sub; else linked by email to an
    account here where the platform is trusted to vouch for emails; else made now."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise LaunchRefused("bad_message", platform, "no sub")
    identity = db.session.scalar(select(LtiIdentity).where(LtiIdentity.platform_id == platform.id,
                                                           LtiIdentity.sub == sub))
    if identity is not None:
        # Admin rights are granted here, and used with the LMS's own sign-in: a course's site cannot vouch
        # for an administrator.
        if identity.user.is_admin:
            raise LaunchRefused("admin_account", platform)
        if not identity.user.is_active_account:
            raise LaunchRefused("inactive", platform)
        return identity.user
    email = _launch_email(platform, claims)
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    if user is not None:
        # An untrusted platform could claim anyone's address; and no launch may ever sign in an admin.
        if not platform.trusts_emails or user.is_admin:
            raise LaunchRefused("email_taken", platform)
        if not user.is_active_account:
            raise LaunchRefused("inactive", platform)
        log.info("LTI platform %s: sub linked to existing account %s", platform.id, user.id)
    else:
        # Many courses share no email (a course inside a prison, a platform set to privacy): the account is
        # then known only by the platform's id for the person, and signs in only from there.
        user = User(email=email, full_name=launch_name(claims), password_hash=None)
        db.session.add(user)
        db.session.flush()
        log.info("LTI platform %s: account %s made%s", platform.id, user.id, "" if email else " (no email shared)")
    db.session.add(LtiIdentity(platform_id=platform.id, sub=sub, user_id=user.id))
    db.session.flush()
    return user


def _launch_email(platform: LtiPlatform, claims: dict) -> str | None:
    raw_email = claims.get("email")
    if not isinstance(raw_email, str) or not raw_email.strip():
        return None
    try:
        return normalise_email(raw_email)
    except DomainError:
        log.info("LTI platform %s: a launch's email was not usable and was left out", platform.id)
        return None


def launch_name(claims: dict) -> str:
    """The person's name as the platform shares it (name, or given and family names), or plain words when it
    shares none; the person can correct it on their account page."""
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get(key) for key in ("given_name", "family_name")]
        name = " ".join(part for part in parts if isinstance(part, str))
    name = " ".join(without_control_characters(name).split())[:200]
    return name or "Course member"


# --- which course and academy ----------------------------------------------------------------

def context_for_launch(platform: LtiPlatform, claims: dict) -> LtiContext:
    context = claims.get(CLAIM + "context") or {}
    context_id = context.get("id") if isinstance(context, dict) else None
    if not isinstance(context_id, str) or not context_id or len(context_id) > 255:
        raise LaunchRefused("no_context", platform)
    found = db.session.scalar(select(LtiContext).where(LtiContext.platform_id == platform.id,
                                                       LtiContext.context_id == context_id))
    if found is None:
        found = LtiContext(platform_id=platform.id, context_id=context_id)
        db.session.add(found)
    found.title = " ".join(without_control_characters(str(context.get("title") or "")).split())[:255]
    nrps = claims.get("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice") or {}
    url = nrps.get("context_memberships_url") if isinstance(nrps, dict) else None
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 500:
        found.memberships_url = url
    ags = claims.get("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint") or {}
    lineitems = ags.get("lineitems") if isinstance(ags, dict) else None
    if isinstance(lineitems, str) and lineitems.startswith(("https://", "http://")) and len(lineitems) <= 500:
        found.lineitems_url = lineitems
        scopes = ags.get("scope")
        found.ags_scopes = " ".join(scope for scope in scopes if isinstance(scope, str)) if isinstance(scopes, list) else ""
    db.session.flush()
    return found


def enrol_for_launch(user: User, academy: Academy, role: str) -> Enrolment:
    """Enrol the person with the course's role. The course's site is where their role is kept, as the roster
    sync also has it: a learner the course makes a teaching assistant facilitates from their next launch, and
    the other way round."""
    enrolment = user.enrolment_in(academy.id)
    if enrolment is None:
        enrolment = Enrolment(user=user, academy=academy, role=role)
        db.session.add(enrolment)
    elif enrolment.role != role:
        log.info("LTI: user %s is now %s in academy %s, as their course says", user.id, role, academy.id)
        enrolment.role = role
    db.session.flush()
    return enrolment


def tie_context(context: LtiContext, academy: Academy, by: User) -> None:
    if context.academy_id is not None:
        raise DomainError("This course is already tied to an academy.")
    context.academy_id = academy.id
    enrol_for_launch(by, academy, "facilitator")
    log.info("LTI context %s tied to academy %s by user %s", context.id, academy.id, by.id)


def create_academy_for_context(context: LtiContext, title: str, home_timezone: str, by: User) -> Academy:
    """An instructor makes the course's academy; they become its facilitator (not an admin)."""
    if context.academy_id is not None:
        raise DomainError("This course is already tied to an academy.")
    academy = academies.create_academy(
        academies.AcademyDetails(title=title, description="", organiser="", home_timezone=home_timezone), by)
    tie_context(context, academy, by)
    return academy


def resource_link_for_launch(platform: LtiPlatform, claims: dict, context: LtiContext) -> LtiResourceLink | None:
    link = claims.get(CLAIM + "resource_link") or {}
    link_id = link.get("id") if isinstance(link, dict) else None
    if not isinstance(link_id, str) or not link_id or len(link_id) > 255:
        return None
    found = db.session.scalar(select(LtiResourceLink).where(LtiResourceLink.platform_id == platform.id,
                                                            LtiResourceLink.resource_link_id == link_id))
    if found is None:
        found = LtiResourceLink(platform_id=platform.id, resource_link_id=link_id, academy_id=context.academy_id,
                                reading_id=_placed_reading(claims, context))
        db.session.add(found)
        db.session.flush()
    return found


def _placed_reading(claims: dict, context: LtiContext) -> int | None:
    """The reading deep linking placed (our custom parameter), if it is one of the course's academy's:
    the course's admin can edit custom parameters, so another academy's reading is ignored."""
    from lms.readings.models import Reading

    custom = claims.get(CLAIM + "custom") or {}
    raw = custom.get("lms_reading") if isinstance(custom, dict) else None
    reading_id = parse_id(raw) if isinstance(raw, str) else None
    reading = db.session.get(Reading, reading_id) if reading_id else None
    return reading.id if reading is not None and reading.academy_id == context.academy_id else None
