"""The worker command: `flask lms worker` runs the queue's tasks and its periodic ones."""
import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", type=int, default=None,
              help="How many tasks run at once (default: one per core; certificates render one PDF per core).")
@click.option("--no-periodic", is_flag=True, help="Run only queued tasks, not the scheduled ones (another worker does).")
@with_appcontext
def worker(workers, no_periodic):
    """Run background work: certificate jobs, due mail every minute, and the other periodic tasks."""
    from lms.certificates.tasks import resume_issue_jobs
    from lms.core.extensions import db
    from lms.jobs.queue import current_huey

    huey = current_huey()
    if huey.immediate:
        raise click.ClickException("LMS_QUEUE_URL is 'immediate': tasks run where they are queued, no worker is needed.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Work that a worker killed mid-way had taken is given back to the queue before this one starts.
    resumed = resume_issue_jobs.run_here()
    db.session.commit()
    if resumed:
        click.echo(f"Resumed {resumed} certificate job(s) left unfinished.")
    consumer = huey.create_consumer(
        workers=workers or os.cpu_count() or 1, worker_type="thread", periodic=not no_periodic,
        check_worker_health=True,
    )
    click.echo(f"Worker for {current_app.name} on queue {huey.name!r} ({type(huey.storage).__name__}); Ctrl+C stops it.")
    consumer.run()
