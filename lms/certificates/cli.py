"""The certificates command: `flask lms issue-certificates`."""
import click
from flask.cli import with_appcontext

from lms.core.exceptions import DomainError


@click.command("issue-certificates")
@click.option("--academy", "academy_id", type=int, required=True, help="The academy's id (in its admin address).")
@click.option("--dry-run", is_flag=True, help="Only list who would get a certificate; nothing is made or saved.")
@with_appcontext
def issue_certificates(academy_id, dry_run):
    """Issue certificates to every eligible learner who has none yet (the same as the admin page's button)."""
    from lms.academies.models import Academy
    from lms.certificates import issuing
    from lms.core.extensions import db

    academy = db.session.get(Academy, academy_id)
    if academy is None:
        raise click.ClickException(f"No academy has the id {academy_id}.")
    people = issuing.to_issue(academy)
    if not people:
        click.echo(f"Nobody in {academy.title} is waiting for a certificate.")
        return
    if dry_run:
        click.echo(f"{len(people)} would get a certificate in {academy.title} (dry run: nothing was saved):")
        for item in people:
            click.echo(f"  {item.name} <{item.email or 'on paper'}>{' (exception)' if not item.rules_met else ''}")
        return
    try:
        with click.progressbar(people, label=f"Issuing {len(people)} certificates") as bar:
            result = issuing.issue_all(academy, None, bar)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{len(result.issued)} issued, {len(result.already)} already had one, {len(result.problems)} refused.")
    for certificate in result.issued:
        click.echo(f"  {certificate.number}  {certificate.name_as_printed}")
    for name, message in result.problems:
        click.echo(f"Not issued to {name}: {message}", err=True)
    if result.stopped:
        click.echo(f"Stopped: {result.stopped}", err=True)
    if result.problems or result.stopped:
        raise SystemExit(1)
