"""People: adding and enrolling them, roster imports, passwords, invitation and reset links (and mailing them)."""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from lms.academies.models import ROLES, Academy, Enrolment
from lms.accounts.models import AccountToken, ResetRequest, User
from lms.audit import services as audit
from lms.core import mail
from lms.core.exceptions import DomainError, RosterError
from lms.core.extensions import db
from lms.core.text import check_text
from lms.core.timezones import find_zone, is_offered_zone
from lms.core.types import utcnow
from lms.notifications import outbox

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
# Long passphrases are welcome; the cap only stops a megabyte "password" from tying up the hasher.
MAX_PASSWORD_LENGTH = 1024
ROSTER_COLUMNS = ("full_name", "email", "role", "timezone", "group", "takes_part_through")
# The headings people give those columns in their spreadsheets (compared without case, spaces, '-' or '_').
ROSTER_HEADINGS = {
    "full_name": ("Name", "Full name", "Full_name", "Fullname", "Participant", "Participant name"),
    "email": ("Email", "E-mail", "Email address", "E-mail address", "Mail"),
    "role": ("Role",),
    "timezone": ("Time zone", "Timezone", "Zone"),
    "group": ("Group", "Group name"),
    # A row with no email and this filled in is a learner on paper.
    "takes_part_through": ("Takes part on paper through", "Takes part through", "On paper through"),
}
MAX_UNIT_CHARACTERS = 200


# --- emails and passwords -------------------------------------------------------------------

def normalise_email(raw: str, field: str = "email") -> str:
    """Check an address's shape and return it lower-cased, the form it is stored and compared in."""
    raw = (raw or "").strip()
    if not raw:
        raise DomainError("Enter an email address.", field=field)
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError(f"{raw} is not a valid email address: {error}", field=field) from None
    return checked.normalized.lower()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of the 30,000 most common leaked passwords.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, user: User | None = None) -> str | None:
    """Why a new password is refused, or None. Length and commonness only: no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "That password is one of the most common ones, so it is easy to guess. Choose another."
    if user is not None and lowered in {user.email, user.email.split("@")[0]}:
        return "Do not use your email address as your password."
    return None


def set_password(user: User, password: str) -> None:
    """Set a new password, however it is being changed (a link, the account page, create-admin): every
    invitation or reset link the person still has stops working, and unsent mail carrying one is dropped."""
    problem = password_problem(password, user)
    if problem:
        raise DomainError(problem, field="password")
    method = current_app.config["LMS_PASSWORD_HASH_METHOD"]
    user.password_hash = generate_password_hash(password, method=method)
    spend_links(user)


def spend_links(user: User) -> None:
    """Every unused one-time link of `user` stops working (the caller commits)."""
    if user.id is not None:
        db.session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
            .values(used_at=utcnow())
        )
    outbox.withdraw_links(user.email)
    # A reset asked for earlier and not answered yet would make a new link: it is no longer wanted.
    db.session.execute(delete(ResetRequest).where(ResetRequest.email == user.email))


# A hash to compare against when the email is unknown, so both paths take the same time.
_UNKNOWN_USER_HASH = None


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None; never says which of the two was wrong."""
    global _UNKNOWN_USER_HASH
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or user.password_hash is None or not user.is_active:
        if _UNKNOWN_USER_HASH is None:
            method = current_app.config["LMS_PASSWORD_HASH_METHOD"]
            _UNKNOWN_USER_HASH = generate_password_hash(secrets.token_hex(8), method=method)
        check_password_hash(_UNKNOWN_USER_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def save_time_preferences(user: User, zone_name: str | None, clock: str | None) -> None:
    """The person's own zone (now confirmed: they chose it) and clock: "12", "24", or "" to follow the zone.
    None leaves either as it is."""
    if clock not in (None, "", "12", "24"):
        raise DomainError("Choose the 12-hour or the 24-hour clock.", field="clock")
    if zone_name is not None:
        user.timezone = find_zone(zone_name)
        user.timezone_confirmed = True
    if clock is not None:
        user.clock = clock
    log.info("time zone %s (confirmed: %s), clock %s, for %s", user.timezone, user.timezone_confirmed,
             user.clock or "from the zone", user.email)


def create_admin(email: str, full_name: str, password: str, timezone: str = "UTC") -> User:
    email = normalise_email(email)
    if not is_offered_zone(timezone):
        raise DomainError(f"{timezone} is not a time zone name like Europe/London.", field="timezone")
    full_name = " ".join(check_text(full_name or "", "full_name", "The name").split())
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, full_name=full_name or email, timezone=timezone)
    elif user.has_password:
        user.session_version += 1  # a new password: whoever knew the old one is signed out
    user.timezone_confirmed = True  # they typed it themselves
    set_password(user, password)  # before anything is added: a refused password saves nothing
    user.is_admin = True
    db.session.add(user)
    log.info("admin account %s created or promoted", user.email)
    return user


