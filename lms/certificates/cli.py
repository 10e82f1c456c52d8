"""The certificates command: `flask lms issue-certificates`."""
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.core.exceptions import DomainError

POLL_SECONDS = 0.3


@click.command("issue-certificates")
@click.option("--academy", "academy_id", type=int, required=True, help="The academy's id (in its admin address).")
@click.option("--dry-run", is_flag=True, help="Only list who would get a certificate; nothing is made or saved.")
@with_appcontext
def issue_certificates(academy_id, dry_run):
    """Issue certificates to every eligible learner who has none yet (the same job as the admin page's button).

    The work is done here, batch by batch, with a worker's help if one runs; a job already running for the
    academy (started on the admin page) is joined, and its progress shown.
    """
    from lms.academies.models import Academy
    from lms.certificates import bulk, issuing
    from lms.core.extensions import db

    academy = db.session.get(Academy, academy_id)
    if academy is None:
        raise click.ClickException(f"No academy has the id {academy_id}.")
    if dry_run:
        people = issuing.to_issue(academy)
        if not people:
            click.echo(f"Nobody in {academy.title} is waiting for a certificate.")
            return
        click.echo(f"{len(people)} would get a certificate in {academy.title} (dry run: nothing was saved):")
        for item in people:
            click.echo(f"  {item.name} <{item.email or 'on paper'}>{' (exception)' if not item.rules_met else ''}")
        return
    try:
        job, created = bulk.start(academy, None, "")
    except DomainError as error:
        db.session.rollback()
        if error.message == bulk.NOBODY_WAITS:
            click.echo(f"Nobody in {academy.title} is waiting for a certificate.")
            return
        raise click.ClickException(error.message) from None
    db.session.commit()
    if not created:
        click.echo(f"A job is issuing certificates in {academy.title} already (job {job.id}); helping it along.")
    job_id, total = job.id, job.total
    _work_and_show(job_id, total)
    db.session.expire_all()
    job = db.session.get(type(job), job_id)
    progress = bulk.progress(job)
    click.echo(f"{progress.counts['issued']} issued, {progress.counts['already']} already had one, "
               f"{progress.counts['refused']} refused.")
    for name, state, number, _message in bulk.log_lines(job):
        if state == "issued":
            click.echo(f"  {number}  {name}")
    for name, message in progress.refused:
        click.echo(f"Not issued to {name}: {message}", err=True)
    if job.state == "stopped":
        click.echo(f"Stopped: {job.stopped_reason}", err=True)
    if progress.refused or job.state == "stopped":
        raise SystemExit(1)


def _work_and_show(job_id: int, total: int) -> None:
    """Run the job's batches in as many threads as the worker would, showing the job's progress meanwhile."""
    from lms.certificates import bulk, tasks
    from lms.certificates.models import CertificateJob
    from lms.core.extensions import db

    app = current_app._get_current_object()

    def work():
        with app.app_context():
            tasks.issue_batches.run_here(job_id)
            db.session.commit()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(tasks.parallel_tasks())]
    for thread in threads:
        thread.start()
    shown = 0
    with click.progressbar(length=total, label=f"Issuing {total} certificates") as bar:
        while True:
            alive = any(thread.is_alive() for thread in threads)
            db.session.expire_all()
            done = bulk.progress(db.session.get(CertificateJob, job_id), with_refusals=False).done
            db.session.rollback()  # no read transaction kept open between looks
            bar.update(done - shown)
            shown = done
            if not alive:
                break
            time.sleep(POLL_SECONDS)
