"""People and their one-time account links (invitations and password resets)."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, and_, false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.timezones import default_clock
from lms.core.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "lms_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: people type their address in whatever case they like. None for a learner who takes
    # part on paper (no internet, no email): they never sign in and never get mail; or for someone whose
    # course's site (LTI) shares no email: they sign in only from there. UNIQUE allows many NULLs.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # For a learner on paper: the organisation or unit they take part through ("Oslo prison — unit B").
    takes_part_through: Mapped[str] = mapped_column(String(200), default="", server_default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Set for a person who signs in through a host app: the host's stable id for them.
    host_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The person said the zone is theirs (accepting the invitation, or on the account page); until then it
    # is whatever an admin or a host app guessed.
    timezone_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # "12" or "24"; "" follows the habit of the zone's country (core/timezones.default_clock).
    clock: Mapped[str] = mapped_column(String(2), default="", server_default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every login session; bumping it (logout, a new password) ends all of them at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator erased the person: the row stays, empty, because certificates point at it.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrolments: Mapped[list[Enrolment]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def clock_format(self) -> str:
        """'12' or '24': the clock this person reads times on."""
        return self.clock or default_clock(self.timezone)

    @hybrid_property
    def on_paper(self) -> bool:
        """Takes part on paper, through an organisation or unit: no email, so no sign-in, no invitation and no
        mail, ever. (Someone with no email and no unit signs in from their course's site over LTI.)"""
        return self.email is None and bool(self.takes_part_through)

    @on_paper.inplace.expression
    @classmethod
    def _on_paper_expression(cls):
        return and_(cls.email.is_(None), cls.takes_part_through != "")

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def enrolment_in(self, academy_id: int):
        for enrolment in self.enrolments:
            if enrolment.academy_id == academy_id:
                return enrolment
        return None

    def is_learner_in(self, academy_id: int) -> bool:
        enrolment = self.enrolment_in(academy_id)
        return enrolment is not None and enrolment.role == "learner"

    @property
    def facilitates_any(self) -> bool:
        return any(enrolment.role == "facilitator" for enrolment in self.enrolments)

    def can_view_academy(self, academy_id: int) -> bool:
        return self.is_admin or self.enrolment_in(academy_id) is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class AccountToken(db.Model):
    """A one-time link: only its SHA-256 is stored, so a database leak reveals no usable link."""

    __tablename__ = "lms_account_tokens"

    PURPOSES = ("invitation", "reset")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class ResetRequest(db.Model):
    """Someone asked for a reset link for this address; answered after the response or by `send-due-mail`.

    The request itself does the same work for every address (it stores one of these), so the answer takes
    as long for an address with an account as for one without: the time it takes tells nobody who has one.
    Deleted once answered, whether or not the address had an account.
    """

    __tablename__ = "lms_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # as typed, lower-cased; maybe no one's
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
