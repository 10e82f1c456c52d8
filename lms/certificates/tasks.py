"""The certificates' background work: a job's batches, and picking up jobs whose worker died."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.exc import IntegrityError

from lms.certificates import bulk
from lms.certificates.models import CertificateJob
from lms.certificates.rendering import RendererUnavailable
from lms.core.extensions import db
from lms.jobs.queue import task

log = logging.getLogger(__name__)

# Stores lost to a race in a row before this task leaves the rest to the others (and to resume_issue_jobs).
RACES_BEFORE_GIVING_UP = 3


def parallel_tasks() -> int:
    """How many of a job's tasks are queued at once: batches render in parallel up to the core count."""
    return max(int(current_app.config["LMS_CERTIFICATE_PARALLEL"]), 1)


def queue_job(job_id: int) -> None:
    """Put a job's work on the queue (after its row is committed, so the worker can read it)."""
    for _ in range(parallel_tasks()):
        issue_batches(job_id)


@contextmanager
def _site(base_url: str):
    """Certificates print the verification address of the site a job was started from (its address as the
    click came in); a job started from the command line prints LMS_BASE_URL's."""
    if not base_url:
        yield
        return
    with current_app.test_request_context("/", base_url=base_url):
        yield


@task()
def issue_batches(job_id: int) -> int:
    """Issue a job's certificates batch by batch until none is left; how many this task issued.

    Several of these run at once (queue_job), on one worker or several; each batch is committed when it is
    stored, so the progress page moves and a killed worker loses one batch at most (given back to others).
    """
    job = db.session.get(CertificateJob, job_id)
    if job is None or not job.running:
        return 0
    base_url, worker, size = job.base_url, bulk.worker_name(), bulk.batch_size()
    issued, races = 0, 0
    with _site(base_url):
        while races < RACES_BEFORE_GIVING_UP:
            batch = bulk.claim_batch(job_id, worker, size)
            # Committed before rendering: other workers must see these learners taken while this one renders.
            db.session.commit()
            if not batch:
                break
            try:
                outcome = bulk.issue_batch(job_id, batch)
                db.session.commit()
            except RendererUnavailable as error:
                db.session.rollback()
                bulk.stop(job_id, error.message, batch)
                db.session.commit()
                break
            except IntegrityError:
                # A certificate issued by hand at the same moment took a number or a learner: try again (the
                # batch's learners wait again; those issued meanwhile are then found to have one).
                db.session.rollback()
                bulk.give_back(batch)
                db.session.commit()
                races += 1
                continue
            races = 0
            issued += outcome.issued
    bulk.finish_if_done(job_id)
    return issued


@task()
def resume_issue_jobs() -> int:
    """Give back what dead workers had claimed and queue the unfinished jobs' work again; how many jobs."""
    job_ids = bulk.give_back_abandoned()
    db.session.commit()
    for job_id in job_ids:
        queue_job(job_id)
    return len(job_ids)
