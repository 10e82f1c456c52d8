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