# --- one-time links --------------------------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: str) -> str:
    """Make a new one-time link token for `user`; the raw token is returned once and never stored."""
    if purpose not in AccountToken.PURPOSES:
        raise ValueError(purpose)
    if purpose == "invitation":
        lifetime = timedelta(days=current_app.config["LMS_INVITATION_DAYS"])
    else:
        lifetime = timedelta(hours=current_app.config["LMS_RESET_HOURS"])
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose,
            token_hash=_hash_token(token),
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def find_usable_token(token: str) -> AccountToken | None:
    record = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _hash_token(token or "")))
    if record is None or not record.is_usable(utcnow()) or not record.user.is_active:
        return None
    return record


def use_token_to_set_password(token: str, password: str) -> User:
    """Set a password through a one-time link. The link is spent, and so are the user's others."""
    record = find_usable_token(token)
    if record is None:
        raise DomainError("This link has expired or has already been used. Ask for a new one.")
    user = record.user
    problem = password_problem(password, user)
    if problem:  # before the link is spent: a refused password leaves it working
        raise DomainError(problem, field="password")
    # Conditional update: of two simultaneous uses of one link, only one succeeds.
    spent = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == record.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        raise DomainError("This link has already been used. Ask for a new one.")
    set_password(user, password)  # which spends the person's other links
    # Whoever knew the old password is signed out everywhere.
    user.session_version += 1
    log.info("password set through a %s link by %s", record.purpose, user.email)
    return user


def why_no_link(user: User) -> str | None:
    """Why no invitation or reset link can reach `user` (they have no email), or None when one can."""
    if user.on_paper:
        return f"{user.full_name} takes part on paper, without email: there is no link to send."
    if user.email is None:
        return f"{user.full_name} has no email here: they sign in from their course's site."
    return None


def queue_account_link(user: User, token: str, purpose: str, academy_title: str = "") -> tuple[str, str]:
    """Queue an invitation or reset link in the outbox (the caller commits); return the link and its message's key."""
    reason = why_no_link(user)
    if reason:  # enrol_people and new_invitation never make a link for them; this is the last guard
        raise DomainError(reason)
    endpoint = "lms.accounts.invitation" if purpose == "invitation" else "lms.accounts.reset_password"
    link = mail.absolute_url(endpoint, token=token)
    body = render_template(f"lms/emails/{purpose}.txt", user=user, link=link, academy_title=academy_title)
    subject = "Your invitation to the Learning Academy" if purpose == "invitation" else "Reset your password"
    key = f"{purpose}:{_hash_token(token)}"
    outbox.enqueue(key, purpose, user.email, subject, body)
    return link, key


def send_account_link(
    user: User, token: str, purpose: str, academy_title: str = "", send_now: bool = True
) -> tuple[str, bool]:
    """Queue an invitation or reset link in the outbox and, unless told not to, send it at once.

    Returns the link (for the admin to copy) and whether it went out by mail; a failed send stays
    in the outbox and is retried by `flask lms send-due-mail`.
    """
    link, key = queue_account_link(user, token, purpose, academy_title)
    # Queued for good before it is tried: a send that fails (or never happens) is left to send-due-mail.
    db.session.commit()
    return link, send_now and outbox.deliver_now(key) == "sent"


