"""A course's members from its platform (LTI Names and Role Provisioning): preview, then apply all or nothing,
by the same rules as the roster file (accounts.services.check_person and enrol_people)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from requests import RequestException
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.lti.models import LtiContext, LtiIdentity
from lms.lti.protocol import _registration
from lms.lti.services import FACILITATOR_ROLES, LEARNER_ROLES, enrol_for_launch, launch_name

log = logging.getLogger(__name__)


class _Connector(ServiceConnector):
    """pylti1p3's service calls, asking the platform for a fresh access token each sync (a sync is rare)."""

    def _get_cached_access_token(self, scope_key):
        return None

    def _cache_access_token(self, scope_key, access_token, expires_in):
        pass


@dataclass
class MemberWithoutEmail:
    """A member the course shares no email for: known here only by the platform's id for them (`sub`)."""
    sub: str
    full_name: str
    role: str


@dataclass
class RosterPreview:
    people: list[accounts.Person] = field(default_factory=list)
    subs: dict[str, str] = field(default_factory=dict)  # email -> the platform's id for the person
    without_email: list[MemberWithoutEmail] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # plain words, one a member; none means it may be applied
    skipped: int = 0  # members with a role the academy has no place for (administrators, observers)


def preview_roster(context: LtiContext) -> RosterPreview:
    """What a sync would do: every active member as a Person, or why they cannot be."""
    if context.academy is None or not context.memberships_url:
        raise DomainError("This course does not offer its member list to the Learning Academy.")
    connector = _Connector(_registration(context.platform))
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": context.memberships_url})
    try:
        members = service.get_members()
    except (LtiException, RequestException, ValueError, KeyError) as error:
        log.warning("LTI context %s: members not fetched (%s)", context.id, type(error).__name__)
        raise DomainError("The course's site did not send its member list. Try again in a few minutes.") from None
    preview = RosterPreview()
    for number, member in enumerate(members, start=1):
        if member.get("status", "Active") != "Active":
            continue
        roles = set(member.get("roles") or [])
        role = "facilitator" if roles & FACILITATOR_ROLES else "learner" if roles & LEARNER_ROLES else None
        if role is None:
            preview.skipped += 1
            continue
        sub = str(member.get("user_id") or "")
        if not str(member.get("email") or "").strip():
            if not sub or len(sub) > 255:
                preview.problems.append(f"Member {number}: the course's site sent no id for this member.")
            else:
                preview.without_email.append(MemberWithoutEmail(sub, launch_name(member), role))
            continue
        try:
            person = accounts.check_person(member.get("name") or "", member.get("email") or "", role,
                                           context.academy.home_timezone)
        except DomainError as error:
            preview.problems.append(f"Member {number}: {error.message}")
            continue
        preview.people.append(person)
        preview.subs[person.email] = sub
    return preview


def apply_roster(context: LtiContext, by: User) -> accounts.EnrolmentResult:
    """Enrol every member, or nobody when one of them cannot be (the caller commits)."""
    preview = preview_roster(context)
    if preview.problems:
        raise DomainError("Nothing was changed: " + " ".join(preview.problems))
    result = accounts.enrol_people(context.academy, preview.people, by)
    # Accounts this sync made belong to the platform's people: their later launches find them by `sub`.
    linked = set(db.session.scalars(select(LtiIdentity.user_id).where(LtiIdentity.platform_id == context.platform_id)))
    for user in result.created:
        sub = preview.subs.get(user.email)
        if sub and user.id not in linked:
            db.session.add(LtiIdentity(platform_id=context.platform_id, sub=sub, user_id=user.id))
    for member in preview.without_email:
        _enrol_without_email(context, member, result)
    db.session.flush()
    return result


def _enrol_without_email(context: LtiContext, member: MemberWithoutEmail, result: accounts.EnrolmentResult) -> None:
    """Enrol a member by the platform's id for them, making their account (no email, no password: they sign
    in from the course) when this is the first the LMS hears of them; their role follows the course's."""
    identity = db.session.scalar(select(LtiIdentity).where(LtiIdentity.platform_id == context.platform_id,
                                                           LtiIdentity.sub == member.sub))
    if identity is None:
        user = User(email=None, full_name=member.full_name, password_hash=None,
                    timezone=context.academy.home_timezone)
        db.session.add(user)
        db.session.flush()
        db.session.add(LtiIdentity(platform_id=context.platform_id, sub=member.sub, user_id=user.id))
        result.created.append(user)
    else:
        user = identity.user
    before = user.enrolment_in(context.academy_id)
    had_role = before.role if before is not None else None
    enrol_for_launch(user, context.academy, member.role)
    if before is None:
        if user not in result.created:
            result.enrolled_existing.append(user)
    elif had_role != member.role:
        result.role_changed.append(user)
    else:
        result.already_enrolled.append(user)


def sync_all_rosters(by: User) -> dict[int, str]:
    """Every course tied to an academy, with a member list, on an enabled platform: applied, each on its own
    (one course's problem does not stop the others). Returns context id -> "ok" or the problem."""
    outcomes = {}
    contexts = db.session.scalars(select(LtiContext).where(LtiContext.academy_id.is_not(None),
                                                           LtiContext.memberships_url != ""))
    for context in contexts.all():
        if not context.platform.enabled:
            continue
        savepoint = db.session.begin_nested()
        try:
            apply_roster(context, by)
        except DomainError as error:
            savepoint.rollback()
            outcomes[context.id] = error.message
        else:
            savepoint.commit()
            outcomes[context.id] = "ok"
    return outcomes
