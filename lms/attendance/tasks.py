"""The attendance imports' background work: forgetting reports whose preview was never saved."""
from lms.attendance import importing
from lms.core.types import utcnow
from lms.jobs.queue import task


@task()
def forget_old_previews() -> int:
    """Delete reports waiting more than a day for their preview to be saved (every hour: lms/jobs/periodic.py)."""
    return importing.forget_old_previews(utcnow())