def queue_invitations(result: EnrolmentResult, academy_title: str) -> list[tuple[User, str]]:
    """Queue the invitations of an enrolment in the outbox, in the enrolment's own transaction (the caller
    commits): the worker sends them, so a roster of 2,000 does not wait for 2,000 mails. Returns each
    invited person with their link (shown to the admin when mail is not set up)."""
    users = {user.id: user for user in result.created + result.enrolled_existing}
    return [
        (users[user_id], queue_account_link(users[user_id], token, "invitation", academy_title)[0])
        for user_id, token in result.invitations.items()
    ]


# --- asking for a reset link ----------------------------------------------------------------

def request_reset(email: str) -> ResetRequest:
    """Record that someone asked for a reset link for `email` (the caller commits).

    The same work for every address, with an account or without (no look-up of who it belongs to): the
    answer must not take longer for a known address. answer_reset_requests() does the rest, later.
    """
    reset_request = ResetRequest(email=(email or "").strip().lower()[:254], requested_at=utcnow())
    db.session.add(reset_request)
    return reset_request


def answer_reset_requests(now: datetime, only: list[int] | None = None, send_now: bool = False,
                          limit: int = 200) -> int:
    """Answer waiting reset requests: a link for each address with an active account, queued in the outbox
    (and, with `send_now`, handed over at once). Each request is deleted, with an account or without.

    Safe to run in several processes at once: a request is claimed by deleting it, and only the run whose
    delete took it answers it. Returns how many links were queued.
    """
    query = select(ResetRequest.id, ResetRequest.email, ResetRequest.requested_at).order_by(ResetRequest.id)
    if only is not None:
        query = query.where(ResetRequest.id.in_(only))
    waiting = db.session.execute(query.limit(limit)).all()
    too_old = now - timedelta(hours=current_app.config["LMS_RESET_HOURS"])
    queued = 0
    for request_id, email, requested_at in waiting:
        if db.session.execute(delete(ResetRequest).where(ResetRequest.id == request_id)).rowcount != 1:
            continue  # answered by another run meanwhile
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None or not user.is_active or requested_at < too_old:
            continue  # nobody's address, or asked for so long ago that a link now would surprise
        purpose = "reset" if user.has_password else "invitation"
        send_account_link(user, issue_token(user, purpose), purpose, send_now=send_now)
        queued += 1
    return queued


# --- adding people ---------------------------------------------------------------------------

@dataclass
class Person:
    """One person to enrol, already checked."""

    full_name: str
    email: str | None  # None: takes part on paper, through `takes_part_through`
    role: str
    timezone: str
    group: str = ""
    takes_part_through: str = ""

    @property
    def key(self) -> str:
        """Who the row is: the email, or for a learner on paper their name and unit (they have nothing else)."""
        if self.email is not None:
            return self.email
        return f"{' '.join(self.full_name.casefold().split())} | {' '.join(self.takes_part_through.casefold().split())}"


@dataclass
class EnrolmentResult:
    created: list[User] = field(default_factory=list)
    enrolled_existing: list[User] = field(default_factory=list)
    already_enrolled: list[User] = field(default_factory=list)
    role_changed: list[User] = field(default_factory=list)
    # user id -> raw invitation token, for people who were sent a new invitation
    invitations: dict[int, str] = field(default_factory=dict)


