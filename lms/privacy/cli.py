"""The privacy commands: `flask lms privacy rotate-key | export | erase | expire`."""
import click
from flask.cli import AppGroup

privacy_cli = AppGroup("privacy", help="Personal data: rotate the data key, export, erase, expire.")


@privacy_cli.command("rotate-key")
def rotate_key():
    """Re-encrypt every stored reflection and feedback text with the first key in LMS_DATA_KEY.

    Put the new key first and keep the old one after it (LMS_DATA_KEY="new,old"), run this, then remove the old one.
    """
    from lms.core.encryption import rotate_keys
    from lms.core.extensions import db

    try:
        count = rotate_keys(db.session.connection(), db.metadata)
    except RuntimeError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Re-encrypted {count} stored texts with the first key. The other keys can now be removed.")


@privacy_cli.command("export")
@click.option("--email", required=True, help="The person's email address.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The ZIP file to write.")
def export(email, out):
    """Write everything held about a person to a ZIP (data.json, index.html, their certificate PDFs)."""
    from pathlib import Path

    from lms.core.exceptions import DomainError
    from lms.privacy import services

    try:
        person = services.find_person(email)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    Path(out).write_bytes(services.export_zip(person))
    click.echo(f"Wrote the data of {person.full_name} to {out}.")


@privacy_cli.command("erase")
@click.option("--email", required=True, help="The person's email address.")
@click.option("--yes", is_flag=True, help="Do not ask to confirm.")
def erase(email, yes):
    """Erase a person: shows what will go, asks to confirm, then does all of it in one transaction."""
    from lms.core.exceptions import DomainError
    from lms.core.extensions import db
    from lms.privacy import services

    try:
        person = services.find_person(email)
        preview = services.preview_erasure(person)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Erasing {person.full_name} <{person.email}> removes:")
    for what, count in preview.items():
        if count:
            click.echo(f"  {count} × {what}")
    if not yes and not click.confirm("Erase this person's data for good?", default=False):
        db.session.rollback()
        click.echo("Nothing was erased.")
        return
    try:
        services.erase(person, actor=None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo("Erased. Their certificates can still be checked, with the name withheld.")


@privacy_cli.command("expire")
@click.option("--dry-run", is_flag=True, help="Only show what would be deleted; nothing is changed.")
def expire(dry_run):
    """Delete the reflections, feedback, reading progress and uploaded reports of academies past their retention
    period (the worker does this daily); attendance, certificates and counts stay."""
    from lms.core.extensions import db
    from lms.core.types import utcnow
    from lms.privacy import retention

    now = utcnow()
    found = retention.preview(now) if dry_run else retention.expire_due(now)
    if not found:
        db.session.rollback()
        click.echo("No academy is past its retention period.")
        return
    for academy, counts in found:
        click.echo(f"{academy.title} (kept until {academy.data_kept_until():%Y-%m-%d}):")
        for what, count in counts.items():
            click.echo(f"  {count} × {what}")
    if dry_run:
        db.session.rollback()  # ends the transaction the counting opened
        click.echo("Dry run: nothing was deleted.")
        return
    db.session.commit()
    click.echo("Deleted.")
