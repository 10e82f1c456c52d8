"""Privacy's background work: daily, the data past its retention period is deleted and admins are told ahead
(committed by the queue when each task returns)."""
from __future__ import annotations

import logging

from lms.jobs.queue import task
from lms.privacy import retention

log = logging.getLogger(__name__)


@task()
def expire_due_data() -> None:
    for academy, counts in retention.expire_due():
        log.info("retention: deleted the expired data of academy %s: %s", academy.id, counts)


@task()
def send_expiry_notices() -> None:
    queued = retention.send_notices()
    if queued:
        log.info("retention: %s notices of deletion queued for admins", queued)