def check_person(full_name: str, email: str, role: str, timezone: str, group: str = "",
                 takes_part_through: str = "") -> Person:
    """A person checked; with no email but the organisation or unit they take part through, a learner on paper."""
    # A roster file reaches here without passing a web form, so its cells are checked here too.
    full_name = " ".join(check_text(full_name or "", "full_name", "The name").split())
    if not full_name:
        raise DomainError("Enter the person's full name.", field="full_name")
    if len(full_name) > 200:
        raise DomainError("A name can be at most 200 characters.", field="full_name")
    unit = " ".join(check_text(takes_part_through or "", "takes_part_through", "The organisation or unit").split())
    if len(unit) > MAX_UNIT_CHARACTERS:
        raise DomainError(f"The organisation or unit can be at most {MAX_UNIT_CHARACTERS} characters.",
                          field="takes_part_through")
    role = (role or "").strip().lower()
    if (email or "").strip():
        email = normalise_email(email)
        if unit:
            raise DomainError("Someone with an email takes part online: leave “takes part on paper through” empty, "
                              "or the email empty for someone on paper.", field="takes_part_through")
    elif unit:
        email = None
        role = role or "learner"
        if role != "learner":
            raise DomainError("Only learners can take part on paper: a facilitator needs an email to sign in.",
                              field="role")
    else:
        raise DomainError("Enter an email address, or, for a learner without email who takes part on paper, "
                          "the organisation or unit they take part through.", field="email")
    if role not in ROLES:
        raise DomainError(f"Role must be learner or facilitator, not {role or 'empty'}.", field="role")
    timezone = find_zone(timezone)  # a city, a country, or a zone name like Europe/London
    group = " ".join(check_text(group or "", "group", "The group").split())
    if len(group) > 100:
        raise DomainError("A group name can be at most 100 characters.", field="group")
    return Person(full_name, email, role, timezone, group, unit)


def _paper_learners_of(academy: Academy) -> dict[str, User]:
    """The academy's learners on paper by Person.key: the same name and unit again is the same person."""
    found = db.session.scalars(
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy.id, User.on_paper)
    )
    return {Person(user.full_name, None, "learner", "", "", user.takes_part_through).key: user for user in found}


def enrol_people(academy: Academy, people: list[Person], by: User) -> EnrolmentResult:
    """Create accounts for new emails, enrol everyone, invite those without a password (the caller commits).

    A learner on paper gets an account without email, and never an invitation: they cannot sign in.
    """
    result = EnrolmentResult()
    emails = [person.email for person in people if person.email is not None]
    existing = {
        user.email: user
        for user in db.session.scalars(select(User).where(User.email.in_(emails)))
    }
    if any(person.email is None for person in people):
        existing.update(_paper_learners_of(academy))
    enrolments = {
        enrolment.user_id: enrolment
        for enrolment in db.session.scalars(
            select(Enrolment).where(Enrolment.academy_id == academy.id)
        )
    }
    new_users: dict = {}
    for person in people:
        if person.key not in existing and person.key not in new_users:
            new_users[person.key] = User(email=person.email, full_name=person.full_name, timezone=person.timezone,
                                         takes_part_through=person.takes_part_through)
    db.session.add_all(new_users.values())
    db.session.flush()  # once for everyone, not once per person: their ids are needed below
    existing.update(new_users)
    created = {user.id for user in new_users.values()}
    result.created = list(new_users.values())
    for person in people:
        user = existing[person.key]
        enrolment = enrolments.get(user.id)
        if enrolment is None:
            db.session.add(
                Enrolment(user=user, academy=academy, role=person.role, group_name=person.group)
            )
            if user.id not in created:
                result.enrolled_existing.append(user)
        elif enrolment.role != person.role or enrolment.group_name != person.group:
            enrolment.role = person.role
            enrolment.group_name = person.group
            result.role_changed.append(user)
        else:
            result.already_enrolled.append(user)
        if not user.has_password and user.email is not None and enrolment is None:
            result.invitations[user.id] = issue_token(user, "invitation")
    audit.record(
        by, "people.enrol", f"academy {academy.id}",
        f"{len(result.created)} new, {len(result.enrolled_existing)} existing enrolled, "
        f"{len(result.role_changed)} changed, {len(result.already_enrolled)} unchanged",
    )
    log.info(
        "%d people enrolled in academy %s (%d new accounts) by %s",
        len(result.created) + len(result.enrolled_existing),
        academy.id,
        len(result.created),
        by.email,
    )
    return result


