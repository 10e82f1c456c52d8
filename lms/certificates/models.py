"""Certificates of attendance, exceptions to the eligibility rule, and what a certificate froze at issue."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import db
from lms.core.types import UTCDateTime, one_of, utcnow


class EligibilityException(db.Model):
    """An admin's written decision that a learner gets a certificate although a rule is not met."""

    __tablename__ = "lms_eligibility_exceptions"
    __table_args__ = (
        UniqueConstraint("academy_id", "user_id", name="uq_lms_eligibility_exceptions_academy_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])  # noqa: F821


CERTIFICATE_STATES = ("valid", "revoked", "superseded")


class Certificate(db.Model):
    """What was certified, frozen at issue: later edits to the academy or the person change nothing here."""

    __tablename__ = "lms_certificates"
    __table_args__ = (
        CheckConstraint(one_of("status", CERTIFICATE_STATES), name="status"),
        # At most one valid certificate per person and academy, whatever races or double clicks do.
        Index(
            "uq_lms_certificates_one_valid",
            "academy_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # 128 random bits or more, base32; printed in groups of four to be read aloud.
    verification_code: Mapped[str] = mapped_column(String(64), unique=True)
    name_as_printed: Mapped[str] = mapped_column(String(200))
    academy_title: Mapped[str] = mapped_column(String(200))
    organiser: Mapped[str] = mapped_column(String(200), default="")
    # The days of the sessions attended, as printed, e.g. "17 April 2025 and 2 May 2025".
    session_dates: Mapped[str] = mapped_column(String(300))
    # The days of sessions missed that an exception excused, printed as excused (never as attended); "" for none.
    excused_dates: Mapped[str] = mapped_column(String(300), default="", server_default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="valid")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_certificates.id", ondelete="SET NULL"))
    # Deferred: listing certificates must not pull every stored PDF out of the database.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821
    academy: Mapped[Academy] = relationship()  # noqa: F821

    @property
    def grouped_code(self) -> str:
        code = self.verification_code
        return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


JOB_STATES = ("running", "finished", "stopped")
JOB_ITEM_STATES = ("waiting", "claimed", "issued", "already", "refused")


class CertificateJob(db.Model):
    """One "issue to all eligible" run, done by the worker in batches; its items are its log."""

    __tablename__ = "lms_certificate_jobs"
    __table_args__ = (
        CheckConstraint(one_of("state", JOB_STATES), name="state"),
        # One running job per academy: two clicks, or two admins, start one job.
        Index(
            "uq_lms_certificate_jobs_one_running",
            "academy_id",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academies.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="running")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The site's address printed on each certificate: LMS_BASE_URL, or the address the click came to.
    base_url: Mapped[str] = mapped_column(String(500), default="")
    # The next certificate number to hand out; a batch takes its numbers from here when it is claimed.
    next_number: Mapped[int] = mapped_column(default=1)
    total: Mapped[int] = mapped_column(default=0)
    # Why the job stopped before the end (the renderer failed), in words for the admin.
    stopped_reason: Mapped[str] = mapped_column(Text, default="")

    academy: Mapped[Academy] = relationship()  # noqa: F821

    @property
    def running(self) -> bool:
        return self.state == "running"


class CertificateJobItem(db.Model):
    """One learner in a job: waiting, claimed by a worker, then issued, already had one, or refused (why)."""

    __tablename__ = "lms_certificate_job_items"
    __table_args__ = (
        CheckConstraint(one_of("state", JOB_ITEM_STATES), name="state"),
        UniqueConstraint("job_id", "user_id", name="uq_lms_certificate_job_items_job_user"),
        Index("ix_lms_certificate_job_items_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("lms_certificate_jobs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    # Which worker process took it ("host:pid"), and when: a dead or silent worker's items are given back.
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    number: Mapped[str] = mapped_column(String(40), default="")
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("lms_certificates.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()  # noqa: F821
