"""LTI platforms, the tool's signing keys, who and which course a launch came from, and its single-use values."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.types import UTCDateTime, utcnow


class LtiPlatform(db.Model):
    """A learning platform (one Moodle site, one Canvas account) registered to launch the LMS."""

    __tablename__ = "lms_lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lms_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # One or more deployment ids, one a line: a platform admin may deploy the tool more than once.
    deployment_ids: Mapped[str] = mapped_column(Text, default="")
    auth_url: Mapped[str] = mapped_column(String(500))
    token_url: Mapped[str] = mapped_column(String(500))
    keyset_url: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Only then may a launch's email link to an account already here: an untrusted platform could claim
    # anybody's address.
    trusts_emails: Mapped[bool] = mapped_column(Boolean, default=False)
    # The platform's key set as last fetched (JSON), refetched when a launch names a key it does not hold.
    keyset_json: Mapped[str] = mapped_column(Text, default="")
    keyset_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def deployment_id_list(self) -> list[str]:
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]

    @property
    def origin(self) -> str:
        """scheme://host[:port] of the platform, the only site allowed to show the LMS in a frame."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.auth_url)
        return f"{parts.scheme}://{parts.netloc}"

    def __repr__(self) -> str:
        return f"<LtiPlatform {self.id} {self.issuer!r} {self.client_id!r}>"


class LtiToolKey(db.Model):
    """An RSA key the tool signs with. The newest unretired one signs; retired ones stay published a while,
    so that a platform holding a token signed with the old key can still check it (rotation)."""

    __tablename__ = "lms_lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LtiIdentity(db.Model):
    """A person as a platform knows them (its `sub`), tied to an LMS account."""

    __tablename__ = "lms_lti_identities"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_lms_lti_identities_platform_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lms_lti_platforms.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821


class LtiContext(db.Model):
    """A course on a platform, tied to one academy (None until an instructor picks or creates it)."""

    __tablename__ = "lms_lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", name="uq_lms_lti_contexts_platform_context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lms_lti_platforms.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("lms_academies.id", ondelete="SET NULL"), index=True)
    # The course's Names and Role Provisioning address, from its latest launch ("" when it offers none).
    memberships_url: Mapped[str] = mapped_column(String(500), default="")
    # The course's gradebook (Assignment and Grade Services): its line items address and the scopes granted.
    lineitems_url: Mapped[str] = mapped_column(String(500), default="")
    ags_scopes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()
    academy: Mapped[Academy | None] = relationship()  # noqa: F821


class LtiResourceLink(db.Model):
    """A link placed in a course: the whole academy, or one reading of it."""

    __tablename__ = "lms_lti_resource_links"
    __table_args__ = (
        UniqueConstraint("platform_id", "resource_link_id", name="uq_lms_lti_resource_links_platform_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lms_lti_platforms.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("lms_academies.id", ondelete="SET NULL"), index=True)
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("lms_readings.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiLaunch(db.Model):
    """One launch, accepted or refused, for the admin's launches page (ids only, no personal details)."""

    __tablename__ = "lms_lti_launches"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lms_lti_platforms.id", ondelete="CASCADE"),
                                                    index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"), index=True)
    # "ok", or the reason it was refused (lms/lti/launch.py REFUSALS)
    outcome: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str] = mapped_column(String(60), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LtiOneTimeValue(db.Model):
    """An OIDC `nonce` or `state` handed to a platform at login: spent by the launch that brings it back."""

    __tablename__ = "lms_lti_one_time_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "nonce" or "state"
    value: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LtiScorePost(db.Model):
    """One person's latest result on one line item of one course's gradebook, and whether the platform has it.
    Recorded when the result changes (lms/lti/scores.py), sent later by `post_due_scores`, so a page never
    waits for the platform; a value that changes back (a certificate revoked, then issued again) is sent again."""

    __tablename__ = "lms_lti_score_posts"
    __table_args__ = (
        UniqueConstraint("context_id", "user_id", "line_item", name="uq_lms_lti_score_posts_person_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lms_lti_contexts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    line_item: Mapped[str] = mapped_column(String(40))  # a key of lms/lti/scores.LINE_ITEMS
    score: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    # pending (to send), sending (claimed by a worker until next_attempt_at), posted, failed (given up)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    context: Mapped[LtiContext] = relationship()

    def change_to(self, score: float, maximum: float) -> bool:
        """A new result to send; False when it is the one already recorded."""
        if self.score == score and self.maximum == maximum:
            return False
        self.score, self.maximum = score, maximum
        self.status, self.attempts, self.next_attempt_at = "pending", 0, utcnow()
        return True
