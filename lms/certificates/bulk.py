"""Issuing to all eligible as a job: starting it (one per academy), the worker's batches, picking up a job whose
worker died, and its progress."""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lms.academies.models import Academy
from lms.accounts.models import User
from lms.audit import services as audit
from lms.certificates import issuing
from lms.certificates.eligibility import learners_eligibility
from lms.certificates.models import Certificate, CertificateJob, CertificateJobItem
from lms.certificates.rendering import render_certificates
from lms.certificates.storage import fingerprint
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.types import utcnow

log = logging.getLogger(__name__)

# A claim this old belongs to a worker that hangs or is gone (a batch takes seconds); it is given back.
STALE_CLAIM = timedelta(minutes=10)
OPEN_STATES = ("waiting", "claimed")
NOBODY_WAITS = "Nobody is waiting for a certificate."
# A job nobody has started on after this long says that the worker may not be running.
NO_WORKER_AFTER = timedelta(minutes=1)


def worker_name() -> str:
    """Who claims a batch: this machine and process, so a restarted worker knows its dead predecessor's claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


def running_job(academy_id: int) -> CertificateJob | None:
    return db.session.scalar(
        select(CertificateJob).where(CertificateJob.academy_id == academy_id, CertificateJob.state == "running")
    )


def start(academy: Academy, by: User | None, base_url: str) -> tuple[CertificateJob, bool]:
    """Start issuing to everyone awaiting a certificate; (the job, True), or (the running one, False).

    `base_url` is the address the click came to (empty from the command line: LMS_BASE_URL is printed).
    Refuses (DomainError) when nobody waits, or when no address can be printed.
    The caller commits, then queues the work (certificates.tasks.queue_job).
    """
    existing = running_job(academy.id)
    if existing is not None:
        return existing, False
    if not (base_url or current_app.config.get("LMS_BASE_URL")):
        raise DomainError(
            "Set LMS_BASE_URL (for example https://academy.example.org) so that certificates print "
            "the address where they can be checked."
        )
    people = issuing.to_issue(academy)
    if not people:
        raise DomainError(NOBODY_WAITS)
    job = CertificateJob(
        academy_id=academy.id, state="running", started_by_id=by.id if by is not None else None,
        started_at=utcnow(), base_url=base_url, next_number=issuing.next_number_value(academy.id),
        total=len(people), stopped_reason="",
    )
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError:
        # The one-running-job index: a double click or a second admin started it a moment ago. After a
        # failed INSERT, PostgreSQL accepts nothing until a rollback.
        db.session.rollback()
        other = running_job(academy.id)
        if other is None:
            raise
        return other, False
    db.session.execute(
        insert(CertificateJobItem),
        [{"job_id": job.id, "user_id": item.user_id, "state": "waiting", "claimed_by": "", "number": "",
          "message": ""} for item in people],
    )
    if by is not None:
        audit.record(by, "certificate.issue_all", f"academy {academy.id}", f"job {job.id}, {len(people)} learners")
    log.info("certificate job %s started in academy %s for %d learners", job.id, academy.id, len(people))
    return job, True


# --- the worker's side -----------------------------------------------------------------------

@dataclass
class Claimed:
    item_id: int
    user_id: int
    number: str


def claim_batch(job_id: int, worker: str, size: int) -> list[Claimed]:
    """Take up to `size` waiting learners of a running job, each with the certificate number it will print.

    Safe with many workers at once: an item is taken by the UPDATE that finds it still waiting.
    """
    now = utcnow()
    running = select(CertificateJob.id).where(CertificateJob.id == job_id, CertificateJob.state == "running")
    pick = (
        select(CertificateJobItem.id)
        .where(CertificateJobItem.job_id == job_id, CertificateJobItem.state == "waiting")
        .order_by(CertificateJobItem.id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Locked until this transaction ends; other workers skip them and take the next ones, without waiting.
        pick = pick.with_for_update(skip_locked=True)
    # Read first, then updated by id: as a subquery of the UPDATE, PostgreSQL may run a LIMIT ... SKIP LOCKED
    # query more than once and take far more than `size`. The UPDATE's own check of the state keeps a learner
    # that another worker took meanwhile (SQLite) out of this batch.
    pick = pick.where(CertificateJobItem.job_id.in_(running.scalar_subquery()))
    rows = []
    while not rows:  # all taken by another worker between the two statements: look again
        ids = db.session.scalars(pick).all()
        if not ids:
            return []
        rows = db.session.execute(
            update(CertificateJobItem)
            .where(CertificateJobItem.id.in_(ids), CertificateJobItem.state == "waiting")
            .values(state="claimed", claimed_by=worker, claimed_at=now)
            .returning(CertificateJobItem.id, CertificateJobItem.user_id)
        ).all()
    rows.sort()
    academy_id = db.session.scalar(select(CertificateJob.academy_id).where(CertificateJob.id == job_id))
    # Past any number issued by hand since the job started (a learner's own button takes the job's next one).
    floor = issuing.highest_number(academy_id) + 1
    end = db.session.execute(
        update(CertificateJob)
        .where(CertificateJob.id == job_id)
        .values(next_number=case((CertificateJob.next_number > floor, CertificateJob.next_number), else_=floor)
                + len(rows))
        .returning(CertificateJob.next_number)
    ).scalar_one()
    first = end - len(rows)
    return [Claimed(item_id, user_id, issuing.format_number(academy_id, first + index))
            for index, (item_id, user_id) in enumerate(rows)]


@dataclass
class BatchOutcome:
    issued: int = 0
    already: int = 0
    refused: int = 0
    again: list[int] = field(default_factory=list)  # items given back to be tried with another number


def issue_batch(job_id: int, batch: list[Claimed]) -> BatchOutcome:
    """Render the batch's certificates in one wkhtmltopdf run, check each page, and store each good one.

    Everything of the batch is flushed together for the caller to commit: a worker killed before the commit
    leaves no certificate half-stored, and its items are given back (give_back_abandoned). One name the fonts
    cannot show refuses only its own certificate. RendererUnavailable when the renderer fails (the job stops).
    """
    job = db.session.get(CertificateJob, job_id)
    academy = db.session.get(Academy, job.academy_id)
    by = db.session.get(User, job.started_by_id) if job.started_by_id is not None else None
    people = learners_eligibility(academy, [claimed.user_id for claimed in batch])
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(list(people))))}
    outcome = BatchOutcome()
    # Nothing is written before the render: on SQLite the first write takes the database's one write lock,
    # which other workers need to claim and store their own batches meanwhile.
    decided: list[tuple[Claimed, str, dict]] = []
    to_render: list[tuple[Claimed, Certificate]] = []
    for claimed in batch:
        eligibility = people.get(claimed.user_id)
        if eligibility is not None and eligibility.valid_certificate is not None:
            decided.append((claimed, "already", {"certificate_id": eligibility.valid_certificate.id}))
            continue
        try:
            if eligibility is None:
                raise DomainError(f"No longer a learner in {academy.title}.")
            user = users[claimed.user_id]
            issuing.require_eligible(academy, user, eligibility)
            certificate = issuing.new_certificate(academy, user, eligibility, by)
        except DomainError as refusal:
            decided.append((claimed, "refused", {"message": refusal.message}))
            continue
        certificate.number = claimed.number
        to_render.append((claimed, certificate))
    documents = render_certificates(
        [certificate for _, certificate in to_render], academy.signatory_list, academy.home_timezone
    ) if to_render else []
    _store(job, decided, to_render, documents, by, outcome)
    return outcome


def _store(job: CertificateJob, decided, to_render, documents, by: User | None, outcome: BatchOutcome) -> None:
    # The first statement writes, so that on SQLite this transaction holds the write lock from here on, and
    # on PostgreSQL batches of one job store one after the other: what is read below stays true until commit.
    db.session.execute(update(CertificateJob).where(CertificateJob.id == job.id).values(next_number=CertificateJob.next_number))
    for claimed, state, values in decided:
        _finish(claimed, state, **values)
        setattr(outcome, state, getattr(outcome, state) + 1)
    user_ids = [certificate.user_id for _, certificate in to_render]
    holders = dict(db.session.execute(
        select(Certificate.user_id, Certificate.id).where(
            Certificate.academy_id == job.academy_id, Certificate.status == "valid", Certificate.user_id.in_(user_ids)
        )
    ).all())
    taken = set(db.session.scalars(
        select(Certificate.number).where(Certificate.number.in_([certificate.number for _, certificate in to_render]))
    ))
    for (claimed, certificate), document in zip(to_render, documents, strict=True):
        if certificate.user_id in holders:  # issued on their own row meanwhile
            _finish(claimed, "already", certificate_id=holders[certificate.user_id])
            outcome.already += 1
        elif certificate.number in taken:  # someone issued one by hand with this number meanwhile
            _give_back([claimed.item_id])
            outcome.again.append(claimed.item_id)
        elif isinstance(document, DomainError):
            _finish(claimed, "refused", message=document.message)
            outcome.refused += 1
        else:
            certificate.pdf = document
            certificate.pdf_sha256 = fingerprint(document)
            db.session.add(certificate)
            db.session.flush()
            if by is not None:
                audit.record(by, "certificate.issue", f"user {certificate.user_id}", certificate.number)
            _finish(claimed, "issued", certificate_id=certificate.id, number=certificate.number)
            outcome.issued += 1
    db.session.flush()


def _finish(claimed: Claimed, state: str, certificate_id: int | None = None, number: str = "", message: str = "") -> None:
    db.session.execute(
        update(CertificateJobItem)
        .where(CertificateJobItem.id == claimed.item_id)
        .values(state=state, certificate_id=certificate_id, number=number, message=message, finished_at=utcnow())
    )


def _give_back(item_ids: list[int]) -> None:
    db.session.execute(
        update(CertificateJobItem)
        .where(CertificateJobItem.id.in_(item_ids), CertificateJobItem.state == "claimed")
        .values(state="waiting", claimed_by="", claimed_at=None)
    )


def give_back(batch: list[Claimed]) -> None:
    """Put a claimed batch back for another try (its store failed on a race); the caller commits."""
    _give_back([claimed.item_id for claimed in batch])


def stop(job_id: int, reason: str, batch: list[Claimed]) -> None:
    """The renderer failed: the job stops (the rest were not tried), saying why; pressing again starts anew."""
    _give_back([claimed.item_id for claimed in batch])
    db.session.execute(
        update(CertificateJob)
        .where(CertificateJob.id == job_id, CertificateJob.state == "running")
        .values(state="stopped", stopped_reason=reason, finished_at=utcnow())
    )
    log.error("certificate job %s stopped: %s", job_id, reason)


def finish_if_done(job_id: int) -> bool:
    """Mark the job finished once no learner of it waits or is being worked on; True if it is finished now."""
    still_open = db.session.scalar(
        select(func.count()).select_from(CertificateJobItem)
        .where(CertificateJobItem.job_id == job_id, CertificateJobItem.state.in_(OPEN_STATES))
    )
    if still_open:
        return False
    finished = db.session.execute(
        update(CertificateJob)
        .where(CertificateJob.id == job_id, CertificateJob.state == "running")
        .values(state="finished", finished_at=utcnow())
    )
    if finished.rowcount:
        log.info("certificate job %s finished", job_id)
    return bool(finished.rowcount)


def _process_is_gone(claimed_by: str) -> bool:
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its age tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def give_back_abandoned(now: datetime | None = None) -> list[int]:
    """Give back the items that dead or silent workers had claimed; the running jobs that have work left."""
    now = now or utcnow()
    claims = db.session.execute(
        select(CertificateJobItem.claimed_by, func.min(CertificateJobItem.claimed_at))
        .join(CertificateJob, CertificateJob.id == CertificateJobItem.job_id)
        .where(CertificateJob.state == "running", CertificateJobItem.state == "claimed")
        .group_by(CertificateJobItem.claimed_by)
    ).all()
    for claimed_by, oldest in claims:
        if _process_is_gone(claimed_by) or oldest < now - STALE_CLAIM:
            given = db.session.execute(
                update(CertificateJobItem)
                .where(CertificateJobItem.claimed_by == claimed_by, CertificateJobItem.state == "claimed")
                .values(state="waiting", claimed_by="", claimed_at=None)
            ).rowcount
            log.warning("%d learners claimed by worker %s, which is gone, are waiting again", given, claimed_by)
    jobs = db.session.scalars(select(CertificateJob.id).where(CertificateJob.state == "running")).all()
    return [job_id for job_id in jobs if not finish_if_done(job_id)]


def batch_size() -> int:
    return max(int(current_app.config["LMS_CERTIFICATE_BATCH"]), 1)


# --- progress --------------------------------------------------------------------------------

@dataclass
class Progress:
    job: CertificateJob
    counts: dict[str, int]
    refused: list[tuple[str, str]]  # (name, why), for the admin to act on

    @property
    def done(self) -> int:
        return self.counts["issued"] + self.counts["already"] + self.counts["refused"]

    @property
    def left(self) -> int:
        return self.counts["waiting"] + self.counts["claimed"]

    @property
    def waiting_for_a_worker(self) -> bool:
        """Started a while ago and nobody has taken any of it: the worker is probably not running."""
        untouched = self.counts["claimed"] == 0 and self.done == 0
        return self.job.running and untouched and self.job.started_at < utcnow() - NO_WORKER_AFTER

    @property
    def percent(self) -> int:
        return 100 if not self.job.total else round(100 * self.done / self.job.total)

    def as_json(self) -> dict:
        return {
            "state": self.job.state, "total": self.job.total, "done": self.done, "left": self.left,
            "issued": self.counts["issued"], "already": self.counts["already"], "refused": self.counts["refused"],
            "percent": self.percent, "stopped_reason": self.job.stopped_reason,
        }


def progress(job: CertificateJob, with_refusals: bool = True) -> Progress:
    counts = dict.fromkeys(("waiting", "claimed", "issued", "already", "refused"), 0)
    counts.update(db.session.execute(
        select(CertificateJobItem.state, func.count()).where(CertificateJobItem.job_id == job.id)
        .group_by(CertificateJobItem.state)
    ).all())
    refused = []
    if with_refusals and counts["refused"]:
        refused = db.session.execute(
            select(User.full_name, CertificateJobItem.message)
            .join(User, User.id == CertificateJobItem.user_id)
            .where(CertificateJobItem.job_id == job.id, CertificateJobItem.state == "refused")
            .order_by(CertificateJobItem.id)
        ).all()
    return Progress(job, counts, [tuple(row) for row in refused])


def log_lines(job: CertificateJob) -> list[tuple[str, str, str, str]]:
    """The job's log: (name, what happened, certificate number, why), one line per learner."""
    return [tuple(row) for row in db.session.execute(
        select(User.full_name, CertificateJobItem.state, CertificateJobItem.number, CertificateJobItem.message)
        .join(User, User.id == CertificateJobItem.user_id)
        .where(CertificateJobItem.job_id == job.id)
        .order_by(CertificateJobItem.id)
    ).all()]