def new_invitation(user: User, by: User) -> str:
    """A fresh link for `user`; their earlier unused links stop working (one may have gone astray)."""
    reason = why_no_link(user)
    if reason:
        raise DomainError(reason)
    spend_links(user)
    token = issue_token(user, "invitation" if not user.has_password else "reset")
    audit.record(by, "people.new_link", f"user {user.id}", user.email)
    log.info("new account link for user %s made by %s", user.id, by.email)
    return token


# --- roster import ---------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    raise RosterError([(0, "The file is not UTF-8 text. In your spreadsheet, save it as 'CSV UTF-8'.")])


def _heading_key(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


_HEADING_COLUMNS = {_heading_key(heading): column for column, names in ROSTER_HEADINGS.items() for heading in names}


def _columns(first_row: list[str]) -> list[str]:
    """The first row's headings as ROSTER_COLUMNS names ("" for a column the import leaves out)."""
    columns = [_HEADING_COLUMNS.get(_heading_key(heading), "") for heading in first_row]
    # Email may be left out only by a roster of learners on paper (which names the unit they take part through).
    needed = ("full_name",) if "takes_part_through" in columns else ("full_name", "email")
    named = {column: ROSTER_HEADINGS[column][0] for column in needed}
    missing = [named[column] for column in named if column not in columns]
    if missing:
        raise RosterError([(1, (
            f"The first row must name the columns; none is called {' or '.join(missing)}. Headings understood: "
            + "; ".join(" or ".join(names[:3]) for names in ROSTER_HEADINGS.values()) + "."
        ))])
    twice = sorted({ROSTER_HEADINGS[column][0] for column in columns if column and columns.count(column) > 1})
    if twice:
        raise RosterError([(1, f"Two columns of the first row are both {' and '.join(twice)}: keep one.")])
    return columns


def _readable_rows(reader):
    """The reader's rows; a line csv cannot read (a cell over its 128 KB limit, say) is refused with its number."""
    try:
        yield from reader
    except csv.Error as error:
        raise RosterError([(reader.line_num, f"This line cannot be read as CSV ({error}).")]) from None


def parse_roster(data: bytes, default_timezone: str) -> list[Person]:
    """Read a roster CSV; every bad row is reported with its row number (the first row, of headings, is row 1,
    as a spreadsheet numbers them), and nothing is half-read."""
    if not data.strip():
        raise RosterError([(0, "The file is empty.")])
    text = _decode(data)
    # Spreadsheets save with commas, or semicolons where the comma is the decimal sign.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    rows = _readable_rows(reader)
    try:
        header = _columns(next(rows))
    except StopIteration:
        raise RosterError([(0, "The file is empty.")]) from None
    problems: list[tuple[int, str]] = []
    people: list[Person] = []
    first_line_of: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):  # numbered as a spreadsheet numbers its rows
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append((line, f"This row has {len(row)} values, but the first row names only {len(header)} columns."))
            continue
        values = {column: cell for column, cell in zip(header, row, strict=False) if column}  # short rows: empty
        try:
            person = check_person(
                values.get("full_name", ""),
                values.get("email", ""),
                values.get("role", "") or "learner",
                values.get("timezone", "") or default_timezone,
                values.get("group", ""),
                values.get("takes_part_through", ""),
            )
        except DomainError as error:
            problems.append((line, error.message))
            continue
        if person.key in first_line_of:
            who = person.email or f"{person.full_name} ({person.takes_part_through})"
            problems.append((line, f"{who} is already on row {first_line_of[person.key]}."))
            continue
        first_line_of[person.key] = line
        people.append(person)
    if problems:
        raise RosterError(problems)
    if not people:
        raise RosterError([(0, "The file has a first row of headings but no people.")])
    return people


def import_roster(academy: Academy, data: bytes, by: User) -> EnrolmentResult:
    people = parse_roster(data, academy.home_timezone)
    return enrol_people(academy, people, by)

